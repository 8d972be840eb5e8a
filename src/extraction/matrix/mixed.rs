//! Mixed backend: the GPU and the CPU threads build the matrices of one queue of regions
//! together.
//!
//! The regions of a call form one queue. A feeder thread hands the GPU a bite from the front,
//! while every CPU thread takes one region at a time from the back, so both sides work until
//! the queue is empty and neither waits for the other. The GPU's bite follows the measured
//! rates: each bite is half the share of the remaining regions the GPU would finish in the
//! time the CPU threads finish theirs, so bites shrink towards the end of the queue and
//! the GPU's last batch ends about when the CPU's last region does. A run is then never much
//! slower than the faster side alone. Every region's matrices are the same integers whichever
//! side built them.
//!
//! When the device fails (lost, out of memory), the GPU stops for the rest of the run with a
//! note, and the regions of its failed bite go back to the CPU: no region is lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use rayon::prelude::*;

use super::gpu::GpuBackend;
use super::{cpu, Backend, Matrices, Note};
use crate::discretize::GrayLevels;
use crate::error::{Error, Result};

/// GPU and CPU together.
pub struct MixedBackend {
    gpu: GpuBackend,
    /// Set when the device failed: the rest of the run is the CPU's.
    lost: AtomicBool,
    note: Note,
}

impl MixedBackend {
    /// The mixed backend over `gpu`; `note` hears, once, that the device failed.
    pub fn new(gpu: GpuBackend, note: Note) -> MixedBackend {
        MixedBackend {
            gpu,
            lost: AtomicBool::new(false),
            note,
        }
    }

    /// The GPU side.
    pub fn gpu(&self) -> &GpuBackend {
        &self.gpu
    }
}

/// The queue of region indices, taken from both ends.
struct Queue {
    /// Regions `front..back` are still to be built.
    range: Mutex<(usize, usize)>,
}

impl Queue {
    fn new(n: usize) -> Queue {
        Queue {
            range: Mutex::new((0, n)),
        }
    }

    fn remaining(&self) -> usize {
        self.range.lock().map_or(0, |r| r.1 - r.0)
    }

    /// Up to `n` (at least 1) regions from the front.
    fn take_front(&self, n: usize) -> Option<std::ops::Range<usize>> {
        let mut r = self.range.lock().ok()?;
        let take = n.max(1).min(r.1 - r.0);
        (take > 0).then(|| {
            r.0 += take;
            r.0 - take..r.0
        })
    }

    /// One region from the back.
    fn take_back(&self) -> Option<usize> {
        let mut r = self.range.lock().ok()?;
        (r.1 > r.0).then(|| {
            r.1 -= 1;
            r.1
        })
    }
}

/// Regions per second of each side so far.
#[derive(Default)]
struct Rates {
    gpu_regions: usize,
    gpu_seconds: f64,
    cpu_regions: usize,
}

/// The GPU's next bite out of `remaining` regions: half of the share it would take at the
/// measured rates, at least one region. Before both rates are known the share is taken as a
/// quarter, so that a GPU slower than expected holds back little of the queue.
fn bite(remaining: usize, gpu_rate: Option<f64>, cpu_rate: Option<f64>) -> usize {
    let share = match (gpu_rate, cpu_rate) {
        (Some(g), Some(c)) if g + c > 0.0 => g / (g + c),
        _ => 0.25,
    };
    ((remaining as f64 * share / 2.0).ceil() as usize).max(1)
}

impl Backend for MixedBackend {
    fn name(&self) -> &str {
        "mixed"
    }

    fn describe(&self) -> String {
        format!(
            "mixed ({} with {} CPU threads)",
            self.gpu.describe(),
            rayon::current_num_threads()
        )
    }

    fn build(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>> {
        let slots: Vec<OnceLock<Matrices>> = regions.iter().map(|_| OnceLock::new()).collect();
        let queue = Queue::new(regions.len());
        let rates = Mutex::new(Rates::default());
        let start = Instant::now();
        std::thread::scope(|scope| {
            if !self.lost.load(Ordering::Relaxed) {
                scope.spawn(|| self.feed_gpu(regions, &queue, &slots, &rates, start));
            }
            let threads = rayon::current_num_threads();
            (0..threads).into_par_iter().for_each(|_| {
                while let Some(k) = queue.take_back() {
                    let _ = slots[k].set(cpu::build_all(regions[k]));
                    if let Ok(mut r) = rates.lock() {
                        r.cpu_regions += 1;
                    }
                }
            });
        });
        // Regions of a bite the device failed on are built here.
        slots
            .into_par_iter()
            .zip(regions)
            .map(|(slot, g)| slot.into_inner().map_or_else(|| Ok(cpu::build_all(g)), Ok))
            .collect()
    }

    fn phase_times(&self) -> Option<super::gpu::PhaseTimes> {
        self.gpu.phase_times()
    }

    /// The GPU side's filters: the device filters while the CPU threads build matrices.
    fn filters(&self) -> Option<&crate::filters::device::DeviceFilters> {
        self.gpu.filters()
    }

    fn device(&self) -> Option<&std::sync::Arc<crate::device::Device>> {
        self.gpu.device()
    }
}

impl MixedBackend {
    /// The feeder thread: bites from the front of the queue to the GPU until the queue is empty
    /// or the device fails.
    fn feed_gpu(
        &self,
        regions: &[&GrayLevels],
        queue: &Queue,
        slots: &[OnceLock<Matrices>],
        rates: &Mutex<Rates>,
        start: Instant,
    ) {
        loop {
            let (gpu_rate, cpu_rate) = rates.lock().map_or((None, None), |r| {
                let elapsed = start.elapsed().as_secs_f64();
                (
                    (r.gpu_seconds > 0.0).then(|| r.gpu_regions as f64 / r.gpu_seconds),
                    (r.cpu_regions > 0 && elapsed > 0.0).then(|| r.cpu_regions as f64 / elapsed),
                )
            });
            let Some(range) = queue.take_front(bite(queue.remaining(), gpu_rate, cpu_rate)) else {
                return;
            };
            let began = Instant::now();
            let members: Vec<&GrayLevels> = regions[range.clone()].to_vec();
            match self.gpu.try_build(&members, false) {
                Ok(built) => {
                    for (k, m) in range.clone().zip(built) {
                        let _ = slots[k].set(m);
                    }
                    if let Ok(mut r) = rates.lock() {
                        r.gpu_regions += range.len();
                        r.gpu_seconds += began.elapsed().as_secs_f64();
                    }
                }
                Err(e) => {
                    self.lose_device(&e);
                    return;
                }
            }
        }
    }

    fn lose_device(&self, e: &Error) {
        if !self.lost.swap(true, Ordering::Relaxed) {
            (self.note)(&format!(
                "the GPU failed ({e}); the CPU builds the rest of the run, no case is lost"
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_hands_out_every_region_once_from_both_ends() {
        let q = Queue::new(10);
        assert_eq!(q.take_front(3), Some(0..3));
        assert_eq!(q.take_back(), Some(9));
        assert_eq!(q.take_front(0), Some(3..4));
        assert_eq!(q.remaining(), 5);
        assert_eq!(q.take_front(100), Some(4..9));
        assert_eq!(q.take_back(), None);
        assert_eq!(q.take_front(1), None);
    }

    #[test]
    fn bites_follow_the_measured_rates_and_shrink_towards_the_end() {
        assert_eq!(bite(100, None, None), 13);
        // the GPU three times as fast as the CPU threads: 3/4 of the rest, halved
        assert_eq!(bite(100, Some(300.0), Some(100.0)), 38);
        assert_eq!(bite(100, Some(100.0), Some(300.0)), 13);
        assert_eq!(bite(1, Some(1.0), Some(1000.0)), 1);
        assert_eq!(bite(0, None, None), 1);
    }
}
