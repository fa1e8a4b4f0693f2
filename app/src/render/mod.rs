//! Drawing the model: vector layers meshed on the task pool (`layers`,
//! `layer_meshing`, `mesh`) and coloured per feature (`feature_style`),
//! point icons, the sun and sky, the see-through ground, quality settings
//! and what the render world reports (`render_probe`).

pub mod centre_lines;
pub mod feature_style;
pub mod flow_animation;
pub mod layer_meshing;
pub mod layers;
pub mod mesh;
pub mod pipe_results;
pub mod point_cloud;
pub mod point_icons;
pub mod quality;
pub mod render_probe;
pub mod sun;
pub mod underground;
