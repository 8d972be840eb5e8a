// The records the host writes for every kernel (prepended to each shader after the constants
// TILE, LINES_PER_GROUP, SMALL_ZONE and NO_SOURCE, which the host writes from
// src/extraction/matrix/gpu/layout.rs, whose RegionRecord and Params mirror these structs field by field).

struct Region {
    pixel_offset: u32,      // first rank of the region in `ranks`
    width: u32,             // bounding-box width
    height: u32,            // bounding-box height
    levels: u32,            // L, number of gray levels present
    level_offset: u32,      // first entry in `gray` (gray level of each rank)
    glcm_offset: u32,       // 4 * L * L co-occurrence counts
    glrlm_offset: u32,      // 4 * L * max_run run counts
    max_run: u32,           // longest possible run: max(width, height)
    gldm_offset: u32,       // L * 9 dependence counts
    ngtdm_offset: u32,      // L pixel counts, then L * 8 (lo, hi) pairs of 64-bit sums
    histogram_offset: u32,  // L pixel counts
    flag_offset: u32,       // 4 GLRLM flags: an angle has a line crossing >= 2 region pixels
    first_group: u32,       // first workgroup of this region in the current kernel
    glszm_offset: u32,      // L * SMALL_ZONE counts of zones of 1 to SMALL_ZONE pixels
    zone_list_offset: u32,  // counter, then zone_capacity (rank - 1, size) pairs of larger zones
    zone_capacity: u32,     // room for larger zones: box pixels / (SMALL_ZONE + 1)
    source_offset: u32,     // first word of the case's stored crop in `lookups`, or NO_SOURCE
    source_width: u32,      // crop width (entries per row)
    source_x: u32,          // column of the bounding box in the crop
    source_y: u32,          // row of the bounding box in the crop
    source_wide: u32,       // 1: 32-bit entries (value | bits << 16); 0: 16-bit (value | bits << 8)
    mask_bit: u32,          // the region's membership bit in the crop's entries
    lut_offset: u32,        // first word of the region's table in `lookups`: rank of value lut_min + i
    lut_min: u32,           // smallest stored value of the region
}

struct Params {
    groups: u32,     // number of real workgroups (the grid may be rounded up)
    groups_x: u32,   // width of the 2D dispatch grid
    rank_bits: u32,  // bits per packed rank: 8 or 16
    pad0: u32,
}
