// Texture maps on the device (src/extraction/maps/device.rs): the features of the kernel around
// every region pixel of one window, computed where the kernel is gathered. This is the one place
// where formulas exist a second time (map_firstorder.wgsl, map_glcm.wgsl, map_emphasis.wgsl
// with map_glrlm/glszm/gldm.wgsl, map_ngtdm.wgsl); tests/gpu_maps.rs
// checks every map against the CPU's.
//
// Work split: one invocation per region pixel, MAP_GROUP per workgroup, the groups laid out in
// rows the host chooses. An invocation gathers its kernel (the (2r + 1)^2 square around the pixel,
// clipped to the window, at most MAX_KERNEL pixels) into private arrays, computes the enabled
// classes' features from them and writes column c of pixel k to out[c * job.count + k].
//
// No NaN is made or tested here: WGSL leaves the result of 0 / 0 (or the square root of a
// negative number) indeterminate and lets drivers assume that no NaN occurs, and hardware
// drivers do fold such values to numbers. A value the CPU gives as NaN (a mean over no angle,
// over no value) is written 0 with its bit set in `undefined`, and the host writes the NaN.
// `real` is f64 where the device has 64-bit floats, f32 otherwise; the host prepends it, the
// constants and, for f64, f64_math.wgsl.

// MapJob (map_job.wgsl) is written before this file.

@group(0) @binding(0) var<storage, read> job: MapJob;
// the window's gray values, row-major
@group(0) @binding(1) var<storage, read> values: array<real>;
// the window's gray-level ranks (1-based among the binning domain's levels), 0 outside the domain
@group(0) @binding(2) var<storage, read> ranks: array<u32>;
// [pixel area, level of rank 1, level of rank 2, ...]
@group(0) @binding(3) var<storage, read> constants: array<real>;
// the window index of each region pixel to map
@group(0) @binding(4) var<storage, read> pixels: array<u32>;
@group(0) @binding(5) var<storage, read_write> out: array<real>;
// GLCM's MCC matrices (map_glcm.wgsl's mcc_matrix), for map_mcc.wgsl: slot t of pixel k at
// scratch[t * job.count + k], so that neighbouring invocations touch neighbouring values
@group(0) @binding(6) var<storage, read_write> scratch: array<real>;
// the columns without a value: bit c % 32 of word c / 32 of pixel k, at
// undefined[(c / 32) * job.count + k] (zeroed by the host)
@group(0) @binding(7) var<storage, read_write> undefined: array<u32>;

// the kernel's clipped box
var<private> kernel_x0: u32;
var<private> kernel_y0: u32;
var<private> kernel_width: u32;
var<private> kernel_height: u32;
// local level index (into kernel_levels) of each box pixel, row-major; NONE outside the domain
var<private> kernel_local: array<u32, MAX_KERNEL>;
// gray values of the box's domain pixels, row-major, kernel_count of them
var<private> kernel_values: array<real, MAX_KERNEL>;
var<private> kernel_count: u32;
// the distinct ranks of the kernel, ascending, level_count of them
var<private> kernel_levels: array<u32, MAX_KERNEL>;
var<private> level_count: u32;
// terms of a sum (numpy_sum)
var<private> terms: array<real, MAX_KERNEL>;
// per-feature sums and counts over the non-empty angles of GLCM or GLRLM (nanmean)
var<private> angle_sum: array<real, MAX_ANGLE_FEATURES>;
var<private> angle_n: array<u32, MAX_ANGLE_FEATURES>;

const NONE: u32 = 0xffffffffu;

// The gray level of local level index i.
fn level_value(i: u32) -> real {
    return constants[kernel_levels[i]];
}

// p log2(p + eps), one term of a negated entropy in bits.
fn plogp(p: real) -> real {
    return p * log2_real(p + EPS);
}

// numpy's pairwise sum of terms[0..n] (n <= 128): sequential below 8 terms, else 8 interleaved
// partial sums combined as ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the tail.
fn numpy_sum(n: u32) -> real {
    if n < 8u {
        var s = -real(0.0);
        for (var k = 0u; k < n; k++) {
            s += terms[k];
        }
        return s;
    }
    var r: array<real, 8>;
    for (var j = 0u; j < 8u; j++) {
        r[j] = terms[j];
    }
    let whole = n - n % 8u;
    for (var k = 8u; k < whole; k += 8u) {
        for (var j = 0u; j < 8u; j++) {
            r[j] += terms[k + j];
        }
    }
    var s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (var k = whole; k < n; k++) {
        s += terms[k];
    }
    return s;
}

// Gathers the kernel around window pixel `center`: its box, domain values in row-major order,
// distinct ranks, and each box pixel's local level index.
fn gather(center: u32) {
    let x = center % job.width;
    let y = center / job.width;
    let r = job.radius;
    kernel_x0 = select(0u, x - r, x >= r);
    kernel_y0 = select(0u, y - r, y >= r);
    kernel_width = min(x + r + 1u, job.width) - kernel_x0;
    kernel_height = min(y + r + 1u, job.height) - kernel_y0;
    kernel_count = 0u;
    level_count = 0u;
    for (var ky = 0u; ky < kernel_height; ky++) {
        for (var kx = 0u; kx < kernel_width; kx++) {
            let at = (kernel_y0 + ky) * job.width + kernel_x0 + kx;
            let rank = ranks[at];
            if rank == 0u {
                kernel_local[ky * kernel_width + kx] = NONE;
                continue;
            }
            kernel_values[kernel_count] = values[at];
            kernel_count += 1u;
            add_level(rank);
        }
    }
    for (var k = 0u; k < kernel_width * kernel_height; k++) {
        let at = (kernel_y0 + k / kernel_width) * job.width + kernel_x0 + k % kernel_width;
        let rank = ranks[at];
        if rank != 0u {
            kernel_local[k] = local_level(rank);
        }
    }
}

// Inserts `rank` into the ascending distinct ranks when absent.
fn add_level(rank: u32) {
    var k = level_count;
    while k > 0u && kernel_levels[k - 1u] >= rank {
        if kernel_levels[k - 1u] == rank {
            return;
        }
        k -= 1u;
    }
    for (var j = level_count; j > k; j--) {
        kernel_levels[j] = kernel_levels[j - 1u];
    }
    kernel_levels[k] = rank;
    level_count += 1u;
}

// The local level of box pixel (x, y), NONE outside the box or the domain.
fn level_at(x: i32, y: i32) -> u32 {
    if x < 0 || y < 0 || x >= i32(kernel_width) || y >= i32(kernel_height) {
        return NONE;
    }
    return kernel_local[u32(y) * kernel_width + u32(x)];
}

// The local level index of a rank present in the kernel.
fn local_level(rank: u32) -> u32 {
    for (var i = 0u; i < level_count; i++) {
        if kernel_levels[i] == rank {
            return i;
        }
    }
    return NONE;
}

fn clear_angle_features() {
    for (var f = 0u; f < MAX_ANGLE_FEATURES; f++) {
        angle_sum[f] = real(0.0);
        angle_n[f] = 0u;
    }
}

// Adds one angle's value of feature f (an angle where the CPU's value is NaN adds nothing, as
// numpy's nanmean skips it).
fn add_angle_feature(f: u32, value: real) {
    angle_sum[f] += value;
    angle_n[f] += 1u;
}

// Writes the nanmean of feature f over the angles to `column`: no value when no angle has one.
fn write_angle_mean(column: u32, pixel: u32, f: u32) {
    if angle_n[f] == 0u {
        write_undefined(column, pixel);
        return;
    }
    write(column, pixel, angle_sum[f] / real(angle_n[f]));
}

fn write(column: u32, pixel: u32, value: real) {
    out[column * job.count + pixel] = value;
}

// Marks `column` of `pixel` as having no value (the host writes NaN there).
fn write_undefined(column: u32, pixel: u32) {
    write(column, pixel, real(0.0));
    let word = (column / 32u) * job.count + pixel;
    undefined[word] |= 1u << (column % 32u);
}

@compute @workgroup_size(MAP_GROUP)
fn main(at: Invocation) {
    let pixel = invocation_index(at);
    if pixel >= job.count {
        return;
    }
    gather(pixels[pixel]);
    if job.firstorder_column != NONE {
        firstorder(pixel, job.firstorder_column);
    }
    if job.glcm_column != NONE {
        glcm(pixel, job.glcm_column);
    }
    if job.glrlm_column != NONE {
        glrlm(pixel, job.glrlm_column);
    }
    if job.glszm_column != NONE {
        glszm(pixel, job.glszm_column);
    }
    if job.gldm_column != NONE {
        gldm(pixel, job.gldm_column);
    }
    if job.ngtdm_column != NONE {
        ngtdm(pixel, job.ngtdm_column);
    }
}
