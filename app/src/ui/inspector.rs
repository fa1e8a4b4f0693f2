//! The inspector: attributes of the selected feature, copyable.

use crate::scene::store::SceneStore;
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use crate::view::picking::Selection;
use bevy_egui::egui;

pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    store: &SceneStore,
    selection: &Selection,
    requests: &mut Requests,
) {
    ui.heading(l.t("panel.inspector"));
    ui.separator();
    let Some((slot_id, fid)) = selection.0 else {
        ui.weak(l.t("inspector.none"));
        return;
    };
    let Some(slot) = store.slot(slot_id) else {
        // Its layer is gone.
        requests.select(None);
        return;
    };
    let Some(v) = slot.layer.as_ref().and_then(|x| x.vector()) else {
        return;
    };
    let Some(f) = v.feature(fid) else { return };
    ui.horizontal(|ui| {
        ui.label(format!("{}:", l.t("inspector.layer")));
        ui.strong(super::layer_tree::layer_label(
            l,
            store,
            &slot.reference.name,
        ));
        ui.weak(format!("#{}", fid.0));
    });
    let text: String = v
        .fields
        .iter()
        .zip(&f.attributes)
        .map(|(fd, a)| format!("{}\t{}\n", fd.name, a))
        .collect();
    if ui.button(l.t("inspector.copy")).clicked() {
        ui.ctx().copy_text(text);
    }
    egui::Grid::new("attrs")
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            ui.strong(l.t("inspector.field"));
            ui.strong(l.t("inspector.value"));
            ui.end_row();
            for (fd, a) in v.fields.iter().zip(&f.attributes) {
                ui.label(&fd.name);
                ui.add(egui::Label::new(a.to_string()).selectable(true));
                ui.end_row();
            }
        });
}
