//! Burst analysis (爆管分析) in the hydraulic results panel: for the
//! selected pipe of an EPANET network, the valves to close (a click flies
//! to one), the pipes and nodes that lose supply, the demand and length.

use crate::analysis::burst::{Burst, BurstCommand};
use crate::scene::store::SceneStore;
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use crate::view::picking::Selection;
use bevy_egui::egui;
use cim_core::model::attr::AttrValue;

/// The selected feature when it is a link of an EPANET network: (layer,
/// link ID).
fn selected_link(store: &SceneStore, selection: &Selection) -> Option<(u64, String)> {
    let (layer, fid) = selection.feature()?;
    let l = store.slot(layer)?.layer.as_ref()?;
    if l.format != "EPANET" || l.kind != cim_core::model::layer::LayerKind::Pipes {
        return None;
    }
    match l.vector()?.feature(fid)?.attributes.first()? {
        AttrValue::String(id) => Some((layer, id.clone())),
        _ => None,
    }
}

pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    store: &SceneStore,
    selection: &Selection,
    burst: &Burst,
    requests: &mut Requests,
    commands: &mut Vec<BurstCommand>,
) {
    ui.separator();
    ui.strong(l.t("burst.title"));
    match selected_link(store, selection) {
        Some((layer, link)) => {
            ui.horizontal(|ui| {
                ui.label(format!("{} {link}", l.t("burst.pipe")));
                if ui
                    .add_enabled(!burst.running, egui::Button::new(l.t("burst.isolate")))
                    .clicked()
                {
                    commands.push(BurstCommand::Isolate { layer, link });
                }
            });
        }
        None => {
            ui.weak(l.t("burst.hint"));
        }
    }
    if burst.running {
        ui.spinner();
    }
    let Some(r) = &burst.result else { return };
    ui.label(format!(
        "{} {} · {} {}",
        l.t("burst.pipe"),
        r.link,
        r.valves.len(),
        l.t("burst.valves")
    ));
    for (id, feature) in &r.valves {
        let clicked = ui.selectable_label(false, format!("⊗ {id}")).clicked();
        if clicked
            && let Some(f) = feature
            && let Some(fid) = store.slot(r.layer).and_then(|s| {
                s.layer
                    .as_ref()?
                    .vector()?
                    .features
                    .get(*f as usize)
                    .map(|x| x.id)
            })
        {
            requests.focus(store, r.layer, fid);
        }
    }
    ui.label(format!(
        "{} {} · {} {} · {:.2} L/s · {:.0} m",
        r.isolated_nodes,
        l.t("burst.nodes"),
        r.isolated_links,
        l.t("burst.links"),
        r.affected_demand_lps,
        r.affected_length_m
    ));
    ui.horizontal(|ui| {
        ui.weak(format!("{} {}", l.t("burst.valves_from"), r.valves_from));
        if ui.small_button(l.t("corridor.clear")).clicked() {
            commands.push(BurstCommand::Clear);
        }
    });
}
