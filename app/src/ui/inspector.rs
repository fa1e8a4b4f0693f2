//! The inspector: attributes of the selected feature — a vector feature's
//! fields, or a tileset feature's properties with the metadata of its
//! tile, contents and tileset — copyable.

use crate::scene::store::SceneStore;
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use crate::view::picking::{Picked, Selection, TilePick};
use bevy_egui::egui;
use cim_core::model::layer::FeatureId;

pub fn show(
    ui: &mut egui::Ui,
    l: Lang,
    store: &SceneStore,
    selection: &Selection,
    requests: &mut Requests,
) {
    ui.heading(l.t("panel.inspector"));
    ui.separator();
    let Some(picked) = &selection.0 else {
        ui.weak(l.t("inspector.none"));
        return;
    };
    let Some(slot) = store.slot(picked.layer()) else {
        // Its layer is gone.
        requests.select(None);
        return;
    };
    ui.horizontal(|ui| {
        ui.label(format!("{}:", l.t("inspector.layer")));
        ui.strong(super::layer_tree::layer_label(
            l,
            store,
            &slot.reference.name,
        ));
        if let Picked::Feature(_, fid) = picked {
            ui.weak(format!("#{}", fid.0));
        }
    });
    let sections = match picked {
        Picked::Feature(_, fid) => feature_sections(slot, *fid),
        Picked::Tile(t) => tile_sections(l, slot, t),
    };
    let text: String = sections
        .iter()
        .flat_map(|s| {
            std::iter::once(format!("# {}\n", s.title))
                .chain(s.rows.iter().map(|(k, v)| format!("{k}\t{v}\n")))
        })
        .collect();
    if ui.button(l.t("inspector.copy")).clicked() {
        ui.ctx().copy_text(text);
    }
    // The panel scrolls.
    for (i, s) in sections.iter().enumerate() {
        if !s.title.is_empty() {
            ui.add_space(4.0);
            ui.strong(&s.title);
        }
        if !s.rows.is_empty() {
            grid(ui, l, i, &s.rows);
        }
    }
}

/// A titled list of (field, value) rows.
struct Section {
    title: String,
    rows: Vec<(String, String)>,
}

fn grid(ui: &mut egui::Ui, l: Lang, i: usize, rows: &[(String, String)]) {
    egui::Grid::new(("attrs", i))
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            ui.strong(l.t("inspector.field"));
            ui.strong(l.t("inspector.value"));
            ui.end_row();
            for (k, v) in rows {
                ui.label(k);
                ui.add(egui::Label::new(v).selectable(true));
                ui.end_row();
            }
        });
}

/// A vector feature's fields.
fn feature_sections(slot: &crate::scene::store::LayerSlot, fid: FeatureId) -> Vec<Section> {
    let Some(v) = slot.layer.as_ref().and_then(|x| x.vector()) else {
        return Vec::new();
    };
    let Some(f) = v.feature(fid) else {
        return Vec::new();
    };
    let rows = v
        .fields
        .iter()
        .zip(&f.attributes)
        .map(|(fd, a)| (fd.name.clone(), a.to_string()))
        .collect();
    vec![Section {
        title: String::new(),
        rows,
    }]
}

/// A tile's place in its tree, the features hit in it (each set's) with
/// their properties, and the metadata that applies to it.
fn tile_sections(l: Lang, slot: &crate::scene::store::LayerSlot, t: &TilePick) -> Vec<Section> {
    let Some(tiles) = slot.layer.as_ref().and_then(|x| x.tiles()) else {
        return Vec::new();
    };
    let tile = &t.about;
    let mut rows = vec![
        (l.t("inspector.tile").to_string(), t.tile.to_string()),
        (l.t("inspector.level").to_string(), tile.depth.to_string()),
        (
            l.t("inspector.geometric_error").to_string(),
            format!("{} m", tile.geometric_error),
        ),
    ];
    rows.extend(
        tile.contents
            .iter()
            .map(|c| (l.t("inspector.content").to_string(), c.clone())),
    );
    let mut out = vec![Section {
        title: l.t("inspector.tile").to_string(),
        rows,
    }];
    for f in t.features.iter() {
        let mut title = format!("{} {}", l.t("inspector.feature"), f.feature.id);
        if let Some(label) = &f.feature.label {
            title.push_str(&format!(" ({label})"));
        }
        if let Some(table) = &f.table {
            title.push_str(&format!(" — {table}"));
        }
        out.push(Section {
            title,
            rows: f
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
        });
    }
    if t.features.is_empty() {
        out.push(Section {
            title: l.t("inspector.no_features").to_string(),
            rows: Vec::new(),
        });
    }
    for m in tiles.source.metadata(t.tile) {
        let scope = match m.scope.as_str() {
            "tileset" => l.t("inspector.scope.tileset"),
            "group" => l.t("inspector.scope.group"),
            "content" => l.t("inspector.scope.content"),
            _ => l.t("inspector.scope.tile"),
        };
        let mut title = scope.to_string();
        if let Some(c) = &m.class {
            title.push_str(&format!(" ({c})"));
        }
        if let Some(uri) = &m.about {
            title.push_str(&format!(" — {}", file_name(uri)));
        }
        out.push(Section {
            title,
            rows: m
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
        });
    }
    out
}

/// The last part of a content URI (what tells contents apart).
fn file_name(uri: &str) -> &str {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    path.rsplit('/').next().unwrap_or(path)
}
