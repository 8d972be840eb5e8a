//! Count matrices of a batch of regions, behind a backend trait.
//!
//! A backend turns discretized regions ([`GrayLevels`]) into the integer matrices every texture
//! class reads: GLCM, GLRLM, GLSZM, GLDM, NGTDM and the gray-level histogram. Backends build
//! matrices and nothing else; the feature formulas in [`crate::features`] read them. All counts
//! are integers, so two correct backends give bit-identical matrices.

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

/// The four in-plane angles at distance 1, as `(dy, dx)` offsets, in PyRadiomics' order.
/// GLCM pairs `(p, p + angle)`; GLRLM runs along each angle.
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
/// `4 L²` and the GLRLM's `4 L R`, with `L` the gray levels present and `R` the longer side of
/// the region's bounding box. 2^26 cells are 256 MiB of counts; 1024 gray levels fit with room
/// for runs of over 15 000 pixels.
pub const MAX_MATRIX_CELLS: u64 = 1 << 26;

/// Cells of the dense matrices (GLCM and GLRLM) of a region, compared with
/// [`MAX_MATRIX_CELLS`].
pub fn dense_cells(g: &GrayLevels) -> u64 {
    let l = g.level_count() as u64;
    let max_run = g.width.max(g.height) as u64;
    4 * l * l + 4 * l * max_run
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

    /// Builds the matrices of each region, in order. The backend schedules the work: the CPU
    /// spreads regions over its threads, the GPU packs them into batches, the mixed backend
    /// shares one queue between both.
    fn build(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>>;

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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackendOptions {
    /// Print each GPU batch's phase times to stderr (`--trace`).
    pub trace: bool,
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

/// Creates the chosen backend. `Auto` takes the GPU together with the CPU threads when wgpu
/// finds a hardware GPU and otherwise the CPU, telling `note` in one line what it chose and
/// why; `Gpu` and `Mixed` fail without an adapter. `note` also hears, once, when a device fails
/// during the run and the CPU takes over.
pub fn create(
    choice: BackendChoice,
    options: BackendOptions,
    note: impl Fn(&str) + Send + Sync + Clone + 'static,
) -> Result<Box<dyn Backend>> {
    let open = || {
        gpu::GpuBackend::new().map(|b| {
            b.with_trace(options.trace)
                .with_note(Box::new(note.clone()))
        })
    };
    let mixed = |gpu| Box::new(mixed::MixedBackend::new(gpu, Box::new(note.clone())));
    match choice {
        BackendChoice::Cpu => Ok(Box::new(cpu::CpuBackend)),
        BackendChoice::Gpu => Ok(Box::new(open()?)),
        BackendChoice::Mixed => Ok(mixed(open()?)),
        BackendChoice::Auto => match open() {
            Ok(backend) if auto_choice(Some(backend.adapter())) == BackendChoice::Mixed => {
                Ok(mixed(backend))
            }
            Ok(backend) => {
                note(&format!(
                    "backend auto: using the CPU, the only GPU adapter is a software driver ({}); use --backend gpu or mixed to run the shaders on it anyway",
                    backend.adapter().name
                ));
                Ok(Box::new(cpu::CpuBackend))
            }
            Err(e) => {
                note(&format!(
                    "backend auto: using the CPU, no GPU available ({e})"
                ));
                Ok(Box::new(cpu::CpuBackend))
            }
        },
    }
}
