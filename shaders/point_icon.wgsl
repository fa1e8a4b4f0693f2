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

struct FeatureStyle {
    // sRGB, r in the low byte (unpack4x8unorm order).
    rgba: u32,
    flags: u32,
}

// The flags and colours of feature_style.wgsl.
const HIDDEN: u32 = 5u;
const HIGHLIGHT: u32 = 2u;
const HIGHLIGHT_RGB: vec3<f32> = vec3<f32>(1.0, 0.6, 0.0);
const ALERT: u32 = 8u;
const ALERT_RGB: vec3<f32> = vec3<f32>(0.85, 0.03, 0.03);

// x: icon diameter in pixels; y: opacity.
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: vec4<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<storage, read> styles: array<FeatureStyle>;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    @location(1) corner: vec2<f32>,
    @location(2) feature: u32,
};

struct VertexOutput {
    @builtin(position) clip_position: vec4<f32>,
    @location(0) corner: vec2<f32>,
    @location(1) color: vec4<f32>,
    // 1 for an alerted point: drawn larger, red in a yellow ring (a red
    // fill alone would not tell on a red symbol).
    @location(2) @interpolate(flat) alert: u32,
};

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + vec3<f32>(0.055)) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

@vertex
fn vertex(v: Vertex) -> VertexOutput {
    let style = styles[min(v.feature, arrayLength(&styles) - 1u)];
    var out: VertexOutput;
    out.corner = v.corner;
    if (style.flags & HIDDEN) != 0u {
        // Behind the far side of the clip volume: nothing is drawn.
        out.clip_position = vec4<f32>(0.0, 0.0, -2.0, 1.0);
        out.color = vec4<f32>(0.0);
        out.alert = 0u;
        return out;
    }
    let world_from_local = mesh_functions::get_world_from_local(v.instance_index);
    let world = mesh_functions::mesh_position_local_to_world(world_from_local, vec4<f32>(v.position, 1.0));
    var clip = position_world_to_clip(world.xyz);
    // Pixels to clip space: 2 / viewport size, times w (undoing the divide).
    let px_to_clip = 2.0 / view.viewport.zw * clip.w;
    let alert = (style.flags & ALERT) != 0u;
    out.alert = select(0u, 1u, alert);
    let selected = (style.flags & HIGHLIGHT) != 0u;
    // Marked points stand out by size too: their symbol may share the
    // mark's colour.
    let grow = select(select(1.0, 1.35, selected), 1.5, alert);
    let radius = 0.5 * params.x * grow;
    // Lifted by its radius: the disc's bottom touches the point.
    let offset = vec2<f32>(v.corner.x, v.corner.y + 1.0) * radius;
    clip = vec4<f32>(clip.xy + offset * px_to_clip, clip.zw);
    out.clip_position = clip;
    let c = unpack4x8unorm(style.rgba);
    var rgb = srgb_to_linear(c.rgb);
    if alert {
        rgb = ALERT_RGB;
    }
    if selected {
        rgb = HIGHLIGHT_RGB;
    }
    out.color = vec4<f32>(rgb, c.a);
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
    let ring = select(vec3<f32>(1.0), vec3<f32>(1.0, 0.8, 0.1), in.alert == 1u);
    rgb = mix(rgb, ring, smoothstep(0.58, 0.64, r));
    rgb = mix(rgb, vec3<f32>(0.05), smoothstep(0.86, 0.92, r));
    return vec4<f32>(rgb, in.color.a * params.y);
}
