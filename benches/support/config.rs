//! The criterion settings the device benches share: few samples (a point on lavapipe takes
//! seconds), short warm-up and measurement.

use criterion::Criterion;

/// 10 samples, 0.5 s warm-up, 2 s of measurement per point.
pub fn short() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
}
