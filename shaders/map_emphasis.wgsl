// The formulas shared by the three "gray level x size" matrices of a kernel (GLRLM: size = run
// length, GLSZM: zone size, GLDM: dependence size), as src/extraction/features/emphasis.rs
// computes them, in its order of summation.
//
// Input: the matrix's non-empty entries (local level, size, count), sorted by level, then size
// (the CPU's row-major order). Output: the 16 quantities in emphasis order: small, large, gray
// non-uniformity, its normalised form, size non-uniformity, its normalised form, percentage,
// gray variance, size variance, entropy, low gray, high gray, small-low, small-high, large-low,
// large-high. Work split: one invocation per region pixel (map_kernel.wgsl).

var<private> entry_level: array<u32, MAX_KERNEL>;
var<private> entry_size: array<u32, MAX_KERNEL>;
var<private> entry_count: array<real, MAX_KERNEL>;
var<private> entries: u32;
var<private> emphasis_out: array<real, 16>;

// Sorts the entries by level, then size.
fn sort_entries() {
    for (var k = 1u; k < entries; k++) {
        let level = entry_level[k];
        let size = entry_size[k];
        let count = entry_count[k];
        var j = k;
        while j > 0u && (entry_level[j - 1u] > level
            || (entry_level[j - 1u] == level && entry_size[j - 1u] > size)) {
            entry_level[j] = entry_level[j - 1u];
            entry_size[j] = entry_size[j - 1u];
            entry_count[j] = entry_count[j - 1u];
            j -= 1u;
        }
        entry_level[j] = level;
        entry_size[j] = size;
        entry_count[j] = count;
    }
}

// Adds one (level, size) occurrence as an entry of count 1 ([`merge_entries`] merges them).
fn add_entry(level: u32, size: u32) {
    entry_level[entries] = level;
    entry_size[entries] = size;
    entry_count[entries] = real(1.0);
    entries += 1u;
}

// Sorts the entries and merges equal (level, size) ones, adding their counts.
fn merge_entries() {
    sort_entries();
    var kept = 0u;
    for (var k = 0u; k < entries; k++) {
        if kept > 0u && entry_level[kept - 1u] == entry_level[k] && entry_size[kept - 1u] == entry_size[k] {
            entry_count[kept - 1u] += entry_count[k];
            continue;
        }
        entry_level[kept] = entry_level[k];
        entry_size[kept] = entry_size[k];
        entry_count[kept] = entry_count[k];
        kept += 1u;
    }
    entries = kept;
}

// The size marginal p_s and gray marginal p_g, then the 16 quantities.
fn emphasis() {
    var by_level: array<real, MAX_KERNEL>;
    var by_size: array<real, MAX_SIZE>;
    for (var i = 0u; i < level_count; i++) {
        by_level[i] = real(0.0);
    }
    for (var s = 0u; s < MAX_SIZE; s++) {
        by_size[s] = real(0.0);
    }
    for (var k = 0u; k < entries; k++) {
        by_level[entry_level[k]] += entry_count[k];
        by_size[entry_size[k]] += entry_count[k];
    }
    var n = real(0.0);
    for (var i = 0u; i < level_count; i++) {
        n += by_level[i];
    }
    size_sums(&by_size, n);
    gray_sums(&by_level, n);
    entry_sums(n);
}

// The quantities of the size marginal (sizes ascending).
fn size_sums(by_size: ptr<function, array<real, MAX_SIZE>>, n: real) {
    var small = real(0.0);
    var large = real(0.0);
    var nonuniformity = real(0.0);
    var pixels = real(0.0);
    var mean = real(0.0);
    for (var s = 1u; s < MAX_SIZE; s++) {
        let v = (*by_size)[s];
        if v == real(0.0) {
            continue;
        }
        let size = real(s);
        small += v / (size * size);
        large += v * (size * size);
        nonuniformity += v * v;
        pixels += v * size;
        mean += v / n * size;
    }
    var variance = real(0.0);
    for (var s = 1u; s < MAX_SIZE; s++) {
        let v = (*by_size)[s];
        if v != real(0.0) {
            let d = real(s) - mean;
            variance += v / n * (d * d);
        }
    }
    emphasis_out[0] = small / n;
    emphasis_out[1] = large / n;
    emphasis_out[4] = nonuniformity / n;
    emphasis_out[5] = nonuniformity / (n * n);
    emphasis_out[6] = n / pixels;
    emphasis_out[8] = variance;
}

// The quantities of the gray marginal (levels ascending).
fn gray_sums(by_level: ptr<function, array<real, MAX_KERNEL>>, n: real) {
    var nonuniformity = real(0.0);
    var low = real(0.0);
    var high = real(0.0);
    var mean = real(0.0);
    for (var i = 0u; i < level_count; i++) {
        let v = (*by_level)[i];
        let g = level_value(i);
        nonuniformity += v * v;
        low += v / (g * g);
        high += v * (g * g);
        mean += v / n * g;
    }
    var variance = real(0.0);
    for (var i = 0u; i < level_count; i++) {
        let d = level_value(i) - mean;
        variance += (*by_level)[i] / n * (d * d);
    }
    emphasis_out[2] = nonuniformity / n;
    emphasis_out[3] = nonuniformity / (n * n);
    emphasis_out[7] = variance;
    emphasis_out[10] = low / n;
    emphasis_out[11] = high / n;
}

// The quantities of the entries: entropy and the four joint emphases.
fn entry_sums(n: real) {
    var entropy = real(0.0);
    var small_low = real(0.0);
    var small_high = real(0.0);
    var large_low = real(0.0);
    var large_high = real(0.0);
    for (var k = 0u; k < entries; k++) {
        let g = level_value(entry_level[k]);
        let s = real(entry_size[k]);
        let c = entry_count[k];
        let g2 = g * g;
        let s2 = s * s;
        entropy -= plogp(c / n);
        small_low += c / (g2 * s2);
        small_high += c * g2 / s2;
        large_low += c * s2 / g2;
        large_high += c * (s2 * g2);
    }
    emphasis_out[9] = entropy;
    emphasis_out[12] = small_low / n;
    emphasis_out[13] = small_high / n;
    emphasis_out[14] = large_low / n;
    emphasis_out[15] = large_high / n;
}
