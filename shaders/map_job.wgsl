// One window's dispatch of the texture-map kernels (map_kernel.wgsl, map_mcc.wgsl), mirrored by
// MapJob in src/extraction/maps/device.rs (a test checks the fields).
//
// Columns: the first output column of each class, NONE when the class is not computed.
// mcc_stride: scratch slots per GLCM angle for MCC's matrix (1 + L^2, L the most levels a
// kernel can hold), 0 when the device does not compute MCC; mcc_row: L, the slots of a row. The grid's row width is
// num_workgroups.x.
struct MapJob {
    width: u32,
    height: u32,
    radius: u32,
    count: u32,
    ng: u32,
    firstorder_column: u32,
    glcm_column: u32,
    glrlm_column: u32,
    glszm_column: u32,
    gldm_column: u32,
    ngtdm_column: u32,
    mcc_stride: u32,
    mcc_row: u32,
}

// An invocation of either kernel: its workgroup, the grid (rows of num_workgroups.x groups) and
// its place in the group.
struct Invocation {
    @builtin(workgroup_id) group: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) local: u32,
}

// The invocation's index in the whole dispatch.
fn invocation_index(at: Invocation) -> u32 {
    return (at.group.y * at.groups.x + at.group.x) * MAP_GROUP + at.local;
}
