// The record of one filter dispatch and the bindings every filter kernel shares (prepended to
// each filter shader after the constant FILTER_GROUP, which the host writes from
// src/extraction/filters/device.rs, whose Step mirrors this struct field by field).
//
// Every plane (the input image, the filtered images, the intermediate images) lives in one
// buffer of f64 values, `planes`, at offsets the host plans; offsets count f64 values.

struct Step {
    count: u32,          // invocations that do work: lines (line kernels) or pixels
    groups_x: u32,       // width of the 2D dispatch grid
    length: u32,         // samples per line
    along: u32,          // stride between the samples of a line
    across: u32,         // stride between lines
    source: u32,         // first value of the source plane
    output: u32,         // first value of the output plane
    second: u32,         // first value of a second plane: high-pass target or scratch
    coefficients: u32,   // first value of the step's coefficients
    taps: u32,           // wavelet filter length
    mode: u32,           // kernel-specific choice (see each kernel)
    width: u32,          // target plane width
    height: u32,         // target plane height
    source_width: u32,   // source plane width (a padded plane wraps onto it)
    source_height: u32,  // source plane height
    copies: u32,         // line kernels: copies of the pass side by side, count / copies lines each
    copy_source: u32,    // distance between the copies' source planes (0: one shared source)
    copy_plane: u32,     // distance between the copies' output (and scratch) planes
    copy_coefficients: u32, // distance between the copies' coefficients
    pad0: u32,
}

@group(0) @binding(0) var<storage, read_write> planes: array<f64>;
@group(0) @binding(1) var<storage, read> coefficients: array<f64>;
@group(0) @binding(2) var<uniform> job: Step;

// The invocation's index in a grid of `groups_x` workgroups per row, FILTER_GROUP wide.
fn invocation(group: vec3<u32>, local: u32) -> u32 {
    return (group.y * job.groups_x + group.x) * FILTER_GROUP + local;
}

// `x` rounded to the nearest f32: the value an ITK image of 32-bit floats stores.
fn to_f32(x: f64) -> f64 {
    return f64(f32(x));
}
