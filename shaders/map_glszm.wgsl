// GLSZM features of one kernel (src/extraction/features/glszm.rs over the zones the CPU builder
// finds), written to 16 columns from `column` in glszm::NAMES order.
//
// Zones are the 8-connected groups of domain pixels of one level in the kernel's box, found by a
// depth-first fill with a private stack; each zone is an entry (level, size). Work split: one
// invocation per region pixel (map_kernel.wgsl).

fn glszm(pixel: u32, column: u32) {
    var open: array<u32, MAX_KERNEL>;
    var stack: array<u32, MAX_KERNEL>;
    let w = i32(kernel_width);
    let h = i32(kernel_height);
    let box = kernel_width * kernel_height;
    for (var k = 0u; k < box; k++) {
        open[k] = kernel_local[k];
    }
    entries = 0u;
    for (var start = 0u; start < box; start++) {
        let level = open[start];
        if level == NONE {
            continue;
        }
        open[start] = NONE;
        stack[0] = start;
        var top = 1u;
        var size = 0u;
        while top > 0u {
            top -= 1u;
            let p = stack[top];
            size += 1u;
            let px = i32(p % kernel_width);
            let py = i32(p / kernel_width);
            for (var dy = -1; dy <= 1; dy++) {
                for (var dx = -1; dx <= 1; dx++) {
                    let qx = px + dx;
                    let qy = py + dy;
                    if qx < 0 || qy < 0 || qx >= w || qy >= h {
                        continue;
                    }
                    let q = u32(qy * w + qx);
                    if open[q] == level {
                        open[q] = NONE;
                        stack[top] = q;
                        top += 1u;
                    }
                }
            }
        }
        add_entry(level, size);
    }
    merge_entries();
    emphasis();
    for (var f = 0u; f < 16u; f++) {
        write(column + f, pixel, emphasis_out[f]);
    }
}
