//! The egui user interface: menus, the layer tree, the inspector, the
//! status bar with the time slider, messages and the help window. Every
//! panel is immediate-mode over the one [`SceneStore`] and the resources it
//! shows, all read-only: what a panel changes goes out as the owning
//! plugin's commands ([`Requests`]), applied at the start of the next frame.

pub mod attribute_table;
pub mod burst_panel;
pub mod corridor_panel;
pub mod export;
pub mod flood_panel;
pub mod fonts;
pub mod i18n;
mod inspector;
pub mod labels;
mod layer_tree;
pub mod model_filter;
pub mod pipe_legend;
pub mod pipe_table;
mod requests;
mod status_bar;
mod style_editor;
mod tile_style_editor;
mod tileset_edits;
pub mod tileset_placement;
mod tools_panel;

use crate::scene::clock::ClockCommand;
use crate::scene::store::{SceneStore, StoreCommand};
use crate::ui::i18n::Lang;
use crate::view::camera::{CameraCommand, CameraRig, Pose};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, egui};
pub use requests::Requests;

/// Whether egui wants the pointer / keyboard this frame, so the 3D
/// controls stay out of its way.
#[derive(Resource, Default, Debug, Clone, Copy)]
pub struct UiCapture {
    pub pointer: bool,
    pub keyboard: bool,
}

/// Window toggles and transient UI state.
#[derive(Resource, Default)]
pub struct UiState {
    pub show_help: bool,
    pub fonts_installed: bool,
    pub has_cjk: bool,
    pub save_as: Option<String>,
    pub add_layer: Option<String>,
    pub new_view_name: String,
    pub tables: Vec<attribute_table::AttributeTable>,
    /// What is being typed into the Tools panel.
    pub tool_inputs: tools_panel::ToolInputs,
    /// The pipe-corridor panel's inputs and drawing.
    pub corridor_inputs: corridor_panel::CorridorInputs,
    /// The hydraulic results table, when open.
    pub pipe_table: pipe_table::PipeTable,
    /// The flood panel's scenario path.
    pub flood_inputs: flood_panel::FloodInputs,
}

pub struct UiPlugin {
    pub lang: Lang,
}

impl Plugin for UiPlugin {
    fn build(&self, app: &mut App) {
        app.add_plugins(EguiPlugin::default())
            .insert_resource(self.lang)
            .init_resource::<UiCapture>()
            .init_resource::<UiState>()
            .add_systems(EguiPrimaryContextPass, (setup_fonts, ui_system).chain())
            .add_systems(Update, help_shortcut);
    }
}

fn setup_fonts(mut contexts: EguiContexts, mut state: ResMut<UiState>) -> Result {
    if !state.fonts_installed {
        let ctx = contexts.ctx_mut()?;
        state.has_cjk = crate::ui::fonts::install_cjk_font(ctx);
        state.fonts_installed = true;
    }
    Ok(())
}

fn help_shortcut(
    keys: Res<ButtonInput<KeyCode>>,
    capture: Res<UiCapture>,
    mut state: ResMut<UiState>,
) {
    if keys.just_pressed(KeyCode::F1) && !capture.keyboard {
        state.show_help = !state.show_help;
    }
}

/// The 3D view as the UI needs it: the camera (labels), the render origin
/// and the underground view (the ground opacity slider).
#[derive(bevy::ecs::system::SystemParam)]
pub struct ViewAccess<'w, 's> {
    cameras: Query<
        'w,
        's,
        (&'static Camera, &'static GlobalTransform),
        With<crate::view::camera::MainCamera>,
    >,
    origin: Res<'w, crate::scene::origin::RenderOrigin>,
    underground: Res<'w, crate::render::underground::UndergroundView>,
    /// Hidden features get no label.
    feature_styles: Res<'w, crate::render::feature_style::FeatureStyles>,
    /// Where the panels' requests go, applied next frame.
    requests: requests::RequestWriters<'w>,
    /// Property names of the tilesets' resident features (style hints).
    tilesets: Option<Res<'w, crate::stream::tiles3d::TilesetStreams>>,
    /// Changes of the scene clock, applied next frame.
    clock_commands: MessageWriter<'w, ClockCommand>,
    /// Pipe networks' hydraulic results (the legend) and what colours them.
    pipes: Option<Res<'w, crate::render::pipe_results::PipeResults>>,
    pipe_commands: MessageWriter<'w, crate::render::pipe_results::PipeResultsCommand>,
    /// Pipe-corridor analyses (their results) and what runs them.
    corridor: Option<Res<'w, crate::analysis::corridor::Corridor>>,
    corridor_commands: MessageWriter<'w, crate::analysis::corridor::CorridorCommand>,
    /// Burst analysis (its result) and what runs it.
    burst: Option<Res<'w, crate::analysis::burst::Burst>>,
    burst_commands: MessageWriter<'w, crate::analysis::burst::BurstCommand>,
    /// Flood runs (their water) and what drives them.
    flood: Option<Res<'w, crate::analysis::flood::Flood>>,
    flood_commands: MessageWriter<'w, crate::analysis::flood::FloodViewCommand>,
}

#[allow(clippy::too_many_arguments)]
fn ui_system(
    mut contexts: EguiContexts,
    mut lang: ResMut<Lang>,
    store: Res<SceneStore>,
    mut state: ResMut<UiState>,
    rig: Res<CameraRig>,
    selection: Res<crate::view::picking::Selection>,
    hit: Res<crate::view::picking::CursorHit>,
    clock_res: Res<crate::scene::clock::Clock>,
    ground: Res<crate::render::layers::Ground>,
    diagnostics: Res<bevy::diagnostic::DiagnosticsStore>,
    mut capture: ResMut<UiCapture>,
    mut exit: MessageWriter<AppExit>,
    tools: Res<crate::tools::Tools>,
    styled: Res<crate::scene::derived::StyleResults>,
    mut view: ViewAccess,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let l = *lang;
    // Panels read the resources and collect requests; nothing they show is
    // written (or marked changed) here. The status bar edits a copy of the
    // clock, sent back as commands below.
    let mut requests = Requests::new(&rig);
    let mut pipe_commands = Vec::new();
    let mut corridor_commands = Vec::new();
    let mut burst_commands = Vec::new();
    let mut flood_commands = Vec::new();
    let mut clock = clock_res.clone();
    let state = &mut *state;
    let mut root = egui::Ui::new(
        ctx.clone(),
        "cim_root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );

    egui::Panel::top("menu").show(&mut root, |ui| {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button(l.t("menu.file"), |ui| {
                let can_save = store.path.is_some() && !store.is_demo;
                if ui
                    .add_enabled(can_save, egui::Button::new(l.t("file.save")))
                    .clicked()
                {
                    if let Some(p) = store.path.clone() {
                        requests.store.push(StoreCommand::SaveTo(p));
                    }
                    ui.close();
                }
                if ui.button(l.t("file.save_as")).clicked() {
                    state.save_as = Some(
                        store
                            .path
                            .as_ref()
                            .map_or("scene.cim.toml".into(), |p| p.display().to_string()),
                    );
                    ui.close();
                }
                if ui.button(l.t("file.add_layer")).clicked() {
                    state.add_layer = Some(String::new());
                    ui.close();
                }
                ui.separator();
                if ui.button(l.t("file.quit")).clicked() {
                    exit.write(AppExit::Success);
                }
            });
            ui.menu_button(l.t("menu.view"), |ui| {
                for v in store.doc.views.clone() {
                    if ui.button(&v.name).clicked() {
                        requests
                            .camera
                            .push(CameraCommand::FlyTo(Pose::from_view(&v)));
                        ui.close();
                    }
                }
                ui.separator();
                if ui.button(l.t("view.zoom_all")).clicked() {
                    if let Some(bb) = crate::view::camera::scene_bbox(&store) {
                        requests.frame(&bb);
                    }
                    ui.close();
                }
                let mut fly = rig.fly_mode;
                if ui.checkbox(&mut fly, l.t("view.fly_mode")).changed() {
                    requests.camera.push(CameraCommand::SetFlyMode(fly));
                }
                // Terrain, drapes and tilesets share it; saved in the scene.
                ui.horizontal(|ui| {
                    ui.label(l.t("view.stream_budget"));
                    let mut mb = store
                        .doc
                        .stream_budget_mb
                        .unwrap_or(crate::stream::budget::DEFAULT_BUDGET_MB as u64);
                    let drag = egui::DragValue::new(&mut mb).range(64..=65_536).speed(16);
                    if ui.add(drag).changed() {
                        requests.store.push(StoreCommand::SetStreamBudget(Some(mb)));
                    }
                });
                ui.horizontal(|ui| {
                    ui.text_edit_singleline(&mut state.new_view_name);
                    if ui.button(l.t("view.save_view")).clicked()
                        && !state.new_view_name.trim().is_empty()
                    {
                        let p = rig.pose;
                        let target = p.eye + p.forward() * 500.0;
                        let name = state.new_view_name.trim().to_owned();
                        requests
                            .store
                            .push(StoreCommand::SaveView(cim_core::scene::View {
                                name,
                                eye: p.eye.to_array(),
                                target: target.to_array(),
                            }));
                        state.new_view_name.clear();
                    }
                });
            });
            ui.menu_button(l.t("menu.language"), |ui| {
                if ui.radio(*lang == Lang::Zh, "中文").clicked() {
                    *lang = Lang::Zh;
                }
                if ui.radio(*lang == Lang::En, "English").clicked() {
                    *lang = Lang::En;
                }
            });
            ui.menu_button(l.t("menu.help"), |ui| {
                if ui.button(l.t("help.title")).clicked() {
                    state.show_help = true;
                    ui.close();
                }
            });
            ui.separator();
            ui.strong(&store.doc.name);
            if store.dirty {
                ui.label("●");
            }
        });
    });

    status_bar::show(
        &mut root,
        l,
        &store,
        &hit,
        &rig,
        &ground,
        &mut clock,
        &diagnostics,
    );
    egui::Panel::left("layers")
        .resizable(true)
        .default_size(250.0)
        .show(&mut root, |ui| {
            let mut open_table = None;
            let inputs = layer_tree::TreeInputs {
                styled: &styled,
                ground_opacity: view.underground.ground_opacity,
                tilesets: view.tilesets.as_deref(),
                ground: &ground,
            };
            layer_tree::show(ui, l, &store, &inputs, &mut requests, &mut open_table);
            if let Some(id) = open_table
                && !state.tables.iter().any(|t| t.slot == id)
            {
                state.tables.push(attribute_table::AttributeTable::new(id));
            }
        });
    egui::Panel::right("inspector")
        .resizable(true)
        .default_size(300.0)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                inspector::show(ui, l, &store, &selection, &mut requests);
                ui.add_space(12.0);
                egui::CollapsingHeader::new(l.t("panel.tools"))
                    .default_open(true)
                    .show(ui, |ui| {
                        tools_panel::show(
                            ui,
                            l,
                            &tools,
                            &mut state.tool_inputs,
                            &store,
                            &ground,
                            &selection,
                            &mut requests,
                        );
                    });
                if let Some(corridor) = view.corridor.as_deref() {
                    ui.add_space(12.0);
                    egui::CollapsingHeader::new(l.t("panel.corridor"))
                        .default_open(false)
                        .show(ui, |ui| {
                            corridor_panel::show(
                                ui,
                                l,
                                &tools,
                                &store,
                                corridor,
                                &mut state.corridor_inputs,
                                &mut requests,
                                &mut corridor_commands,
                            );
                        });
                }
                let has_pipes = store
                    .layers
                    .iter()
                    .any(|s| s.kind() == cim_core::model::layer::LayerKind::Pipes);
                if let Some(burst) = view.burst.as_deref()
                    && has_pipes
                {
                    // A scenario runs on a network whose normal operation
                    // has been simulated, one at a time.
                    let can_simulate = burst.result.as_ref().is_some_and(|r| {
                        view.pipes.as_deref().is_some_and(|p| {
                            p.ready(r.layer) && !p.scenario_running.contains_key(&r.layer)
                        })
                    });
                    ui.add_space(12.0);
                    egui::CollapsingHeader::new(l.t("burst.title"))
                        .default_open(true)
                        .show(ui, |ui| {
                            burst_panel::show(
                                ui,
                                l,
                                &store,
                                &selection,
                                (burst, can_simulate),
                                &mut requests,
                                &mut burst_commands,
                            );
                        });
                }
                if let Some(flood) = view.flood.as_deref() {
                    ui.add_space(12.0);
                    egui::CollapsingHeader::new(l.t("flood.title"))
                        .default_open(flood.scenario.is_some())
                        .show(ui, |ui| {
                            flood_panel::show(
                                ui,
                                l,
                                &store,
                                flood,
                                &mut state.flood_inputs,
                                &mut requests,
                                &mut flood_commands,
                            );
                        });
                }
                if let Some(pipes) = view.pipes.as_deref()
                    && !pipes.layers.is_empty()
                {
                    ui.add_space(12.0);
                    egui::CollapsingHeader::new(l.t("panel.pipe_results"))
                        .default_open(true)
                        .show(ui, |ui| {
                            pipe_legend::show(
                                ui,
                                l,
                                &store,
                                pipes,
                                &mut pipe_commands,
                                &mut state.pipe_table.layer,
                            );
                        });
                }
            });
        });

    // What is left of the window after the panels is the 3D view.
    let view_rect = root.available_rect_before_wrap();
    if let Ok((camera, cam_t)) = view.cameras.single() {
        labels::show(
            &ctx,
            view_rect,
            &store,
            &styled,
            &view.feature_styles,
            &ground,
            camera,
            cam_t,
            &view.origin,
            rig.pose.eye,
        );
    }
    if let Some(layer) = state.pipe_table.layer
        && let Some(pipes) = view.pipes.as_deref()
        && let Some(crate::render::pipe_results::LayerRun::Ready(r)) = pipes.layers.get(&layer)
    {
        pipe_table::show(
            &ctx,
            l,
            &store,
            layer,
            r,
            &mut state.pipe_table,
            &mut requests,
        );
    }
    attribute_table::show_all(
        &ctx,
        l,
        &mut state.tables,
        &store,
        &selection,
        &mut requests,
    );
    dialogs(&ctx, l, state, &mut requests);
    if state.show_help {
        egui::Window::new(l.t("help.title"))
            .open(&mut state.show_help)
            .show(&ctx, |ui| {
                for k in [
                    "help.left_drag",
                    "help.right_drag",
                    "help.wheel",
                    "help.click",
                    "help.double_click",
                    "help.fly",
                    "help.north",
                    "help.home",
                    "help.views",
                    "help.help",
                ] {
                    ui.label(l.t(k));
                }
            });
    }
    messages(&ctx, l, &store, state, &mut requests);
    // The side panels live in the background layer, which
    // `is_pointer_over_egui` does not count: a pointer outside the 3D
    // view's rect is the panels'.
    let over_panels = ctx
        .pointer_latest_pos()
        .is_some_and(|p| !view_rect.contains(p));
    capture.pointer = ctx.egui_wants_pointer_input() || ctx.is_pointer_over_egui() || over_panels;
    capture.keyboard = ctx.egui_wants_keyboard_input();
    // The panels edited a copy; what they changed goes out as commands.
    let (now, was) = (&clock.0, &clock_res.0);
    if now.current != was.current {
        view.clock_commands
            .write(ClockCommand::SetCurrent(now.current));
    }
    if now.playing != was.playing {
        view.clock_commands
            .write(ClockCommand::SetPlaying(now.playing));
    }
    if now.speed != was.speed {
        view.clock_commands.write(ClockCommand::SetSpeed(now.speed));
    }
    view.pipe_commands.write_batch(pipe_commands);
    view.corridor_commands.write_batch(corridor_commands);
    view.burst_commands.write_batch(burst_commands);
    view.flood_commands.write_batch(flood_commands);
    view.requests.send(requests);
    Ok(())
}

/// A small "enter a path" window; `Some(true)` on OK, `Some(false)` on cancel.
fn path_dialog(
    ctx: &egui::Context,
    l: Lang,
    title: &'static str,
    path: &mut String,
) -> Option<bool> {
    let mut answer = None;
    egui::Window::new(l.t(title))
        .collapsible(false)
        .show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.label(l.t("file.path"));
                ui.text_edit_singleline(path);
            });
            ui.horizontal(|ui| {
                if ui.button(l.t("action.ok")).clicked() && !path.trim().is_empty() {
                    answer = Some(true);
                }
                if ui.button(l.t("action.cancel")).clicked() {
                    answer = Some(false);
                }
            });
        });
    answer
}

fn dialogs(ctx: &egui::Context, l: Lang, state: &mut UiState, requests: &mut Requests) {
    if let Some(mut path) = state.save_as.take() {
        match path_dialog(ctx, l, "file.save_as", &mut path) {
            Some(true) => {
                let mut p = std::path::PathBuf::from(path.trim());
                if !p.to_string_lossy().ends_with(".cim.toml") {
                    p.set_extension("cim.toml");
                }
                requests.store.push(StoreCommand::SaveTo(p));
            }
            Some(false) => {}
            None => state.save_as = Some(path),
        }
    }
    if let Some(mut path) = state.add_layer.take() {
        match path_dialog(ctx, l, "file.add_layer", &mut path) {
            Some(true) => {
                let r = crate::scene::load::layer_ref_for_file(std::path::Path::new(path.trim()));
                requests.store.push(StoreCommand::AddLayer(Box::new(r)));
            }
            Some(false) => {}
            None => state.add_layer = Some(path),
        }
    }
}

fn messages(
    ctx: &egui::Context,
    l: Lang,
    store: &SceneStore,
    state: &UiState,
    requests: &mut Requests,
) {
    let no_font = state.fonts_installed && !state.has_cjk;
    if store.notices.is_empty() && !no_font {
        return;
    }
    egui::Window::new(l.t("panel.messages"))
        .anchor(egui::Align2::CENTER_BOTTOM, [0.0, -40.0])
        .collapsible(true)
        .resizable(false)
        .show(ctx, |ui| {
            if no_font {
                ui.colored_label(egui::Color32::YELLOW, l.t("msg.no_cjk_font"));
            }
            let mut dismiss = None;
            for (i, n) in store.notices.iter().enumerate().rev().take(8) {
                ui.horizontal(|ui| {
                    let color = if n.error {
                        egui::Color32::from_rgb(255, 110, 100)
                    } else {
                        egui::Color32::LIGHT_GRAY
                    };
                    ui.colored_label(color, &n.text);
                    if ui
                        .small_button("✕")
                        .on_hover_text(l.t("msg.dismiss"))
                        .clicked()
                    {
                        dismiss = Some(i);
                    }
                });
            }
            if let Some(i) = dismiss {
                requests.store.push(StoreCommand::DismissNotice(i));
            }
        });
}
