// Builds the gray level run length matrix (GLRLM) of every region of a batch: counts P_a(i, j) of
// runs (maximal sequences of region pixels of one gray level along a line) of level i and length
// j, for the 4 in-plane angles a = (dy, dx) in (1, 1), (1, 0), (1, -1), (0, 1). For each angle it
// also raises a flag when some line crosses at least 2 region pixels; the host empties angles
// without the flag, as PyRadiomics does.
//
// Parallel split: one invocation walks one whole line of one angle through the bounding box. A
// region of w x h pixels has 3w + 3h - 2 lines: w + h - 1 for (1, 1), w for (1, 0), w + h - 1 for
// (1, -1) and h for (0, 1). A workgroup holds LINES_PER_GROUP consecutive lines of one region.
// When the region's matrix is small (4 L max_run <= 4096 cells) runs are counted in workgroup
// memory and added to global memory once at the end; otherwise they go to global memory directly.

var<workgroup> local_counts: array<atomic<u32>, LOCAL_CELLS>;

// Adds one run of `length` pixels of rank `rank` for angle `a`.
fn add_run(r: Region, local: bool, a: u32, rank: u32, length: u32) {
    let cell = (a * r.levels + rank - 1u) * r.max_run + length - 1u;
    if (local) {
        atomicAdd(&local_counts[cell], 1u);
    } else {
        atomicAdd(&counts[r.glrlm_offset + cell], 1u);
    }
}

@compute @workgroup_size(LINES_PER_GROUP)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let group = group_index(wg);
    let valid = group < params.groups;
    let r = regions[group_region[min(group, params.groups - 1u)]];
    let cells = 4u * r.levels * r.max_run;
    let local = cells <= LOCAL_CELLS;

    for (var k = li; k < LOCAL_CELLS; k += LINES_PER_GROUP) {
        atomicStore(&local_counts[k], 0u);
    }
    workgroupBarrier();

    let w = i32(r.width);
    let h = i32(r.height);
    let diagonal = r.width + r.height - 1u;
    var line = (group - r.first_group) * LINES_PER_GROUP + li;
    if (valid && line < 2u * diagonal + r.width + r.height) {
        // Which angle, and where the line starts.
        var a = 0u;
        var y0 = 0;
        var x0 = 0;
        var step = vec2<i32>(1, 1);
        if (line < diagonal) {
            a = 0u;
            step = vec2<i32>(1, 1);
            if (line < r.width) { x0 = i32(line); } else { y0 = i32(line - r.width + 1u); }
        } else if (line < diagonal + r.width) {
            a = 1u;
            step = vec2<i32>(1, 0);
            x0 = i32(line - diagonal);
        } else if (line < 2u * diagonal + r.width) {
            a = 2u;
            step = vec2<i32>(1, -1);
            let k = line - diagonal - r.width;
            if (k < r.width) { x0 = i32(k); } else { y0 = i32(k - r.width + 1u); x0 = w - 1; }
        } else {
            a = 3u;
            step = vec2<i32>(0, 1);
            y0 = i32(line - 2u * diagonal - r.width);
        }

        var y = y0;
        var x = x0;
        var current = 0u;
        var length = 0u;
        var elements = 0u;
        loop {
            if (y < 0 || x < 0 || y >= h || x >= w) {
                break;
            }
            let rank = rank_of(r.pixel_offset + u32(y) * r.width + u32(x));
            if (rank != 0u) {
                elements += 1u;
            }
            if (rank != current) {
                if (current != 0u) {
                    add_run(r, local, a, current, length);
                }
                current = rank;
                length = 0u;
            }
            length += 1u;
            y += step.x;
            x += step.y;
        }
        if (current != 0u) {
            add_run(r, local, a, current, length);
        }
        if (elements > 1u) {
            atomicOr(&counts[r.flag_offset + a], 1u);
        }
    }
    workgroupBarrier();

    if (valid && local) {
        for (var k = li; k < cells; k += LINES_PER_GROUP) {
            let v = atomicLoad(&local_counts[k]);
            if (v != 0u) {
                atomicAdd(&counts[r.glrlm_offset + k], v);
            }
        }
    }
}
