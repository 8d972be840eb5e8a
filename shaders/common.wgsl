// Shared declarations of every sonorad matrix kernel (prepended to each shader, after the
// constants and records.wgsl).
//
// A batch holds many regions (bounding-box crops, possibly of different images). Their
// gray-level ranks (0 = outside the region, r >= 1 = the r-th gray level present) lie one after
// the other in `ranks`, each region starting at a multiple of 4 pixels, 8 or 16 bits each
// (`params.rank_bits`: 8 when every rank of the batch fits a byte; little-endian within each
// word, read by `rank_of`). The host uploads the ranks of regions it discretized itself; the
// others are written on the device by shaders/discretize.wgsl before these kernels run. Every
// region's matrices live at offsets in the single `counts` buffer, which the host clears before
// the dispatch. All counts are integers added with atomics, so the result does not depend on
// thread order and equals the CPU backend bit for bit.
//
// Work is split by workgroup: the host gives each region of the batch as many consecutive
// workgroups of a kernel as it needs (one per TILE bounding-box pixels for the pixel kernels, one
// per LINES_PER_GROUP lines for the run-length kernel), records the region of every workgroup in
// `group_region` and the region's first workgroup in `first_group`; a workgroup then works on its
// own share of that one region.

@group(0) @binding(0) var<storage, read> regions: array<Region>;
// Region of each workgroup of this kernel.
@group(0) @binding(1) var<storage, read> group_region: array<u32>;
@group(0) @binding(2) var<storage, read> ranks: array<u32>;
@group(0) @binding(3) var<storage, read> gray: array<u32>;
@group(0) @binding(4) var<storage, read_write> counts: array<atomic<u32>>;
@group(0) @binding(5) var<uniform> params: Params;

// Entries of workgroup-local accumulation (16 KiB).
const LOCAL_CELLS: u32 = 4096u;

// Linear workgroup index of a 2D dispatch.
fn group_index(wg: vec3<u32>) -> u32 {
    return wg.y * params.groups_x + wg.x;
}

// Rank number `i` of the batch, unpacked from its 8- or 16-bit slot.
fn rank_of(i: u32) -> u32 {
    if (params.rank_bits == 8u) {
        return (ranks[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
    }
    return (ranks[i >> 1u] >> ((i & 1u) * 16u)) & 0xffffu;
}

// Rank at (y, x) of a region, 0 outside its bounding box.
fn rank_at(r: Region, y: i32, x: i32) -> u32 {
    if (y < 0 || x < 0 || y >= i32(r.height) || x >= i32(r.width)) {
        return 0u;
    }
    return rank_of(r.pixel_offset + u32(y) * r.width + u32(x));
}
