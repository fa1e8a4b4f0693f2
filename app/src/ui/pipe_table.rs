//! The hydraulic results table: every link of a network at the step the
//! clock is at — flow, velocity, status — sortable by any column, a row
//! click selecting (and flying to) the pipe; exports of every step as CSV
//! (`cim_hydraulics::csv`, as `cim pipe simulate --csv`) and of this step
//! as GeoJSON lines with their values, beside the scene.

use crate::render::pipe_results::Results;
use crate::scene::store::{Notice, SceneStore};
use crate::ui::Requests;
use crate::ui::i18n::Lang;
use bevy_egui::egui;
use cim_core::model::geometry::Geometry;
use egui_extras::{Column, TableBuilder};
use serde_json::json;

/// The open table: which network, sorted how.
#[derive(Default)]
pub struct PipeTable {
    pub layer: Option<u64>,
    /// (column, ascending).
    sort: Option<(usize, bool)>,
}

const COLUMNS: [&str; 4] = ["id", "flow_lps", "velocity_ms", "status"];

pub fn show(
    ctx: &egui::Context,
    l: Lang,
    store: &SceneStore,
    layer: u64,
    results: &Results,
    table: &mut PipeTable,
    requests: &mut Requests,
) {
    let mut open = true;
    let name = store.slot(layer).map_or("?", |s| s.reference.name.as_str());
    let p = results
        .period
        .min(results.sim.periods.len().saturating_sub(1));
    let Some(period) = results.sim.periods.get(p) else {
        return;
    };
    egui::Window::new(format!(
        "{} — {name} · {}:{:02}",
        l.t("pipes.table"),
        period.time_s / 3600,
        period.time_s % 3600 / 60
    ))
    .id(egui::Id::new(("pipe_table", layer)))
    .open(&mut open)
    .resizable(true)
    .default_size([480.0, 360.0])
    .show(ctx, |ui| {
        ui.horizontal(|ui| {
            crate::ui::export::button(ui, l, "CSV", requests, || export_csv(store, name, results));
            crate::ui::export::button(ui, l, "GeoJSON", requests, || {
                export_geojson(store, layer, name, results, p)
            });
        });
        let sim = &results.sim;
        let mut rows: Vec<usize> = (0..sim.link_ids.len()).collect();
        if let Some((c, asc)) = table.sort {
            rows.sort_by(|&a, &b| {
                let o = match c {
                    0 => sim.link_ids[a].cmp(&sim.link_ids[b]),
                    1 => period.flow_lps[a].total_cmp(&period.flow_lps[b]),
                    2 => period.velocity_ms[a].total_cmp(&period.velocity_ms[b]),
                    _ => period.status[a].name().cmp(period.status[b].name()),
                };
                if asc { o } else { o.reverse() }
            });
        }
        let mut clicked = None;
        TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .columns(
                Column::initial(100.0).at_least(40.0).clip(true),
                COLUMNS.len(),
            )
            .min_scrolled_height(0.0)
            .header(22.0, |mut header| {
                for (c, name) in COLUMNS.iter().enumerate() {
                    header.col(|ui| {
                        let arrow = match table.sort {
                            Some((sc, true)) if sc == c => " ▲",
                            Some((sc, false)) if sc == c => " ▼",
                            _ => "",
                        };
                        if ui
                            .add(
                                egui::Button::new(
                                    egui::RichText::new(format!("{name}{arrow}")).strong(),
                                )
                                .frame(false),
                            )
                            .clicked()
                        {
                            table.sort = match table.sort {
                                Some((sc, false)) if sc == c => Some((c, true)),
                                Some((sc, true)) if sc == c => None,
                                _ => Some((c, false)),
                            };
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, rows.len(), |mut row| {
                    let i = rows[row.index()];
                    row.col(|ui| {
                        ui.label(&sim.link_ids[i]);
                    });
                    row.col(|ui| {
                        ui.label(format!("{:.3}", period.flow_lps[i]));
                    });
                    row.col(|ui| {
                        ui.label(format!("{:.3}", period.velocity_ms[i]));
                    });
                    row.col(|ui| {
                        ui.label(period.status[i].name());
                    });
                    if row.response().clicked() {
                        clicked = Some(i);
                    }
                });
            });
        if let Some(i) = clicked
            && let Some(f) = results.feature(i)
            && let Some(fid) = store.slot(layer).and_then(|s| {
                s.layer
                    .as_ref()?
                    .vector()?
                    .features
                    .get(f as usize)
                    .map(|x| x.id)
            })
        {
            requests.focus(store, layer, fid);
        }
    });
    if !open {
        table.layer = None;
    }
}

fn export_csv(store: &SceneStore, name: &str, results: &Results) -> Notice {
    use std::io::Write;
    let path = super::export::path(store, name, "results", "csv");
    let r = std::fs::File::create(&path).and_then(|f| {
        let mut w = std::io::BufWriter::new(f);
        cim_hydraulics::csv::write(&results.sim, &mut w)?;
        w.flush()
    });
    super::export::written(&path, r.map_err(|e| e.to_string()))
}

/// This step's links as GeoJSON lines (scene CRS) with their values.
fn export_geojson(
    store: &SceneStore,
    layer: u64,
    name: &str,
    results: &Results,
    p: usize,
) -> Notice {
    let path = super::export::path(store, name, "step", "geojson");
    let Some(v) = store.slot(layer).and_then(|s| s.layer.as_ref()?.vector()) else {
        return super::export::written(&path, Err("the network's layer is not loaded".into()));
    };
    let period = &results.sim.periods[p];
    let features: Vec<_> = (0..results.sim.link_ids.len())
        .filter_map(|i| {
            let f = v.features.get(results.feature(i)? as usize)?;
            let coords: Vec<Vec<[f64; 3]>> = match &f.geometry {
                Geometry::LineString(l) => vec![l.iter().map(|p| p.to_array()).collect()],
                Geometry::MultiLineString(ls) => ls
                    .iter()
                    .map(|l| l.iter().map(|p| p.to_array()).collect())
                    .collect(),
                _ => return None,
            };
            Some(json!({
                "type": "Feature",
                "geometry": {"type": "MultiLineString", "coordinates": coords},
                "properties": {
                    "id": results.sim.link_ids[i],
                    "time_s": period.time_s,
                    "flow_lps": period.flow_lps[i],
                    "velocity_ms": period.velocity_ms[i],
                    "status": period.status[i].name(),
                },
            }))
        })
        .collect();
    let doc = json!({
        "type": "FeatureCollection",
        "name": name,
        "crs": {"type": "name", "properties": {"name": store.crs.label()}},
        "features": features,
    });
    let r = serde_json::to_vec(&doc)
        .map_err(|e| e.to_string())
        .and_then(|b| std::fs::write(&path, b).map_err(|e| e.to_string()));
    super::export::written(&path, r)
}
