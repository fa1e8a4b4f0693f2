// Per-feature styling of vector layers (app/src/feature_style.rs): the
// fragment looks its feature up in the layer's style buffer — colour,
// hidden, highlighted — so restyling writes a buffer, never a mesh.
//
// The feature index comes in the UV set as (index mod 4096,
// index div 4096): both halves are small whole numbers, exact in f32.

#import bevy_pbr::{
    pbr_fragment::pbr_input_from_standard_material,
    pbr_functions::alpha_discard,
}

#ifdef PREPASS_PIPELINE
#import bevy_pbr::{
    prepass_io::{VertexOutput, FragmentOutput},
    pbr_deferred_functions::deferred_output,
}
#else
#import bevy_pbr::{
    forward_io::{VertexOutput, FragmentOutput},
    pbr_functions::{apply_pbr_lighting, main_pass_post_lighting_processing},
}
#endif

struct FeatureStyle {
    // sRGB, r in the low byte (unpack4x8unorm order).
    rgba: u32,
    flags: u32,
}

const FEATURE_ROW: u32 = 4096u;
const HIDDEN: u32 = 1u;
const HIGHLIGHT: u32 = 2u;
// The selection colour (linear), and how much of it a highlighted feature takes.
const HIGHLIGHT_RGB: vec3<f32> = vec3<f32>(1.0, 0.6, 0.0);
const HIGHLIGHT_MIX: f32 = 0.65;

@group(#{MATERIAL_BIND_GROUP}) @binding(100)
var<storage, read> styles: array<FeatureStyle>;
// x: colour factor of up-facing faces (roofs).
@group(#{MATERIAL_BIND_GROUP}) @binding(101)
var<uniform> shade: vec4<f32>;

fn srgb_to_linear(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + vec3<f32>(0.055)) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

@fragment
fn fragment(
    in: VertexOutput,
    @builtin(front_facing) is_front: bool,
) -> FragmentOutput {
    var pbr_input = pbr_input_from_standard_material(in, is_front);

#ifdef VERTEX_UVS_A
    let index = u32(round(in.uv.x)) + u32(round(in.uv.y)) * FEATURE_ROW;
    let style = styles[min(index, arrayLength(&styles) - 1u)];
    if (style.flags & HIDDEN) != 0u {
        discard;
    }
    let c = unpack4x8unorm(style.rgba);
    var rgb = srgb_to_linear(c.rgb);
    if in.world_normal.y > 0.7 {
        rgb *= shade.x;
    }
    if (style.flags & HIGHLIGHT) != 0u {
        rgb = mix(rgb, HIGHLIGHT_RGB, HIGHLIGHT_MIX);
        pbr_input.material.emissive = vec4<f32>(HIGHLIGHT_RGB * 0.25, 1.0);
    }
    let base = pbr_input.material.base_color;
    pbr_input.material.base_color = vec4<f32>(base.rgb * rgb, base.a * c.a);
#endif

    pbr_input.material.base_color = alpha_discard(pbr_input.material, pbr_input.material.base_color);

#ifdef PREPASS_PIPELINE
    let out = deferred_output(in, pbr_input);
#else
    var out: FragmentOutput;
    out.color = apply_pbr_lighting(pbr_input);
    out.color = main_pass_post_lighting_processing(pbr_input, out.color);
#endif
    return out;
}
