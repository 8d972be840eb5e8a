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
}

/// All matrices of one region.
pub fn build_all(g: &GrayLevels) -> Matrices {
    Matrices {
        histogram: histogram(g),
        glcm: glcm(g),
        glrlm: glrlm(g),
        glszm: glszm(g),
        gldm: gldm(g),
        ngtdm: ngtdm(g),
    }
}

/// Rank at `(y + dy, x + dx)`, 0 when outside the bounding box or the region.
#[inline]
fn rank_at(g: &GrayLevels, y: usize, x: usize, dy: isize, dx: isize) -> u32 {
    let (ny, nx) = (y as isize + dy, x as isize + dx);
    if ny < 0 || nx < 0 || ny >= g.height as isize || nx >= g.width as isize {
        0
    } else {
        g.ranks[ny as usize * g.width + nx as usize]
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
pub fn glcm(g: &GrayLevels) -> GlcmMatrix {
    let l = g.level_count();
    let mut m = GlcmMatrix::zeros(l);
    for y in 0..g.height {
        for x in 0..g.width {
            let i = g.ranks[y * g.width + x];
            if i == 0 {
                continue;
            }
            for (a, &(dy, dx)) in GLCM_ANGLES.iter().enumerate() {
                let j = rank_at(g, y, x, dy, dx);
                if j > 0 {
                    m.counts[(a * l + i as usize - 1) * l + j as usize - 1] += 1;
                }
            }
        }
    }
    m
}

/// Run-length counts for the four angles. Runs are maximal sequences of region pixels of one
/// level along a line; an angle along which no line crosses two region pixels is left empty.
pub fn glrlm(g: &GrayLevels) -> GlrlmMatrix {
    let l = g.level_count();
    let max_run = g.width.max(g.height);
    let mut m = GlrlmMatrix::zeros(l, max_run);
    let (w, h) = (g.width as isize, g.height as isize);
    for (a, &(dy, dx)) in GLCM_ANGLES.iter().enumerate() {
        let angle = &mut m.counts[a * l * max_run..(a + 1) * l * max_run];
        let mut multi_element = false;
        // A line starts at every pixel whose predecessor lies outside the bounding box.
        for y0 in 0..h {
            for x0 in 0..w {
                let (py, px) = (y0 - dy, x0 - dx);
                if py >= 0 && px >= 0 && py < h && px < w {
                    continue;
                }
                let (mut y, mut x) = (y0, x0);
                let (mut current, mut length, mut elements) = (0u32, 0usize, 0usize);
                while y >= 0 && x >= 0 && y < h && x < w {
                    let r = g.ranks[(y * w + x) as usize];
                    if r > 0 {
                        elements += 1;
                    }
                    if r != current {
                        if current > 0 {
                            angle[(current as usize - 1) * max_run + length - 1] += 1;
                        }
                        current = r;
                        length = 0;
                    }
                    length += 1;
                    y += dy;
                    x += dx;
                }
                if current > 0 {
                    angle[(current as usize - 1) * max_run + length - 1] += 1;
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
pub fn glszm(g: &GrayLevels) -> GlszmMatrix {
    let (w, h) = (g.width, g.height);
    let mut seen = vec![false; w * h];
    let mut stack = Vec::new();
    let mut zones: Vec<(u32, u32)> = Vec::new();
    for start in 0..w * h {
        let r = g.ranks[start];
        if r == 0 || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut size = 0u32;
        while let Some(p) = stack.pop() {
            size += 1;
            let (y, x) = (p / w, p % w);
            for &(dy, dx) in &NEIGHBOURS {
                let (ny, nx) = (y as isize + dy, x as isize + dx);
                if ny < 0 || nx < 0 || ny >= h as isize || nx >= w as isize {
                    continue;
                }
                let q = ny as usize * w + nx as usize;
                if !seen[q] && g.ranks[q] == r {
                    seen[q] = true;
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
    GlszmMatrix {
        levels: g.level_count(),
        entries,
    }
}

/// Dependence counts: for each region pixel, how many of its 8 neighbours are region pixels of
/// the same level (α = 0).
pub fn gldm(g: &GrayLevels) -> GldmMatrix {
    let mut m = GldmMatrix::zeros(g.level_count());
    for y in 0..g.height {
        for x in 0..g.width {
            let r = g.ranks[y * g.width + x];
            if r == 0 {
                continue;
            }
            let dependent = NEIGHBOURS
                .iter()
                .filter(|&&(dy, dx)| rank_at(g, y, x, dy, dx) == r)
                .count();
            m.counts[(r as usize - 1) * DEPENDENCE_SIZES + dependent] += 1;
        }
    }
    m
}

/// NGTDM: per level, the pixel count and the integer sums `|g c − S|` split by the number `c`
/// of region neighbours (`S` their summed gray level).
pub fn ngtdm(g: &GrayLevels) -> NgtdmMatrix {
    let mut m = NgtdmMatrix::zeros(g.level_count());
    for y in 0..g.height {
        for x in 0..g.width {
            let r = g.ranks[y * g.width + x];
            if r == 0 {
                continue;
            }
            let (mut count, mut sum) = (0u64, 0u64);
            for &(dy, dx) in &NEIGHBOURS {
                let n = rank_at(g, y, x, dy, dx);
                if n > 0 {
                    count += 1;
                    sum += u64::from(g.levels[n as usize - 1]);
                }
            }
            let i = r as usize - 1;
            m.counts[i] += 1;
            if count > 0 {
                let level = u64::from(g.levels[i]);
                m.difference_sums[i * MAX_NEIGHBOURS + count as usize - 1] +=
                    (level * count).abs_diff(sum);
            }
        }
    }
    m
}
