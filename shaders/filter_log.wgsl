// Laplacian of Gaussian: one line pass of ITK's recursive Gaussian (Deriche's 4th-order causal
// and anti-causal recursions), as src/extraction/filters/log.rs runs it on the CPU, with the
// same coefficients (computed by the host), border handling and order of operations.
//
// Work split: one invocation per line of one copy; the lines of a plane (its rows or its
// columns) of every copy (one per LoG sigma) run in parallel, each line's recursion serially in
// its invocation. The host runs four passes for all sigmas: second derivative along x,
// smoothing along y (accumulated), then the same along y.
//
// Coefficients (21 from job.coefficients): N0..N3, D1..D4, M1..M4, BN1..BN4, BM1..BM4, then the
// scale 1 / spacing^2 of the accumulating pass.
// mode 0: target = f32(causal + anticausal) (an intermediate ITK image);
// mode 1: target = f32(target + f32(causal + anticausal) * scale) (the LoG's running sum).
// The causal outputs wait in the scratch plane (job.second) for the anti-causal pass.

// The planes and coefficients of one copy.
struct Copy {
    source: u32,
    output: u32,
    scratch: u32,
    coefficients: u32,
}

fn sample(c: Copy, line_start: u32, i: u32) -> f64 {
    return planes[c.source + line_start + i * job.along];
}

fn coefficient(c: Copy, k: u32) -> f64 {
    return coefficients[c.coefficients + k];
}

@compute @workgroup_size(FILTER_GROUP)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let index = invocation(group, local);
    if index >= job.count {
        return;
    }
    let lines = job.count / job.copies;
    let k = index / lines;
    let c = Copy(
        job.source + k * job.copy_source,
        job.output + k * job.copy_plane,
        job.second + k * job.copy_plane,
        job.coefficients + k * job.copy_coefficients,
    );
    let start = (index % lines) * job.across;
    let n = job.length;
    let last = n - 1u;
    let first_value = sample(c, start, 0u);
    let last_value = sample(c, start, last);
    // causal: y[i] = sum_k N_k x[i-k] - sum_k D_k y[i-k-1]; before the line, x = x[0] and the
    // feedback term is BN_k x[0]
    var y1 = 0.0lf;
    var y2 = 0.0lf;
    var y3 = 0.0lf;
    var y4 = 0.0lf;
    for (var i = 0u; i < n; i++) {
        let forward = sample(c, start, i) * coefficient(c, 0u)
            + sample(c, start, max(i, 1u) - 1u) * coefficient(c, 1u)
            + sample(c, start, max(i, 2u) - 2u) * coefficient(c, 2u)
            + sample(c, start, max(i, 3u) - 3u) * coefficient(c, 3u);
        var f1 = first_value * coefficient(c, 12u);
        var f2 = first_value * coefficient(c, 13u);
        var f3 = first_value * coefficient(c, 14u);
        var f4 = first_value * coefficient(c, 15u);
        if i >= 1u { f1 = y1 * coefficient(c, 4u); }
        if i >= 2u { f2 = y2 * coefficient(c, 5u); }
        if i >= 3u { f3 = y3 * coefficient(c, 6u); }
        if i >= 4u { f4 = y4 * coefficient(c, 7u); }
        let y = forward - (f1 + f2 + f3 + f4);
        planes[c.scratch + start + i * job.along] = y;
        y4 = y3;
        y3 = y2;
        y2 = y1;
        y1 = y;
    }
    // anti-causal: y[j] = sum_k M_k x[j+k+1] - sum_k D_k y[j+k+1]; past the line, x = x[last]
    // and the feedback term is BM_k x[last]
    let scale = coefficient(c, 20u);
    y1 = 0.0lf;
    y2 = 0.0lf;
    y3 = 0.0lf;
    y4 = 0.0lf;
    for (var i = 0u; i < n; i++) {
        let j = last - i;
        let forward = sample(c, start, min(j + 1u, last)) * coefficient(c, 8u)
            + sample(c, start, min(j + 2u, last)) * coefficient(c, 9u)
            + sample(c, start, min(j + 3u, last)) * coefficient(c, 10u)
            + sample(c, start, min(j + 4u, last)) * coefficient(c, 11u);
        var f1 = last_value * coefficient(c, 16u);
        var f2 = last_value * coefficient(c, 17u);
        var f3 = last_value * coefficient(c, 18u);
        var f4 = last_value * coefficient(c, 19u);
        if j + 1u <= last { f1 = y1 * coefficient(c, 4u); }
        if j + 2u <= last { f2 = y2 * coefficient(c, 5u); }
        if j + 3u <= last { f3 = y3 * coefficient(c, 6u); }
        if j + 4u <= last { f4 = y4 * coefficient(c, 7u); }
        let y = forward - (f1 + f2 + f3 + f4);
        let at = start + j * job.along;
        let value = to_f32(planes[c.scratch + at] + y);
        if job.mode == 0u {
            planes[c.output + at] = value;
        } else {
            planes[c.output + at] = to_f32(planes[c.output + at] + value * scale);
        }
        y4 = y3;
        y3 = y2;
        y2 = y1;
        y1 = y;
    }
}
