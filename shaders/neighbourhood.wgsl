// Builds, in one pass over the 8-neighbourhoods, three matrices of every region of a batch:
// * the first-order histogram: pixels of each gray-level rank;
// * the gray level dependence matrix (GLDM): pixels of rank i with d dependent neighbours
//   (region neighbours of the same level, alpha = 0), d = 0..8;
// * the neighbouring gray tone difference matrix (NGTDM): pixels of rank i, and for each count
//   c = 1..8 of region neighbours the sum of |g c - S| (g the pixel's gray level, S the sum of its
//   region neighbours' gray levels), a 64-bit integer kept as a (lo, hi) pair of u32 with an
//   explicit carry.
//
// Parallel split: each workgroup (256 invocations) owns one tile of TILE consecutive
// bounding-box pixels of one region; each invocation visits TILE / 256 pixels. When L <= 128 the
// workgroup accumulates in workgroup memory (27 L cells) and adds to global memory once at the
// end; otherwise it adds to global memory directly.

const LOCAL_LEVELS: u32 = 128u;
const NEIGHBOURS = array<vec2<i32>, 8>(
    vec2<i32>(-1, -1), vec2<i32>(-1, 0), vec2<i32>(-1, 1), vec2<i32>(0, -1),
    vec2<i32>(0, 1), vec2<i32>(1, -1), vec2<i32>(1, 0), vec2<i32>(1, 1));

// Local layout: histogram [L], gldm [9 L], ngtdm counts [L], ngtdm sums [16 L] (lo, hi pairs).
var<workgroup> local_counts: array<atomic<u32>, LOCAL_CELLS>;

// Adds `value` to the 64-bit (lo, hi) pair at `cell` of the local or global counts.
fn add_wide(local: bool, cell: u32, value: u32) {
    if (local) {
        let old = atomicAdd(&local_counts[cell], value);
        if (old > 0xffffffffu - value) {
            atomicAdd(&local_counts[cell + 1u], 1u);
        }
    } else {
        let old = atomicAdd(&counts[cell], value);
        if (old > 0xffffffffu - value) {
            atomicAdd(&counts[cell + 1u], 1u);
        }
    }
}

fn add_one(local: bool, local_cell: u32, global_cell: u32) {
    if (local) {
        atomicAdd(&local_counts[local_cell], 1u);
    } else {
        atomicAdd(&counts[global_cell], 1u);
    }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let group = group_index(wg);
    let valid = group < params.groups;
    let r = regions[group_region[min(group, params.groups - 1u)]];
    let l = r.levels;
    let local = l <= LOCAL_LEVELS;
    // Local offsets of the four parts.
    let local_gldm = l;
    let local_ngtdm = 10u * l;
    let local_sums = 11u * l;

    for (var k = li; k < LOCAL_CELLS; k += 256u) {
        atomicStore(&local_counts[k], 0u);
    }
    workgroupBarrier();

    if (valid) {
        let first = (group - r.first_group) * TILE;
        let size = r.width * r.height;
        for (var k = 0u; k < TILE; k += 256u) {
            let p = first + k + li;
            if (p >= size) {
                break;
            }
            let rank = rank_of(r.pixel_offset + p);
            if (rank == 0u) {
                continue;
            }
            let y = i32(p / r.width);
            let x = i32(p % r.width);
            var dependent = 0u;
            var neighbours = 0u;
            var sum = 0u;
            for (var n = 0u; n < 8u; n++) {
                let q = rank_at(r, y + NEIGHBOURS[n].x, x + NEIGHBOURS[n].y);
                if (q != 0u) {
                    neighbours += 1u;
                    sum += gray[r.level_offset + q - 1u];
                    if (q == rank) {
                        dependent += 1u;
                    }
                }
            }
            let i = rank - 1u;
            add_one(local, i, r.histogram_offset + i);
            add_one(local, local_gldm + i * 9u + dependent, r.gldm_offset + i * 9u + dependent);
            add_one(local, local_ngtdm + i, r.ngtdm_offset + i);
            if (neighbours > 0u) {
                let g = gray[r.level_offset + i] * neighbours;
                let difference = max(g, sum) - min(g, sum);
                let pair = 2u * (i * 8u + neighbours - 1u);
                if (local) {
                    add_wide(true, local_sums + pair, difference);
                } else {
                    add_wide(false, r.ngtdm_offset + l + pair, difference);
                }
            }
        }
    }
    workgroupBarrier();

    if (valid && local) {
        for (var k = li; k < 11u * l; k += 256u) {
            let v = atomicLoad(&local_counts[k]);
            if (v == 0u) {
                continue;
            }
            if (k < local_gldm) {
                atomicAdd(&counts[r.histogram_offset + k], v);
            } else if (k < local_ngtdm) {
                atomicAdd(&counts[r.gldm_offset + k - local_gldm], v);
            } else {
                atomicAdd(&counts[r.ngtdm_offset + k - local_ngtdm], v);
            }
        }
        // 64-bit sums: add lo with carry into hi, then hi.
        for (var k = li; k < 8u * l; k += 256u) {
            let lo = atomicLoad(&local_counts[local_sums + 2u * k]);
            let hi = atomicLoad(&local_counts[local_sums + 2u * k + 1u]);
            let cell = r.ngtdm_offset + l + 2u * k;
            if (lo != 0u) {
                add_wide(false, cell, lo);
            }
            if (hi != 0u) {
                atomicAdd(&counts[cell + 1u], hi);
            }
        }
    }
}
