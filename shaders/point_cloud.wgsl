// Point clouds (3D Tiles pnts, glTF POINTS) as round points of a fixed
// size in pixels (app/src/render/point_cloud.rs): the GPU's own points are
// one pixel wide, so each point is a quad of four vertices at the point,
// pushed out to its corner in screen space after projection.
//
// Each point's feature (its index, u32::MAX for none) is looked up in the
// mesh's style buffer, as tileset meshes do in feature_style.wgsl: hidden
// points are moved out of the view, colours multiply.

#import bevy_pbr::{
    mesh_functions,
    mesh_view_bindings::view,
    view_transformations::position_world_to_clip,
}
#ifdef TONEMAP_IN_SHADER
#import bevy_core_pipeline::tonemapping::tone_mapping
#endif

struct FeatureStyle {
    // sRGB, r in the low byte (unpack4x8unorm order).
    rgba: u32,
    flags: u32,
}

// Hidden by the style (1) or not there yet at the clock's time (4).
const HIDDEN: u32 = 5u;

// x: point diameter in pixels; y: opacity (the layer's).
@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> params: vec4<f32>;
// The content's colour factor (linear RGBA).
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var<uniform> base: vec4<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var<storage, read> styles: array<FeatureStyle>;

struct Vertex {
    @builtin(instance_index) instance_index: u32,
    @location(0) position: vec3<f32>,
    // (-1 | 1, -1 | 1, 0, 0) as snorm8.
    @location(1) corner: vec4<f32>,
    // sRGB as unorm8.
    @location(2) color: vec4<f32>,
    @location(3) feature: u32,
};

struct VertexOutput {
    @builtin(position) clip_position: vec4<f32>,
    @location(0) corner: vec2<f32>,
    @location(1) color: vec4<f32>,
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
    out.corner = v.corner.xy;
    if (style.flags & HIDDEN) != 0u {
        // Behind the far side of the clip volume: nothing is drawn.
        out.clip_position = vec4<f32>(0.0, 0.0, -2.0, 1.0);
        out.color = vec4<f32>(0.0);
        return out;
    }
    let world_from_local = mesh_functions::get_world_from_local(v.instance_index);
    let world = mesh_functions::mesh_position_local_to_world(world_from_local, vec4<f32>(v.position, 1.0));
    var clip = position_world_to_clip(world.xyz);
    // Pixels to clip space: 2 / viewport size, times w (undoing the divide).
    let px_to_clip = 2.0 / view.viewport.zw * clip.w;
    clip = vec4<f32>(clip.xy + v.corner.xy * 0.5 * params.x * px_to_clip, clip.zw);
    out.clip_position = clip;
    let tint = unpack4x8unorm(style.rgba);
    out.color = vec4<f32>(
        srgb_to_linear(v.color.rgb) * srgb_to_linear(tint.rgb) * base.rgb,
        v.color.a * tint.a * base.a * params.y,
    );
    return out;
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    // Round points; square ones at three pixels and less look the same.
    if params.x > 3.0 && dot(in.corner, in.corner) > 1.0 {
        discard;
    }
    // Tone-mapped as the scene's other (unlit) content is.
#ifdef TONEMAP_IN_SHADER
    return tone_mapping(in.color, view.color_grading);
#else
    return in.color;
#endif
}
