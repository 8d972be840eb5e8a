// Builds the gray level size zone matrix (GLSZM) of every region of a batch: counts P(i, s) of
// zones of gray level i and size s, a zone being an 8-connected group of region pixels of one
// gray level.
//
// Zones are found by parallel union-find connected-component labelling (label equivalence with
// atomic hooking, after Playne & Hawick, IEEE TPDS 2018). Every pixel of the batch owns one
// entry of `labels` and one of `sizes`, indexed by its position in `ranks`. Four entry points run
// one after the other, each a dispatch (a dispatch ends only when all its invocations have, so
// every pass sees the finished result of the one before):
//   1. `init`:  every pixel is its own tree: labels[p] = p, sizes[p] = 0.
//   2. `merge`: every region pixel joins its tree with that of each earlier neighbour
//      ((-1, -1), (-1, 0), (-1, 1), (0, -1)) of the same rank. A tree is joined by hooking its
//      root under the other root with the smaller index, with atomicMin; a hook that loses a
//      race sees the root that won and tries again from there. Labels only ever decrease and
//      always point to a pixel of the same zone, so the forest is the zones whatever the order.
//   3. `count`: every region pixel finds its root, stores it as its label (path compression)
//      and adds 1 to the root's size.
//   4. `emit`: every root adds its zone to the region's part of `counts`: zones of at most
//      SMALL_ZONE pixels to a dense L x SMALL_ZONE table at `glszm_offset`, larger ones (there
//      are fewer than box pixels / (SMALL_ZONE + 1) of them) appended as (rank - 1, size) pairs
//      after a counter at `zone_list_offset`. The host sorts that short list and merges it with
//      the table into the CPU backend's sparse matrix.
//
// Parallel split: as the other pixel kernels, one workgroup of 256 invocations per tile of TILE
// consecutive bounding-box pixels of one region, each invocation visiting TILE / 256 pixels.

@group(0) @binding(6) var<storage, read_write> labels: array<atomic<u32>>;
@group(0) @binding(7) var<storage, read_write> sizes: array<atomic<u32>>;

// Root of the tree holding batch pixel `x`.
fn find(start: u32) -> u32 {
    var x = start;
    var parent = atomicLoad(&labels[x]);
    while (parent != x) {
        x = parent;
        parent = atomicLoad(&labels[x]);
    }
    return x;
}

// Joins the trees of batch pixels `a` and `b`.
fn join(first: u32, second: u32) {
    var a = find(first);
    var b = find(second);
    loop {
        if (a == b) {
            return;
        }
        let high = max(a, b);
        let low = min(a, b);
        let old = atomicMin(&labels[high], low);
        if (old == high) {
            return;
        }
        // `high` was hooked elsewhere meanwhile: join its new tree with `low`'s instead.
        a = find(old);
        b = find(low);
    }
}

// Calls the pass `which` (0 init, 1 merge, 2 count, 3 emit) on each pixel of this workgroup's
// tile.
fn visit_tile(wg: vec3<u32>, li: u32, which: u32) {
    let group = group_index(wg);
    if (group >= params.groups) {
        return;
    }
    let r = regions[group_region[group]];
    let first = (group - r.first_group) * TILE;
    let size = r.width * r.height;
    for (var k = 0u; k < TILE; k += 256u) {
        let p = first + k + li;
        if (p >= size) {
            break;
        }
        let at = r.pixel_offset + p;
        if (which == 0u) {
            atomicStore(&labels[at], at);
            atomicStore(&sizes[at], 0u);
            continue;
        }
        let rank = rank_of(at);
        if (rank == 0u) {
            continue;
        }
        if (which == 1u) {
            merge_pixel(r, p, rank);
        } else if (which == 2u) {
            let root = find(at);
            atomicStore(&labels[at], root);
            atomicAdd(&sizes[root], 1u);
        } else if (atomicLoad(&labels[at]) == at) {
            emit_zone(r, rank, atomicLoad(&sizes[at]));
        }
    }
}

const EARLIER = array<vec2<i32>, 4>(vec2<i32>(-1, -1), vec2<i32>(-1, 0), vec2<i32>(-1, 1), vec2<i32>(0, -1));

// Joins bounding-box pixel `p` (of rank `rank`) with its earlier neighbours of the same rank.
fn merge_pixel(r: Region, p: u32, rank: u32) {
    let y = i32(p / r.width);
    let x = i32(p % r.width);
    for (var n = 0u; n < 4u; n++) {
        let ny = y + EARLIER[n].x;
        let nx = x + EARLIER[n].y;
        if (rank_at(r, ny, nx) == rank) {
            join(r.pixel_offset + p, r.pixel_offset + u32(ny) * r.width + u32(nx));
        }
    }
}

// Adds one zone of rank `rank` and `size` pixels to the region's GLSZM.
fn emit_zone(r: Region, rank: u32, size: u32) {
    if (size <= SMALL_ZONE) {
        atomicAdd(&counts[r.glszm_offset + (rank - 1u) * SMALL_ZONE + size - 1u], 1u);
        return;
    }
    let k = atomicAdd(&counts[r.zone_list_offset], 1u);
    if (k < r.zone_capacity) {
        atomicStore(&counts[r.zone_list_offset + 1u + 2u * k], rank - 1u);
        atomicStore(&counts[r.zone_list_offset + 2u + 2u * k], size);
    }
}

@compute @workgroup_size(256)
fn init(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    visit_tile(wg, li, 0u);
}

@compute @workgroup_size(256)
fn merge(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    visit_tile(wg, li, 1u);
}

@compute @workgroup_size(256)
fn count(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    visit_tile(wg, li, 2u);
}

@compute @workgroup_size(256)
fn emit(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    visit_tile(wg, li, 3u);
}
