// Builds the gray level co-occurrence matrix (GLCM) of every region of a batch: asymmetric counts
// C_a(i, j) of pixel pairs (p, p + a) inside the region, for the 4 in-plane angles at distance 1,
// a = (dy, dx) in (1, 1), (1, 0), (1, -1), (0, 1). They are made symmetric (P = C + C^T) where
// the features are computed (src/extraction/features/glcm.rs), not here.
//
// Parallel split: each workgroup (256 invocations) owns one tile of TILE consecutive
// bounding-box pixels of one region; each invocation visits TILE / 256 pixels of the tile. When the
// region's matrix is small (4 L^2 <= 4096 cells) the workgroup counts into workgroup memory and
// adds the non-zero cells to global memory once at the end; otherwise it adds to global memory
// directly.

const ANGLES = array<vec2<i32>, 4>(vec2<i32>(1, 1), vec2<i32>(1, 0), vec2<i32>(1, -1), vec2<i32>(0, 1));

var<workgroup> local_counts: array<atomic<u32>, LOCAL_CELLS>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
    let group = group_index(wg);
    let valid = group < params.groups;
    let r = regions[group_region[min(group, params.groups - 1u)]];
    let l = r.levels;
    let cells = 4u * l * l;
    let local = cells <= LOCAL_CELLS;

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
            let i = rank_of(r.pixel_offset + p);
            if (i == 0u) {
                continue;
            }
            let y = i32(p / r.width);
            let x = i32(p % r.width);
            for (var a = 0u; a < 4u; a++) {
                let j = rank_at(r, y + ANGLES[a].x, x + ANGLES[a].y);
                if (j == 0u) {
                    continue;
                }
                let cell = (a * l + i - 1u) * l + j - 1u;
                if (local) {
                    atomicAdd(&local_counts[cell], 1u);
                } else {
                    atomicAdd(&counts[r.glcm_offset + cell], 1u);
                }
            }
        }
    }
    workgroupBarrier();

    if (valid && local) {
        for (var k = li; k < cells; k += 256u) {
            let v = atomicLoad(&local_counts[k]);
            if (v != 0u) {
                atomicAdd(&counts[r.glcm_offset + k], v);
            }
        }
    }
}
