// GLDM features of one kernel (src/extraction/features/gldm.rs over the dependences the CPU
// builder counts, alpha = 0), written to 14 columns from `column` in gldm::NAMES order.
//
// Each domain pixel is an entry (level, 1 + the number of its 8 neighbours in the box's domain
// with the same level). Work split: one invocation per region pixel (map_kernel.wgsl).

// The emphasis quantities GLDM reports, in gldm::NAMES order (no normalised gray
// non-uniformity, no percentage).
const GLDM_FROM_EMPHASIS = array<u32, 14>(0u, 1u, 2u, 4u, 5u, 7u, 8u, 9u, 10u, 11u, 12u, 13u, 14u, 15u);

fn gldm(pixel: u32, column: u32) {
    entries = 0u;
    let w = i32(kernel_width);
    let h = i32(kernel_height);
    for (var y = 0; y < h; y++) {
        for (var x = 0; x < w; x++) {
            let level = kernel_local[u32(y * w + x)];
            if level == NONE {
                continue;
            }
            var dependent = 0u;
            for (var dy = -1; dy <= 1; dy++) {
                for (var dx = -1; dx <= 1; dx++) {
                    if (dx != 0 || dy != 0) && level_at(x + dx, y + dy) == level {
                        dependent += 1u;
                    }
                }
            }
            add_entry(level, dependent + 1u);
        }
    }
    merge_entries();
    emphasis();
    var order = GLDM_FROM_EMPHASIS;
    for (var f = 0u; f < 14u; f++) {
        write(column + f, pixel, emphasis_out[order[f]]);
    }
}
