//! Where a GPU batch spends its time, for `--trace` and for `sonorad bench`.
//!
//! Each batch is timed in four phases, wall time on the host thread that runs it: `pack` (the
//! batch layout and the packing of ranks, on all cores), `upload` (buffer uploads, recording and
//! submission), `device` (waiting for the kernels, the copy and the transfers) and `unpack`
//! (mapping the read-back and turning it into matrices, on all cores). Everything but `device`
//! is host work outside the device, the overhead the GPU path adds to the CPU's.

use std::time::Instant;

/// The phases of a batch, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Batch layout and rank packing.
    Pack,
    /// Uploads, recording and submission.
    Upload,
    /// Waiting for the device.
    Device,
    /// Read-back and unpacking into matrices.
    Unpack,
}

impl Phase {
    /// Every phase, in order.
    pub const ALL: [Phase; 4] = [Phase::Pack, Phase::Upload, Phase::Device, Phase::Unpack];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Pack => "pack",
            Phase::Upload => "upload",
            Phase::Device => "device",
            Phase::Unpack => "unpack",
        }
    }
}

/// Seconds per phase of one batch or of a whole run, with the regions and pixels they covered.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhaseTimes {
    /// Seconds in each [`Phase`], in [`Phase::ALL`] order.
    pub seconds: [f64; 4],
    /// Batches covered.
    pub batches: usize,
    /// Regions covered.
    pub regions: usize,
    /// Bounding-box pixels covered.
    pub pixels: usize,
}

impl PhaseTimes {
    /// Host seconds outside the device: every phase but [`Phase::Device`].
    pub fn host_seconds(&self) -> f64 {
        Phase::ALL
            .iter()
            .filter(|&&p| p != Phase::Device)
            .map(|&p| self.seconds[p as usize])
            .sum()
    }

    /// Adds another batch or run.
    pub fn add(&mut self, other: &PhaseTimes) {
        for (s, o) in self.seconds.iter_mut().zip(other.seconds) {
            *s += o;
        }
        self.batches += other.batches;
        self.regions += other.regions;
        self.pixels += other.pixels;
    }

    /// What was added since `earlier`, a copy of these totals taken before.
    pub fn since(&self, earlier: &PhaseTimes) -> PhaseTimes {
        let mut seconds = self.seconds;
        for (s, e) in seconds.iter_mut().zip(earlier.seconds) {
            *s -= e;
        }
        PhaseTimes {
            seconds,
            batches: self.batches - earlier.batches,
            regions: self.regions - earlier.regions,
            pixels: self.pixels - earlier.pixels,
        }
    }

    /// One line: regions, pixels, each phase in ms, and the host time per region.
    pub fn line(&self) -> String {
        let phases: Vec<String> = Phase::ALL
            .iter()
            .map(|&p| format!("{} {:.1} ms", p.name(), self.seconds[p as usize] * 1e3))
            .collect();
        format!(
            "{} batch(es), {} regions, {} box pixels: {}; host outside the device {:.1} ms ({:.1} µs per region)",
            self.batches,
            self.regions,
            self.pixels,
            phases.join(", "),
            self.host_seconds() * 1e3,
            self.host_seconds() * 1e6 / self.regions.max(1) as f64
        )
    }
}

/// A stopwatch for the phases of one batch.
pub(super) struct BatchClock {
    last: Instant,
    times: PhaseTimes,
}

impl BatchClock {
    pub fn start(regions: usize, pixels: usize) -> BatchClock {
        BatchClock {
            last: Instant::now(),
            times: PhaseTimes {
                batches: 1,
                regions,
                pixels,
                ..PhaseTimes::default()
            },
        }
    }

    /// Ends `phase` now.
    pub fn lap(&mut self, phase: Phase) {
        let now = Instant::now();
        self.times.seconds[phase as usize] += (now - self.last).as_secs_f64();
        self.last = now;
    }

    /// Restarts the clock after the host worked on another batch: the time since the last lap
    /// belongs to no phase of this one.
    pub fn resume(&mut self) {
        self.last = Instant::now();
    }

    pub fn finish(self) -> PhaseTimes {
        self.times
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_time_leaves_out_the_device_and_totals_add_up() {
        let batch = PhaseTimes {
            seconds: [0.002, 0.001, 0.010, 0.003],
            batches: 1,
            regions: 4,
            pixels: 100,
        };
        let mut total = PhaseTimes::default();
        total.add(&batch);
        total.add(&batch);
        assert_eq!(total.batches, 2);
        assert_eq!(total.regions, 8);
        assert!((total.host_seconds() - 0.012).abs() < 1e-15);
        assert!(total
            .line()
            .contains("host outside the device 12.0 ms (1500.0 µs per region)"));
    }
}
