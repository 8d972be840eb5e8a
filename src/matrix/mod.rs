//! Count matrices of a batch of regions, behind a backend trait.
//!
//! A backend turns discretized regions ([`GrayLevels`]) into the integer matrices every texture
//! class reads: GLCM, GLRLM, GLSZM, GLDM, NGTDM and the gray-level histogram. Backends build
//! matrices and nothing else; the feature formulas in [`crate::features`] read them. All counts
//! are integers, so two correct backends give bit-identical matrices.

pub mod cpu;
pub mod gpu;

use crate::discretize::GrayLevels;
use crate::error::Result;
use crate::features::glcm::GlcmMatrix;
use crate::features::gldm::GldmMatrix;
use crate::features::glrlm::GlrlmMatrix;
use crate::features::glszm::GlszmMatrix;
use crate::features::ngtdm::NgtdmMatrix;

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
    /// Short name for logs and reports (`cpu`, `gpu`).
    fn name(&self) -> &str;

    /// Builds the matrices of each region, in order.
    fn build(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>>;

    /// Whether regions of many cases should be gathered into one [`Backend::build`] call
    /// (devices with a launch cost), rather than each case built on its own as soon as it is
    /// ready (the CPU, which then runs every stage of a case without waiting for the others).
    fn gathers_batches(&self) -> bool;

    /// Time spent in each phase of the batches built so far, for backends that build in
    /// batches on a device (`--trace`, `sonorad bench`); `None` for the CPU.
    fn phase_times(&self) -> Option<gpu::PhaseTimes> {
        None
    }
}

/// Which backend the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// A hardware GPU when one exists, else the CPU.
    #[default]
    Auto,
    /// The CPU (rayon), always available.
    Cpu,
    /// The GPU (wgpu); any adapter, software drivers such as lavapipe included.
    Gpu,
}

impl std::str::FromStr for BackendChoice {
    type Err = crate::error::Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(BackendChoice::Auto),
            "cpu" => Ok(BackendChoice::Cpu),
            "gpu" => Ok(BackendChoice::Gpu),
            other => Err(crate::error::Error::Setting(format!(
                "unknown backend '{other}' (expected auto, cpu or gpu)"
            ))),
        }
    }
}

/// Creates the chosen backend. `Auto` takes a hardware GPU when wgpu finds one and otherwise
/// the CPU, telling `note` in one line what it chose and why; `Gpu` fails without an adapter.
pub fn create(choice: BackendChoice, note: &mut dyn FnMut(&str)) -> Result<Box<dyn Backend>> {
    match choice {
        BackendChoice::Cpu => Ok(Box::new(cpu::CpuBackend)),
        BackendChoice::Gpu => Ok(Box::new(gpu::GpuBackend::new()?)),
        BackendChoice::Auto => match gpu::GpuBackend::new() {
            Ok(backend) if backend.adapter().is_hardware() => Ok(Box::new(backend)),
            Ok(backend) => {
                note(&format!(
                    "backend auto: using the CPU, the only GPU adapter is a software driver ({}); use --backend gpu to run the shaders on it anyway",
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
