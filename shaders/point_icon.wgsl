// Point symbols as screen-space icons: a disc of constant pixel size with a
// white ring and a dark rim, standing on its point like a map pin, so
// points stay readable from any distance (a fixed-size 3D marker vanishes
// from afar and fills the screen up close).
//
// Each point is a quad of four vertices at the point itself; UV_0 holds the
// corner (-1..1) the vertex is pushed to, in pixels, after projection.

#import bevy_pbr::{
    mesh_functions,
    mesh_view_bindings::view,
    view_transformations::position_world_to_clip,
}

// x: icon diameter in pixels; y: opacity.
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: vec4<f32>;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    @location(1) corner: vec2<f32>,
    @location(2) color: vec4<f32>,
};

struct VertexOutput {
    @builtin(position) clip_position: vec4<f32>,
    @location(0) corner: vec2<f32>,
    @location(1) color: vec4<f32>,
};

@vertex
fn vertex(v: Vertex) -> VertexOutput {
    let world_from_local = mesh_functions::get_world_from_local(v.instance_index);
    let world = mesh_functions::mesh_position_local_to_world(world_from_local, vec4<f32>(v.position, 1.0));
    var clip = position_world_to_clip(world.xyz);
    // Pixels to clip space: 2 / viewport size, times w (undoing the divide).
    let px_to_clip = 2.0 / view.viewport.zw * clip.w;
    let radius = 0.5 * params.x;
    // Lifted by its radius: the disc's bottom touches the point.
    let offset = vec2<f32>(v.corner.x, v.corner.y + 1.0) * radius;
    clip = vec4<f32>(clip.xy + offset * px_to_clip, clip.zw);
    var out: VertexOutput;
    out.clip_position = clip;
    out.corner = v.corner;
    out.color = v.color;
    return out;
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let r = length(in.corner);
    if r > 1.0 {
        discard;
    }
    // Fill, white ring, dark rim: legible on light and dark ground alike.
    var rgb = in.color.rgb;
    rgb = mix(rgb, vec3<f32>(1.0), smoothstep(0.58, 0.64, r));
    rgb = mix(rgb, vec3<f32>(0.05), smoothstep(0.86, 0.92, r));
    return vec4<f32>(rgb, params.y);
}
