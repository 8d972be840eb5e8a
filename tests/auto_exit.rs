//! A run that ends while `auto`'s GPU start is still running ends its process at once, with its
//! exit status and all its output, without waiting for the start and without crashing under it.
//!
//! The test runs this binary again as a child (`child` argument): the child makes an
//! [`AutoBackend`] whose start never finishes (it opens and drops devices one after another, so
//! that the exit finds it inside the Vulkan driver, lavapipe here; without an adapter each try
//! fails at once and it tries again), builds a region on the CPU, drops the backend with the
//! start left to the exit, prints its result and ends through [`sonorad::matrix::auto::exit`]
//! with status 3. The parent checks the status and the output, and that the child ended
//! within a minute instead of never. Its own harness (`harness = false` in Cargo.toml), since
//! the child's process must end the way a shell's does, not inside a test harness.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sonorad::discretize::{Binning, GrayLevels};
use sonorad::matrix::auto::AutoBackend;
use sonorad::matrix::cpu::CpuBackend;
use sonorad::matrix::gpu::GpuBackend;
use sonorad::matrix::Backend;

fn main() {
    if std::env::args().nth(1).as_deref() == Some("child") {
        child();
    }
    parent();
}

/// The process under test.
fn child() -> ! {
    let auto = AutoBackend::start(|| loop {
        let _ = GpuBackend::new();
    })
    .expect("start thread")
    .leave_start_to_exit();
    let values = [10.0, 10.0, 30.0, 10.0, 30.0, 30.0];
    let edges = Binning::Width(25.0)
        .edges(&values, Path::new("<region>"))
        .expect("edges");
    let region = GrayLevels::new(&values, &[true; 6], 3, 2, &edges);
    let built = auto.build(&[&region]).expect("build");
    let same = built == CpuBackend.build(&[&region]).expect("cpu build");
    drop(auto);
    println!("built on the CPU while the GPU started: {same}");
    sonorad::matrix::auto::exit(3)
}

/// Runs the child and checks how it ended.
fn parent() {
    let adapter = GpuBackend::new().map_or_else(
        |e| format!("no GPU adapter ({e}): the start fails and retries"),
        |b| format!("the start inside {}", b.adapter().name),
    );
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .arg("child")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let began = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if began.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("the child did not end: its exit waited for the GPU's start");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let output = child.wait_with_output().expect("child output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(status.code(), Some(3), "{status}; stderr: {stderr}");
    assert_eq!(stdout, "built on the CPU while the GPU started: true\n");
    println!("test auto_exit: a run ends at once, the GPU's start left behind ({adapter}) ... ok");
}
