//! CPU backend: plain loops per region, regions spread over all cores with rayon.
//!
//! Each builder follows PyRadiomics' `cmatrices.c` definitions on the region's bounding box:
//! pairs, runs and neighbourhoods only involve region pixels.

use rayon::prelude::*;

use super::{Backend, Matrices, GLCM_ANGLES, NEIGHBOURS};
use crate::discretize::GrayLevels;
use crate::error::Result;
use crate::features::glcm::GlcmMatrix;
use crate::features::gldm::{GldmMatrix, DEPENDENCE_SIZES};
use crate::features::glrlm::GlrlmMatrix;
use crate::features::glszm::GlszmMatrix;
use crate::features::ngtdm::{NgtdmMatrix, MAX_NEIGHBOURS};

/// The CPU backend (rayon across regions).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    fn name(&self) -> &str {
        "cpu"
    }

    fn build(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>> {
        Ok(regions.par_iter().map(|g| build_all(g)).collect())
    }

    fn gathers_batches(&self) -> bool {
        false
    }
}

/// All matrices of one region.
pub fn build_all(g: &GrayLevels) -> Matrices {
    let padded = Padded::new(g);
    let (gldm, ngtdm) = neighbourhoods(&padded, g);
    Matrices {
        histogram: histogram(g),
        glcm: glcm(&padded, g.level_count()),
        glrlm: glrlm(g),
        glszm: glszm(&padded, g.level_count()),
        gldm,
        ngtdm,
    }
}

/// GLSZM of one region (used by backends that build the other matrices elsewhere).
pub fn glszm_of(g: &GrayLevels) -> GlszmMatrix {
    glszm(&Padded::new(g), g.level_count())
}

/// Ranks of a bounding box surrounded by one pixel of 0 (outside), so that every neighbour of a
/// region pixel is a valid index.
struct Padded {
    /// Padded width.
    width: usize,
    /// `(width) * (height + 2)` ranks.
    ranks: Vec<u32>,
}

impl Padded {
    fn new(g: &GrayLevels) -> Padded {
        let width = g.width + 2;
        let mut ranks = vec![0u32; width * (g.height + 2)];
        for (y, row) in g.ranks.chunks_exact(g.width).enumerate() {
            ranks[(y + 1) * width + 1..(y + 1) * width + 1 + g.width].copy_from_slice(row);
        }
        Padded { width, ranks }
    }

    /// Index offset of a `(dy, dx)` step.
    fn offset(&self, (dy, dx): (isize, isize)) -> isize {
        dy * self.width as isize + dx
    }

    /// Indices of the region's pixels.
    fn region_pixels(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.ranks
            .iter()
            .enumerate()
            .filter(|(_, &r)| r > 0)
            .map(|(p, &r)| (p, r))
    }
}

/// Pixel count of each gray-level rank.
pub fn histogram(g: &GrayLevels) -> Vec<u32> {
    let mut h = vec![0u32; g.level_count()];
    for &r in g.ranks.iter().filter(|&&r| r > 0) {
        h[r as usize - 1] += 1;
    }
    h
}

/// Asymmetric co-occurrence counts `C_a(i, j)` of pairs `(p, p + a)` for the four angles.
fn glcm(padded: &Padded, l: usize) -> GlcmMatrix {
    let mut m = GlcmMatrix::zeros(l);
    let offsets = GLCM_ANGLES.map(|a| padded.offset(a));
    for (p, i) in padded.region_pixels() {
        for (a, &off) in offsets.iter().enumerate() {
            let j = padded.ranks[(p as isize + off) as usize];
            if j > 0 {
                m.counts[(a * l + i as usize - 1) * l + j as usize - 1] += 1;
            }
        }
    }
    m
}

/// Run-length counts for the four angles. Runs are maximal sequences of region pixels of one
/// level along a line; an angle along which no line crosses two region pixels is left empty.
fn glrlm(g: &GrayLevels) -> GlrlmMatrix {
    let l = g.level_count();
    let max_run = g.width.max(g.height);
    let mut m = GlrlmMatrix::zeros(l, max_run);
    let (w, h) = (g.width as isize, g.height as isize);
    for (a, &(dy, dx)) in GLCM_ANGLES.iter().enumerate() {
        let angle = &mut m.counts[a * l * max_run..(a + 1) * l * max_run];
        let step = dy * w + dx;
        let mut multi_element = false;
        // A line starts at every pixel whose predecessor lies outside the bounding box.
        for y0 in 0..h {
            for x0 in 0..w {
                let (py, px) = (y0 - dy, x0 - dx);
                if py >= 0 && px >= 0 && py < h && px < w {
                    continue;
                }
                // Steps until the line leaves the box along y and along x.
                let along_y = if dy > 0 { h - y0 } else { isize::MAX };
                let along_x = match dx {
                    1 => w - x0,
                    -1 => x0 + 1,
                    _ => isize::MAX,
                };
                let length = along_y.min(along_x) as usize;
                let mut at = y0 * w + x0;
                let (mut current, mut run, mut elements) = (0u32, 0usize, 0usize);
                for _ in 0..length {
                    let r = g.ranks[at as usize];
                    elements += usize::from(r > 0);
                    if r != current {
                        if current > 0 {
                            angle[(current as usize - 1) * max_run + run - 1] += 1;
                        }
                        current = r;
                        run = 0;
                    }
                    run += 1;
                    at += step;
                }
                if current > 0 {
                    angle[(current as usize - 1) * max_run + run - 1] += 1;
                }
                multi_element |= elements > 1;
            }
        }
        if !multi_element {
            angle.fill(0);
        }
    }
    m
}

/// Zones: 8-connected groups of region pixels with the same level, counted by level and size.
fn glszm(padded: &Padded, l: usize) -> GlszmMatrix {
    let offsets = NEIGHBOURS.map(|n| padded.offset(n));
    // Unvisited region pixels keep their rank; visited ones become 0.
    let mut open = padded.ranks.clone();
    let mut stack: Vec<usize> = Vec::new();
    let mut zones: Vec<(u32, u32)> = Vec::new();
    for start in 0..open.len() {
        let r = open[start];
        if r == 0 {
            continue;
        }
        open[start] = 0;
        stack.push(start);
        let mut size = 0u32;
        while let Some(p) = stack.pop() {
            size += 1;
            for &off in &offsets {
                let q = (p as isize + off) as usize;
                if open[q] == r {
                    open[q] = 0;
                    stack.push(q);
                }
            }
        }
        zones.push((r - 1, size));
    }
    zones.sort_unstable();
    let mut entries: Vec<(u32, u32, u32)> = Vec::new();
    for (rank, size) in zones {
        match entries.last_mut() {
            Some(last) if last.0 == rank && last.1 == size => last.2 += 1,
            _ => entries.push((rank, size, 1)),
        }
    }
    GlszmMatrix { levels: l, entries }
}

/// GLDM and NGTDM from one pass over the 8-neighbourhoods.
///
/// GLDM: for each region pixel, how many of its 8 neighbours are region pixels of the same level
/// (α = 0). NGTDM: per level, the pixel count and the integer sums `|g c − S|` split by the
/// number `c` of region neighbours (`S` their summed gray level).
fn neighbourhoods(padded: &Padded, g: &GrayLevels) -> (GldmMatrix, NgtdmMatrix) {
    let l = g.level_count();
    let (mut gldm, mut ngtdm) = (GldmMatrix::zeros(l), NgtdmMatrix::zeros(l));
    let offsets = NEIGHBOURS.map(|n| padded.offset(n));
    for (p, r) in padded.region_pixels() {
        let (mut dependent, mut count, mut sum) = (0usize, 0u64, 0u64);
        for &off in &offsets {
            let n = padded.ranks[(p as isize + off) as usize];
            if n > 0 {
                dependent += usize::from(n == r);
                count += 1;
                sum += u64::from(g.levels[n as usize - 1]);
            }
        }
        let i = r as usize - 1;
        gldm.counts[i * DEPENDENCE_SIZES + dependent] += 1;
        ngtdm.counts[i] += 1;
        if count > 0 {
            let level = u64::from(g.levels[i]);
            ngtdm.difference_sums[i * MAX_NEIGHBOURS + count as usize - 1] +=
                (level * count).abs_diff(sum);
        }
    }
    (gldm, ngtdm)
}
