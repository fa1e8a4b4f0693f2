// Per-feature styling (app/src/render/feature_style.rs): the fragment looks
// its feature up in a style buffer — colour, hidden, highlighted — so
// restyling writes a buffer, never a mesh. Vector layers have one buffer
// per layer; tileset meshes one each (app/src/stream/tiles3d/styling.rs).
//
// The feature index comes in a UV set as (index mod 4096, index div 4096):
// both halves are small whole numbers, exact in f32. Vector layers and
// untextured tiles use the first set, textured tiles the second; a tile
// mesh without feature ids takes the buffer's last record, as does any
// index past the end (a vertex of no feature).
//
// One file, two uses: the main pass (colour and lighting) and the depth and
// shadow prepasses (hidden features are discarded, so they cast no shadow).

#ifdef PREPASS_PIPELINE
#import bevy_pbr::{
    prepass_io,
    prepass_io::{VertexOutput, FragmentOutput},
    pbr_prepass_functions,
}
#else
#import bevy_pbr::{
    forward_io,
    forward_io::{VertexOutput, FragmentOutput},
    pbr_fragment::pbr_input_from_standard_material,
    pbr_functions::{alpha_discard, apply_pbr_lighting, main_pass_post_lighting_processing},
    pbr_types::PbrInput,
}
#endif

struct FeatureStyle {
    // sRGB, r in the low byte (unpack4x8unorm order).
    rgba: u32,
    flags: u32,
}

const FEATURE_ROW: u32 = 4096u;
// Hidden by the style's filter (1) or not there yet at the clock's time (4).
const HIDDEN: u32 = 5u;
const HIGHLIGHT: u32 = 2u;
// The selection colour (linear), and how much of it a highlighted feature takes.
const HIGHLIGHT_RGB: vec3<f32> = vec3<f32>(1.0, 0.6, 0.0);
const HIGHLIGHT_MIX: f32 = 0.65;
// What an analysis finds affected (a burst's dry pipes): red, over the
// feature's own colour but under the selection's.
const ALERT: u32 = 8u;
const ALERT_RGB: vec3<f32> = vec3<f32>(0.85, 0.03, 0.03);
const ALERT_MIX: f32 = 0.75;

@group(#{MATERIAL_BIND_GROUP}) @binding(100)
var<storage, read> styles: array<FeatureStyle>;
// x: colour factor of up-facing faces (roofs); y: where the feature index
// is: 0 the first UV set, 1 the second (textured tiles), 2 nowhere (the
// last record serves all).
@group(#{MATERIAL_BIND_GROUP}) @binding(101)
var<uniform> shade: vec4<f32>;

fn index_of(uv: vec2<f32>) -> u32 {
    return u32(round(uv.x)) + u32(round(uv.y)) * FEATURE_ROW;
}

/// The style of the feature a fragment belongs to.
#ifdef PREPASS_PIPELINE
fn style_of(in: prepass_io::VertexOutput) -> FeatureStyle {
#else
fn style_of(in: forward_io::VertexOutput) -> FeatureStyle {
#endif
    let last = arrayLength(&styles) - 1u;
    // Without an index in the first set, no style (vector layers always
    // have one).
    var style = FeatureStyle(0xffffffffu, 0u);
    if shade.y > 1.5 {
        style = styles[last];
    } else if shade.y > 0.5 {
        var index = last;
#ifdef VERTEX_UVS_B
        index = min(index_of(in.uv_b), last);
#endif
        style = styles[index];
    } else {
#ifdef VERTEX_UVS_A
        style = styles[min(index_of(in.uv), last)];
#endif
    }
    return style;
}

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + vec3<f32>(0.055)) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

#ifdef PREPASS_PIPELINE
// Depth, normal and shadow prepasses (forward rendering; the app draws no
// deferred pass): hidden features leave no trace.
#ifdef PREPASS_FRAGMENT
@fragment
fn fragment(in: VertexOutput) -> FragmentOutput {
    if (style_of(in).flags & HIDDEN) != 0u {
        discard;
    }
    pbr_prepass_functions::prepass_alpha_discard(in);
    var out: FragmentOutput;
#ifdef UNCLIPPED_DEPTH_ORTHO_EMULATION
    out.frag_depth = in.unclipped_depth;
#endif
#ifdef NORMAL_PREPASS
    out.normal = vec4(in.world_normal * 0.5 + vec3(0.5), 1.0);
#endif
#ifdef MOTION_VECTOR_PREPASS
    out.motion_vector = pbr_prepass_functions::calculate_motion_vector(
        in.world_position, in.previous_world_position);
#endif
    return out;
}
#else
@fragment
fn fragment(in: VertexOutput) {
    if (style_of(in).flags & HIDDEN) != 0u {
        discard;
    }
    pbr_prepass_functions::prepass_alpha_discard(in);
}
#endif // PREPASS_FRAGMENT
#else
/// The material's inputs with the feature's colour, roof shade and
/// highlight; hidden features are discarded.
fn styled_input(in: VertexOutput, is_front: bool) -> PbrInput {
    var pbr_input = pbr_input_from_standard_material(in, is_front);
    let style = style_of(in);
    if (style.flags & HIDDEN) != 0u {
        discard;
    }
    let c = unpack4x8unorm(style.rgba);
    var rgb = srgb_to_linear(c.rgb);
    if in.world_normal.y > 0.7 {
        rgb *= shade.x;
    }
    if (style.flags & ALERT) != 0u {
        rgb = mix(rgb, ALERT_RGB, ALERT_MIX);
    }
    if (style.flags & HIGHLIGHT) != 0u {
        rgb = mix(rgb, HIGHLIGHT_RGB, HIGHLIGHT_MIX);
        pbr_input.material.emissive = vec4<f32>(HIGHLIGHT_RGB * 0.25, 1.0);
    }
    let base = pbr_input.material.base_color;
    pbr_input.material.base_color = vec4<f32>(base.rgb * rgb, base.a * c.a);
    pbr_input.material.base_color = alpha_discard(pbr_input.material, pbr_input.material.base_color);
    return pbr_input;
}

@fragment
fn fragment(
    in: VertexOutput,
    @builtin(front_facing) is_front: bool,
) -> FragmentOutput {
    let pbr_input = styled_input(in, is_front);
    var out: FragmentOutput;
    out.color = apply_pbr_lighting(pbr_input);
    out.color = main_pass_post_lighting_processing(pbr_input, out.color);
    return out;
}
#endif // PREPASS_PIPELINE
