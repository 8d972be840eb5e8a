//! GPU backend: wgpu compute shaders build all seven count matrices of a whole batch of regions
//! (histogram, GLCM, GLRLM, GLSZM, GLDM, NGTDM) with one submission per batch.
//!
//! A batch's regions are laid out one after the other ([`layout`]: device-free, unit-tested),
//! their ranks packed 8 or 16 bits a pixel and uploaded once, and seven kernels run in one
//! compute pass ([`context`]): `shaders/glcm.wgsl`, `shaders/neighbourhood.wgsl`,
//! `shaders/glrlm.wgsl` and the four passes of `shaders/glszm.wgsl`, whose parallel union-find
//! labels the zones on the device. Only the counts come back, and are unpacked into the same
//! [`Matrices`] the CPU builds. Batches are planned under a memory budget taken from the
//! adapter's limits; a region too large for any batch on its own is built by the CPU builder,
//! which gives the same integers.

mod context;
mod layout;
mod trace;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use super::{cpu, Backend, Matrices, Note};
use crate::discretize::GrayLevels;
use crate::error::Result;
pub use context::{adapters, AdapterSummary, GpuContext};
use layout::{pack_ranks, plan, unpack, BatchLayout};
use trace::BatchClock;
pub use trace::{Phase, PhaseTimes};

/// The GPU backend over one device context.
pub struct GpuBackend {
    context: Arc<GpuContext>,
    /// Whether each batch's phase times are printed to stderr.
    trace: bool,
    /// Phase times of every batch built so far.
    totals: Mutex<PhaseTimes>,
    /// Set when the device failed: the rest of the run is the CPU's.
    lost: AtomicBool,
    /// Where a failure of the device is reported.
    note: Option<Note>,
}

impl GpuBackend {
    /// The backend on a newly opened context of the preferred adapter.
    pub fn new() -> Result<GpuBackend> {
        Ok(GpuBackend::on(Arc::new(GpuContext::open()?)))
    }

    /// The backend on an open context.
    pub fn on(context: Arc<GpuContext>) -> GpuBackend {
        GpuBackend {
            context,
            trace: false,
            totals: Mutex::new(PhaseTimes::default()),
            lost: AtomicBool::new(false),
            note: None,
        }
    }

    /// The same backend, telling `note` once when the device fails and the CPU takes over.
    pub fn with_note(self, note: Note) -> GpuBackend {
        GpuBackend {
            note: Some(note),
            ..self
        }
    }

    /// The same backend, printing each batch's phase times to stderr when `on`.
    pub fn with_trace(self, on: bool) -> GpuBackend {
        GpuBackend { trace: on, ..self }
    }

    /// The adapter in use.
    pub fn adapter(&self) -> &AdapterSummary {
        self.context.adapter()
    }

    /// Builds the matrices of `regions` on the device, batch after batch (regions too large
    /// for any batch on the CPU); an error when the device fails. The host's share (packing,
    /// unpacking) runs on all cores when `parallel`, else on the calling thread alone, for a
    /// caller whose CPU threads are busy with other regions ([`super::mixed`]).
    pub fn try_build(&self, regions: &[&GrayLevels], parallel: bool) -> Result<Vec<Matrices>> {
        let mut out: Vec<Option<Matrices>> = vec![None; regions.len()];
        let (batches, alone) = plan(regions, self.context.cells_limit());
        for batch in batches {
            let members: Vec<&GrayLevels> = batch.iter().map(|&k| regions[k]).collect();
            for (k, m) in batch.into_iter().zip(self.run_batch(&members, parallel)?) {
                out[k] = Some(m);
            }
        }
        for k in alone {
            out[k] = Some(cpu::build_all(regions[k]));
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Builds the GPU matrices of one batch: pack, upload and submit, wait, read back.
    fn run_batch(&self, regions: &[&GrayLevels], parallel: bool) -> Result<Vec<Matrices>> {
        let ctx = &*self.context;
        let layout = BatchLayout::of(regions);
        let mut clock = BatchClock::start(regions.len(), layout.pixels);
        let mut pool = ctx.pool()?;
        pack_ranks(regions, layout.rank_bits, &mut pool.host_ranks, parallel);
        clock.lap(Phase::Pack);
        ctx.checked(|| {
            ctx.submit(&mut pool, &layout)?;
            clock.lap(Phase::Upload);
            ctx.wait()
        })?;
        clock.lap(Phase::Device);
        let out = ctx.read_back(&pool, layout.cells, |all| {
            let records = &layout.records[0];
            if parallel {
                records
                    .par_iter()
                    .zip(regions)
                    .map(|(rec, g)| unpack(all, rec, g))
                    .collect()
            } else {
                records
                    .iter()
                    .zip(regions)
                    .map(|(rec, g)| unpack(all, rec, g))
                    .collect()
            }
        })?;
        clock.lap(Phase::Unpack);
        let times = clock.finish();
        if self.trace {
            eprintln!("gpu batch: {}", times.line());
        }
        if let Ok(mut totals) = self.totals.lock() {
            totals.add(&times);
        }
        Ok(out)
    }
}

impl Backend for GpuBackend {
    fn name(&self) -> &str {
        "gpu"
    }

    fn describe(&self) -> String {
        let a = self.adapter();
        format!(
            "gpu ({}, {}, {}, driver {})",
            a.name, a.backend, a.device_type, a.driver
        )
    }

    /// [`GpuBackend::try_build`]; when the device fails, the CPU builds these regions and
    /// every later call, after one note.
    fn build(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>> {
        if !self.lost.load(Ordering::Relaxed) {
            match self.try_build(regions, true) {
                Ok(out) => return Ok(out),
                Err(e) => {
                    if !self.lost.swap(true, Ordering::Relaxed) {
                        if let Some(note) = &self.note {
                            note(&format!(
                                "the GPU failed ({e}); the CPU builds the rest of the run, no case is lost"
                            ));
                        }
                    }
                }
            }
        }
        Ok(regions.par_iter().map(|g| cpu::build_all(g)).collect())
    }

    fn phase_times(&self) -> Option<PhaseTimes> {
        self.totals.lock().ok().map(|t| *t)
    }
}
