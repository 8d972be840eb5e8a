//! GPU backend: wgpu compute shaders build all seven count matrices of a whole batch of regions
//! (histogram, GLCM, GLRLM, GLSZM, GLDM, NGTDM) with one submission per batch.
//!
//! A batch's regions are laid out one after the other (`layout.rs`: device-free, unit-tested).
//! A region of an image with whole-number values goes up as its case's stored values and
//! region membership (once per case, shared by the tumour and its rings) with a table from
//! stored value to rank, and `shaders/discretize.wgsl` makes its ranks on the device; the
//! ranks of other regions (filtered, float images: WGSL has no f64) are made by the host and
//! uploaded packed 8 or 16 bits a pixel. Then seven kernels run in the same compute pass
//! (`context.rs`): `shaders/glcm.wgsl`, `shaders/neighbourhood.wgsl`, `shaders/glrlm.wgsl` and
//! the four passes of `shaders/glszm.wgsl`, whose parallel union-find labels the zones on the
//! device. Only the counts come back, and are unpacked into the same
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
pub use crate::device::{adapters, AdapterSummary};
use crate::discretize::{GrayLevels, Ranks};
use crate::error::Result;
use crate::filters::device::DeviceFilters;
use context::BufferPool;
pub use context::GpuContext;
use layout::{fill_tables, pack_ranks, plan, unpack, BatchLayout};
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
    note: Option<Arc<Note>>,
    /// The filters on the same device, or why they stay on the CPU (no 64-bit floats).
    filters: std::result::Result<DeviceFilters, String>,
    /// Set once the reason the filters stay on the CPU has been told.
    filters_told: AtomicBool,
    /// Most u32 cells of a batch's counts (and pixels), below what the device allows.
    batch_cells: Option<u64>,
}

impl GpuBackend {
    /// The backend on a newly opened context of the preferred adapter.
    pub fn new() -> Result<GpuBackend> {
        Ok(GpuBackend::on(Arc::new(GpuContext::open()?)))
    }

    /// The backend on an open context.
    pub fn on(context: Arc<GpuContext>) -> GpuBackend {
        let filters = DeviceFilters::new(Arc::clone(context.device())).map_err(|e| e.to_string());
        GpuBackend {
            context,
            filters,
            filters_told: AtomicBool::new(false),
            trace: false,
            totals: Mutex::new(PhaseTimes::default()),
            lost: AtomicBool::new(false),
            note: None,
            batch_cells: None,
        }
    }

    /// The same backend, telling `note` once when the device fails and the CPU takes over.
    pub fn with_note(self, note: Note) -> GpuBackend {
        let note = Arc::new(note);
        let shared = Arc::clone(&note);
        let filters = self
            .filters
            .map(|f| f.with_note(Box::new(move |message| shared(message))));
        GpuBackend {
            note: Some(note),
            filters,
            ..self
        }
    }

    /// The same backend, printing each batch's phase times to stderr when `on`.
    pub fn with_trace(self, on: bool) -> GpuBackend {
        GpuBackend { trace: on, ..self }
    }

    /// The same backend, cutting batches at `cells` counts (or pixels) at most: many small
    /// batches instead of a few large ones, to measure the overlap of batches or to test it.
    pub fn with_batch_cells(self, cells: u64) -> GpuBackend {
        GpuBackend {
            batch_cells: Some(cells),
            ..self
        }
    }

    /// The adapter in use.
    pub fn adapter(&self) -> &AdapterSummary {
        self.context.adapter()
    }

    /// Builds the matrices of `regions` on the device, batch after batch (regions too large
    /// for any batch on the CPU); an error when the device fails. Two batches are in flight:
    /// the host packs and uploads batch k + 1 while the device builds batch k, then reads back
    /// and unpacks batch k while the device builds batch k + 1. The host's share (packing,
    /// unpacking) runs on all cores when `parallel`, else on the calling thread alone, for a
    /// caller whose CPU threads are busy with other regions ([`super::mixed`]).
    pub fn try_build(&self, regions: &[&GrayLevels], parallel: bool) -> Result<Vec<Matrices>> {
        let mut out: Vec<Option<Matrices>> = vec![None; regions.len()];
        let limit = self.context.cells_limit();
        let (batches, alone) = plan(regions, self.batch_cells.map_or(limit, |c| c.min(limit)));
        let mut pools = self.context.pools()?;
        let mut in_flight: Option<InFlight> = None;
        for (b, mut members) in batches.into_iter().enumerate() {
            // regions with host-made ranks first: their ranks are one upload from offset 0
            members.sort_by_key(|&k| matches!(regions[k].ranks, Ranks::Lookup(_)));
            let slot = b % 2;
            let next = self.submit_batch(&mut pools[slot], slot, members, regions, parallel)?;
            if let Some(done) = in_flight.replace(next) {
                let pool = &pools[done.slot];
                self.finish_batch(pool, done, regions, &mut out, parallel)?;
            }
        }
        if let Some(done) = in_flight {
            self.finish_batch(&pools[done.slot], done, regions, &mut out, parallel)?;
        }
        for k in alone {
            out[k] = Some(cpu::build_all(regions[k]));
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Packs the host's ranks and the rank tables of the batch of `regions` listed in
    /// `members` into `pool`, uploads them with the batch's stored crops and submits the batch.
    fn submit_batch(
        &self,
        pool: &mut BufferPool,
        slot: usize,
        members: Vec<usize>,
        regions: &[&GrayLevels],
        parallel: bool,
    ) -> Result<InFlight> {
        let ctx = &*self.context;
        let grays: Vec<&GrayLevels> = members.iter().map(|&k| regions[k]).collect();
        let layout = BatchLayout::of(&grays);
        let mut clock = BatchClock::start(grays.len(), layout.pixels);
        pack_ranks(&grays, &layout, &mut pool.host_ranks, parallel);
        fill_tables(&grays, &layout, &mut pool.host_tables);
        clock.lap(Phase::Pack);
        let submission = ctx.checked(|| ctx.submit(pool, &layout))?;
        clock.lap(Phase::Upload);
        Ok(InFlight {
            slot,
            members,
            layout,
            submission,
            clock,
        })
    }

    /// Waits for a submitted batch, reads its counts back from `pool` and unpacks each member's
    /// matrices into `out`.
    fn finish_batch(
        &self,
        pool: &BufferPool,
        done: InFlight,
        regions: &[&GrayLevels],
        out: &mut [Option<Matrices>],
        parallel: bool,
    ) -> Result<()> {
        let ctx = &*self.context;
        let InFlight {
            members,
            layout,
            submission,
            mut clock,
            ..
        } = done;
        clock.resume();
        ctx.wait(&submission)?;
        clock.lap(Phase::Device);
        let records = &layout.records[0];
        let built: Vec<Matrices> = ctx.read_back(pool, layout.cells, &submission, |all| {
            let one = |(rec, &k): (&_, &usize)| unpack(all, rec, regions[k]);
            if parallel {
                records.par_iter().zip(&members).map(one).collect()
            } else {
                records.iter().zip(&members).map(one).collect()
            }
        })?;
        for (k, m) in members.into_iter().zip(built) {
            out[k] = Some(m);
        }
        clock.lap(Phase::Unpack);
        let times = clock.finish();
        if self.trace {
            eprintln!("gpu batch: {}", times.line());
        }
        if let Ok(mut totals) = self.totals.lock() {
            totals.add(&times);
        }
        Ok(())
    }
}

/// A batch submitted to the device and not yet read back.
struct InFlight {
    /// Which of the two buffer pools holds it.
    slot: usize,
    /// Indices of its regions in the build call's list, in batch order.
    members: Vec<usize>,
    layout: BatchLayout,
    submission: wgpu::SubmissionIndex,
    clock: BatchClock,
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
    fn device(&self) -> Option<&Arc<crate::device::Device>> {
        Some(self.context.device())
    }

    /// The filters on the device; `None`, after one note saying why, when the device has no
    /// 64-bit floats in shaders.
    fn filters(&self) -> Option<&DeviceFilters> {
        match &self.filters {
            Ok(filters) => Some(filters),
            Err(reason) => {
                if !self.filters_told.swap(true, Ordering::Relaxed) {
                    if let Some(note) = &self.note {
                        note(&format!("filters: on the CPU, {reason}"));
                    }
                }
                None
            }
        }
    }

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
