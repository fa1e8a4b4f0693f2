//! The burst analysis panel (爆管分析): for the selected pipe of an EPANET
//! network or a GIS pipe layer, the valves to close (a click flies to
//! one), the pipes and nodes that lose supply, the demand and length, and
//! for an EPANET network a button to simulate it with the valves closed
//! (the outcome shows in the pipe results panel).

use crate::analysis::burst::{Burst, BurstCommand};
use crate::scene::store::SceneStore;
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use crate::view::picking::Selection;
use bevy_egui::egui;
use cim_core::model::attr::AttrValue;

/// What isolating the selected feature asks: a link of an EPANET
/// network by its ID, or a pipe of a GIS line layer by its feature.
fn selected_pipe(store: &SceneStore, selection: &Selection) -> Option<(String, BurstCommand)> {
    let (layer, fid) = selection.feature()?;
    let l = store.slot(layer)?.layer.as_ref()?;
    if l.effective_kind() != cim_core::model::layer::LayerKind::Pipes {
        return None;
    }
    let v = l.vector()?;
    if l.format == "EPANET" {
        return match v.feature(fid)?.attributes.first()? {
            AttrValue::String(id) => Some((
                id.clone(),
                BurstCommand::Isolate {
                    layer,
                    link: id.clone(),
                },
            )),
            _ => None,
        };
    }
    let feature = v.features.iter().position(|f| f.id == fid)?;
    use cim_core::pipes::corridor::from_layer::{feature_id, id_field};
    let name = feature_id(v, id_field(v), feature);
    Some((
        name,
        BurstCommand::IsolateLine {
            layer,
            feature: feature as u32,
        },
    ))
}

pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    store: &SceneStore,
    selection: &Selection,
    (burst, simulate): (&Burst, bool),
    requests: &mut Requests,
    commands: &mut Vec<BurstCommand>,
) {
    match selected_pipe(store, selection) {
        Some((name, command)) => {
            ui.horizontal(|ui| {
                ui.label(format!("{} {name}", l.t("burst.pipe")));
                if ui
                    .add_enabled(!burst.running, egui::Button::new(l.t("burst.isolate")))
                    .clicked()
                {
                    commands.push(command);
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
    if !r.hydrants_out.is_empty() {
        ui.label(format!(
            "{} {}: {}",
            r.hydrants_out.len(),
            l.t("burst.hydrants"),
            r.hydrants_out.join(", ")
        ));
    }
    if r.scenario.is_some()
        && ui
            .add_enabled(simulate, egui::Button::new(l.t("burst.simulate")))
            .clicked()
    {
        commands.push(BurstCommand::Simulate {
            label: format!("{} {}", l.t("burst.scenario"), r.link),
        });
    }
    ui.horizontal(|ui| {
        ui.weak(format!("{} {}", l.t("burst.valves_from"), r.valves_from));
        if ui.small_button(l.t("corridor.clear")).clicked() {
            commands.push(BurstCommand::Clear);
        }
    });
}
