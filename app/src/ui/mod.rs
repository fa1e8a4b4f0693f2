//! The egui user interface: menus, the layer tree, the inspector, the
//! status bar with the time slider, messages and the help window. Every
//! panel is immediate-mode over the one [`SceneStore`]; edits go back into
//! the store and the renderers follow its `revision`.

pub mod attribute_table;
pub mod fonts;
pub mod i18n;
mod inspector;
pub mod labels;
mod layer_tree;
mod status_bar;
mod style_editor;
mod tools_panel;

use crate::scene::clock::ClockCommand;
use crate::scene::store::{LoadChannel, SceneStore, StoreCommand};
use crate::ui::i18n::Lang;
use crate::view::camera::{CameraRig, Pose};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, egui};

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
    underground: ResMut<'w, crate::render::underground::UndergroundView>,
    /// Edits of the store, applied next frame (see `StoreCommand`).
    store_commands: MessageWriter<'w, StoreCommand>,
    /// Changes of the scene clock, applied next frame.
    clock_commands: MessageWriter<'w, ClockCommand>,
}

#[allow(clippy::too_many_arguments)]
fn ui_system(
    mut contexts: EguiContexts,
    mut lang: ResMut<Lang>,
    mut store: ResMut<SceneStore>,
    channel: Res<LoadChannel>,
    mut state: ResMut<UiState>,
    mut rig: ResMut<CameraRig>,
    mut selection_res: ResMut<crate::view::picking::Selection>,
    hit: Res<crate::view::picking::CursorHit>,
    clock_res: Res<crate::scene::clock::Clock>,
    ground: Res<crate::render::layers::Ground>,
    diagnostics: Res<bevy::diagnostic::DiagnosticsStore>,
    mut capture: ResMut<UiCapture>,
    mut exit: MessageWriter<AppExit>,
    mut tools: ResMut<crate::tools::Tools>,
    mut view: ViewAccess,
) -> Result {
    let ctx = contexts.ctx_mut()?.clone();
    let l = *lang;
    // Panels edit copies; the resources are written back (and so marked
    // changed) only when a panel really changed them. Handing the panels
    // `&mut ResMut` marked them changed every frame, so the highlight was
    // rebuilt and the sun re-aimed each frame.
    let mut selection = selection_res.clone();
    let mut edits: Vec<StoreCommand> = Vec::new();
    let mut clock = clock_res.clone();
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
                        save(&mut store, &p, l);
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
                        rig.fly_to(Pose::from_view(&v));
                        ui.close();
                    }
                }
                ui.separator();
                if ui.button(l.t("view.zoom_all")).clicked() {
                    if let Some(bb) = crate::view::camera::scene_bbox(&store) {
                        let (yaw, fov) = (rig.pose.yaw, rig.fov_y);
                        rig.fly_to(Pose::framing(&bb, yaw, fov));
                    }
                    ui.close();
                }
                ui.checkbox(&mut rig.fly_mode, l.t("view.fly_mode"));
                ui.horizontal(|ui| {
                    ui.text_edit_singleline(&mut state.new_view_name);
                    if ui.button(l.t("view.save_view")).clicked()
                        && !state.new_view_name.trim().is_empty()
                    {
                        let p = rig.pose;
                        let target = p.eye + p.forward() * 500.0;
                        let name = state.new_view_name.trim().to_owned();
                        edits.push(StoreCommand::SaveView(cim_core::scene::View {
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
            let mut opacity = view.underground.ground_opacity;
            let mut open_table = None;
            layer_tree::show(
                ui,
                l,
                &store,
                &mut edits,
                &mut rig,
                &mut opacity,
                &mut open_table,
            );
            if opacity != view.underground.ground_opacity {
                view.underground.ground_opacity = opacity;
            }
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
                inspector::show(ui, l, &store, &mut selection);
                ui.add_space(12.0);
                egui::CollapsingHeader::new(l.t("panel.tools"))
                    .default_open(true)
                    .show(ui, |ui| {
                        tools_panel::show(
                            ui,
                            l,
                            &mut tools,
                            &store,
                            &ground,
                            &hit,
                            &mut rig,
                            &mut selection,
                        );
                    });
            });
        });

    // What is left of the window after the panels is the 3D view.
    let view_rect = root.available_rect_before_wrap();
    if let Ok((camera, cam_t)) = view.cameras.single() {
        labels::show(
            &ctx,
            view_rect,
            &store,
            &ground,
            camera,
            cam_t,
            &view.origin,
            rig.pose.eye,
        );
    }
    attribute_table::show_all(&ctx, l, &mut state.tables, &store, &mut selection, &mut rig);
    dialogs(&ctx, l, &mut store, &channel, &mut state);
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
    messages(&ctx, l, &mut store, &state);
    capture.pointer = ctx.egui_wants_pointer_input() || ctx.is_pointer_over_egui();
    capture.keyboard = ctx.egui_wants_keyboard_input();
    if selection != *selection_res {
        *selection_res = selection;
    }
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
    view.store_commands.write_batch(edits);
    Ok(())
}

fn save(store: &mut SceneStore, path: &std::path::Path, l: Lang) {
    let (error, text) = match store.save_to(path) {
        Ok(()) => (false, format!("{}: {}", l.t("msg.saved"), path.display())),
        Err(e) => (true, e),
    };
    store
        .notices
        .push(crate::scene::store::Notice { error, text });
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

fn dialogs(
    ctx: &egui::Context,
    l: Lang,
    store: &mut SceneStore,
    channel: &LoadChannel,
    state: &mut UiState,
) {
    if let Some(mut path) = state.save_as.take() {
        match path_dialog(ctx, l, "file.save_as", &mut path) {
            Some(true) => {
                let mut p = std::path::PathBuf::from(path.trim());
                if !p.to_string_lossy().ends_with(".cim.toml") {
                    p.set_extension("cim.toml");
                }
                save(store, &p, l);
            }
            Some(false) => {}
            None => state.save_as = Some(path),
        }
    }
    if let Some(mut path) = state.add_layer.take() {
        match path_dialog(ctx, l, "file.add_layer", &mut path) {
            Some(true) => {
                let r = crate::scene::load::layer_ref_for_file(std::path::Path::new(path.trim()));
                crate::scene::store::add_layer(store, channel, r);
            }
            Some(false) => {}
            None => state.add_layer = Some(path),
        }
    }
}

fn messages(ctx: &egui::Context, l: Lang, store: &mut SceneStore, state: &UiState) {
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
                store.notices.remove(i);
            }
        });
}
