// Makes the gray-level ranks of the batch's regions whose case was uploaded as stored integers
// (source_offset != NO_SOURCE), so that ranks are made and consumed on the device and never cross
// the bus. Runs before every matrix kernel of the batch.
//
// `lookups` holds each case's crop once (the union of its regions' bounding boxes): per pixel the
// stored value (image value minus the crop's base) and one membership bit per region, in 16-bit
// entries (value in the low 8 bits, bits above; two per word) or 32-bit entries (value in the low
// 16 bits). It also holds each region's table from stored value to rank, made on the host from
// the region's histogram exactly as src/extraction/discretize.rs bins (`GrayLevels::looked_up`), so the
// ranks equal the CPU's: a pixel of the region gets table[value - lut_min], any other pixel 0.
//
// Parallel split: one workgroup (256 invocations) per tile of TILE bounding-box pixels of one
// region, as the pixel kernels; each invocation writes whole words of packed ranks (4 ranks of 8
// bits or 2 of 16), so no two invocations share a word. Regions start at multiples of 4 pixels
// and TILE is a multiple of 4, so a tile's words are its own.

@group(0) @binding(0) var<storage, read> regions: array<Region>;
@group(0) @binding(1) var<storage, read> group_region: array<u32>;
@group(0) @binding(2) var<storage, read_write> ranks: array<u32>;
@group(0) @binding(3) var<storage, read> lookups: array<u32>;
@group(0) @binding(5) var<uniform> params: Params;

// Stored value and membership bits of crop entry `i` of a region's case.
fn entry(r: Region, i: u32) -> vec2<u32> {
    if (r.source_wide == 1u) {
        let e = lookups[r.source_offset + i];
        return vec2<u32>(e & 0xffffu, e >> 16u);
    }
    let e = (lookups[r.source_offset + (i >> 1u)] >> ((i & 1u) * 16u)) & 0xffffu;
    return vec2<u32>(e & 0xffu, e >> 8u);
}

// Rank of bounding-box pixel p of a region (p < width * height).
fn rank_from_source(r: Region, p: u32) -> u32 {
    let y = p / r.width;
    let x = p - y * r.width;
    let e = entry(r, (r.source_y + y) * r.source_width + r.source_x + x);
    if (((e.y >> r.mask_bit) & 1u) == 0u) {
        return 0u;
    }
    return lookups[r.lut_offset + e.x - r.lut_min];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let group = wg.y * params.groups_x + wg.x;
    if (group >= params.groups) {
        return;
    }
    let r = regions[group_region[group]];
    if (r.source_offset == NO_SOURCE) {
        return;
    }
    let per_word = 32u / params.rank_bits;
    let size = r.width * r.height;
    let first = (group - r.first_group) * TILE;
    let last = min(first + TILE, size);
    for (var p = first + li * per_word; p < last; p += 256u * per_word) {
        var word = 0u;
        for (var j = 0u; j < per_word && p + j < size; j++) {
            word |= rank_from_source(r, p + j) << (j * params.rank_bits);
        }
        ranks[(r.pixel_offset + p) / per_word] = word;
    }
}
