// GLRLM features of one kernel (src/extraction/features/glrlm.rs over the runs the CPU builder
// counts), written to 16 columns from `column` in glrlm::NAMES order.
//
// Per angle: a run starts at a domain pixel whose predecessor along the angle has another level
// (or lies outside the box or the domain) and is followed while the level stays; each run is an
// entry (level, length). An angle whose runs all have length 1 and along which no line holds two
// domain pixels is empty, as in PyRadiomics; empty angles are dropped and the features averaged
// over the rest (nanmean); a kernel without a run along any angle has no GLRLM value
// (PyRadiomics' NaN). Work split: one invocation per region pixel (map_kernel.wgsl).

// The runs of angle (dy, dx) as entries; the longest run.
fn angle_runs(dy: i32, dx: i32) -> u32 {
    entries = 0u;
    var longest = 0u;
    for (var y = 0; y < i32(kernel_height); y++) {
        for (var x = 0; x < i32(kernel_width); x++) {
            let a = level_at(x, y);
            if a == NONE || level_at(x - dx, y - dy) == a {
                continue;
            }
            var run = 1u;
            while level_at(x + i32(run) * dx, y + i32(run) * dy) == a {
                run += 1u;
            }
            add_entry(a, run);
            longest = max(longest, run);
        }
    }
    merge_entries();
    return longest;
}

// Whether some line along (dy, dx) through the box holds two domain pixels.
fn line_with_two_pixels(dy: i32, dx: i32) -> bool {
    for (var y = 0; y < i32(kernel_height); y++) {
        for (var x = 0; x < i32(kernel_width); x++) {
            if level_at(x, y) == NONE {
                continue;
            }
            for (var k = 1; k < 8; k++) {
                if level_at(x + k * dx, y + k * dy) != NONE {
                    return true;
                }
            }
        }
    }
    return false;
}

fn glrlm(pixel: u32, column: u32) {
    clear_angle_features();
    var angles = array<vec2<i32>, 4>(GLCM_ANGLES[0], GLCM_ANGLES[1], GLCM_ANGLES[2], GLCM_ANGLES[3]);
    for (var a = 0u; a < 4u; a++) {
        let angle = angles[a];
        let longest = angle_runs(angle.x, angle.y);
        if longest < 2u && !line_with_two_pixels(angle.x, angle.y) {
            continue;
        }
        emphasis();
        for (var f = 0u; f < 16u; f++) {
            add_angle_feature(f, emphasis_out[f]);
        }
    }
    for (var f = 0u; f < 16u; f++) {
        write_angle_mean(column + f, pixel, f);
    }
}
