//! `cim inspect`: what files hold. Data files are described by
//! `cim_loaders::inspect_path`; scene documents list their layers, each
//! loaded and described in the scene CRS.

use crate::scene::load;
use anyhow::Result;
use cim_core::crs::{CrsDef, Transformer};
use cim_core::scene::SceneDoc;
use glam::DVec3;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Describes one scene document's layers as `cim inspect` entries.
pub fn scene_layers(path: &Path) -> Vec<Value> {
    let doc = match SceneDoc::load(path) {
        Ok(d) => d,
        Err(e) => {
            return vec![
                json!({ "name": cim_core::message::path(path), "format": "CIM scene", "error": e.to_string() }),
            ];
        }
    };
    let dir = path.parent();
    let to_wgs = Transformer::new(&doc.crs, &CrsDef::wgs84()).ok();
    doc.layers
        .iter()
        .map(|r| match load::load_layer(r, dir, &doc.crs, None) {
            Err(e) => json!({ "name": r.name, "format": "CIM scene layer", "source": r.source, "error": e }),
            Ok(loaded) => {
                let l = &loaded.layer;
                let bbox = l.bbox();
                let bbox_wgs84 = bbox.and_then(|b| {
                    let t = to_wgs.as_ref()?;
                    let mut out = cim_core::Bbox::EMPTY;
                    for (x, y) in [(b.min.x, b.min.y), (b.max.x, b.min.y), (b.max.x, b.max.y), (b.min.x, b.max.y)] {
                        out.extend(t.transform(DVec3::new(x, y, 0.0)).ok()?);
                    }
                    Some(out.to_xy_array())
                });
                let mut v = json!({
                    "name": r.name,
                    "format": l.format,
                    "source": r.source,
                    "crs": doc.crs.label(),
                    "kind": l.effective_kind(),
                    "feature_count": l.feature_count(),
                    "bbox": bbox.map(|b| b.to_xy_array()),
                    "bbox_wgs84": bbox_wgs84,
                });
                if let Some(vd) = l.vector() {
                    v["geometry_type"] = json!(vd.geometry_type());
                    v["fields"] = json!(vd.fields.iter().map(|f| json!({"name": f.name, "type": f.ty})).collect::<Vec<_>>());
                }
                if let Some(g) = l.grid() {
                    let mm = g.min_max();
                    v["width"] = json!(g.width);
                    v["height"] = json!(g.height);
                    v["cell_size"] = json!([g.dx, g.dy]);
                    v["nodata"] = json!(g.nodata);
                    v["min"] = json!(mm.map(|m| m.0));
                    v["max"] = json!(mm.map(|m| m.1));
                }
                let mut warnings = loaded.warnings;
                warnings.extend(loaded.losses);
                if !warnings.is_empty() {
                    v["warnings"] = json!(warnings);
                }
                v
            }
        })
        .collect()
}

fn text_line(v: &Value) -> String {
    let s = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    if let Some(e) = v.get("error").and_then(Value::as_str) {
        return format!("{}: ERROR: {e}", s("name"));
    }
    let mut line = format!(
        "{} [{}] crs={} features={}",
        s("name"),
        s("format"),
        s("crs"),
        v.get("feature_count").unwrap_or(&json!(0))
    );
    if let Some(b) = v.get("bbox").filter(|b| !b.is_null()) {
        line += &format!(" bbox={b}");
    }
    if let Some(b) = v.get("bbox_wgs84").filter(|b| !b.is_null()) {
        line += &format!(" wgs84={b}");
    }
    line
}

pub fn run(files: &[PathBuf], as_json: bool, deep: bool) -> Result<ExitCode> {
    let mut layers: Vec<Value> = Vec::new();
    let mut text = String::new();
    for f in files {
        if load::is_scene_doc(f) {
            let ls = scene_layers(f);
            text += &format!("{} (CIM scene)\n", cim_core::message::path(f));
            for l in &ls {
                text += &format!("  {}\n", text_line(l));
            }
            layers.extend(ls);
        } else {
            let report = cim_loaders::inspect_path_with(f, deep);
            text += &format!("{report}");
            if let Value::Object(mut o) = serde_json::to_value(&report)?
                && let Some(Value::Array(ls)) = o.remove("layers")
            {
                layers.extend(ls);
            }
        }
    }
    let failed = layers.iter().filter(|l| l.get("error").is_some()).count();
    // A tileset with parts that cannot be read (`errors`) is read in part.
    let partial = layers.iter().any(|l| {
        l.get("errors")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty())
    });
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({ "layers": layers }))?
        );
    } else {
        print!("{text}");
    }
    for l in layers
        .iter()
        .filter_map(|l| l.get("error").and_then(Value::as_str))
    {
        eprintln!("cim: error: {}", cim_core::message::lines(l, 2000));
    }
    for e in layers
        .iter()
        .filter_map(|l| l.get("errors").and_then(Value::as_array))
        .flatten()
        .filter_map(|e| e.get("message").and_then(Value::as_str))
    {
        eprintln!("cim: error: {}", cim_core::message::lines(e, 2000));
    }
    // As for `cim snapshot`: 1 when nothing could be read, 2 when some
    // layers (or parts of a tileset) could and others not.
    Ok(if failed == 0 && !partial {
        ExitCode::SUCCESS
    } else if failed < layers.len() {
        ExitCode::from(crate::headless::snapshot::EXIT_PARTIAL)
    } else {
        ExitCode::FAILURE
    })
}
