// GLCM's maximal correlation coefficient of every kernel and angle of a texture map: the
// eigenproblem the main map kernel (map_glcm.wgsl, mcc_matrix) leaves in `scratch`.
//
// MCC is sqrt of the second largest eigenvalue of Q(i, j) = sum_k p(i, k) p(j, k) / (p_x(i)
// p_y(k)). Q is similar to M M^T with M = D_x^(-1/2) P D_y^(-1/2), and P is symmetric, so Q's
// eigenvalues are the squares of M's: MCC is the second largest |eigenvalue| of the symmetric
// matrix M, found here by cyclic Jacobi rotations to within machine epsilon of M's norm (1): in
// f32 too, as MCC is |eigenvalue|, not the root of a squared one near 0.
// A side below 2 gives 0 (the other eigenvalues belong to absent levels); side 0 marks an angle
// without pairs, written -1 (never an MCC; WGSL does not promise a NaN from 0 / 0), which the
// host turns into NaN for its mean over the angles to skip, as the CPU's does.
//
// Work split: one invocation per (angle, pixel), MAP_GROUP per workgroup, the groups in rows the
// host chooses; invocation g takes angle g / count of pixel g % count. Its matrix stays where
// the main kernel wrote it, slot t at scratch[(angle * mcc_stride + t) * count + pixel], M(r, c)
// at slot 1 + r * mcc_row + c whatever the matrix's side, so
// neighbouring invocations read neighbouring values; the result goes to
// angle_mcc[angle * count + pixel].

// MapJob (map_job.wgsl) is written before this file.

@group(0) @binding(0) var<storage, read> job: MapJob;
@group(0) @binding(1) var<storage, read_write> scratch: array<real>;
@group(0) @binding(2) var<storage, read_write> angle_mcc: array<real>;

// this invocation's matrix: the scratch index of its slot 0 (the side), and its stride
var<private> matrix_at: u32;
var<private> side: u32;

// The scratch index of M(r, c).
fn entry(r: u32, c: u32) -> u32 {
    return matrix_at + (1u + r * job.mcc_row + c) * job.count;
}

// Sums of squares of M's off-diagonal entries and of all of them.
fn norms() -> vec2<real> {
    var off = real(0.0);
    var total = real(0.0);
    for (var r = 0u; r < side; r++) {
        for (var c = 0u; c < side; c++) {
            let v = scratch[entry(r, c)];
            total += v * v;
            if r != c {
                off += v * v;
            }
        }
    }
    return vec2<real>(off, total);
}

// The Jacobi rotation in the (p, q) plane that zeroes M(p, q), applied to columns then rows;
// M(p, q) and M(q, p) are then set to 0, which rounding would leave at ~EPSILON. An entry below
// EPSILON^2 is set to 0 without a rotation: M's norm is 1 (its largest eigenvalue), so that
// moves no eigenvalue by more than EPSILON^2, and it keeps subnormal numbers (which a device may
// flush to 0, making theta 0 / 0) out of the rotations.
fn rotate(p: u32, q: u32) {
    let apq = scratch[entry(p, q)];
    if abs(apq) <= EPSILON * EPSILON {
        scratch[entry(p, q)] = real(0.0);
        scratch[entry(q, p)] = real(0.0);
        return;
    }
    let theta = (scratch[entry(q, q)] - scratch[entry(p, p)]) / (real(2.0) * apq);
    // t = tan of the rotation angle, the smaller root of t^2 + 2 theta t - 1 = 0
    // (beyond 1 / EPSILON, theta^2 + 1 rounds to theta^2 and t to 1 / (2 theta))
    var t = real(1.0);
    if abs(theta) > real(1.0) / EPSILON {
        t = real(0.5) / theta;
    } else if theta != real(0.0) {
        t = sign(theta) / (abs(theta) + sqrt(theta * theta + real(1.0)));
    }
    let c = real(1.0) / sqrt(t * t + real(1.0));
    let s = t * c;
    for (var k = 0u; k < side; k++) {
        let kp = scratch[entry(k, p)];
        let kq = scratch[entry(k, q)];
        scratch[entry(k, p)] = c * kp - s * kq;
        scratch[entry(k, q)] = s * kp + c * kq;
    }
    for (var k = 0u; k < side; k++) {
        let pk = scratch[entry(p, k)];
        let qk = scratch[entry(q, k)];
        scratch[entry(p, k)] = c * pk - s * qk;
        scratch[entry(q, k)] = s * pk + c * qk;
    }
    scratch[entry(p, q)] = real(0.0);
    scratch[entry(q, p)] = real(0.0);
}

// Diagonalises M in place: sweeps of rotations over every (p, q), p < q, until the off-diagonal
// part is below machine epsilon of the whole (at most MCC_SWEEPS sweeps; Jacobi's method
// converges quadratically, in well under ten for these sizes).
fn diagonalise() {
    for (var sweep = 0u; sweep < MCC_SWEEPS; sweep++) {
        let n = norms();
        if n.x <= EPSILON * EPSILON * n.y {
            return;
        }
        for (var p = 0u; p + 1u < side; p++) {
            for (var q = p + 1u; q < side; q++) {
                rotate(p, q);
            }
        }
    }
}

// The second largest squared diagonal entry's root: the second largest |eigenvalue|.
fn second_magnitude() -> real {
    var first = real(0.0);
    var second = real(0.0);
    for (var k = 0u; k < side; k++) {
        let d = scratch[entry(k, k)];
        let v = d * d;
        if v > first {
            second = first;
            first = v;
        } else if v > second {
            second = v;
        }
    }
    return sqrt(second);
}

@compute @workgroup_size(MAP_GROUP)
fn main(at: Invocation) {
    let g = invocation_index(at);
    if g >= 4u * job.count {
        return;
    }
    let angle = g / job.count;
    let pixel = g % job.count;
    matrix_at = angle * job.mcc_stride * job.count + pixel;
    side = u32(scratch[matrix_at]);
    var value = real(0.0);
    if side == 0u {
        value = real(-1.0);
    } else if side >= 2u {
        diagonalise();
        value = second_magnitude();
    }
    angle_mcc[g] = value;
}
