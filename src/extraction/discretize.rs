//! Gray-level discretization exactly as PyRadiomics 3.0.1 does it (`imageoperations.binImage`).
//!
//! * **Fixed bin width** `w` (default 25): edges `e_k = L + k w`, `L = min - (min mod w)` (so edges
//!   are anchored at 0), `k = 0, 1, ...` while `e_k < max + 2w`. A single edge `e` becomes
//!   `[e - 0.5, e + 0.5]`.
//! * **Fixed bin count** `n`: the edges of `numpy.histogram(values, n)` (`linspace(min, max, n+1)`,
//!   or `min ± 0.5` for a flat region), with the last edge raised by 1.
//!
//! At most [`MAX_BINS`] bins are made: a bin width so small, or a bin count so large, that a
//! region would need more is refused before any edge is allocated.
//!
//! A value `x` gets gray level `#{k : e_k <= x}` (`numpy.digitize`), so levels start at 1.
//! Only the region's values are used to find the edges. `Ng`, the number of gray levels, is the
//! *maximum* level present, not the count of distinct levels.

use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::io::Image;
use crate::roi::Region;

/// Most bins a region may be discretized into (2^16: every value of 16-bit data at bin width 1).
pub const MAX_BINS: usize = 1 << 16;

/// How gray values are grouped into gray levels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binning {
    /// Fixed bin width, edges anchored at 0.
    Width(f64),
    /// Fixed number of bins between the region's minimum and maximum.
    Count(usize),
}

impl Default for Binning {
    fn default() -> Self {
        Binning::Width(25.0)
    }
}

impl Binning {
    /// PyRadiomics' rule for the two settings: a bin count wins over a bin width, and neither
    /// gives the default width 25. The one place the command line and parameter files apply it.
    pub fn from_settings(width: Option<f64>, count: Option<usize>) -> Binning {
        match (width, count) {
            (_, Some(count)) => Binning::Count(count),
            (Some(width), None) => Binning::Width(width),
            (None, None) => Binning::default(),
        }
    }

    /// Checks the setting: the width must be positive and finite, the count at least 1 and at
    /// most [`MAX_BINS`].
    pub fn validate(&self) -> Result<()> {
        match *self {
            Binning::Width(w) if !(w.is_finite() && w > 0.0) => Err(Error::Setting(format!(
                "bin width must be a positive number, got {w}"
            ))),
            Binning::Count(0) => Err(Error::Setting("bin count must be at least 1".into())),
            Binning::Count(n) if n > MAX_BINS => Err(Error::Setting(format!(
                "bin count {n} is above the limit of {MAX_BINS} bins"
            ))),
            _ => Ok(()),
        }
    }

    /// Bin edges for the given region values (non-empty, finite) of the image `source`; an
    /// error naming `source` when they would make more than [`MAX_BINS`] bins.
    pub fn edges(&self, values: &[f64], source: &Path) -> Result<Vec<f64>> {
        let (min, max) = values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        let too_many = |setting: String, bins: f64, advice: &str| {
            Error::Binning {
            path: source.to_path_buf(),
            message: format!(
                "{setting} makes {bins} bins for a region with values from {min} to {max}, above the limit of {MAX_BINS} bins; {advice}"
            ),
        }
        };
        match *self {
            Binning::Width(w) => {
                let low = min - min.rem_euclid(w);
                let high = max + 2.0 * w;
                let n = ((high - low) / w).ceil().max(0.0);
                // n edges make n - 1 bins (a single edge makes one)
                if n.is_nan() || n - 1.0 > MAX_BINS as f64 {
                    let setting = format!("bin width {w}");
                    return Err(too_many(setting, n - 1.0, "use a larger bin width"));
                }
                let n = n as usize;
                // numpy.arange: first two values fix the step, then start + i * step.
                let step = (low + w) - low;
                if n == 0 || step <= 0.0 {
                    // values so large that adding the width changes nothing (1e30 + 25):
                    // the bins cannot be told apart, there is no gray level to give
                    return Err(Error::Binning {
                        path: source.to_path_buf(),
                        message: format!(
                            "bin width {w} is below the resolution of the region's values (from {min} to {max}): 64-bit floats cannot tell its bins apart; use a larger bin width, or rescale the image"
                        ),
                    });
                }
                let mut edges: Vec<f64> = (0..n).map(|i| low + i as f64 * step).collect();
                if let [edge] = edges[..] {
                    edges = vec![edge - 0.5, edge + 0.5];
                }
                Ok(edges)
            }
            Binning::Count(count) => {
                if count > MAX_BINS {
                    let setting = format!("bin count {count}");
                    return Err(too_many(setting, count as f64, "use a smaller bin count"));
                }
                let (start, stop) = if min == max {
                    (min - 0.5, max + 0.5)
                } else {
                    (min, max)
                };
                let step = (stop - start) / count as f64;
                let mut edges: Vec<f64> = (0..=count).map(|i| i as f64 * step + start).collect();
                if let Some(last) = edges.last_mut() {
                    *last = stop + 1.0;
                }
                Ok(edges)
            }
        }
    }
}

/// Gray level of `x`: the number of edges `<= x`.
#[inline]
pub fn digitize(x: f64, edges: &[f64]) -> u32 {
    edges.partition_point(|&e| e <= x) as u32
}

/// Most integer values given a precomputed gray level (all of 16-bit data).
const TABLE_LIMIT: f64 = 65536.0;

/// [`digitize`] of each integer `0, 1, ...` up to the last edge (at most [`TABLE_LIMIT`] of
/// them), found by one walk along the edges.
fn integer_levels(edges: &[f64]) -> Vec<u32> {
    let top = edges
        .last()
        .map_or(0.0, |&e| e.ceil().clamp(0.0, TABLE_LIMIT));
    let mut level = 0;
    (0..top as usize)
        .map(|v| {
            while edges.get(level).is_some_and(|&e| e <= v as f64) {
                level += 1;
            }
            level as u32
        })
        .collect()
}

/// A region's discretized gray levels, cropped to its bounding box.
#[derive(Debug, Clone, PartialEq)]
pub struct GrayLevels {
    /// Bounding-box width.
    pub width: usize,
    /// Bounding-box height.
    pub height: usize,
    /// Rank of each pixel's gray level among the levels present (1-based), 0 outside the
    /// region: stored per pixel, or as a lookup of the case's stored values.
    pub ranks: Ranks,
    /// Gray level of each rank: `levels[r - 1]` is the level of rank `r`. Sorted, distinct.
    pub levels: Vec<u32>,
}

/// How a region's ranks are held.
#[derive(Debug, Clone, PartialEq)]
pub enum Ranks {
    /// The rank of every bounding-box pixel, row-major, 0 outside the region.
    Computed(Vec<u32>),
    /// A lookup from the stored integer value to the rank: the ranks are made where they are
    /// used (the GPU makes them on the device from the case's [`StoredCrop`], uploaded once).
    Lookup(Lookup),
}

/// A region's ranks as a lookup of its case's stored integer values.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// The case's stored values and region membership.
    pub source: Arc<StoredCrop>,
    /// Column of the region's bounding box in the crop.
    pub x: usize,
    /// Row of the region's bounding box in the crop.
    pub y: usize,
    /// The region's membership bit in the crop's entries.
    pub bit: u32,
    /// Smallest stored value (crop value, after `base`) in the region.
    pub min: u32,
    /// Rank of each stored value `min + i` present in the region (0 for values absent from
    /// it, which no region pixel holds).
    pub table: Vec<u32>,
}

/// A case's gray values over the union of its regions' bounding boxes, kept as stored integers
/// with each pixel's region membership: what the GPU uploads once per case and discretizes
/// with each region's [`Lookup`] table. Only images whose values there are whole numbers
/// spanning at most 65,536 values have one; others are discretized on the host (WGSL has no
/// f64 arithmetic, and PyRadiomics bins in f64).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredCrop {
    /// Column of the crop's left edge in the image.
    pub x0: usize,
    /// Row of the crop's top edge in the image.
    pub y0: usize,
    /// Crop width.
    pub width: usize,
    /// Crop height.
    pub height: usize,
    /// The image value of stored value 0: every stored value is `image value - base`.
    pub base: f64,
    /// Stored value and membership bits of each crop pixel, row-major.
    pub entries: Entries,
}

/// A [`StoredCrop`]'s entries: the stored value in the low bits, region `k`'s membership bit
/// above it (bit `8 + k` or `16 + k`).
#[derive(Debug, Clone, PartialEq)]
pub enum Entries {
    /// Values below 256, at most 8 regions.
    Narrow(Vec<u16>),
    /// Values below 65,536, at most 16 regions.
    Wide(Vec<u32>),
}

/// Most regions a [`StoredCrop`] records with narrow and with wide entries.
const NARROW_REGIONS: usize = 8;
const WIDE_REGIONS: usize = 16;

impl Entries {
    /// The entries as the device reads them: little-endian, narrow ones two to a 32-bit word
    /// (a narrow crop holds an even number of entries, the last one padding when needed).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Entries::Narrow(e) => bytemuck::cast_slice(e),
            Entries::Wide(e) => bytemuck::cast_slice(e),
        }
    }

    /// How many 32-bit words [`Self::bytes`] fills.
    pub fn words(&self) -> usize {
        self.bytes().len() / 4
    }

    /// Whether entries take 32 bits.
    pub fn is_wide(&self) -> bool {
        matches!(self, Entries::Wide(_))
    }
}

impl StoredCrop {
    /// The crop of `image` under `regions` (bounding boxes within the decoded rows), or `None`
    /// when a value there is not a whole number within ±2^31, the values span more than 65,536
    /// integers, or there are more than 16 regions.
    pub fn of(image: &Image, regions: &[&Region]) -> Option<StoredCrop> {
        let x0 = regions.iter().map(|r| r.x0).min()?;
        let y0 = regions.iter().map(|r| r.y0).min()?;
        let x1 = regions.iter().map(|r| r.x0 + r.width).max()?;
        let y1 = regions.iter().map(|r| r.y0 + r.height).max()?;
        if regions.len() > WIDE_REGIONS || y1 * image.width > image.pixels.len() {
            return None;
        }
        let (width, height) = (x1 - x0, y1 - y0);
        let rows = || (y0..y1).map(|y| &image.pixels[y * image.width + x0..y * image.width + x1]);
        let (mut lo, mut hi, mut whole) = (i32::MAX, i32::MIN, true);
        for row in rows() {
            for &v in row {
                // a saturating cast: NaN, infinities, fractions and huge values fail the round trip
                let w = v as i32;
                whole &= f64::from(w) == v;
                (lo, hi) = (lo.min(w), hi.max(w));
            }
        }
        if !whole {
            return None;
        }
        let span = i64::from(hi) - i64::from(lo);
        if span > 65535 {
            return None;
        }
        let stored = move |v: &f64| (*v as i32 - lo) as u32;
        let entries = if span > 255 || regions.len() > NARROW_REGIONS {
            let mut e = Vec::with_capacity(width * height);
            rows().for_each(|row| e.extend(row.iter().map(stored)));
            mark_regions(&mut e, width, (x0, y0), regions, |k| 1 << (16 + k));
            Entries::Wide(e)
        } else {
            let mut e = Vec::with_capacity(width * height + 1);
            rows().for_each(|row| e.extend(row.iter().map(|v| stored(v) as u16)));
            mark_regions(&mut e, width, (x0, y0), regions, |k| 1 << (8 + k));
            // whole words for the upload
            if e.len() % 2 == 1 {
                e.push(0);
            }
            Entries::Narrow(e)
        };
        Some(StoredCrop {
            x0,
            y0,
            width,
            height,
            base: f64::from(lo),
            entries,
        })
    }
}

/// Sets region `k`'s bit (`bit(k)`) in the crop entries (row-major, `width` wide, at `origin`
/// in the image) of every pixel of region `k`.
fn mark_regions<T: Copy + std::ops::BitOrAssign>(
    entries: &mut [T],
    width: usize,
    (x0, y0): (usize, usize),
    regions: &[&Region],
    bit: impl Fn(usize) -> T,
) {
    for (k, r) in regions.iter().enumerate() {
        let bit = bit(k);
        for (y, mask) in r.mask.chunks_exact(r.width).enumerate() {
            let start = (r.y0 - y0 + y) * width + r.x0 - x0;
            for (e, &inside) in entries[start..start + r.width].iter_mut().zip(mask) {
                if inside {
                    *e |= bit;
                }
            }
        }
    }
}

impl Lookup {
    /// Writes the ranks of one row of crop entries (`value_bits` bits of value, membership
    /// bits above).
    #[inline]
    fn write_row<T: Copy + Into<u32>>(&self, out: &mut [u32], entries: &[T], value_bits: u32) {
        let value_mask = (1u32 << value_bits) - 1;
        let member = 1u32 << (value_bits + self.bit);
        for (o, &e) in out.iter_mut().zip(entries) {
            let e: u32 = e.into();
            *o = if e & member != 0 {
                self.table[((e & value_mask) - self.min) as usize]
            } else {
                0
            };
        }
    }
}

impl GrayLevels {
    /// `Ng`: the maximum gray level present.
    pub fn ng(&self) -> u32 {
        self.levels.last().copied().unwrap_or(0)
    }

    /// Number of distinct gray levels present.
    pub fn level_count(&self) -> usize {
        self.levels.len()
    }

    /// Bounding-box pixels.
    pub fn pixels(&self) -> usize {
        self.width * self.height
    }

    /// Discretizes the masked pixels of a bounding-box crop (`values` and `mask` row-major,
    /// `width * height` long) with the given bin edges.
    pub fn new(
        values: &[f64],
        mask: &[bool],
        width: usize,
        height: usize,
        edges: &[f64],
    ) -> GrayLevels {
        let mut raw = vec![0u32; width * height];
        let mut max_level = 0;
        let table = integer_levels(edges);
        for ((r, &v), &m) in raw.iter_mut().zip(values).zip(mask) {
            if m {
                // stored images hold integers: look them up; anything else is searched
                let whole = v as usize;
                *r = match table.get(whole) {
                    Some(&level) if whole as f64 == v => level,
                    _ => digitize(v, edges),
                };
                max_level = max_level.max(*r);
            }
        }
        let mut present = vec![false; max_level as usize + 1];
        for (&r, &m) in raw.iter().zip(mask) {
            if m {
                present[r as usize] = true;
            }
        }
        let mut rank_of = vec![0u32; max_level as usize + 1];
        let mut levels = Vec::new();
        for (level, &p) in present.iter().enumerate() {
            if p {
                levels.push(level as u32);
                rank_of[level] = levels.len() as u32;
            }
        }
        for (r, &m) in raw.iter_mut().zip(mask) {
            if m {
                *r = rank_of[*r as usize];
            }
        }
        GrayLevels {
            width,
            height,
            ranks: Ranks::Computed(raw),
            levels,
        }
    }

    /// Discretizes region `bit` of `source` (bounding box `width × height` at column `x`, row
    /// `y` of the crop), whose image values are `values`, with the given bin edges: only the
    /// region's distinct stored values are binned, and no per-pixel rank is made.
    ///
    /// Binning is monotone in the value, so walking the present stored values upwards meets
    /// their levels in ascending order, and each new level is the next rank.
    pub fn looked_up(
        source: Arc<StoredCrop>,
        bit: u32,
        (x, y): (usize, usize),
        (width, height): (usize, usize),
        values: &[f64],
        edges: &[f64],
    ) -> GrayLevels {
        let stored = |v: f64| (v - source.base) as u32;
        let (min, max) = values
            .iter()
            .map(|&v| stored(v))
            .fold((u32::MAX, 0), |(lo, hi), s| (lo.min(s), hi.max(s)));
        let min = min.min(max); // no value (never for a checked region): one empty entry
        let mut table = vec![0u32; (max - min) as usize + 1];
        for &v in values {
            table[(stored(v) - min) as usize] = 1;
        }
        let mut levels: Vec<u32> = Vec::new();
        for (i, t) in table.iter_mut().enumerate() {
            if *t == 0 {
                continue;
            }
            let level = digitize(source.base + f64::from(min) + i as f64, edges);
            if levels.last() != Some(&level) {
                levels.push(level);
            }
            *t = levels.len() as u32;
        }
        GrayLevels {
            width,
            height,
            ranks: Ranks::Lookup(Lookup {
                source,
                x,
                y,
                bit,
                min,
                table,
            }),
            levels,
        }
    }

    /// Writes the rank of bounding-box pixel `(y, x)` to `out[offset + y * stride + x]` for
    /// every pixel, 0 outside the region.
    pub fn write_ranks(&self, out: &mut [u32], stride: usize, offset: usize) {
        let rows = out[offset..]
            .chunks_mut(stride)
            .take(self.height)
            .map(|row| &mut row[..self.width]);
        match &self.ranks {
            Ranks::Computed(ranks) => {
                for (row, src) in rows.zip(ranks.chunks_exact(self.width)) {
                    row.copy_from_slice(src);
                }
            }
            Ranks::Lookup(l) => {
                let s = &l.source;
                let at = |y: usize| (l.y + y) * s.width + l.x;
                match &s.entries {
                    Entries::Narrow(e) => {
                        for (y, row) in rows.enumerate() {
                            let src = &e[at(y)..at(y) + self.width];
                            l.write_row(row, src, 8);
                        }
                    }
                    Entries::Wide(e) => {
                        for (y, row) in rows.enumerate() {
                            let src = &e[at(y)..at(y) + self.width];
                            l.write_row(row, src, 16);
                        }
                    }
                }
            }
        }
    }

    /// The same gray levels with every rank made on the host ([`Ranks::Computed`]): what a
    /// region of a filtered image goes to the device as, for measuring both routes.
    pub fn with_host_ranks(&self) -> GrayLevels {
        GrayLevels {
            ranks: Ranks::Computed(self.ranks().into_owned()),
            levels: self.levels.clone(),
            ..*self
        }
    }

    /// The rank of every bounding-box pixel, row-major, 0 outside the region.
    pub fn ranks(&self) -> Cow<'_, [u32]> {
        match &self.ranks {
            Ranks::Computed(ranks) => Cow::Borrowed(ranks),
            Ranks::Lookup(_) => {
                let mut out = vec![0u32; self.pixels()];
                self.write_ranks(&mut out, self.width, 0);
                Cow::Owned(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_integer_table_agrees_with_the_edge_search() {
        // fractional edges (bin count), edges anchored at 0 (bin width), one edge widened
        let edge_sets = [
            vec![3.0, 10.25, 17.5, 24.75, 33.0],
            vec![0.0, 25.0, 50.0, 75.0, 100.0],
            vec![41.5, 42.5],
        ];
        for edges in &edge_sets {
            let table = integer_levels(edges);
            assert_eq!(table.len(), edges[edges.len() - 1].ceil() as usize);
            for (v, &level) in table.iter().enumerate() {
                assert_eq!(
                    level,
                    digitize(v as f64, edges),
                    "value {v}, edges {edges:?}"
                );
            }
        }
    }

    #[test]
    fn whole_and_fractional_values_get_the_levels_of_the_edge_search() {
        let edges = [2.0, 4.5, 7.0, 9.5];
        let values = [2.0, 4.0, 4.5, 4.75, 7.0, -0.0, 9.0, 8.999, 3.0];
        let mask = [true; 9];
        let g = GrayLevels::new(&values, &mask, 3, 3, &edges);
        let raw: Vec<u32> = values.iter().map(|&v| digitize(v, &edges)).collect();
        let mut present = raw.clone();
        present.sort_unstable();
        present.dedup();
        assert_eq!(g.levels, present);
        let ranks: Vec<u32> = raw
            .iter()
            .map(|l| present.iter().position(|p| p == l).unwrap() as u32 + 1)
            .collect();
        assert_eq!(g.ranks(), ranks);
    }

    use crate::io::Image;
    use crate::roi::Region;

    fn image(width: usize, height: usize, pixels: Vec<f64>) -> Image<'static> {
        Image {
            width,
            height,
            pixels: pixels.into(),
            source: "test".into(),
        }
    }

    fn full(name: &str, x0: usize, y0: usize, width: usize, height: usize) -> Region {
        Region {
            name: name.into(),
            x0,
            y0,
            width,
            height,
            mask: vec![true; width * height],
        }
    }

    /// A region's image values, row-major (its mask is full).
    fn values_of(image: &Image, r: &Region) -> Vec<f64> {
        (r.y0..r.y0 + r.height)
            .flat_map(|y| &image.pixels[y * image.width + r.x0..y * image.width + r.x0 + r.width])
            .copied()
            .collect()
    }

    #[test]
    fn looked_up_ranks_and_levels_equal_the_computed_ones() {
        let mut state = 12345u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as f64 / (1u64 << 31) as f64
        };
        // 8-bit, 16-bit and signed (CT-like) value ranges, every binning style
        let ranges = [
            (0.0, 255.0),
            (0.0, 65535.0),
            (-1024.0, 3071.0),
            (1000.0, 1001.0),
        ];
        let binnings = [
            Binning::Width(25.0),
            Binning::Width(1.0),
            Binning::Width(7.5),
            Binning::Count(32),
            Binning::Count(1024),
        ];
        for (lo, hi) in ranges {
            let (w, h) = (23, 17);
            let pixels = (0..w * h)
                .map(|_| (lo + next() * (hi - lo)).round())
                .collect();
            let img = image(w, h, pixels);
            // a tumour with a hole, and an overlapping ring-like region around it
            let mut tumor = full("tumor", 5, 4, 9, 7);
            tumor.mask[30] = false;
            let ring = full("ring", 2, 1, 18, 14);
            let crop = Arc::new(StoredCrop::of(&img, &[&tumor, &ring]).unwrap());
            assert_eq!(crop.entries.is_wide(), hi - lo > 255.0);
            for binning in binnings {
                for (bit, r) in [(0, &tumor), (1, &ring)] {
                    let mut values = values_of(&img, r);
                    let box_values = values.clone();
                    if bit == 0 {
                        values.remove(30);
                    }
                    let edges = binning.edges(&values, "test".as_ref()).unwrap();
                    let at = (r.x0 - crop.x0, r.y0 - crop.y0);
                    let looked = GrayLevels::looked_up(
                        crop.clone(),
                        bit,
                        at,
                        (r.width, r.height),
                        &values,
                        &edges,
                    );
                    let computed = GrayLevels::new(&box_values, &r.mask, r.width, r.height, &edges);
                    let what = format!("{lo}..{hi}, {binning:?}, {}", r.name);
                    assert_eq!(looked.levels, computed.levels, "{what}");
                    assert_eq!(looked.ranks(), computed.ranks(), "{what}");
                }
            }
        }
    }

    #[test]
    fn only_whole_values_in_a_16_bit_span_of_at_most_16_regions_are_stored() {
        let r = full("tumor", 0, 0, 2, 2);
        assert!(StoredCrop::of(&image(2, 2, vec![1.0, 2.0, 3.0, 4.0]), &[&r]).is_some());
        for bad in [
            vec![1.0, 2.5, 3.0, 4.0],
            vec![1.0, f64::NAN, 3.0, 4.0],
            vec![0.0, 1.0, 2.0, 65536.0],
        ] {
            assert!(
                StoredCrop::of(&image(2, 2, bad.clone()), &[&r]).is_none(),
                "{bad:?}"
            );
        }
        let seventeen: Vec<&Region> = std::iter::repeat_n(&r, 17).collect();
        assert!(StoredCrop::of(&image(2, 2, vec![1.0; 4]), &seventeen).is_none());
        // nine regions need 32-bit entries even for 8-bit values
        let nine: Vec<&Region> = std::iter::repeat_n(&r, 9).collect();
        let crop = StoredCrop::of(&image(2, 2, vec![1.0; 4]), &nine).unwrap();
        assert!(crop.entries.is_wide());
        // a region past the decoded rows has no crop
        assert!(StoredCrop::of(&image(2, 1, vec![1.0; 2]), &[&r]).is_none());
    }
}
