// NGTDM features of one kernel (src/extraction/features/ngtdm.rs over the sums the CPU builder
// makes), written to 5 columns from `column` in ngtdm::NAMES order.
//
// For each domain pixel of level g with c > 0 neighbours in the box's domain (8-neighbourhood)
// whose levels sum to S, |g c - S| (an integer) is added to T_i(c); s_i = sum_c T_i(c) / c, as the
// CPU adds them. n_i counts the pixels of each level. Work split: one invocation per region
// pixel (map_kernel.wgsl).

var<private> ngtdm_n: array<real, MAX_KERNEL>;
var<private> ngtdm_s: array<real, MAX_KERNEL>;

// n_i and s_i of every local level.
fn ngtdm_sums() {
    var t: array<array<real, 8>, MAX_KERNEL>;
    for (var i = 0u; i < level_count; i++) {
        ngtdm_n[i] = real(0.0);
        for (var c = 0u; c < 8u; c++) {
            t[i][c] = real(0.0);
        }
    }
    let w = i32(kernel_width);
    let h = i32(kernel_height);
    for (var y = 0; y < h; y++) {
        for (var x = 0; x < w; x++) {
            let level = kernel_local[u32(y * w + x)];
            if level == NONE {
                continue;
            }
            var count = 0u;
            var sum = real(0.0);
            for (var dy = -1; dy <= 1; dy++) {
                for (var dx = -1; dx <= 1; dx++) {
                    let qx = x + dx;
                    let qy = y + dy;
                    if (dx == 0 && dy == 0) || qx < 0 || qy < 0 || qx >= w || qy >= h {
                        continue;
                    }
                    let q = kernel_local[u32(qy * w + qx)];
                    if q != NONE {
                        count += 1u;
                        sum += level_value(q);
                    }
                }
            }
            ngtdm_n[level] += real(1.0);
            if count > 0u {
                t[level][count - 1u] += abs(level_value(level) * real(count) - sum);
            }
        }
    }
    for (var i = 0u; i < level_count; i++) {
        var s = real(0.0);
        for (var c = 0u; c < 8u; c++) {
            s += t[i][c] / real(c + 1u);
        }
        ngtdm_s[i] = s;
    }
}

// |g_a p_a - g_b p_b|, one term of busyness's divisor. Busyness is the sum's reciprocal, so a
// term that should be 0 (g_a n_a = g_b n_b) decides it: in f64 it is computed from p as the CPU
// computes it; in f32 from the counts, |g_a n_a - g_b n_b| / N_vp, whose difference of exact
// integers is 0 where it should be.
fn busy_term(a: u32, b: u32, nvp: real) -> real {
    if REAL_IS_F32 {
        return abs(level_value(a) * ngtdm_n[a] - level_value(b) * ngtdm_n[b]) / nvp;
    }
    return abs(level_value(a) * (ngtdm_n[a] / nvp) - level_value(b) * (ngtdm_n[b] / nvp));
}

fn ngtdm(pixel: u32, column: u32) {
    ngtdm_sums();
    var nvp = real(0.0);
    for (var i = 0u; i < level_count; i++) {
        nvp += ngtdm_n[i];
    }
    var ngp = real(0.0);
    var sum_s = real(0.0);
    var sum_ps = real(0.0);
    for (var i = 0u; i < level_count; i++) {
        let p = ngtdm_n[i] / nvp;
        ngp += select(real(0.0), real(1.0), p > real(0.0));
        sum_s += ngtdm_s[i];
        sum_ps += p * ngtdm_s[i];
    }
    var spread = real(0.0);
    var busy_divisor = real(0.0);
    var complexity = real(0.0);
    var strength = real(0.0);
    for (var a = 0u; a < level_count; a++) {
        let pa = ngtdm_n[a] / nvp;
        let ga = level_value(a);
        for (var b = 0u; b < level_count; b++) {
            let pb = ngtdm_n[b] / nvp;
            let gb = level_value(b);
            let d = ga - gb;
            spread += pa * pb * (d * d);
            if pa == real(0.0) || pb == real(0.0) {
                continue;
            }
            busy_divisor += busy_term(a, b, nvp);
            complexity += abs(d) * (pa * ngtdm_s[a] + pb * ngtdm_s[b]) / (pa + pb);
            strength += (pa + pb) * (d * d);
        }
    }
    let divisor = ngp * (ngp - real(1.0));
    write(column, pixel, select(real(1000000.0), real(1.0) / sum_ps, sum_ps != real(0.0)));
    write(column + 1u, pixel, select(real(0.0), spread * sum_s / nvp / divisor, divisor != real(0.0)));
    write(column + 2u, pixel, select(real(0.0), sum_ps / busy_divisor, busy_divisor != real(0.0)));
    write(column + 3u, pixel, complexity / nvp);
    write(column + 4u, pixel, select(real(0.0), strength / sum_s, sum_s != real(0.0)));
}
