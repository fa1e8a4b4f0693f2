//! # cim-app
//!
//! CIM Studio's desktop viewer (Bevy + egui) and the `cim` command line.
//! The app is assembled from plugins, one per capability; each owns its
//! components, resources and systems (see ARCHITECTURE.md):
//!
//! | plugin | module | job |
//! |---|---|---|
//! | [`scene::store::ScenePlugin`] | `scene::store`, `scene::derived` | the open scene document, layer loading, the store everything reads (changed by `StoreCommand`s); what styles decide (`StyleResults`) |
//! | [`scene::origin::OriginPlugin`] | `scene::origin` | floating origin: f64 anchors → f32 transforms |
//! | [`render::layers::LayerRenderPlugin`] | `render::layers`, `render::layer_meshing` | meshes for loaded layers, visibility, opacity |
//! | [`stream::basemap::BasemapPlugin`] | `stream::basemap` | basemap imagery: drapes composed on worker threads, draped base plane |
//! | [`render::feature_style::FeatureStylePlugin`] | `render::feature_style` | per-feature colour, visibility, highlight in a GPU buffer (`set_feature_colors`) |
//! | [`render::point_icons::PointIconsPlugin`] | `render::point_icons` | point layers as screen-space icons (`shaders/point_icon.wgsl`) |
//! | [`render::point_cloud::PointCloudPlugin`] | `render::point_cloud` | tileset point clouds as round points of a pixel size, styled per feature (`shaders/point_cloud.wgsl`) |
//! | [`stream::terrain::TerrainPlugin`] | `stream::terrain` | DEM as chunked LOD tiles chosen by screen-space error, draped with imagery; full-resolution pages of DEMs held as overviews |
//! | [`stream::tiles3d::Tiles3dPlugin`] | `stream::tiles3d` | 3D Tiles tilesets streamed by screen-space error under the shared budget, placed in the scene CRS in f64 |
//! | [`scene::clock::ClockPlugin`] | `scene::clock` | the scene clock; changed by `ClockCommand`s |
//! | [`render::sun::SunPlugin`] | `render::sun` | sun light with shadows, sky |
//! | [`view::camera::CameraPlugin`] | `view::camera` | orbit / pan / zoom / fly / fly-to; `CameraCommand`s |
//! | [`view::picking::PickingPlugin`] | `view::picking` | what is under the cursor; selection (`Select`) and highlight |
//! | [`tools::ToolsPlugin`] | `tools` | measurement, coordinate readout, search, attribute query; `ToolCommand`s |
//! | [`render::underground::UndergroundPlugin`] | `render::underground` | see-through ground for pipes (`SetGroundOpacity`), base plane under terrain-less scenes |
//! | [`ui::UiPlugin`] | `ui` | egui panels (read-only; their `Requests` go out as the owners' commands): layer tree, inspector, attribute tables, legend, labels, status bar, help |
//! | `headless::snapshot::build_headless` (no plugin of its own) | `headless::snapshot`, `headless::tiles`, `headless::bench_report` | off-screen, settled, tiled PNG capture; `cim bench` |

pub mod analysis;
pub mod cli;
pub mod convert;
pub mod flood;
pub mod headless;
pub mod inspect;
pub mod pipe;
pub mod pipe_corridor;
pub mod pipe_gis;
pub mod render;
pub mod scene;
pub mod stream;
pub mod tools;
pub mod ui;
pub mod view;
pub mod viewer;
