//! `--backend auto` on a machine that may have a GPU: the CPU threads start on the first case
//! while the device starts in the background, and the device joins them once it is ready.
//!
//! Starting a device (the Vulkan instance, the adapter, the device, every kernel compiled) took
//! about 0.25 s on the H100 host. Paid before the first case was read, as it was, it came on
//! top of every run, so `auto` could be slower than `cpu` on exactly the runs where the device
//! gains least. Here the start overlaps with reading and preparing the first cases, and
//! [`Backend::build`] hands regions to the CPU threads until the device is ready; the regions
//! left then go to the device and the CPU threads together ([`MixedBackend`]). Both sides give
//! the same integers, so the table does not depend on when the device joined.
//!
//! Filters and texture maps are different. The device's filters differ from the CPU's by up to
//! 2 ulps (their log and exp), so a run whose cases got one or the other as timing had it would
//! not be reproducible; and their work is large enough that the start is soon repaid. Asking
//! for them ([`Backend::filters`], [`Backend::device`]) therefore waits until the device has
//! started (or failed to), and the whole run then has the same filters. Callers ask only when
//! their settings filter images or they make maps.
//!
//! The start runs on a thread of its own, and a run can end before it does: on 16 cores sonorad
//! extracts about a thousand BUSI cases a second, so a run of a few hundred takes about as long
//! as the start. The process should then not end through the C library's `exit`: its handlers
//! run the Vulkan loader's and the driver's destructors while the starting thread may still be
//! inside them, a crash after a successful run that no test on one driver can rule out for
//! another (lavapipe came through 20 such exits in a trial; the NVIDIA driver is untried).
//! By default the backend waits for its start when dropped (what a library caller, such as the
//! Python module, needs: its process goes on). A command-line shell instead ends its process
//! through [`exit`], and makes the backend with [`super::BackendOptions::leave_start_to_exit`]:
//! a start still running is then left behind, and [`exit`] ends the process without the exit
//! handlers (`_exit`), as promptly as `cpu` would.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use rayon::prelude::*;

use super::cpu::{self, CpuBackend};
use super::gpu::PhaseTimes;
use super::mixed::MixedBackend;
use super::{Backend, Matrices};
use crate::discretize::GrayLevels;
use crate::error::{Error, Result};
use crate::filters::device::DeviceFilters;

/// Starts left running by backends dropped before their start had finished, in a process that
/// ends through [`exit`].
static LEFT_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Ends the process with `code`, for a shell that made its backends with
/// [`super::BackendOptions::leave_start_to_exit`]. When such a backend left its device's start
/// running, the process ends at once (`_exit`, after flushing standard output) instead of
/// through `exit`, whose handlers could tear the driver down under that start; sonorad's own
/// files are written and closed before a run returns. Otherwise, and on platforms other than
/// Unix (where no start is left), it is [`std::process::exit`].
pub fn exit(code: i32) -> ! {
    #[cfg(unix)]
    if LEFT_RUNNING.load(Ordering::SeqCst) > 0 {
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let _ = std::io::stderr().flush();
        // SAFETY: _exit only ends the process; it runs no handler and touches no Rust state.
        unsafe { libc::_exit(code) }
    }
    std::process::exit(code)
}

/// The CPU threads now, with the GPU once its start has finished.
pub struct AutoBackend {
    /// What the start gave: the device with the CPU threads, or `None` (no usable GPU, the
    /// start failed): the CPU for the rest of the run. Unset while the start runs.
    started: OnceLock<Option<MixedBackend>>,
    /// The thread starting the device, until its result has been taken.
    start: Mutex<Option<JoinHandle<Option<MixedBackend>>>>,
    /// Whether a start still running when the backend is dropped is left to [`exit`].
    leave_to_exit: bool,
}

impl AutoBackend {
    /// Runs `start` on a thread of its own and builds on the CPU until it returns. `start`
    /// gives the backend to use from then on, or `None` to stay on the CPU (it tells the user
    /// which and why).
    pub fn start(start: impl FnOnce() -> Option<MixedBackend> + Send + 'static) -> Result<Self> {
        let thread = std::thread::Builder::new()
            .name("sonorad-gpu-start".into())
            .spawn(start)
            .map_err(|e| Error::Backend {
                backend: "auto".into(),
                message: format!("cannot start the GPU's thread: {e}"),
            })?;
        Ok(AutoBackend {
            started: OnceLock::new(),
            start: Mutex::new(Some(thread)),
            leave_to_exit: false,
        })
    }

    /// The same backend, leaving a start that is still running when it is dropped to the
    /// process's end through [`exit`], instead of waiting for it (on Unix; elsewhere it waits).
    pub fn leave_start_to_exit(mut self) -> Self {
        self.leave_to_exit = cfg!(unix);
        self
    }

    /// The started device with the CPU threads, once the start has finished; `wait`: waits
    /// for it to finish. Without `wait` this never blocks: while another caller is waiting,
    /// the device counts as not started.
    fn started(&self, wait: bool) -> Option<&MixedBackend> {
        if let Some(started) = self.started.get() {
            return started.as_ref();
        }
        let mut start = match wait {
            true => self.start.lock().ok()?,
            false => self.start.try_lock().ok()?,
        };
        if let Some(thread) = start.take_if(|t| wait || t.is_finished()) {
            // a start that panicked leaves the run on the CPU, like one that failed
            let _ = self.started.set(thread.join().ok().flatten());
        }
        drop(start);
        self.started.get().and_then(Option::as_ref)
    }

    /// Each CPU thread takes one region at a time from the front until the device has started
    /// (an archive's chunk can hold hundreds of cases, and the device should not sit out a
    /// whole one for missing its start by a few milliseconds); the regions left then go to
    /// the device and the CPU threads together.
    fn build_until_started(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>> {
        let next = AtomicUsize::new(0);
        let slots: Vec<OnceLock<Matrices>> = regions.iter().map(|_| OnceLock::new()).collect();
        (0..rayon::current_num_threads())
            .into_par_iter()
            .for_each(|_| {
                while self.started(false).is_none() {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(region) = regions.get(k) else { return };
                    let _ = slots[k].set(cpu::build_all(region));
                }
            });
        // regions 0..taken were handed out, and their threads built them before stopping
        let taken = next.into_inner().min(regions.len());
        let rest = match self.started(false) {
            Some(mixed) if taken < regions.len() => mixed.build(&regions[taken..])?,
            _ => Vec::new(),
        };
        let built: Option<Vec<Matrices>> = slots
            .into_iter()
            .take(taken)
            .map(OnceLock::into_inner)
            .chain(rest.into_iter().map(Some))
            .collect();
        built.ok_or_else(|| Error::Backend {
            backend: "auto".into(),
            message: "a region handed to a CPU thread was not built".into(),
        })
    }

    /// Whether the device is still starting.
    fn starting(&self) -> bool {
        self.started.get().is_none()
    }
}

impl Backend for AutoBackend {
    fn name(&self) -> &str {
        "auto"
    }

    fn describe(&self) -> String {
        match self.started(false) {
            Some(mixed) => format!("auto: {}", mixed.describe()),
            None if self.starting() => format!(
                "auto: cpu ({} threads) while the GPU starts",
                rayon::current_num_threads()
            ),
            None => format!("auto: cpu ({} threads)", rayon::current_num_threads()),
        }
    }

    /// On the device and the CPU threads once the device has started, else on the CPU threads;
    /// a device that starts during the call takes part in the regions left.
    fn build(&self, regions: &[&GrayLevels]) -> Result<Vec<Matrices>> {
        match self.started(false) {
            Some(mixed) => mixed.build(regions),
            None if self.starting() => self.build_until_started(regions),
            None => CpuBackend.build(regions),
        }
    }

    fn phase_times(&self) -> Option<PhaseTimes> {
        self.started(false).and_then(|m| m.phase_times())
    }

    /// Waits for the device to start: the device's filters for the whole run, or none.
    fn filters(&self) -> Option<&DeviceFilters> {
        self.started(true).and_then(|m| m.filters())
    }

    /// Waits for the device to start.
    fn device(&self) -> Option<&std::sync::Arc<crate::device::Device>> {
        self.started(true).and_then(|m| m.device())
    }
}

impl Drop for AutoBackend {
    /// Waits for a start still running, unless it is left to [`exit`].
    fn drop(&mut self) {
        let Some(thread) = self.start.get_mut().ok().and_then(Option::take) else {
            return;
        };
        if self.leave_to_exit && !thread.is_finished() {
            LEFT_RUNNING.fetch_add(1, Ordering::SeqCst);
            return;
        }
        let _ = thread.join();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    use std::time::Duration;

    use super::*;
    use crate::discretize::Binning;

    /// A 24 × 20 region with eight gray levels.
    fn region() -> GrayLevels {
        let values: Vec<f64> = (0..480).map(|p| ((p * 37) % 200) as f64).collect();
        let mask = vec![true; values.len()];
        let path = std::path::Path::new("<region>");
        let edges = Binning::Count(8).edges(&values, path).unwrap();
        GrayLevels::new(&values, &mask, 24, 20, &edges)
    }

    #[test]
    fn builds_on_the_cpu_while_the_device_starts() {
        let (go, gate) = mpsc::channel::<()>();
        let auto = AutoBackend::start(move || {
            let _ = gate.recv();
            None
        })
        .unwrap();
        let g = region();
        assert_eq!(auto.build(&[&g]).unwrap(), CpuBackend.build(&[&g]).unwrap());
        assert!(auto.phase_times().is_none());
        assert!(
            auto.describe().ends_with("threads) while the GPU starts"),
            "{}",
            auto.describe()
        );
        go.send(()).unwrap();
        // asking for the filters waits for the start, which found no GPU: the CPU's filters
        assert!(auto.filters().is_none());
        assert!(auto.device().is_none());
        assert!(!auto.describe().contains("starts"), "{}", auto.describe());
        assert_eq!(auto.build(&[&g]).unwrap(), CpuBackend.build(&[&g]).unwrap());
    }

    #[test]
    fn a_start_that_panics_leaves_the_run_on_the_cpu() {
        let auto = AutoBackend::start(|| panic!("driver exploded")).unwrap();
        assert!(auto.device().is_none());
        let g = region();
        assert_eq!(auto.build(&[&g]).unwrap(), CpuBackend.build(&[&g]).unwrap());
    }

    #[test]
    fn dropping_waits_for_the_start_to_finish() {
        let finished = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&finished);
        let auto = AutoBackend::start(move || {
            std::thread::sleep(Duration::from_millis(200));
            flag.store(true, Ordering::SeqCst);
            None
        })
        .unwrap();
        drop(auto);
        assert!(finished.load(Ordering::SeqCst));
    }
}
