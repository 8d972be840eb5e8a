// Point filters, as src/extraction/filters/point.rs computes PyRadiomics' getSquareImage,
// getSquareRootImage, getLogarithmImage and getExponentialImage with numpy in f64; the scale
// factor (coefficient 0) is computed by the host from M = max |x|, as on the CPU.
//
// Work split: one invocation per pixel.
// mode 0 square: (c x)^2; mode 1 square root: sign(x) sqrt(|x| M); mode 2 logarithm:
// sign(x) log(|x| + 1) s; mode 3 exponential: exp(c x). Needs f64_math.wgsl.

@compute @workgroup_size(FILTER_GROUP)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let index = invocation(group, local);
    if index >= job.count {
        return;
    }
    let x = planes[job.source + index];
    let c = coefficients[job.coefficients];
    var out = x;
    switch job.mode {
        case 0u: {
            let scaled = c * x;
            out = scaled * scaled;
        }
        case 1u: {
            if x > 0.0lf {
                out = sqrt(x * c);
            } else if x < 0.0lf {
                out = -sqrt(-x * c);
            }
        }
        case 2u: {
            if x > 0.0lf {
                out = log64(x + 1.0lf) * c;
            } else if x < 0.0lf {
                out = -log64(-(x - 1.0lf)) * c;
            }
        }
        default: {
            out = exp64(c * x);
        }
    }
    planes[job.output + index] = out;
}
