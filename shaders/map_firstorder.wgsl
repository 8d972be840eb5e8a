// First-order features of one kernel (the formulas of src/extraction/features/firstorder.rs, in
// its order of summation: numpy's pairwise sums, numpy's two-sided lerp for percentiles), written
// to FIRSTORDER_FEATURES columns from `column` in firstorder::NAMES order.
//
// Work split: one invocation per region pixel (map_kernel.wgsl); the kernel's values are sorted
// in place by insertion (at most MAX_KERNEL of them).

var<private> sorted: array<real, MAX_KERNEL>;

// numpy.quantile's linear interpolation at q of sorted[0..n].
fn quantile(n: u32, q: real) -> real {
    let position = real(n - 1u) * q;
    let below = floor(position);
    let gamma = position - below;
    let low = min(u32(below), n - 1u);
    let lo = sorted[low];
    let hi = sorted[min(low + 1u, n - 1u)];
    let diff = hi - lo;
    if gamma >= real(0.5) {
        return hi - diff * (real(1.0) - gamma);
    }
    return lo + diff * gamma;
}

fn sort_values(n: u32) {
    for (var k = 0u; k < n; k++) {
        let v = kernel_values[k];
        var j = k;
        while j > 0u && sorted[j - 1u] > v {
            sorted[j] = sorted[j - 1u];
            j -= 1u;
        }
        sorted[j] = v;
    }
}

// Mean of the central moment of order `order` (2, 3 or 4) about `average`.
fn central_moment(n: u32, average: real, order: u32) -> real {
    for (var k = 0u; k < n; k++) {
        let d = kernel_values[k] - average;
        switch order {
            case 2u: {
                terms[k] = d * d;
            }
            case 3u: {
                terms[k] = d * d * d;
            }
            default: {
                let d2 = d * d;
                terms[k] = d2 * d2;
            }
        }
    }
    return numpy_sum(n) / real(n);
}

// Entropy and uniformity of the kernel's gray-level histogram.
fn histogram_features(n: u32) -> vec2<real> {
    var counts: array<u32, MAX_KERNEL>;
    for (var i = 0u; i < level_count; i++) {
        counts[i] = 0u;
    }
    for (var k = 0u; k < kernel_width * kernel_height; k++) {
        let i = kernel_local[k];
        if i != NONE {
            counts[i] += 1u;
        }
    }
    for (var i = 0u; i < level_count; i++) {
        terms[i] = plogp(real(counts[i]) / real(n));
    }
    let entropy = -numpy_sum(level_count);
    for (var i = 0u; i < level_count; i++) {
        let p = real(counts[i]) / real(n);
        terms[i] = p * p;
    }
    return vec2<real>(entropy, numpy_sum(level_count));
}

// Writes the robust mean absolute deviation to `column`: the MAD of the values between the 10th
// and 90th percentiles, excluded values counting as 0 in the sums but not in the count (numpy's
// nanmean); no value when none lies between them (two values, or a few far apart).
fn robust_deviation(pixel: u32, column: u32, n: u32, p10: real, p90: real) {
    var kept = 0u;
    for (var k = 0u; k < n; k++) {
        let x = kernel_values[k];
        let keep = x >= p10 && x <= p90;
        terms[k] = select(real(0.0), x, keep);
        kept += select(0u, 1u, keep);
    }
    if kept == 0u {
        write_undefined(column, pixel);
        return;
    }
    let mean = numpy_sum(n) / real(kept);
    for (var k = 0u; k < n; k++) {
        let x = kernel_values[k];
        terms[k] = select(real(0.0), abs(x - mean), x >= p10 && x <= p90);
    }
    write(column, pixel, numpy_sum(n) / real(kept));
}

fn firstorder(pixel: u32, column: u32) {
    let n = kernel_count;
    let count = real(n);
    sort_values(n);
    for (var k = 0u; k < n; k++) {
        let x = kernel_values[k];
        terms[k] = x * x;
    }
    let energy = numpy_sum(n);
    for (var k = 0u; k < n; k++) {
        terms[k] = kernel_values[k];
    }
    let average = numpy_sum(n) / count;
    let m2 = central_moment(n, average, 2u);
    let m3 = central_moment(n, average, 3u);
    let m4 = central_moment(n, average, 4u);
    let p10 = quantile(n, real(10.0) / real(100.0));
    let p90 = quantile(n, real(90.0) / real(100.0));
    let minimum = sorted[0];
    let maximum = sorted[n - 1u];
    var median = sorted[n / 2u];
    if n % 2u == 0u {
        median = (sorted[n / 2u - 1u] + sorted[n / 2u]) / real(2.0);
    }
    for (var k = 0u; k < n; k++) {
        terms[k] = abs(kernel_values[k] - average);
    }
    let mean_deviation = numpy_sum(n) / count;
    let spread = select(m2, real(1.0), m2 == real(0.0));
    let histogram = histogram_features(n);
    write(column + 0u, pixel, energy);
    write(column + 1u, pixel, energy * constants[0]);
    write(column + 2u, pixel, histogram.x);
    write(column + 3u, pixel, minimum);
    write(column + 4u, pixel, p10);
    write(column + 5u, pixel, p90);
    write(column + 6u, pixel, maximum);
    write(column + 7u, pixel, average);
    write(column + 8u, pixel, median);
    write(column + 9u, pixel, quantile(n, real(75.0) / real(100.0)) - quantile(n, real(25.0) / real(100.0)));
    write(column + 10u, pixel, maximum - minimum);
    write(column + 11u, pixel, mean_deviation);
    robust_deviation(pixel, column + 12u, n, p10, p90);
    write(column + 13u, pixel, sqrt(energy / count));
    write(column + 14u, pixel, m3 / (spread * sqrt(spread)));
    write(column + 15u, pixel, m4 / (spread * spread));
    write(column + 16u, pixel, sqrt(m2) * sqrt(m2));
    write(column + 17u, pixel, histogram.y);
}
