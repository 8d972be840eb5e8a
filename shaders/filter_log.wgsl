// Laplacian of Gaussian: one line pass of ITK's recursive Gaussian (Deriche's 4th-order causal
// and anti-causal recursions), as src/extraction/filters/log.rs runs it on the CPU, with the
// same coefficients (computed by the host), border handling and order of operations.
//
// Work split: one invocation per line; the lines of a plane (its rows or its columns) run in
// parallel, each line's recursion serially in its invocation. The host runs four passes per
// sigma: second derivative along x, smoothing along y (accumulated), then the same along y.
//
// Coefficients (21 from job.coefficients): N0..N3, D1..D4, M1..M4, BN1..BN4, BM1..BM4, then the
// scale 1 / spacing^2 of the accumulating pass.
// mode 0: target = f32(causal + anticausal) (an intermediate ITK image);
// mode 1: target = f32(target + f32(causal + anticausal) * scale) (the LoG's running sum).
// The causal outputs wait in the scratch plane (job.second) for the anti-causal pass.

fn sample(line_start: u32, i: u32) -> f64 {
    return planes[job.source + line_start + i * job.along];
}

fn coefficient(k: u32) -> f64 {
    return coefficients[job.coefficients + k];
}

@compute @workgroup_size(FILTER_GROUP)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) local: u32) {
    let line = invocation(group, local);
    if line >= job.count {
        return;
    }
    let start = line * job.across;
    let n = job.length;
    let last = n - 1u;
    let first_value = sample(start, 0u);
    let last_value = sample(start, last);
    // causal: y[i] = sum_k N_k x[i-k] - sum_k D_k y[i-k-1]; before the line, x = x[0] and the
    // feedback term is BN_k x[0]
    var y1 = 0.0lf;
    var y2 = 0.0lf;
    var y3 = 0.0lf;
    var y4 = 0.0lf;
    for (var i = 0u; i < n; i++) {
        let forward = sample(start, i) * coefficient(0u)
            + sample(start, max(i, 1u) - 1u) * coefficient(1u)
            + sample(start, max(i, 2u) - 2u) * coefficient(2u)
            + sample(start, max(i, 3u) - 3u) * coefficient(3u);
        var f1 = first_value * coefficient(12u);
        var f2 = first_value * coefficient(13u);
        var f3 = first_value * coefficient(14u);
        var f4 = first_value * coefficient(15u);
        if i >= 1u { f1 = y1 * coefficient(4u); }
        if i >= 2u { f2 = y2 * coefficient(5u); }
        if i >= 3u { f3 = y3 * coefficient(6u); }
        if i >= 4u { f4 = y4 * coefficient(7u); }
        let y = forward - (f1 + f2 + f3 + f4);
        planes[job.second + start + i * job.along] = y;
        y4 = y3;
        y3 = y2;
        y2 = y1;
        y1 = y;
    }
    // anti-causal: y[j] = sum_k M_k x[j+k+1] - sum_k D_k y[j+k+1]; past the line, x = x[last]
    // and the feedback term is BM_k x[last]
    let scale = coefficient(20u);
    y1 = 0.0lf;
    y2 = 0.0lf;
    y3 = 0.0lf;
    y4 = 0.0lf;
    for (var i = 0u; i < n; i++) {
        let j = last - i;
        let forward = sample(start, min(j + 1u, last)) * coefficient(8u)
            + sample(start, min(j + 2u, last)) * coefficient(9u)
            + sample(start, min(j + 3u, last)) * coefficient(10u)
            + sample(start, min(j + 4u, last)) * coefficient(11u);
        var f1 = last_value * coefficient(16u);
        var f2 = last_value * coefficient(17u);
        var f3 = last_value * coefficient(18u);
        var f4 = last_value * coefficient(19u);
        if j + 1u <= last { f1 = y1 * coefficient(4u); }
        if j + 2u <= last { f2 = y2 * coefficient(5u); }
        if j + 3u <= last { f3 = y3 * coefficient(6u); }
        if j + 4u <= last { f4 = y4 * coefficient(7u); }
        let y = forward - (f1 + f2 + f3 + f4);
        let at = start + j * job.along;
        let value = to_f32(planes[job.second + at] + y);
        if job.mode == 0u {
            planes[job.output + at] = value;
        } else {
            planes[job.output + at] = to_f32(planes[job.output + at] + value * scale);
        }
        y4 = y3;
        y3 = y2;
        y2 = y1;
        y1 = y;
    }
}
