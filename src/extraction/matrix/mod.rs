//! Count matrices of a batch of regions, behind a backend trait.
//!
//! A backend turns discretized regions ([`GrayLevels`]) into the integer matrices every texture
//! class reads: GLCM, GLRLM, GLSZM, GLDM, NGTDM and the gray-level histogram. Backends build
//! matrices and nothing else; the feature formulas in [`crate::features`] read them. All counts
//! are integers, so two correct backends give bit-identical matrices.
//!
//! Every backend implements [`Backend`]: [`cpu::CpuBackend`] (rayon, always available),
//! [`gpu::GpuBackend`] (wgpu compute shaders), [`mixed::MixedBackend`] (both from one queue
//! of regions) and [`auto::AutoBackend`] (the CPU while a GPU starts, then both); [`create`]
//! makes the one a [`BackendChoice`] names.
//!
//! # Example: matrices of a region
//!
//! A 3 × 2 region discretized with bin width 25 ([`crate::discretize`]): 10 falls in the bin
//! `[0, 25)`, gray level 1, and 30 in `[25, 50)`, gray level 2. The CPU backend builds its
//! matrices; the GLCM holds, for each angle `(dy, dx)`, the count of pixel pairs
//! `(p, p + (dy, dx))` by the ranks of their gray levels:
//!
//! ```
//! use std::path::Path;
//!
//! use sonorad::discretize::{Binning, GrayLevels};
//! use sonorad::matrix::{cpu::CpuBackend, Backend, GLCM_ANGLES};
//!
//! let values = [
//!     10.0, 10.0, 30.0, //
//!     10.0, 30.0, 30.0,
//! ];
//! let mask = [true; 6]; // every pixel of the 3 × 2 box is in the region
//! let edges = Binning::Width(25.0).edges(&values, Path::new("<region>"))?;
//! let region = GrayLevels::new(&values, &mask, 3, 2, &edges);
//! assert_eq!(region.levels, [1, 2]);
//!
//! let matrices = CpuBackend.build(&[&region])?;
//! let m = &matrices[0];
//! assert_eq!(m.histogram, [3, 3]);
//!
//! let glcm = &m.glcm;
//! assert_eq!((glcm.levels, glcm.angles.as_slice()), (2, GLCM_ANGLES.as_slice()));
//! // the horizontal angle (0, 1): pairs 1→1, 1→2 (row 0); 1→2, 2→2 (row 1)
//! let a = glcm.angles.iter().position(|&angle| angle == (0, 1)).unwrap();
//! let l = glcm.levels;
//! assert_eq!(glcm.counts[a * l * l..(a + 1) * l * l], [1, 2, 0, 1]);
//! # Ok::<(), sonorad::Error>(())
//! ```
//!
//! The GPU backend builds the same matrices through the same trait, bit for bit; it needs a
//! wgpu adapter (a GPU, or a software driver such as lavapipe), so this part is not run here:
//!
//! ```no_run
//! # use sonorad::discretize::GrayLevels;
//! # use sonorad::matrix::{cpu::CpuBackend, gpu::GpuBackend, Backend};
//! # fn same(region: &GrayLevels) -> sonorad::Result<()> {
//! let gpu = GpuBackend::new()?; // an error without an adapter
//! assert_eq!(gpu.build(&[region])?, CpuBackend.build(&[region])?);
//! # Ok(())
//! # }
//! ```

pub mod auto;
pub mod cpu;
pub mod gpu;
pub mod mixed;

use crate::discretize::GrayLevels;
use crate::error::Result;
use crate::features::glcm::GlcmMatrix;
use crate::features::gldm::GldmMatrix;
use crate::features::glrlm::GlrlmMatrix;
use crate::features::glszm::GlszmMatrix;
use crate::features::ngtdm::NgtdmMatrix;
use crate::filters::device::DeviceFilters;

/// The four in-plane angles at distance 1, as `(dy, dx)` offsets, in PyRadiomics' order (what
/// [`Neighbourhood::glcm_angles`] gives by default). GLCM pairs `(p, p + angle)`; GLRLM runs
/// along each angle.
pub const GLCM_ANGLES: [(isize, isize); 4] = [(1, 1), (1, 0), (1, -1), (0, 1)];

/// The 8 in-plane neighbours used by GLSZM, GLDM and NGTDM.
pub const NEIGHBOURS: [(isize, isize); 8] = [
    (-1, -1),
    (-1, 0),
    (-1, 1),
    (0, -1),
    (0, 1),
    (1, -1),
    (1, 0),
    (1, 1),
];

/// Most cells (`u32` counts) the dense matrices of one region may have together: the GLCM's
/// `A L²` and the GLRLM's `4 L R`, with `A` the GLCM's angles (4 by default), `L` the gray
/// levels present and `R` the longer side of the region's bounding box. 2^26 cells are 256 MiB
/// of counts; with the default angles 1024 gray levels fit with room for runs of over 15 000
/// pixels.
pub const MAX_MATRIX_CELLS: u64 = 1 << 26;

/// Cells of the dense matrices (GLCM and GLRLM) of a region built with `neighbourhood`,
/// compared with [`MAX_MATRIX_CELLS`].
pub fn dense_cells(g: &GrayLevels, neighbourhood: &Neighbourhood) -> u64 {
    let l = g.level_count() as u64;
    let max_run = g.width.max(g.height) as u64;
    let glcm_angles = neighbourhood.glcm_angles().len() as u64;
    let glrlm_angles = neighbourhood.glrlm_angles().len() as u64;
    glcm_angles * l * l + glrlm_angles * l * max_run
}

/// The largest distance [`Neighbourhood::distances`] may hold: a step longer than a region's
/// bounding box finds no neighbour, and 64 already means 512 neighbours per pixel.
pub const MAX_DISTANCE: u32 = 64;

/// Which neighbours the texture matrices read, PyRadiomics' `distances`, `force2D` with
/// `force2Ddimension`, and `gldm_a`; the default is PyRadiomics' (distance 1 in every
/// direction, α = 0).
///
/// As in PyRadiomics' `cmatrices.c`, the GLCM pairs pixels at each step `(dy, dx)` whose
/// Chebyshev length `max(|dy|, |dx|)` is one of the distances, one of each pair of opposite
/// steps; GLDM and NGTDM read the neighbours at those steps in both directions; GLRLM and GLSZM
/// always use distance 1. A fixed axis (`force2D`) keeps only the steps that do not move along
/// it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Neighbourhood {
    /// The distances, each 1 to [`MAX_DISTANCE`], in any order (PyRadiomics' `distances`).
    pub distances: Vec<u32>,
    /// The array axis no step moves along (0: between rows, 1: between columns), PyRadiomics'
    /// `force2Ddimension` when `force2D` is set; `None`: every direction.
    pub fixed_axis: Option<usize>,
    /// GLDM's α: a neighbour depends on a pixel when their gray levels differ by at most α.
    pub gldm_alpha: u32,
}

impl Default for Neighbourhood {
    fn default() -> Neighbourhood {
        Neighbourhood {
            distances: vec![1],
            fixed_axis: None,
            gldm_alpha: 0,
        }
    }
}

impl Neighbourhood {
    /// Whether this is PyRadiomics' default, the one the GPU shaders build.
    pub fn is_default(&self) -> bool {
        *self == Neighbourhood::default()
    }

    /// The GLCM's angles: one step of each opposite pair at every distance, in PyRadiomics'
    /// order (`[(1, 1), (1, 0), (1, -1), (0, 1)]` for distance 1).
    pub fn glcm_angles(&self) -> Vec<(isize, isize)> {
        steps(&self.distances, self.fixed_axis, false)
    }

    /// The GLRLM's angles: distance 1, one direction.
    pub fn glrlm_angles(&self) -> Vec<(isize, isize)> {
        steps(&[1], self.fixed_axis, false)
    }

    /// The neighbours that join a GLSZM zone: distance 1, both directions.
    pub fn zone_neighbours(&self) -> Vec<(isize, isize)> {
        steps(&[1], self.fixed_axis, true)
    }

    /// The neighbours GLDM and NGTDM read: every distance, both directions.
    pub fn neighbours(&self) -> Vec<(isize, isize)> {
        steps(&self.distances, self.fixed_axis, true)
    }

    /// The largest distance, how far a builder looks beyond a region's bounding box.
    pub fn reach(&self) -> usize {
        self.distances.iter().copied().max().unwrap_or(1) as usize
    }

    /// An error naming the setting when a distance is 0 or above [`MAX_DISTANCE`], none is
    /// given, or the fixed axis is not 0 or 1.
    pub fn check(&self) -> std::result::Result<(), String> {
        if self.distances.is_empty() {
            return Err("distances must list at least one distance".into());
        }
        if let Some(d) = self.distances.iter().find(|&&d| d == 0 || d > MAX_DISTANCE) {
            return Err(format!(
                "distances must be integers from 1 to {MAX_DISTANCE}, got {d}"
            ));
        }
        if self.fixed_axis.is_some_and(|a| a > 1) {
            return Err("the fixed axis of a 2D image is 0 or 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_starts_a_gpu_only_where_one_can_exist_and_has_enough_work() {
        let run = |cases, device_work| BackendOptions {
            cases,
            device_work,
            ..Default::default()
        };
        let why = |options: BackendOptions, possible| auto_stays_on_cpu(&options, possible);
        assert_eq!(
            why(run(Some(500), true), false).unwrap(),
            "this machine has no GPU device (no /dev/dri render node, /dev/nvidiactl or /dev/dxg)"
        );
        assert!(why(run(Some(500), false), true)
            .unwrap()
            .starts_with("these settings give a device nothing to do"));
        assert_eq!(
            why(run(Some(1), true), true).unwrap(),
            "one case is too little work to repay starting a GPU"
        );
        assert_eq!(why(run(Some(2), true), true), None);
        // an extractor that does not know its cases yet (Python) starts the GPU
        assert_eq!(why(BackendOptions::default(), true), None);
    }

    #[test]
    fn steps_follow_pyradiomics_build_angles() {
        let default = Neighbourhood::default();
        assert_eq!(default.glcm_angles(), GLCM_ANGLES);
        assert_eq!(default.neighbours().len(), 8);
        let two = Neighbourhood {
            distances: vec![2, 1],
            ..Neighbourhood::default()
        };
        let angles = two.glcm_angles();
        // cmatrices' order: dy from +2 down, dx from +2 down, half of the 24 steps
        assert_eq!(
            angles,
            [
                (2, 2),
                (2, 1),
                (2, 0),
                (2, -1),
                (2, -2),
                (1, 2),
                (1, 1),
                (1, 0),
                (1, -1),
                (1, -2),
                (0, 2),
                (0, 1)
            ]
        );
        assert_eq!(two.neighbours().len(), 24);
        assert_eq!(two.glrlm_angles(), GLCM_ANGLES);
        let rows = Neighbourhood {
            fixed_axis: Some(0),
            ..two.clone()
        };
        assert_eq!(rows.glcm_angles(), [(0, 2), (0, 1)]);
        assert_eq!(rows.zone_neighbours(), [(0, 1), (0, -1)]);
        let columns = Neighbourhood {
            fixed_axis: Some(1),
            ..Neighbourhood::default()
        };
        assert_eq!(columns.glrlm_angles(), [(1, 0)]);
        assert!(Neighbourhood {
            distances: vec![0],
            ..Neighbourhood::default()
        }
        .check()
        .is_err());
    }
}

/// The steps `(dy, dx)` whose Chebyshev length is one of `distances`, none along `fixed_axis`,
/// in PyRadiomics' `build_angles` order (dy from +d down to −d, then dx likewise); with
/// `bidirectional` false, only the first of each opposite pair (dy > 0, or dy = 0 and dx > 0).
fn steps(distances: &[u32], fixed_axis: Option<usize>, bidirectional: bool) -> Vec<(isize, isize)> {
    let max = distances.iter().copied().max().unwrap_or(1) as isize;
    let mut out = Vec::new();
    for dy in (-max..=max).rev() {
        for dx in (-max..=max).rev() {
            let length = dy.abs().max(dx.abs());
            let moves_along_fixed = match fixed_axis {
                Some(0) => dy != 0,
                Some(_) => dx != 0,
                None => false,
            };
            let wanted = distances.iter().any(|&d| d as isize == length);
            let first_of_pair = dy > 0 || (dy == 0 && dx > 0);
            if length > 0 && wanted && !moves_along_fixed && (bidirectional || first_of_pair) {
                out.push((dy, dx));
            }
        }
    }
    out
}

/// Every count matrix of one region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrices {
    /// Pixel count of each gray-level rank (first-order histogram).
    pub histogram: Vec<u32>,
    /// Gray level co-occurrence counts.
    pub glcm: GlcmMatrix,
    /// Gray level run lengths.
    pub glrlm: GlrlmMatrix,
    /// Gray level size zones.
    pub glszm: GlszmMatrix,
    /// Gray level dependences.
    pub gldm: GldmMatrix,
    /// Neighbouring gray tone differences.
    pub ngtdm: NgtdmMatrix,
}

/// Something that builds count matrices for a batch of regions.
pub trait Backend: Send + Sync {
    /// Short name for logs and reports (`cpu`, `gpu`, `mixed`).
    fn name(&self) -> &str;

    /// The name with what it runs on: threads, adapter, driver.
    fn describe(&self) -> String;

    /// Builds the matrices of each region, in order, with PyRadiomics' default neighbourhood.
    /// The backend schedules the work: the CPU spreads regions over its threads, the GPU packs
    /// them into batches, the mixed backend shares one queue between both.
    fn build(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>>;

    /// [`Backend::build`] with `neighbourhood`: the default one on this backend; any other
    /// (distances, a fixed axis, GLDM's α) by the CPU builder on the CPU threads, since the
    /// shaders build the default neighbourhood only.
    fn build_with(
        &self,
        regions: &[&GrayLevels],
        neighbourhood: &Neighbourhood,
    ) -> Result<Vec<Matrices>> {
        if neighbourhood.is_default() {
            return self.build(regions);
        }
        use rayon::prelude::*;
        Ok(regions
            .par_iter()
            .map(|g| cpu::build_with(g, neighbourhood))
            .collect())
    }

    /// Time spent in each phase of the batches built so far, for backends that build in
    /// batches on a device (`--trace`, `sonorad bench`); `None` for the CPU.
    fn phase_times(&self) -> Option<gpu::PhaseTimes> {
        None
    }

    /// The filters on this backend's device, for backends on a device with 64-bit floats in
    /// shaders; `None`: the CPU filters.
    fn filters(&self) -> Option<&DeviceFilters> {
        None
    }

    /// The device this backend runs on, for work beside the matrices (texture maps); `None`
    /// for the CPU.
    fn device(&self) -> Option<&std::sync::Arc<crate::device::Device>> {
        None
    }
}

pub use crate::device::Note;

/// Which backend the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BackendChoice {
    /// A hardware GPU together with the CPU threads ([`BackendChoice::Mixed`]) when wgpu finds
    /// one, else the CPU.
    #[default]
    Auto,
    /// The CPU (rayon), always available.
    Cpu,
    /// The GPU (wgpu) alone; any adapter, software drivers such as lavapipe included.
    Gpu,
    /// The GPU and the CPU threads from one queue of regions ([`mixed`]), on any adapter,
    /// software drivers included (what `auto` runs on a hardware GPU).
    Mixed,
}

/// What the backend a run creates is told besides its [`BackendChoice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackendOptions {
    /// Print each GPU batch's phase times to stderr (`--trace`).
    pub trace: bool,
    /// How many cases the run extracts, when that is known before it starts; `auto` keeps a
    /// run of one case on the CPU.
    pub cases: Option<usize>,
    /// Whether the run has work a device does: matrices of PyRadiomics' default neighbourhood,
    /// filters, texture maps. Without, `auto` does not start one.
    pub device_work: bool,
    /// The process ends through [`auto::exit`] once the run is done (a command-line shell):
    /// `auto` then leaves a device start that has not finished to that exit instead of waiting
    /// for it ([`auto::AutoBackend::leave_start_to_exit`]).
    pub leave_start_to_exit: bool,
}

impl Default for BackendOptions {
    /// No trace, the number of cases unknown, work for a device (what a long-lived extractor
    /// whose settings can still change must assume), a process that goes on after the run.
    fn default() -> Self {
        BackendOptions {
            trace: false,
            cases: None,
            device_work: true,
            leave_start_to_exit: false,
        }
    }
}

/// `--backend auto`'s policy, in one place: the GPU together with the CPU threads (mixed) on a
/// hardware adapter; the CPU on a software driver (lavapipe is slower than the CPU threads) or
/// without an adapter.
pub fn auto_choice(adapter: Option<&gpu::AdapterSummary>) -> BackendChoice {
    match adapter {
        Some(a) if a.is_hardware() => BackendChoice::Mixed,
        _ => BackendChoice::Cpu,
    }
}

/// Why `auto` does not start a GPU for a run of `options`, on a machine where
/// [`crate::device::hardware_gpu_possible`] said `possible`; `None`: it starts one.
pub fn auto_stays_on_cpu(options: &BackendOptions, possible: bool) -> Option<String> {
    if !possible {
        return Some(
            "this machine has no GPU device (no /dev/dri render node, /dev/nvidiactl or /dev/dxg)"
                .into(),
        );
    }
    if !options.device_work {
        return Some("these settings give a device nothing to do (matrices of other distances, force2D or gldm_a; no filters)".into());
    }
    // starting a device took about 0.25 s on the H100 host, far more than one case takes
    match options.cases {
        Some(0 | 1) => Some("one case is too little work to repay starting a GPU".into()),
        _ => None,
    }
}

/// Creates the chosen backend, telling `note` in one line what `auto` chose and why, and, once,
/// when a device fails during the run and the CPU takes over. `Gpu` and `Mixed` fail without
/// an adapter. `Auto` goes to the CPU for the reasons of [`auto_stays_on_cpu`]; otherwise it
/// starts the GPU in the background and builds on the CPU meanwhile ([`auto::AutoBackend`]),
/// then takes the GPU together with the CPU threads if wgpu found a hardware GPU.
pub fn create(
    choice: BackendChoice,
    options: BackendOptions,
    note: impl Fn(&str) + Send + Sync + Clone + 'static,
) -> Result<Box<dyn Backend>> {
    let open = {
        let note = note.clone();
        move || {
            gpu::GpuBackend::new().map(|b| b.with_trace(options.trace).with_note(Box::new(note)))
        }
    };
    match choice {
        BackendChoice::Cpu => Ok(Box::new(cpu::CpuBackend)),
        BackendChoice::Gpu => Ok(Box::new(open()?)),
        BackendChoice::Mixed => Ok(Box::new(mixed::MixedBackend::new(open()?, Box::new(note)))),
        BackendChoice::Auto => {
            let possible = crate::device::hardware_gpu_possible();
            if let Some(why) = auto_stays_on_cpu(&options, possible) {
                note(&format!("backend auto: using the CPU, {why}"));
                return Ok(Box::new(cpu::CpuBackend));
            }
            // the one environment change a GPU instance makes, here on the calling thread
            // before the start's thread exists
            crate::device::keep_window_system_quiet();
            let started = auto::AutoBackend::start(move || auto_start(open(), note))?;
            Ok(Box::new(match options.leave_start_to_exit {
                true => started.leave_start_to_exit(),
                false => started,
            }))
        }
    }
}

/// What `auto` does with the device `opened`: the GPU with the CPU threads on a hardware
/// adapter, else the CPU, told to `note`.
fn auto_start(
    opened: Result<gpu::GpuBackend>,
    note: impl Fn(&str) + Send + Sync + 'static,
) -> Option<mixed::MixedBackend> {
    match opened {
        Ok(backend) if auto_choice(Some(backend.adapter())) == BackendChoice::Mixed => {
            note(&format!(
                "backend auto: the GPU ({}) joins the CPU threads",
                backend.adapter().name
            ));
            Some(mixed::MixedBackend::new(backend, Box::new(note)))
        }
        Ok(backend) => {
            note(&format!(
                "backend auto: using the CPU, the only GPU adapter is a software driver ({}); use --backend gpu or mixed to run the shaders on it anyway",
                backend.adapter().name
            ));
            None
        }
        Err(e) => {
            note(&format!(
                "backend auto: using the CPU, no GPU available ({e})"
            ));
            None
        }
    }
}
