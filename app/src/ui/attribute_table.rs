//! Attribute tables: one window per vector layer, like QGIS's. Rows are
//! virtualised (a million features scroll smoothly), columns sort on a
//! header click, a filter in the query language (`height > 50 and use =
//! '住宅'`) narrows the rows, and the selection is shared with the 3D view
//! both ways: a row click selects (double-click flies to it), a pick in 3D
//! scrolls the table to its row.

use crate::scene::store::SceneStore;
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use crate::view::picking::Selection;
use bevy_egui::egui;
use cim_core::model::geometry::Bbox;
use cim_core::model::layer::{FeatureId, VectorData};
use egui_extras::{Column, TableBuilder};

/// Most rows copied to the clipboard at once.
const MAX_COPY_ROWS: usize = 100_000;

/// What the rows were computed from: layer data identity, filter, sort.
type RowsKey = (usize, String, Option<(usize, bool)>);

/// One open attribute table.
pub struct AttributeTable {
    pub slot: u64,
    pub open: bool,
    filter: String,
    error: Option<String>,
    /// (field index, ascending)
    sort: Option<(usize, bool)>,
    /// Feature indices shown, in display order.
    rows: Vec<usize>,
    /// What `rows` was computed from: layer data identity, filter, sort.
    built: Option<RowsKey>,
    applied_filter: String,
    last_selection: Option<FeatureId>,
}

impl AttributeTable {
    pub fn new(slot: u64) -> Self {
        AttributeTable {
            slot,
            open: true,
            filter: String::new(),
            error: None,
            sort: None,
            rows: Vec::new(),
            built: None,
            applied_filter: String::new(),
            last_selection: None,
        }
    }

    /// Recomputes the rows when the data, the filter or the sort changed.
    fn refresh(&mut self, data_id: usize, v: &VectorData) {
        if let Some((id, filter, sort)) = &self.built
            && (*id, filter.as_str(), *sort) == (data_id, self.applied_filter.as_str(), self.sort)
        {
            return;
        }
        self.built = Some((data_id, self.applied_filter.clone(), self.sort));
        self.error = None;
        self.rows = match filtered_rows(v, &self.applied_filter) {
            Ok(r) => r,
            Err(e) => {
                self.error = Some(e);
                (0..v.features.len()).collect()
            }
        };
        if let Some((col, asc)) = self.sort {
            sort_rows(&mut self.rows, v, col, asc);
        }
    }
}

/// Feature indices matching `filter` (all of them for an empty filter).
pub fn filtered_rows(v: &VectorData, filter: &str) -> Result<Vec<usize>, String> {
    if filter.trim().is_empty() {
        return Ok((0..v.features.len()).collect());
    }
    cim_core::query::select(v, filter).map_err(|e| e.to_string())
}

/// Stable sort of `rows` by field `col` (nulls last either way).
pub fn sort_rows(rows: &mut [usize], v: &VectorData, col: usize, ascending: bool) {
    let null = cim_core::model::attr::AttrValue::Null;
    rows.sort_by(|&a, &b| {
        let va = v.features[a].attributes.get(col).unwrap_or(&null);
        let vb = v.features[b].attributes.get(col).unwrap_or(&null);
        match (va.is_null(), vb.is_null()) {
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ if ascending => va.sort_cmp(vb),
            _ => vb.sort_cmp(va),
        }
    });
}

/// Tab-separated text of the header and `rows`, for spreadsheets.
fn as_tsv(v: &VectorData, rows: &[usize]) -> String {
    let mut out = String::from("id");
    for f in &v.fields {
        out.push('\t');
        out.push_str(&f.name);
    }
    out.push('\n');
    for &i in rows.iter().take(MAX_COPY_ROWS) {
        let f = &v.features[i];
        out.push_str(&f.id.0.to_string());
        for a in &f.attributes {
            out.push('\t');
            out.push_str(&a.to_string().replace(['\t', '\n'], " "));
        }
        out.push('\n');
    }
    out
}

fn rows_bbox(v: &VectorData, rows: &[usize]) -> Option<Bbox> {
    rows.iter()
        .filter_map(|&i| v.features[i].geometry.bbox())
        .reduce(|a, b| a.union(&b))
}

/// Draws every open table; closed ones are dropped.
pub fn show_all(
    ctx: &egui::Context,
    l: Lang,
    tables: &mut Vec<AttributeTable>,
    store: &SceneStore,
    selection: &Selection,
    requests: &mut Requests,
) {
    for t in tables.iter_mut() {
        show(ctx, l, t, store, selection, requests);
    }
    tables.retain(|t| t.open && store.slot(t.slot).is_some());
}

fn show(
    ctx: &egui::Context,
    l: Lang,
    t: &mut AttributeTable,
    store: &SceneStore,
    selection: &Selection,
    requests: &mut Requests,
) {
    let Some(slot) = store.slot(t.slot) else {
        return;
    };
    let Some(layer) = slot.layer.clone() else {
        return;
    };
    let Some(v) = layer.vector() else {
        return;
    };
    t.refresh(std::sync::Arc::as_ptr(&layer) as usize, v);
    let name = super::layer_tree::layer_label(l, store, &slot.reference.name);
    let title = format!(
        "{} — {} ({} / {})",
        l.t("table.title"),
        name,
        t.rows.len(),
        v.features.len()
    );
    let mut open = t.open;
    let mut fly_to: Option<Bbox> = None;
    egui::Window::new(title)
        .id(egui::Id::new(("attribute_table", t.slot)))
        .open(&mut open)
        .default_size([720.0, 360.0])
        .resizable(true)
        .show(ctx, |ui| {
            // Selectable labels would swallow the row clicks.
            ui.style_mut().interaction.selectable_labels = false;
            ui.horizontal(|ui| {
                ui.label(l.t("table.filter"));
                let r = ui.add(
                    egui::TextEdit::singleline(&mut t.filter)
                        .hint_text("height > 50 and use = '住宅'")
                        .desired_width(320.0),
                );
                let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if ui.button(l.t("table.apply")).clicked() || enter {
                    t.applied_filter = t.filter.trim().to_owned();
                }
                if ui.button(l.t("table.clear")).clicked() {
                    t.filter.clear();
                    t.applied_filter.clear();
                }
                if ui.button(l.t("table.zoom_rows")).clicked() {
                    fly_to = rows_bbox(v, &t.rows);
                }
                if ui.button(l.t("table.copy")).clicked() {
                    ui.ctx().copy_text(as_tsv(v, &t.rows));
                }
            });
            if let Some(e) = &t.error {
                ui.colored_label(egui::Color32::from_rgb(255, 110, 100), e);
            }
            ui.separator();
            // A pick in the 3D view scrolls the table to its row.
            let selected = selection
                .feature()
                .filter(|(s, _)| *s == t.slot)
                .map(|(_, fid)| fid);
            let mut scroll_to = None;
            if selected != t.last_selection {
                t.last_selection = selected;
                if let Some(fid) = selected {
                    scroll_to = t.rows.iter().position(|&i| v.features[i].id == fid);
                }
            }
            let mut builder = TableBuilder::new(ui)
                .id_salt(("attribute_table_body", t.slot))
                .striped(true)
                .resizable(true)
                .sense(egui::Sense::click())
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(Column::auto().at_least(48.0))
                .columns(
                    Column::initial(110.0).at_least(40.0).clip(true),
                    v.fields.len(),
                )
                .min_scrolled_height(0.0);
            if let Some(row) = scroll_to {
                builder = builder.scroll_to_row(row, Some(egui::Align::Center));
            }
            let mut clicked: Option<(usize, bool)> = None;
            let mut sort = t.sort;
            builder
                .header(22.0, |mut header| {
                    header.col(|ui| {
                        ui.strong("#");
                    });
                    for (c, f) in v.fields.iter().enumerate() {
                        header.col(|ui| {
                            let arrow = match sort {
                                Some((sc, true)) if sc == c => " ▲",
                                Some((sc, false)) if sc == c => " ▼",
                                _ => "",
                            };
                            let b = ui
                                .add(
                                    egui::Button::new(
                                        egui::RichText::new(format!("{}{arrow}", f.name)).strong(),
                                    )
                                    .frame(false),
                                )
                                .on_hover_text(format!("{} ({})", f.name, f.ty.as_str()));
                            if b.clicked() {
                                sort = match sort {
                                    Some((sc, true)) if sc == c => Some((c, false)),
                                    Some((sc, false)) if sc == c => None,
                                    _ => Some((c, true)),
                                };
                            }
                        });
                    }
                })
                .body(|body| {
                    body.rows(20.0, t.rows.len(), |mut row| {
                        let i = t.rows[row.index()];
                        let f = &v.features[i];
                        row.set_selected(selected == Some(f.id));
                        row.col(|ui| {
                            ui.weak(f.id.0.to_string());
                        });
                        for a in &f.attributes {
                            row.col(|ui| {
                                ui.label(a.to_string());
                            });
                        }
                        let r = row.response();
                        if r.double_clicked() {
                            clicked = Some((i, true));
                        } else if r.clicked() {
                            clicked = Some((i, false));
                        }
                    });
                });
            t.sort = sort;
            if let Some((i, fly)) = clicked {
                let f = &v.features[i];
                requests.select(Some((t.slot, f.id)));
                t.last_selection = Some(f.id);
                if fly {
                    fly_to = f.geometry.bbox();
                }
            }
        });
    t.open = open;
    if let Some(bb) = fly_to {
        requests.frame(&bb);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cim_core::model::attr::{AttrType, AttrValue, Field};
    use cim_core::model::geometry::Geometry;
    use cim_core::model::layer::Feature;
    use glam::DVec3;

    fn data() -> VectorData {
        let rows = [
            (Some(30.0), "住宅"),
            (None, "商业"),
            (Some(5.5), "住宅"),
            (Some(120.0), "办公"),
        ];
        VectorData {
            fields: vec![
                Field::new("height", AttrType::Float),
                Field::new("use", AttrType::String),
            ],
            features: rows
                .iter()
                .enumerate()
                .map(|(i, (h, u))| Feature {
                    id: FeatureId(i as u64 + 100),
                    geometry: Geometry::Point(DVec3::new(i as f64, 0.0, 0.0)),
                    attributes: vec![
                        h.map_or(AttrValue::Null, AttrValue::Float),
                        AttrValue::from(*u),
                    ],
                })
                .collect(),
        }
    }

    #[test]
    fn sorting_puts_nulls_last_both_ways() {
        let v = data();
        let mut rows: Vec<usize> = (0..4).collect();
        sort_rows(&mut rows, &v, 0, true);
        assert_eq!(rows, [2, 0, 3, 1]);
        sort_rows(&mut rows, &v, 0, false);
        assert_eq!(rows, [3, 0, 2, 1]);
    }

    #[test]
    fn filter_uses_the_query_language_and_reports_errors() {
        let v = data();
        assert_eq!(filtered_rows(&v, "use = '住宅'").unwrap(), [0, 2]);
        assert_eq!(filtered_rows(&v, "  ").unwrap(), [0, 1, 2, 3]);
        let e = filtered_rows(&v, "hieght > 3").unwrap_err();
        assert!(e.contains("height"), "{e}");
    }

    #[test]
    fn tsv_has_a_header_and_one_line_per_row() {
        let v = data();
        let text = as_tsv(&v, &[3, 1]);
        assert_eq!(text, "id\theight\tuse\n103\t120\t办公\n101\t\t商业\n");
    }
}
