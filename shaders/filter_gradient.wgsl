// Gradient magnitude, as src/extraction/filters/gradient.rs computes SimpleITK's
// GradientMagnitudeImageFilter: central differences with zero-flux borders, weights
// 0.5 / spacing (coefficients 0 and 1: along x, along y), summed in ITK's order in f64 and
// rounded to f32.
//
// Work split: one invocation per pixel of the width x height plane.

@compute @workgroup_size(FILTER_GROUP)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let index = invocation(group, local);
    if index >= job.count {
        return;
    }
    let w = job.width;
    let x = index % w;
    let y = index / w;
    let left = max(x, 1u) - 1u;
    let right = min(x + 1u, w - 1u);
    let up = max(y, 1u) - 1u;
    let down = min(y + 1u, job.height - 1u);
    let wx = coefficients[job.coefficients];
    let wy = coefficients[job.coefficients + 1u];
    let s = job.source;
    let gx = wx * planes[s + y * w + right] - wx * planes[s + y * w + left];
    let gy = wy * planes[s + down * w + x] - wy * planes[s + up * w + x];
    let squared = 0.0lf + gx * gx + gy * gy;
    planes[job.output + index] = to_f32(sqrt(squared));
}
