//! CPU backend: plain loops per region, regions spread over all cores with rayon.
//!
//! Each builder follows PyRadiomics' `cmatrices.c` definitions on the region's bounding box:
//! pairs, runs and neighbourhoods only involve region pixels.

use rayon::prelude::*;

use super::{Backend, Matrices, Neighbourhood};
use crate::discretize::GrayLevels;
use crate::error::Result;
use crate::features::glcm::GlcmMatrix;
use crate::features::gldm::GldmMatrix;
use crate::features::glrlm::GlrlmMatrix;
use crate::features::glszm::GlszmMatrix;
use crate::features::ngtdm::NgtdmMatrix;

/// The CPU backend (rayon across regions).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuBackend;

impl Backend for CpuBackend {
    fn name(&self) -> &str {
        "cpu"
    }

    fn describe(&self) -> String {
        format!("cpu ({} threads)", rayon::current_num_threads())
    }

    fn build(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>> {
        Ok(regions.par_iter().map(|g| build_all(g)).collect())
    }
}

/// All matrices of one region, with PyRadiomics' default neighbourhood.
pub fn build_all(g: &GrayLevels) -> Matrices {
    build_with(g, &Neighbourhood::default())
}

/// All matrices of one region, with `neighbourhood`'s distances, fixed axis and GLDM α.
pub fn build_with(g: &GrayLevels, neighbourhood: &Neighbourhood) -> Matrices {
    let padded = Padded::new(g, neighbourhood.reach());
    let (glcm, gldm, ngtdm) = neighbourhoods(&padded, g, neighbourhood);
    Matrices {
        histogram: histogram(&padded, g.level_count()),
        glcm,
        glrlm: glrlm(&padded, g, &neighbourhood.glrlm_angles()),
        glszm: glszm(&padded, g.level_count(), &neighbourhood.zone_neighbours()),
        gldm,
        ngtdm,
    }
}

/// Which matrices [`build_wanted`] builds besides the histogram (always built).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    /// GLRLM.
    pub glrlm: bool,
    /// GLSZM.
    pub glszm: bool,
    /// GLCM, GLDM and NGTDM (one pass over the neighbourhoods builds all three).
    pub neighbourhoods: bool,
}

/// The matrices of one region that `wanted` names (the others empty, for zero gray levels):
/// texture maps build only what the mapped features read.
pub fn build_wanted(g: &GrayLevels, wanted: Wanted) -> Matrices {
    let default = Neighbourhood::default();
    let padded = Padded::new(g, 1);
    let (glcm, gldm, ngtdm) = if wanted.neighbourhoods {
        neighbourhoods(&padded, g, &default)
    } else {
        (
            GlcmMatrix::zeros(0),
            GldmMatrix::zeros(0),
            NgtdmMatrix::zeros(0),
        )
    };
    Matrices {
        histogram: histogram(&padded, g.level_count()),
        glcm,
        glrlm: if wanted.glrlm {
            glrlm(&padded, g, &default.glrlm_angles())
        } else {
            GlrlmMatrix::zeros(0, 0)
        },
        glszm: if wanted.glszm {
            glszm(&padded, g.level_count(), &default.zone_neighbours())
        } else {
            GlszmMatrix::default()
        },
        gldm,
        ngtdm,
    }
}

/// Ranks of a bounding box surrounded by `pad` pixels of 0 (outside), so that every neighbour
/// of a region pixel within `pad` steps is a valid index.
struct Padded {
    /// Padded width.
    width: usize,
    /// Pixels of padding on each side.
    pad: usize,
    /// `width * (height + 2 pad)` ranks.
    ranks: Vec<u32>,
}

impl Padded {
    fn new(g: &GrayLevels, pad: usize) -> Padded {
        let width = g.width + 2 * pad;
        let mut ranks = vec![0u32; width * (g.height + 2 * pad)];
        g.write_ranks(&mut ranks, width, pad * width + pad);
        Padded { width, pad, ranks }
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

/// Pixel count of each of the `levels` gray-level ranks.
fn histogram(padded: &Padded, levels: usize) -> Vec<u32> {
    let mut h = vec![0u32; levels];
    for (_, r) in padded.region_pixels() {
        h[r as usize - 1] += 1;
    }
    h
}

/// Run-length counts for the four angles. Runs are maximal sequences of region pixels of one
/// level along a line: a run starts at a region pixel whose predecessor along the angle has
/// another rank (the padding is rank 0), and is followed until the rank changes. An angle along
/// which no line crosses two region pixels is left empty.
fn glrlm(padded: &Padded, g: &GrayLevels, angles: &[(isize, isize)]) -> GlrlmMatrix {
    let l = g.level_count();
    let max_run = g.width.max(g.height);
    let mut m = GlrlmMatrix::zeros_with(l, max_run, angles.to_vec());
    let ranks = &padded.ranks;
    for (a, &angle_step) in angles.iter().enumerate() {
        let angle = &mut m.counts[a * l * max_run..(a + 1) * l * max_run];
        let step = padded.offset(angle_step);
        let mut longest = 0;
        for (p, r) in padded.region_pixels() {
            if ranks[(p as isize - step) as usize] == r {
                continue;
            }
            let mut run = 1;
            let mut q = (p as isize + step) as usize;
            while ranks[q] == r {
                run += 1;
                q = (q as isize + step) as usize;
            }
            angle[(r as usize - 1) * max_run + run - 1] += 1;
            longest = longest.max(run);
        }
        if longest < 2 && !line_with_two_pixels(padded, g, angle_step) {
            angle.fill(0);
        }
    }
    m
}

/// Whether some line along `(dy, dx)` through the bounding box holds two region pixels (only
/// asked when every run has length 1).
fn line_with_two_pixels(padded: &Padded, g: &GrayLevels, (dy, dx): (isize, isize)) -> bool {
    let (w, h) = (g.width as isize, g.height as isize);
    // lines are numbered by the coordinate that stays constant along them
    let line = |x: isize, y: isize| -> usize {
        match (dy, dx) {
            (0, _) => y as usize,
            (_, 0) => x as usize,
            (_, 1) => (x - y + h) as usize,
            _ => (x + y) as usize,
        }
    };
    let mut pixels = vec![0u32; (w + h + 1) as usize];
    let (pw, pad) = (padded.width as isize, padded.pad as isize);
    for (p, _) in padded.region_pixels() {
        let (x, y) = (p as isize % pw - pad, p as isize / pw - pad);
        let count = &mut pixels[line(x, y)];
        *count += 1;
        if *count > 1 {
            return true;
        }
    }
    false
}

/// Zones: groups of region pixels with the same level connected through `neighbours` (the 8
/// neighbours by default), counted by level and size.
fn glszm(padded: &Padded, l: usize, neighbours: &[(isize, isize)]) -> GlszmMatrix {
    let offsets: Vec<isize> = neighbours.iter().map(|&n| padded.offset(n)).collect();
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

/// GLCM, GLDM and NGTDM from one pass over each region pixel's neighbours (the 8 at distance
/// 1 by default, see [`Neighbourhood::neighbours`]).
///
/// GLCM: asymmetric co-occurrence counts `C_a(i, j)` of pairs `(p, p + a)` for the GLCM angles
/// (which are among the neighbours). GLDM: for each region pixel, how many of its neighbours are
/// region pixels whose gray level differs by at most α. NGTDM: per level, the pixel count and
/// the integer sums `|g c − S|` split by the number `c` of region neighbours (`S` their summed
/// gray level).
fn neighbourhoods(
    padded: &Padded,
    g: &GrayLevels,
    neighbourhood: &Neighbourhood,
) -> (GlcmMatrix, GldmMatrix, NgtdmMatrix) {
    let l = g.level_count();
    let neighbours = neighbourhood.neighbours();
    let glcm_angles = neighbourhood.glcm_angles();
    let n = neighbours.len();
    let alpha = neighbourhood.gldm_alpha;
    let offsets: Vec<isize> = neighbours.iter().map(|&s| padded.offset(s)).collect();
    // the GLCM angle each neighbour stands for, if any
    let angles: Vec<Option<usize>> = neighbours
        .iter()
        .map(|s| glcm_angles.iter().position(|a| a == s))
        .collect();
    let mut glcm = GlcmMatrix::zeros_with(l, glcm_angles);
    let mut gldm = GldmMatrix::zeros_with(l, n + 1);
    let mut ngtdm = NgtdmMatrix::zeros_with(l, n);
    for (p, r) in padded.region_pixels() {
        let i = r as usize - 1;
        let level = g.levels[i];
        let (mut dependent, mut count, mut sum) = (0usize, 0u64, 0u64);
        for (&off, &angle) in offsets.iter().zip(&angles) {
            let q = padded.ranks[(p as isize + off) as usize];
            if q > 0 {
                let neighbour = g.levels[q as usize - 1];
                dependent += usize::from(neighbour.abs_diff(level) <= alpha);
                count += 1;
                sum += u64::from(neighbour);
                if let Some(a) = angle {
                    glcm.counts[(a * l + i) * l + q as usize - 1] += 1;
                }
            }
        }
        gldm.counts[i * (n + 1) + dependent] += 1;
        ngtdm.counts[i] += 1;
        if count > 0 {
            ngtdm.difference_sums[i * n + count as usize - 1] +=
                (u64::from(level) * count).abs_diff(sum);
        }
    }
    (glcm, gldm, ngtdm)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discretize::Ranks;

    fn levels(width: usize, height: usize, ranks: Vec<u32>, levels: Vec<u32>) -> GrayLevels {
        GrayLevels {
            width,
            height,
            ranks: Ranks::Computed(ranks),
            levels,
        }
    }

    /// Counts of one angle, `[rank - 1][run - 1]`, flattened.
    fn angle(m: &GlrlmMatrix, a: usize) -> &[u32] {
        let size = m.levels * m.max_run;
        &m.counts[a * size..(a + 1) * size]
    }

    #[test]
    fn a_diagonal_line_has_runs_only_along_its_own_angle() {
        // angles (1, 1), (1, 0), (1, −1), (0, 1)
        let g = levels(3, 3, vec![1, 0, 0, 0, 1, 0, 0, 0, 1], vec![1]);
        let m = build_all(&g).glrlm;
        assert_eq!(angle(&m, 0), &[0, 0, 1]);
        for a in 1..4 {
            assert_eq!(angle(&m, a), &[0, 0, 0], "angle {a}");
        }
    }

    #[test]
    fn runs_of_one_on_lines_of_two_pixels_are_kept() {
        // checkerboard of two levels: every horizontal, vertical and anti-diagonal run has
        // length 1, but those lines hold two region pixels
        let g = levels(2, 2, vec![1, 2, 2, 1], vec![1, 2]);
        let m = build_all(&g).glrlm;
        // (1, 1): the main diagonal is a run of 2 at level 1; two corners are runs of 1
        assert_eq!(angle(&m, 0), &[0, 1, 2, 0]);
        assert_eq!(angle(&m, 1), &[2, 0, 2, 0]);
        // (1, −1): the anti-diagonal is a run of 2 at level 2
        assert_eq!(angle(&m, 2), &[2, 0, 0, 1]);
        assert_eq!(angle(&m, 3), &[2, 0, 2, 0]);
    }
}
