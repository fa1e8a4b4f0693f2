//! # cim-app
//!
//! CIM Studio's desktop viewer (Bevy + egui) and the `cim` command line.
//! The app is assembled from plugins, one per capability; each owns its
//! components, resources and systems (see ARCHITECTURE.md):
//!
//! | plugin | module | job |
//! |---|---|---|
//! | [`scene_state::ScenePlugin`] | `scene_state` | the open scene document, layer loading, the store everything reads |
//! | [`origin::OriginPlugin`] | `origin` | floating origin: f64 anchors → f32 transforms |
//! | [`layers::LayerRenderPlugin`] | `layers` | meshes for loaded layers, visibility, opacity |
//! | [`basemap::BasemapPlugin`] | `basemap` | basemap imagery: drapes composed on worker threads, draped base plane |
//! | [`feature_style::FeatureStylePlugin`] | `feature_style` | per-feature colour, visibility, highlight in a GPU buffer (`set_feature_colors`) |
//! | [`point_icons::PointIconsPlugin`] | `point_icons` | point layers as screen-space icons (`shaders/point_icon.wgsl`) |
//! | [`terrain::TerrainPlugin`] | `terrain` | DEM as chunked LOD tiles chosen by screen-space error, draped with imagery |
//! | [`sun::SunPlugin`] | `sun` | scene clock, sun light with shadows, sky |
//! | [`camera::CameraPlugin`] | `camera` | orbit / pan / zoom / fly / fly-to |
//! | [`picking::PickingPlugin`] | `picking` | what is under the cursor; selection and highlight |
//! | [`tools::ToolsPlugin`] | `tools` | measurement, coordinate readout, search, attribute query |
//! | [`underground::UndergroundPlugin`] | `underground` | see-through ground for pipes, base plane under terrain-less scenes |
//! | [`ui::UiPlugin`] | `ui` | egui panels: layer tree, inspector, attribute tables, legend, labels, status bar, help |
//! | [`snapshot::SnapshotPlugin`] | `snapshot` | off-screen, settled, tiled PNG capture |

pub mod basemap;
pub mod bench_path;
pub mod camera;
pub mod cli;
pub mod feature_style;
pub mod fonts;
pub mod frame_stats;
pub mod i18n;
pub mod inspect;
pub mod layer_meshing;
pub mod layers;
pub mod load;
pub mod mesh;
pub mod origin;
pub mod picking;
pub mod point_icons;
pub mod quality;
pub mod render_probe;
pub mod scene_state;
pub mod snapshot;
pub mod snapshot_labels;
pub mod stream;
pub mod sun;
pub mod terrain;
pub mod tools;
pub mod ui;
pub mod underground;
pub mod viewer;
