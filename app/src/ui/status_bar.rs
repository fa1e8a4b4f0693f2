//! The status bar: cursor position in the scene CRS and WGS84, camera
//! height, FPS, and the scene clock's time slider.

use crate::render::layers::Ground;
use crate::scene::clock::Clock;
use crate::scene::store::SceneStore;
use crate::ui::i18n::Lang;
use crate::view::camera::CameraRig;
use crate::view::picking::CursorHit;
use bevy::diagnostic::{DiagnosticsStore, FrameTimeDiagnosticsPlugin};
use bevy_egui::egui;

#[allow(clippy::too_many_arguments)]
pub fn show(
    root: &mut egui::Ui,
    l: Lang,
    store: &SceneStore,
    hit: &CursorHit,
    rig: &CameraRig,
    ground: &Ground,
    clock: &mut Clock,
    diagnostics: &DiagnosticsStore,
) {
    egui::Panel::bottom("status").show(root, |ui| {
        ui.horizontal(|ui| {
            let c = &mut clock.0;
            let label = if c.playing {
                l.t("time.pause")
            } else {
                l.t("time.play")
            };
            if ui.button(label).clicked() {
                c.playing = !c.playing;
            }
            ui.label(l.t("time.label"));
            let (start, end) = (c.start, c.end);
            ui.add(egui::Slider::new(&mut c.current, start..=end).show_value(false));
            ui.monospace(c.display());
        });
        ui.horizontal(|ui| {
            match hit.point {
                Some(p) => {
                    ui.monospace(format!(
                        "{} E {:.3} N {:.3} H {:.2}",
                        l.t("status.cursor"),
                        p.x,
                        p.y,
                        p.z
                    ));
                    if let Some(w) = store.wgs84(p) {
                        ui.separator();
                        ui.monospace(format!("WGS84 {:.7}°, {:.7}°, {:.2} m", w.x, w.y, w.z));
                    }
                }
                None => {
                    ui.monospace(format!("{} —", l.t("status.cursor")));
                }
            }
            ui.separator();
            let h = rig.pose.eye.z - ground.height(rig.pose.eye);
            ui.monospace(format!("{} {:.1} m", l.t("status.camera_height"), h));
            ui.separator();
            let fps = diagnostics
                .get(&FrameTimeDiagnosticsPlugin::FPS)
                .and_then(|d| d.smoothed())
                .unwrap_or(0.0);
            ui.monospace(format!("{} {:.1}", l.t("status.fps"), fps));
            if store.is_demo {
                ui.separator();
                ui.colored_label(
                    egui::Color32::from_rgb(240, 200, 90),
                    l.t("status.synthetic"),
                );
            }
        });
    });
}
