// Wavelet: one line pass of PyWavelets' level-1 stationary transform (`swt`, periodization), as
// src/extraction/filters/wavelet.rs runs it on the CPU: a circular convolution of every line with
// the low-pass and the high-pass decomposition filters, output shifted by taps / 2, summed in
// PyWavelets' order.
//
// Work split: one invocation per output sample; it writes the sample's low-pass value to the
// target plane and its high-pass value to the second plane.
//
// The target planes are width x height; the source plane is source_width x source_height and
// wraps onto them (an odd side is padded by repeating its first sample, as PyRadiomics pads).
// mode 0: the lines are rows; mode 1: the lines are columns.
// Coefficients: the taps low-pass filter taps, then the taps high-pass ones.

// Sample k of line `line` of the (padded) source.
fn line_sample(line: u32, k: u32) -> f64 {
    if job.mode == 0u {
        return planes[job.source + (line % job.source_height) * job.source_width + k % job.source_width];
    }
    return planes[job.source + (k % job.source_height) * job.source_width + line % job.source_width];
}

@compute @workgroup_size(FILTER_GROUP)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let index = invocation(group, local);
    if index >= job.count {
        return;
    }
    let x = index % job.width;
    let y = index / job.width;
    var line = y;
    var o = x;
    var n = job.width;
    if job.mode == 1u {
        line = x;
        o = y;
        n = job.height;
    }
    let taps = job.taps;
    let low = job.coefficients;
    let high = job.coefficients + taps;
    let i = o + taps / 2u;
    var sum_low = 0.0lf;
    var sum_high = 0.0lf;
    var first = 0u;
    if i >= n {
        // past the right end PyWavelets first adds the taps that reach past it, from the tap
        // at the end back to tap 0, then the rest in order
        let past = i - n;
        for (var j = 0u; j <= min(past, taps - 1u); j++) {
            let v = line_sample(line, j % n);
            sum_low += coefficients[low + past - j] * v;
            sum_high += coefficients[high + past - j] * v;
        }
        first = past + 1u;
    }
    for (var j = first; j < taps; j++) {
        let v = line_sample(line, (i + taps * n - j) % n);
        sum_low += coefficients[low + j] * v;
        sum_high += coefficients[high + j] * v;
    }
    planes[job.output + index] = sum_low;
    planes[job.second + index] = sum_high;
}
