// GLCM features of one kernel (the formulas of src/extraction/features/glcm.rs), written to
// GLCM_FEATURES columns from `column` in glcm::NAMES order. MCC is left without a value: its
// eigenproblem is solved by a pass of its own (map_mcc.wgsl) from the matrices mcc_matrix writes
// here. A kernel without a pair along any angle has no GLCM value (PyRadiomics' NaN).
//
// The kernel's matrices are sparse (at most MAX_CODES pairs per angle against up to Ng^2
// cells), so each angle's symmetric matrix P = C + C^T is held as its non-empty cells: the codes
// i * L + j (local level indices, L levels in the kernel) of both orders of every pair, sorted,
// then counted. Walking the cells in code order is the CPU's row-major order over the region's
// levels with the empty cells left out, and an empty cell adds nothing to any sum, so each sum
// adds the same terms in the same order as the CPU's.
//
// Work split: one invocation per region pixel (map_kernel.wgsl); the four angles in turn.

// the non-empty cells of one angle: local levels and probability
var<private> cell_i: array<u32, MAX_CODES>;
var<private> cell_j: array<u32, MAX_CODES>;
var<private> cell_p: array<real, MAX_CODES>;
// the pair count of each cell, and of the angle (both orders)
var<private> cell_n: array<u32, MAX_CODES>;
var<private> angle_total: u32;
var<private> cell_count: u32;
var<private> px: array<real, MAX_KERNEL>;
var<private> py: array<real, MAX_KERNEL>;
// a distribution over k (p_{x+y} or p_{x-y}): keys ascending, probabilities
var<private> key_k: array<real, MAX_CODES>;
var<private> key_p: array<real, MAX_CODES>;
var<private> key_count: u32;

// The non-empty cells of the symmetric matrix of angle (dy, dx); false when it has no pair.
fn angle_cells(dy: i32, dx: i32) -> bool {
    var codes: array<u32, MAX_CODES>;
    var n = 0u;
    let w = i32(kernel_width);
    let h = i32(kernel_height);
    for (var y = 0; y < h; y++) {
        for (var x = 0; x < w; x++) {
            let a = kernel_local[y * w + x];
            let by = y + dy;
            let bx = x + dx;
            if a == NONE || by < 0 || by >= h || bx < 0 || bx >= w {
                continue;
            }
            let b = kernel_local[by * w + bx];
            if b == NONE {
                continue;
            }
            codes[n] = a * level_count + b;
            codes[n + 1u] = b * level_count + a;
            n += 2u;
        }
    }
    if n == 0u {
        return false;
    }
    for (var k = 1u; k < n; k++) {
        let c = codes[k];
        var j = k;
        while j > 0u && codes[j - 1u] > c {
            codes[j] = codes[j - 1u];
            j -= 1u;
        }
        codes[j] = c;
    }
    cell_count = 0u;
    angle_total = n;
    var k = 0u;
    while k < n {
        var end = k + 1u;
        while end < n && codes[end] == codes[k] {
            end += 1u;
        }
        cell_i[cell_count] = codes[k] / level_count;
        cell_j[cell_count] = codes[k] % level_count;
        cell_p[cell_count] = real(end - k) / real(n);
        cell_n[cell_count] = end - k;
        cell_count += 1u;
        k = end;
    }
    return true;
}

// Adds probability p at key k of the distribution (keys kept in order of first appearance).
fn add_key(k: real, p: real) {
    for (var m = 0u; m < key_count; m++) {
        if key_k[m] == k {
            key_p[m] += p;
            return;
        }
    }
    key_k[key_count] = k;
    key_p[key_count] = p;
    key_count += 1u;
}

// Sorts the distribution by key.
fn sort_keys() {
    for (var m = 1u; m < key_count; m++) {
        let k = key_k[m];
        let p = key_p[m];
        var j = m;
        while j > 0u && key_k[j - 1u] > k {
            key_k[j] = key_k[j - 1u];
            key_p[j] = key_p[j - 1u];
            j -= 1u;
        }
        key_k[j] = k;
        key_p[j] = p;
    }
}

// p_{x-y}: the cells' probabilities by |g_i - g_j|, ascending.
fn difference_distribution() {
    key_count = 0u;
    for (var c = 0u; c < cell_count; c++) {
        add_key(abs(level_value(cell_i[c]) - level_value(cell_j[c])), cell_p[c]);
    }
    sort_keys();
}

// p_{x+y}: the cells' probabilities by g_i + g_j, ascending.
fn sum_distribution() {
    key_count = 0u;
    for (var c = 0u; c < cell_count; c++) {
        add_key(level_value(cell_i[c]) + level_value(cell_j[c]), cell_p[c]);
    }
    sort_keys();
}

// Marginals p_x, p_y and means mu_x, mu_y of the current angle.
fn marginals() -> vec2<real> {
    for (var i = 0u; i < level_count; i++) {
        px[i] = real(0.0);
        py[i] = real(0.0);
    }
    var ux = real(0.0);
    var uy = real(0.0);
    for (var c = 0u; c < cell_count; c++) {
        let v = cell_p[c];
        px[cell_i[c]] += v;
        py[cell_j[c]] += v;
        ux += level_value(cell_i[c]) * v;
        uy += level_value(cell_j[c]) * v;
    }
    return vec2<real>(ux, uy);
}

// HX, HY and HXY2 of the current angle's marginals.
fn marginal_entropies() -> vec3<real> {
    var hx = real(0.0);
    var hy = real(0.0);
    var hxy2 = real(0.0);
    for (var i = 0u; i < level_count; i++) {
        hx -= plogp(px[i]);
        hy -= plogp(py[i]);
        for (var j = 0u; j < level_count; j++) {
            let m = px[i] * py[j];
            if m != real(0.0) {
                hxy2 -= plogp(m);
            }
        }
    }
    return vec3<real>(hx, hy, hxy2);
}

// The features of p_{x-y}, in glcm::NAMES positions.
fn difference_features(ng: real) {
    difference_distribution();
    var average = real(0.0);
    var entropy = real(0.0);
    var idm = real(0.0);
    var idmn = real(0.0);
    var id = real(0.0);
    var idn = real(0.0);
    var inverse_variance = real(0.0);
    for (var m = 0u; m < key_count; m++) {
        let k = key_k[m];
        let v = key_p[m];
        average += k * v;
        entropy -= plogp(v);
        idm += v / (real(1.0) + k * k);
        idmn += v / (real(1.0) + k * k / (ng * ng));
        id += v / (real(1.0) + k);
        idn += v / (real(1.0) + k / ng);
        if k > real(0.0) {
            inverse_variance += v / (k * k);
        }
    }
    var variance = real(0.0);
    for (var m = 0u; m < key_count; m++) {
        let d = key_k[m] - average;
        variance += key_p[m] * (d * d);
    }
    add_angle_feature(7u, average);
    add_angle_feature(8u, entropy);
    add_angle_feature(9u, variance);
    add_angle_feature(14u, idm);
    add_angle_feature(16u, idmn);
    add_angle_feature(17u, id);
    add_angle_feature(18u, idn);
    add_angle_feature(19u, inverse_variance);
}

// The features of p_{x+y}, in glcm::NAMES positions.
fn sum_features() {
    sum_distribution();
    var average = real(0.0);
    var entropy = real(0.0);
    for (var m = 0u; m < key_count; m++) {
        average += key_k[m] * key_p[m];
        entropy -= plogp(key_p[m]);
    }
    add_angle_feature(21u, average);
    add_angle_feature(22u, entropy);
}

// Adds the informational measure of correlation 2, sqrt(1 - e^(-2 (HXY2 - HXY))), 0 when
// HXY2 = HXY, to the angle's features; nothing where 1 - e^(...) < 0 (HXY2 below HXY by
// rounding), whose square root is NaN on the CPU and skipped by its mean over the angles.
// HXY2 - HXY is the mutual information of p (HXY2 = HX + HY), 0 where p is the product of its
// marginals, and the square root magnifies its error near 0. In f64 it is the difference of the
// two entropies, as the CPU computes it. In f32 that difference keeps ~1e-7 of rounding (whose
// root is ~5e-4), so there it is [`mutual_information`], computed to f32's relative precision.
fn add_imc2(hxy2: real, hxy: real) {
    var difference = hxy2 - hxy;
    if REAL_IS_F32 {
        difference = mutual_information();
    }
    if difference == real(0.0) {
        add_angle_feature(13u, real(0.0));
        return;
    }
    let square = real(1.0) - exp_real(real(-2.0) * difference);
    if square < real(0.0) {
        return;
    }
    add_angle_feature(13u, sqrt(square));
}

// sum p log2(p / (p_x p_y)) over the cells, from the counts: with n pairs, cell count c and
// marginal counts a, b, p / (p_x p_y) = 1 + x with x = (c n - a b) / (a b), whose numerator is
// an exact integer, and log(1 + x) from its series where x is small. Exactly 0 where p is the
// product of its marginals; where it nearly is, every |x| is small (Pinsker's inequality), so
// each term keeps f32's relative precision.
fn mutual_information() -> real {
    var rows: array<u32, MAX_KERNEL>;
    var columns: array<u32, MAX_KERNEL>;
    for (var i = 0u; i < level_count; i++) {
        rows[i] = 0u;
        columns[i] = 0u;
    }
    for (var c = 0u; c < cell_count; c++) {
        rows[cell_i[c]] += cell_n[c];
        columns[cell_j[c]] += cell_n[c];
    }
    var information = real(0.0);
    for (var c = 0u; c < cell_count; c++) {
        let product = rows[cell_i[c]] * columns[cell_j[c]];
        let excess = i32(cell_n[c] * angle_total) - i32(product);
        information += cell_p[c] * log1p_real(real(excess) / real(product));
    }
    return information * real(1.4426950408889634);
}

// log(1 + x): 2 atanh(s), s = x / (2 + x), from its series for |x| <= 1/2 (|s| <= 1/5, seven
// terms leave under 1e-10), the built-in log elsewhere.
fn log1p_real(x: real) -> real {
    if abs(x) > real(0.5) {
        return log2_real(real(1.0) + x) * real(0.6931471805599453);
    }
    let s = x / (real(2.0) + x);
    let s2 = s * s;
    var term = s;
    var sum = s;
    for (var k = 3u; k <= 15u; k += 2u) {
        term *= s2;
        sum += term / real(k);
    }
    return real(2.0) * sum;
}

// The cell sums of the current angle, in glcm::NAMES positions.
fn cell_features(means: vec2<real>, entropies: vec3<real>) {
    let ux = means.x;
    let uy = means.y;
    var autocorrelation = real(0.0);
    var prominence = real(0.0);
    var shade = real(0.0);
    var tendency = real(0.0);
    var contrast = real(0.0);
    var energy = real(0.0);
    var hxy = real(0.0);
    var hxy1 = real(0.0);
    var varx = real(0.0);
    var vary = real(0.0);
    var covariance = real(0.0);
    var max_probability = real(0.0);
    for (var c = 0u; c < cell_count; c++) {
        let v = cell_p[c];
        let gi = level_value(cell_i[c]);
        let gj = level_value(cell_j[c]);
        let cluster = gi + gj - ux - uy;
        autocorrelation += v * (gi * gj);
        prominence += v * (cluster * cluster * cluster * cluster);
        shade += v * (cluster * cluster * cluster);
        tendency += v * (cluster * cluster);
        let d = abs(gi - gj);
        contrast += v * (d * d);
        energy += v * v;
        hxy -= plogp(v);
        hxy1 -= v * log2_real(px[cell_i[c]] * py[cell_j[c]] + EPS);
        varx += v * ((gi - ux) * (gi - ux));
        vary += v * ((gj - uy) * (gj - uy));
        covariance += v * (gi - ux) * (gj - uy);
        max_probability = max(max_probability, v);
    }
    let sigma = sqrt(varx) * sqrt(vary);
    let correlation = select(covariance / (sigma + EPS), real(1.0), sigma == real(0.0));
    let divisor = max(entropies.x, entropies.y);
    let imc1 = select(real(0.0), (hxy - hxy1) / divisor, divisor != real(0.0));
    add_imc2(entropies.z, hxy);
    add_angle_feature(0u, autocorrelation);
    add_angle_feature(1u, ux);
    add_angle_feature(2u, prominence);
    add_angle_feature(3u, shade);
    add_angle_feature(4u, tendency);
    add_angle_feature(5u, contrast);
    add_angle_feature(6u, correlation);
    add_angle_feature(10u, energy);
    add_angle_feature(11u, hxy);
    add_angle_feature(12u, imc1);
    add_angle_feature(20u, max_probability);
    add_angle_feature(23u, varx);
}

fn glcm(pixel: u32, column: u32) {
    let ng = real(job.ng);
    clear_angle_features();
    var angles = 0u;
    var joint_average = real(0.0);
    for (var a = 0u; a < 4u; a++) {
        if !angle_cells(GLCM_ANGLES[a].x, GLCM_ANGLES[a].y) {
            if job.mcc_stride != 0u {
                // no pair along this angle: no matrix (side 0)
                scratch[a * job.mcc_stride * job.count + pixel] = real(0.0);
            }
            continue;
        }
        angles += 1u;
        let means = marginals();
        if job.mcc_stride != 0u {
            mcc_matrix(pixel, a);
        }
        joint_average += means.x;
        cell_features(means, marginal_entropies());
        difference_features(ng);
        sum_features();
    }
    for (var f = 0u; f < GLCM_FEATURES; f++) {
        if f == 15u {
            // MCC: from the MCC pass, by the host
            write_undefined(column + f, pixel);
        } else if f == 1u && angles > 0u {
            // joint average: the plain mean of mu_x over the angles
            write(column + f, pixel, joint_average / real(angles));
        } else {
            write_angle_mean(column + f, pixel, f);
        }
    }
}

// Writes the matrix whose eigenvalues give angle a's MCC to the angle's slots of `scratch`:
// its side n, then M = D_x^(-1/2) P D_y^(-1/2) over the levels with p_x > 0, in rows of
// job.mcc_row slots, so that M(r, c) has the same slot in every pixel's matrix (the
// symmetric route of src/extraction/features/glcm.rs: Q is similar to M M^T, and P is
// symmetric, so Q's eigenvalues are the squares of M's).
fn mcc_matrix(pixel: u32, a: u32) {
    var index: array<u32, MAX_KERNEL>;
    var n = 0u;
    for (var i = 0u; i < level_count; i++) {
        index[i] = n;
        if px[i] > real(0.0) {
            n += 1u;
        }
    }
    let base = a * job.mcc_stride;
    scratch[base * job.count + pixel] = real(n);
    for (var r = 0u; r < n; r++) {
        for (var c = 0u; c < n; c++) {
            scratch[(base + 1u + r * job.mcc_row + c) * job.count + pixel] = real(0.0);
        }
    }
    for (var c = 0u; c < cell_count; c++) {
        let i = cell_i[c];
        let j = cell_j[c];
        let t = 1u + index[i] * job.mcc_row + index[j];
        scratch[(base + t) * job.count + pixel] = cell_p[c] / sqrt(px[i] * py[j]);
    }
}
