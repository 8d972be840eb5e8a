//! The host's side of a GPU batch, free of any device: which regions go into which batch
//! ([`plan`]), where each region's ranks, stored values, tables and counts live
//! ([`BatchLayout`], [`RegionRecord`]), what is uploaded ([`pack_ranks`] for regions the host
//! discretized, [`fill_tables`] for the rank tables of the others, whose stored crops go up
//! straight from their own memory) and how the counts read back become the [`Matrices`] the
//! CPU builds ([`unpack`]). Everything here is
//! unit-tested without a device.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::discretize::{GrayLevels, Lookup, Ranks, StoredCrop};
use crate::features::glcm::GlcmMatrix;
use crate::features::gldm::{GldmMatrix, DEPENDENCE_SIZES};
use crate::features::glrlm::GlrlmMatrix;
use crate::features::glszm::GlszmMatrix;
use crate::features::ngtdm::{NgtdmMatrix, MAX_NEIGHBOURS};
use crate::matrix::Matrices;

/// Bounding-box pixels per workgroup of the pixel kernels (GLCM, neighbourhood, zones).
pub(super) const TILE: usize = 2048;
/// Lines per workgroup of the GLRLM kernel.
pub(super) const LINES_PER_GROUP: usize = 64;
/// Largest zone size counted in the dense part of a region's GLSZM on the device; larger zones
/// are listed one by one (`shaders/glszm.wgsl`).
pub(super) const SMALL_ZONE: usize = 64;
/// Most gray levels of a region the GPU takes: its ranks must fit 16 bits. (The dense-matrix
/// limit [`crate::matrix::MAX_MATRIX_CELLS`] already keeps regions under 4096 levels.)
pub(super) const MAX_GPU_LEVELS: usize = u16::MAX as usize;
/// `source_offset` of a region whose ranks the host made and uploaded.
pub(super) const NO_SOURCE: u32 = u32::MAX;
/// Every region's ranks start at a multiple of this many pixels, so that packed words (4 ranks
/// of 8 bits, 2 of 16) never hold two regions and the device writes whole words.
const PIXEL_ALIGN: usize = 4;
const _: () = assert!(
    TILE.is_multiple_of(PIXEL_ALIGN),
    "tiles must hold whole words of ranks"
);

/// WGSL declarations of the host's constants, prepended to every shader so that host and
/// kernels cannot disagree.
pub(super) fn shader_constants() -> String {
    format!(
        "// From src/extraction/matrix/gpu/layout.rs.\nconst TILE: u32 = {TILE}u;\nconst LINES_PER_GROUP: u32 = {LINES_PER_GROUP}u;\nconst SMALL_ZONE: u32 = {SMALL_ZONE}u;\nconst NO_SOURCE: u32 = {NO_SOURCE}u;\n\n"
    )
}

/// Per-region record shared with the shaders (`struct Region` in `shaders/records.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct RegionRecord {
    pub pixel_offset: u32,
    pub width: u32,
    pub height: u32,
    pub levels: u32,
    pub level_offset: u32,
    pub glcm_offset: u32,
    pub glrlm_offset: u32,
    pub max_run: u32,
    pub gldm_offset: u32,
    pub ngtdm_offset: u32,
    pub histogram_offset: u32,
    pub flag_offset: u32,
    pub first_group: u32,
    pub glszm_offset: u32,
    pub zone_list_offset: u32,
    pub zone_capacity: u32,
    pub source_offset: u32,
    pub source_width: u32,
    pub source_x: u32,
    pub source_y: u32,
    pub source_wide: u32,
    pub mask_bit: u32,
    pub lut_offset: u32,
    pub lut_min: u32,
}

/// Dispatch parameters (`struct Params` in `shaders/records.wgsl`).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(super) struct Params {
    pub groups: u32,
    pub groups_x: u32,
    pub rank_bits: u32,
    pub pad: u32,
}

/// How a kernel divides a region among workgroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Split {
    /// One workgroup per [`TILE`] bounding-box pixels (GLCM, neighbourhood, zones).
    Tiles,
    /// One workgroup per [`LINES_PER_GROUP`] lines of the four angles (GLRLM).
    Lines,
}

impl Split {
    /// Both splits, in the order of [`BatchLayout::records`] and [`BatchLayout::groups`].
    pub const ALL: [Split; 2] = [Split::Tiles, Split::Lines];

    /// Workgroups a region of this size needs.
    fn groups(self, width: usize, height: usize) -> usize {
        match self {
            Split::Tiles => (width * height).div_ceil(TILE),
            // w + h - 1 lines for each diagonal, w columns, h rows
            Split::Lines => (3 * width + 3 * height - 2).div_ceil(LINES_PER_GROUP),
        }
    }
}

/// Sizes of one region's parts of the counts buffer, in u32 cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Footprint {
    pub pixels: u64,
    pub glcm: u64,
    pub glrlm: u64,
    pub gldm: u64,
    pub ngtdm: u64,
    pub histogram: u64,
    /// Dense zone counts, sizes 1 to [`SMALL_ZONE`].
    pub glszm: u64,
    /// Room for zones larger than [`SMALL_ZONE`]: each holds more than `SMALL_ZONE` of the box's
    /// pixels, so there are at most `pixels / (SMALL_ZONE + 1)` of them.
    pub zone_capacity: u64,
}

impl Footprint {
    pub fn of(g: &GrayLevels) -> Footprint {
        let l = g.level_count() as u64;
        let max_run = g.width.max(g.height) as u64;
        let pixels = (g.width * g.height) as u64;
        Footprint {
            pixels,
            glcm: 4 * l * l,
            glrlm: 4 * l * max_run,
            gldm: l * DEPENDENCE_SIZES as u64,
            ngtdm: l + 2 * l * MAX_NEIGHBOURS as u64,
            histogram: l,
            glszm: l * SMALL_ZONE as u64,
            zone_capacity: pixels / (SMALL_ZONE as u64 + 1),
        }
    }

    /// Cells of the counts buffer: the matrices, 4 GLRLM angle flags, and the zone list (a
    /// counter and two cells per large zone).
    pub fn cells(&self) -> u64 {
        self.glcm
            + self.glrlm
            + self.gldm
            + self.ngtdm
            + self.histogram
            + 4
            + self.glszm
            + 1
            + 2 * self.zone_capacity
    }
}

/// Splits region indices into batches whose pixels and counts each fit `cells_limit` u32
/// cells (the ranks take at most 2 bytes a pixel, the zone labels and sizes 4). Regions that do
/// not fit even alone, or have more than [`MAX_GPU_LEVELS`] levels, are returned separately
/// for the CPU.
pub(super) fn plan(regions: &[&GrayLevels], cells_limit: u64) -> (Vec<Vec<usize>>, Vec<usize>) {
    let (mut batches, mut alone) = (Vec::new(), Vec::new());
    let (mut current, mut pixels, mut cells) = (Vec::new(), 0u64, 0u64);
    for (k, g) in regions.iter().enumerate() {
        let f = Footprint::of(g);
        if f.pixels > cells_limit || f.cells() > cells_limit || g.level_count() > MAX_GPU_LEVELS {
            alone.push(k);
            continue;
        }
        if pixels + f.pixels > cells_limit || cells + f.cells() > cells_limit {
            batches.push(std::mem::take(&mut current));
            pixels = 0;
            cells = 0;
        }
        current.push(k);
        pixels += f.pixels;
        cells += f.cells();
    }
    if !current.is_empty() {
        batches.push(current);
    }
    (batches, alone)
}

/// Where every region of a batch lives on the device.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct BatchLayout {
    /// The region records of each [`Split`] (they differ only in `first_group`).
    pub records: [Vec<RegionRecord>; 2],
    /// The region of each workgroup, for each [`Split`].
    pub groups: [Vec<u32>; 2],
    /// Gray level of each rank, every region's after the other's (at least one entry).
    pub gray: Vec<u32>,
    /// Bounding-box pixels of the batch, each region's rounded up to [`PIXEL_ALIGN`].
    pub pixels: usize,
    /// Pixels up to the end of the last region the host discretized: the uploaded ranks.
    pub host_pixels: usize,
    /// Words of the lookups buffer: every looked-up region's table, one after the other from
    /// word 0, then each stored crop once.
    pub lookup_words: usize,
    /// Words of the tables at the start of the lookups buffer.
    pub table_words: usize,
    /// Each stored crop of the batch and its first word in the lookups buffer.
    pub crops: Vec<(Arc<StoredCrop>, usize)>,
    /// Cells of the counts buffer.
    pub cells: u64,
    /// Bits per packed rank.
    pub rank_bits: u32,
}

/// Where looked-up regions' tables and crops lie in the lookups buffer: tables from word 0,
/// crops after all tables (their offsets are made absolute once the tables' size is known).
#[derive(Default)]
struct LookupPlacer {
    /// Index in `crops` of every crop placed so far, by its address.
    placed: HashMap<*const StoredCrop, usize>,
    crops: Vec<(Arc<StoredCrop>, usize)>,
    crop_words: usize,
    table_words: usize,
}

impl LookupPlacer {
    /// Places `l`'s table, and its crop unless an earlier region placed it; sets the record's
    /// source (relative to the crops' area) and table fields.
    fn place(&mut self, l: &Lookup, rec: &mut RegionRecord) {
        let crops = &mut self.crops;
        let crop_words = &mut self.crop_words;
        let k = *self
            .placed
            .entry(Arc::as_ptr(&l.source))
            .or_insert_with(|| {
                crops.push((Arc::clone(&l.source), *crop_words));
                *crop_words += l.source.entries.words();
                crops.len() - 1
            });
        rec.source_offset = self.crops[k].1 as u32;
        rec.source_width = l.source.width as u32;
        rec.source_x = l.x as u32;
        rec.source_y = l.y as u32;
        rec.source_wide = u32::from(l.source.entries.is_wide());
        rec.mask_bit = l.bit;
        rec.lut_offset = self.table_words as u32;
        rec.lut_min = l.min;
        self.table_words += l.table.len();
    }

    /// Moves the crops after the tables: every looked-up record's source offset and every
    /// crop's offset grow by the tables' size.
    fn finish(mut self, records: &mut [RegionRecord]) -> Self {
        let shift = self.table_words;
        for rec in records.iter_mut().filter(|r| r.source_offset != NO_SOURCE) {
            rec.source_offset += shift as u32;
        }
        for crop in &mut self.crops {
            crop.1 += shift;
        }
        self
    }
}

impl BatchLayout {
    /// Whether any region's ranks are made on the device (from a stored crop).
    pub fn looked_up(&self) -> bool {
        !self.crops.is_empty()
    }

    /// The layout of `regions`, packed one after the other.
    pub fn of(regions: &[&GrayLevels]) -> BatchLayout {
        let mut records = Vec::with_capacity(regions.len());
        let mut gray = Vec::new();
        let (mut pixels, mut host_pixels, mut cells) = (0usize, 0usize, 0u64);
        let mut placer = LookupPlacer::default();
        for g in regions {
            let f = Footprint::of(g);
            let mut at = |n: u64| {
                let start = cells;
                cells += n;
                start as u32
            };
            let mut rec = RegionRecord {
                pixel_offset: pixels as u32,
                width: g.width as u32,
                height: g.height as u32,
                levels: g.level_count() as u32,
                level_offset: gray.len() as u32,
                glcm_offset: at(f.glcm),
                glrlm_offset: at(f.glrlm),
                max_run: g.width.max(g.height) as u32,
                gldm_offset: at(f.gldm),
                ngtdm_offset: at(f.ngtdm),
                histogram_offset: at(f.histogram),
                flag_offset: at(4),
                first_group: 0,
                glszm_offset: at(f.glszm),
                zone_list_offset: at(1 + 2 * f.zone_capacity),
                zone_capacity: f.zone_capacity as u32,
                source_offset: NO_SOURCE,
                ..RegionRecord::default()
            };
            let end = pixels + g.pixels();
            match &g.ranks {
                Ranks::Computed(_) => host_pixels = end,
                Ranks::Lookup(l) => placer.place(l, &mut rec),
            }
            records.push(rec);
            pixels = end.next_multiple_of(PIXEL_ALIGN);
            gray.extend_from_slice(&g.levels);
        }
        if gray.is_empty() {
            gray.push(0);
        }
        let placer = placer.finish(&mut records);
        let max_levels = regions.iter().map(|g| g.level_count()).max().unwrap_or(0);
        let split = |split: Split| {
            let mut recs = records.clone();
            let mut groups = Vec::new();
            for (k, (rec, g)) in recs.iter_mut().zip(regions).enumerate() {
                rec.first_group = groups.len() as u32;
                groups.extend(std::iter::repeat_n(
                    k as u32,
                    split.groups(g.width, g.height),
                ));
            }
            (recs, groups)
        };
        let (tile_records, tile_groups) = split(Split::Tiles);
        let (line_records, line_groups) = split(Split::Lines);
        BatchLayout {
            records: [tile_records, line_records],
            groups: [tile_groups, line_groups],
            gray,
            pixels,
            host_pixels,
            lookup_words: placer.table_words + placer.crop_words,
            table_words: placer.table_words,
            crops: placer.crops,
            cells,
            rank_bits: rank_bits(max_levels),
        }
    }
}

/// Bits per packed rank (`params.rank_bits` in `shaders/common.wgsl`): 8 when every rank of the
/// batch fits a byte (ranks run from 0, outside the region, to the level count), else 16.
pub(super) fn rank_bits(max_levels: usize) -> u32 {
    if max_levels <= usize::from(u8::MAX) {
        8
    } else {
        16
    }
}

/// Splits `out` into one part per `(start, len)` span (in ascending, disjoint order); what lies
/// between and after the parts is zeroed.
fn parts<T: Copy + Default>(
    out: &mut [T],
    spans: impl Iterator<Item = (usize, usize)>,
) -> Vec<&mut [T]> {
    let mut parts = Vec::new();
    let (mut rest, mut at) = (out, 0);
    for (start, len) in spans {
        let (gap, tail) = std::mem::take(&mut rest).split_at_mut(start - at);
        gap.fill(T::default());
        let (part, tail) = tail.split_at_mut(len);
        parts.push(part);
        rest = tail;
        at = start + len;
    }
    rest.fill(T::default());
    parts
}

/// Packs the ranks of the regions the host discretized into `out` at their pixel offsets,
/// `layout.rank_bits` (8 or 16) per rank, little-endian, zeros elsewhere, up to the end of the
/// last such region in whole 32-bit words; regions are packed in parallel when `parallel`.
pub(super) fn pack_ranks(
    regions: &[&GrayLevels],
    layout: &BatchLayout,
    out: &mut Vec<u8>,
    parallel: bool,
) {
    let bytes = layout.rank_bits as usize / 8;
    let records = &layout.records[0];
    let len = (layout.host_pixels * bytes).next_multiple_of(4).max(4);
    out.resize(len, 0);
    // regions past the last computed one hold no uploaded ranks
    let n = records
        .iter()
        .take_while(|r| (r.pixel_offset as usize) < layout.host_pixels)
        .count();
    let computed = |k: usize| match &regions[k].ranks {
        Ranks::Computed(ranks) => Some(ranks),
        Ranks::Lookup(_) => None,
    };
    let spans = (0..n).map(|k| {
        let start = records[k].pixel_offset as usize * bytes;
        (start, computed(k).map_or(0, |r| r.len() * bytes))
    });
    let parts = parts(out, spans);
    let pack = |(part, k): (&mut [u8], usize)| {
        let Some(ranks) = computed(k) else { return };
        match bytes {
            1 => part.iter_mut().zip(ranks).for_each(|(d, &r)| *d = r as u8),
            _ => part
                .chunks_exact_mut(2)
                .zip(ranks)
                .for_each(|(d, &r)| d.copy_from_slice(&(r as u16).to_le_bytes())),
        }
    };
    if parallel {
        parts.into_par_iter().zip(0..n).for_each(pack);
    } else {
        parts.into_iter().zip(0..n).for_each(pack);
    }
}

/// Writes the rank tables of a batch's looked-up regions into `out`, one after the other as
/// their records place them (the start of the lookups buffer; the crops follow on the device).
pub(super) fn fill_tables(regions: &[&GrayLevels], layout: &BatchLayout, out: &mut Vec<u32>) {
    out.clear();
    out.reserve(layout.table_words.max(1));
    for g in regions {
        if let Ranks::Lookup(l) = &g.ranks {
            out.extend_from_slice(&l.table);
        }
    }
    if out.is_empty() {
        out.push(0);
    }
}

/// Turns a region's part of the counts buffer into [`Matrices`].
pub(super) fn unpack(all: &[u32], rec: &RegionRecord, g: &GrayLevels) -> Matrices {
    let l = g.level_count();
    let part = |offset: u32, len: usize| &all[offset as usize..offset as usize + len];
    let max_run = rec.max_run as usize;
    let mut glrlm = GlrlmMatrix::zeros(l, max_run);
    glrlm
        .counts
        .copy_from_slice(part(rec.glrlm_offset, 4 * l * max_run));
    let flags = part(rec.flag_offset, 4);
    for (a, &flag) in flags.iter().enumerate() {
        if flag == 0 {
            glrlm.counts[a * l * max_run..(a + 1) * l * max_run].fill(0);
        }
    }
    let mut glcm = GlcmMatrix::zeros(l);
    glcm.counts
        .copy_from_slice(part(rec.glcm_offset, 4 * l * l));
    let mut gldm = GldmMatrix::zeros(l);
    gldm.counts
        .copy_from_slice(part(rec.gldm_offset, l * DEPENDENCE_SIZES));
    let mut ngtdm = NgtdmMatrix::zeros(l);
    let raw = part(rec.ngtdm_offset, l + 2 * l * MAX_NEIGHBOURS);
    ngtdm.counts.copy_from_slice(&raw[..l]);
    for (sum, pair) in ngtdm
        .difference_sums
        .iter_mut()
        .zip(raw[l..].chunks_exact(2))
    {
        *sum = u64::from(pair[0]) | (u64::from(pair[1]) << 32);
    }
    let dense = part(rec.glszm_offset, l * SMALL_ZONE);
    // Zones above SMALL_ZONE pixels are disjoint sets of more than SMALL_ZONE box pixels, so the
    // device never counts more than `zone_capacity` of them; the bound only guards the slice.
    let large_zones = all[rec.zone_list_offset as usize].min(rec.zone_capacity);
    let large = part(rec.zone_list_offset + 1, 2 * large_zones as usize);
    Matrices {
        histogram: part(rec.histogram_offset, l).to_vec(),
        glcm,
        glrlm,
        glszm: zones(l, dense, large),
        gldm,
        ngtdm,
    }
}

/// The sparse GLSZM, sorted by rank then size, from the device's dense counts of small zones
/// (`[rank][size - 1]`, `SMALL_ZONE` sizes per rank) and its unordered `(rank, size)` pairs of
/// the larger zones.
fn zones(levels: usize, dense: &[u32], large: &[u32]) -> GlszmMatrix {
    let mut listed: Vec<(u32, u32)> = large.chunks_exact(2).map(|z| (z[0], z[1])).collect();
    listed.sort_unstable();
    let mut listed = listed.into_iter().peekable();
    let mut entries = Vec::new();
    for (rank, row) in dense.chunks_exact(SMALL_ZONE).enumerate() {
        let rank = rank as u32;
        for (size, &count) in (1..).zip(row) {
            if count > 0 {
                entries.push((rank, size, count));
            }
        }
        // every listed size is above SMALL_ZONE, so after this rank's dense sizes
        while let Some((_, size)) = listed.next_if(|z| z.0 == rank) {
            match entries.last_mut() {
                Some(last) if last.0 == rank && last.1 == size => last.2 += 1,
                _ => entries.push((rank, size, 1)),
            }
        }
    }
    GlszmMatrix { levels, entries }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::tests::{rust_fields, wgsl_u32_fields};

    fn region(width: usize, height: usize, ranks: Vec<u32>) -> GrayLevels {
        let levels = (1..=ranks.iter().copied().max().unwrap_or(0)).collect();
        GrayLevels {
            width,
            height,
            ranks: Ranks::Computed(ranks),
            levels,
        }
    }

    /// `regions` packed as the GPU backend packs them.
    fn packed(regions: &[&GrayLevels], out: &mut Vec<u8>, parallel: bool) {
        pack_ranks(regions, &BatchLayout::of(regions), out, parallel);
    }

    fn row(ranks: Vec<u32>) -> GrayLevels {
        region(ranks.len(), 1, ranks)
    }

    /// Field names of `struct NAME` in `shaders/records.wgsl`, in order, each checked to be u32.
    fn wgsl_fields(name: &str) -> Vec<String> {
        wgsl_u32_fields(include_str!("../../../../shaders/records.wgsl"), name)
    }

    #[test]
    fn the_shader_structs_have_the_rust_fields_in_order() {
        let record = rust_fields(&format!("{:?}", RegionRecord::default()));
        assert_eq!(wgsl_fields("Region"), record);
        assert_eq!(std::mem::size_of::<RegionRecord>(), 4 * record.len());
        let params = rust_fields(&format!("{:?}", Params::default()));
        assert_eq!(wgsl_fields("Params")[..3], params[..3]);
        assert_eq!(std::mem::size_of::<Params>(), 16);
    }

    #[test]
    fn the_shaders_get_every_host_constant() {
        let prelude = shader_constants();
        for line in [
            format!("const TILE: u32 = {TILE}u;"),
            format!("const LINES_PER_GROUP: u32 = {LINES_PER_GROUP}u;"),
            format!("const SMALL_ZONE: u32 = {SMALL_ZONE}u;"),
        ] {
            assert!(prelude.contains(&line), "{line}");
        }
    }

    #[test]
    fn ranks_take_one_byte_up_to_255_levels() {
        assert_eq!(rank_bits(0), 8);
        assert_eq!(rank_bits(255), 8);
        assert_eq!(rank_bits(256), 16);
        assert_eq!(rank_bits(MAX_GPU_LEVELS), 16);
    }

    #[test]
    fn bytes_pack_little_endian_each_region_from_a_whole_word() {
        let (a, b) = (row(vec![1, 0, 255]), row(vec![7, 2]));
        let mut out = vec![9; 40];
        packed(&[&a, &b], &mut out, true);
        assert_eq!(out, [1, 0, 255, 0, 7, 2, 0, 0]);
        let words: &[u32] = bytemuck::cast_slice(&out);
        assert_eq!(words, [0x00ff_0001, 0x0000_0207]);
    }

    #[test]
    fn sixteen_bit_ranks_pack_in_pairs_per_word() {
        let (a, b) = (row(vec![300, 0, 1]), row(vec![65535]));
        let mut out = Vec::new();
        packed(&[&a, &b], &mut out, true);
        let words: Vec<u32> = out
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        assert_eq!(words, [300, 1, 65535]);
    }

    #[test]
    fn a_reused_buffer_keeps_no_stale_bytes() {
        let mut out = Vec::new();
        packed(&[&row(vec![9; 11])], &mut out, true);
        packed(&[&row(vec![1, 2, 3, 4, 5])], &mut out, false);
        assert_eq!(out, [1, 2, 3, 4, 5, 0, 0, 0]);
    }

    #[test]
    fn an_empty_batch_still_uploads_one_word() {
        let mut out = Vec::new();
        packed(&[], &mut out, true);
        assert_eq!(out, [0, 0, 0, 0]);
    }

    #[test]
    fn regions_are_laid_out_one_after_another_in_both_splits() {
        let a = region(100, 30, vec![1; 3000]);
        let b = region(3, 2, vec![1, 2, 0, 2, 1, 1]);
        let layout = BatchLayout::of(&[&a, &b]);
        let [tiles, lines] = &layout.records;
        assert_eq!((tiles[0].pixel_offset, tiles[1].pixel_offset), (0, 3000));
        assert_eq!((tiles[0].level_offset, tiles[1].level_offset), (0, 1));
        assert_eq!(layout.gray, [1, 1, 2]);
        // 3000 pixels take two tiles, 388 lines seven groups of 64
        assert_eq!(layout.groups[0], [0, 0, 1]);
        assert_eq!(layout.groups[1], [0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!((tiles[1].first_group, lines[1].first_group), (2, 7));
        // 3000 box pixels leave room for 46 zones above 64 pixels
        assert_eq!(tiles[0].zone_capacity, 46);
        let fa = Footprint::of(&a);
        assert_eq!(u64::from(tiles[1].glcm_offset), fa.cells());
        assert_eq!(layout.cells, fa.cells() + Footprint::of(&b).cells());
        // each region starts at a whole word of 8-bit ranks
        assert_eq!(layout.pixels, 3008);
    }

    #[test]
    fn batches_respect_the_cell_limit_and_oversized_regions_go_alone() {
        let small = region(10, 10, vec![1; 100]);
        let big = region(100, 100, vec![1; 10_000]);
        let cells = Footprint::of(&small).cells();
        let limit = 2 * cells + 1;
        let (batches, alone) = plan(&[&small, &big, &small, &small, &small], limit);
        assert_eq!(batches, [vec![0, 2], vec![3, 4]]);
        assert_eq!(alone, [1]);
    }

    #[test]
    fn zones_merge_the_dense_table_and_the_sorted_list() {
        let levels = 3;
        let mut dense = vec![0u32; levels * SMALL_ZONE];
        dense[0] = 4; // rank 0, size 1
        dense[SMALL_ZONE - 1] = 1; // rank 0, size 64
        dense[2 * SMALL_ZONE + 1] = 2; // rank 2, size 2
                                       // unordered large zones: rank 2 size 70 twice, rank 0 size 65, rank 2 size 500
        let large = [2, 70, 0, 65, 2, 500, 2, 70];
        let m = zones(levels, &dense, &large);
        assert_eq!(
            m.entries,
            [
                (0, 1, 4),
                (0, 64, 1),
                (0, 65, 1),
                (2, 2, 2),
                (2, 70, 2),
                (2, 500, 1)
            ]
        );
        assert_eq!(m.levels, 3);
    }

    /// A tumour (left 2×3 block) and its ring (the right column) of one 3×3 image, discretized
    /// as lookups of one shared crop at bin width 10.
    fn looked_up_pair() -> (GrayLevels, GrayLevels) {
        use crate::discretize::{Binning, StoredCrop};
        use std::sync::Arc;
        let image = crate::io::Image {
            width: 3,
            height: 3,
            pixels: vec![5.0, 15.0, 40.0, 25.0, 5.0, 41.0, 15.0, 25.0, 90.0].into(),
            source: "test".into(),
        };
        let block = |name: &str, x0, width| crate::roi::Region {
            name: name.into(),
            x0,
            y0: 0,
            width,
            height: 3,
            mask: vec![true; width * 3],
        };
        let (tumor, ring) = (block("tumor", 0, 2), block("ring", 2, 1));
        let crop = Arc::new(StoredCrop::of(&image, &[&tumor, &ring]).unwrap());
        let edges = |v: &[f64]| Binning::Width(10.0).edges(v, "test".as_ref()).unwrap();
        let (tv, rv) = ([5.0, 15.0, 25.0, 5.0, 15.0, 25.0], [40.0, 41.0, 90.0]);
        let t = GrayLevels::looked_up(crop.clone(), 0, (0, 0), (2, 3), &tv, &edges(&tv));
        let r = GrayLevels::looked_up(crop, 1, (2, 0), (1, 3), &rv, &edges(&rv));
        (t, r)
    }

    #[test]
    fn a_shared_crop_goes_up_once_and_only_host_ranks_are_packed() {
        let c = row(vec![1, 2]);
        let (t, r) = looked_up_pair();
        let regions = [&c, &t, &r];
        let layout = BatchLayout::of(&regions);
        let recs = &layout.records[0];
        assert_eq!(layout.host_pixels, 2);
        assert_eq!(recs[0].source_offset, NO_SOURCE);
        let Ranks::Lookup(lt) = &t.ranks else {
            panic!()
        };
        let Ranks::Lookup(lr) = &r.ranks else {
            panic!()
        };
        // the tables first, then the one shared crop
        let tables = lt.table.len() + lr.table.len();
        assert_eq!(layout.table_words, tables);
        assert_eq!(recs[1].source_offset as usize, tables);
        assert_eq!(recs[2].source_offset as usize, tables);
        assert_eq!(layout.crops.len(), 1);
        assert_eq!(layout.crops[0].1, tables);
        assert_eq!(layout.lookup_words, tables + lt.source.entries.words());
        assert_eq!((recs[1].mask_bit, recs[2].mask_bit), (0, 1));
        assert_eq!((recs[2].source_x, recs[2].source_width), (2, 3));
        assert_eq!(
            (recs[1].lut_offset, recs[2].lut_offset),
            (0, lt.table.len() as u32)
        );
        assert_eq!((recs[1].lut_min, recs[2].lut_min), (0, 35));
        let mut lookups = vec![7; 100];
        fill_tables(&regions, &layout, &mut lookups);
        assert_eq!(lookups, [lt.table.clone(), lr.table.clone()].concat());
        // 9 narrow entries and one of padding; the ring's pixel (2, 0) holds 40 - 5 = 35 and
        // its bit, bit 9 (8 + region 1)
        assert_eq!(lt.source.entries.bytes().len(), 20);
        assert_eq!(&lt.source.entries.bytes()[4..6], &[35, 2]);
        let mut ranks = Vec::new();
        pack_ranks(&regions, &layout, &mut ranks, false);
        assert_eq!(ranks, [1, 2, 0, 0]);
    }

    #[test]
    fn a_batch_without_lookups_uploads_one_zero_table_word() {
        let c = row(vec![1, 2]);
        let layout = BatchLayout::of(&[&c]);
        assert!(!layout.looked_up());
        let mut lookups = Vec::new();
        fill_tables(&[&c], &layout, &mut lookups);
        assert_eq!(lookups, [0]);
    }

    #[test]
    fn unpack_reads_every_part_of_a_region() {
        let g = region(2, 2, vec![1, 2, 2, 1]);
        let layout = BatchLayout::of(&[&g]);
        let rec = layout.records[0][0];
        let mut all = vec![0u32; layout.cells as usize];
        all[rec.histogram_offset as usize] = 2;
        all[rec.histogram_offset as usize + 1] = 2;
        all[rec.glcm_offset as usize + 1] = 5;
        all[rec.glrlm_offset as usize] = 3; // angle 0, rank 1, run 1
        all[rec.glrlm_offset as usize + 2 * 2 * 2] = 7; // angle 2: emptied, no flag
        all[rec.flag_offset as usize] = 1;
        all[rec.ngtdm_offset as usize + 2] = 0xffff_ffff; // rank 1, 1 neighbour, lo
        all[rec.ngtdm_offset as usize + 3] = 1; // hi
        all[rec.glszm_offset as usize] = 4;
        let m = unpack(&all, &rec, &g);
        assert_eq!(m.histogram, [2, 2]);
        assert_eq!(m.glcm.counts[1], 5);
        assert_eq!(m.glrlm.counts[0], 3);
        assert!(m.glrlm.counts[8..].iter().all(|&c| c == 0));
        assert_eq!(m.ngtdm.difference_sums[0], (1 << 33) - 1);
        assert_eq!(m.glszm.entries, [(0, 1, 4)]);
    }
}
