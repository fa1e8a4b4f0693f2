//! `cim pipe clearance|cover|section|dig`: the pipe-corridor analyses of
//! `cim_core::pipes::corridor` over GIS line layers of any utility.
//!
//! Every layer is brought into one planar CRS in metres: the first
//! layer's, or its UTM zone when that is lon/lat. Coordinates given on the
//! command line (`--line`, `--polygon`) are in the first layer's CRS.

use crate::cli::{CorridorArgs, UnderArg, ZRefArg};
use anyhow::{Context, Result, anyhow, bail};
use cim_core::crs::{CrsDef, Transformer};
use cim_core::model::grid::Grid;
use cim_core::pipes::corridor::clearance::{self, CheckOptions, ViolationKind};
use cim_core::pipes::corridor::excavation::{Dig, DigBottom};
use cim_core::pipes::corridor::from_layer::{LineOptions, ZRef, lines_from_layer};
use cim_core::pipes::corridor::ground::{Ground, NoGround};
use cim_core::pipes::corridor::{
    ClearanceRules, Location, Utility, UtilityLine, cover, excavation, section, svg,
};
use cim_core::{DVec2, DVec3, Geometry, LayerContent, VectorData};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Line layers in one planar CRS.
pub struct Planar {
    /// (file, the layer's lines) in the work CRS.
    pub layers: Vec<(PathBuf, VectorData)>,
    /// The CRS everything is in now.
    pub work: CrsDef,
    /// From the first layer's own CRS to `work` (`None`: the same).
    pub from_input: Option<Transformer>,
}

fn has_lines(v: &VectorData) -> bool {
    v.features.iter().any(|f| {
        matches!(
            f.geometry,
            Geometry::LineString(_) | Geometry::MultiLineString(_)
        )
    })
}

/// Loads the line layers of `paths` into one planar CRS in metres.
pub fn planar_layers(paths: &[PathBuf]) -> Result<Planar> {
    let mut found = Vec::new();
    for path in paths {
        let layers = cim_loaders::load_path(path).map_err(|e| anyhow!(e))?;
        let layer = layers
            .into_iter()
            .find(|l| l.vector().is_some_and(has_lines))
            .with_context(|| format!("{}: no layer of lines", cim_core::message::path(path)))?;
        found.push((path.clone(), layer));
    }
    let first_crs = found[0].1.crs.clone().unwrap_or_else(CrsDef::wgs84);
    let (work, from_input) = if cim_core::crs::is_geographic(&first_crs) {
        let c = found[0].1.bbox().map_or(DVec3::ZERO, |b| b.center());
        let ll =
            Transformer::new(&first_crs, &CrsDef::wgs84())?.transform(DVec3::new(c.x, c.y, 0.0))?;
        let utm = crate::scene::load::utm_zone(ll)?;
        let t = Transformer::new(&first_crs, &utm)?;
        (utm, Some(t))
    } else {
        (first_crs, None)
    };
    let mut layers = Vec::new();
    for (path, mut layer) in found {
        into_crs(&mut layer, &path, &work)?;
        let LayerContent::Vector(v) = layer.content else {
            unreachable!("a vector layer")
        };
        layers.push((path, v));
    }
    Ok(Planar {
        layers,
        work,
        from_input,
    })
}

/// Brings `layer` (read from `path`; lon/lat when it declares no CRS) into
/// `work`, telling how many features could not be.
pub fn into_crs(layer: &mut cim_core::Layer, path: &Path, work: &CrsDef) -> Result<()> {
    let crs = layer.crs.clone().unwrap_or_else(CrsDef::wgs84);
    if &crs == work {
        return Ok(());
    }
    let dropped = crate::scene::load::reproject(layer, &crs, work).map_err(|e| {
        anyhow!(
            "{}: cannot bring into {}: {e}",
            cim_core::message::path(path),
            work.label()
        )
    })?;
    if dropped > 0 {
        eprintln!(
            "cim: {}: {dropped} feature(s) could not be reprojected",
            cim_core::message::path(path)
        );
    }
    Ok(())
}

/// The utility a file's name gives (`给水管线.shp`, `gas_mains.geojson`).
fn utility_from_name(path: &Path) -> Option<Utility> {
    Utility::from_name(&path.file_stem()?.to_string_lossy())
}

/// Everything an analysis needs: lines, the ground, the rules.
struct Corridor {
    planar: Planar,
    lines: Vec<UtilityLine>,
    dem: Option<Grid>,
    rules: ClearanceRules,
}

impl Corridor {
    fn ground(&self) -> &dyn Ground {
        match &self.dem {
            Some(g) => g,
            None => &NoGround,
        }
    }

    /// Points from `x,y x,y …` in the first layer's CRS into the work CRS.
    fn points(&self, text: &str, what: &str) -> Result<Vec<DVec2>> {
        let mut out = Vec::new();
        for pair in text.split([' ', ';']).filter(|s| !s.is_empty()) {
            let (x, y) = pair
                .split_once(',')
                .and_then(|(x, y)| {
                    Some((x.trim().parse::<f64>().ok()?, y.trim().parse::<f64>().ok()?))
                })
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .with_context(|| {
                    format!(
                        "{what}: `{}` is not `x,y`",
                        cim_core::message::clip(pair, 40)
                    )
                })?;
            let p = match &self.planar.from_input {
                Some(t) => t.transform(DVec3::new(x, y, 0.0))?.truncate(),
                None => DVec2::new(x, y),
            };
            out.push(p);
        }
        Ok(out)
    }
}

fn load(args: &CorridorArgs) -> Result<Corridor> {
    if args.layers.is_empty() {
        bail!("give at least one line layer");
    }
    let planar = planar_layers(&args.layers)?;
    let dem = match &args.dem {
        None => None,
        Some(path) => Some(load_dem(path, &planar.work)?),
    };
    let rules = match &args.rules {
        None => ClearanceRules::gb50289_2016(),
        Some(p) => {
            let text = read_rules(p)?;
            ClearanceRules::from_toml(&text)
                .map_err(|e| anyhow!("{}: {e}", cim_core::message::path(p)))?
        }
    };
    let mut lines = Vec::new();
    for (path, v) in &planar.layers {
        let opts = LineOptions {
            utility: match &args.utility {
                Some(u) => Some(
                    Utility::parse(u)
                        .with_context(|| format!("--utility `{u}` is not a utility"))?,
                ),
                None => utility_from_name(path),
            },
            z_ref: args.z_ref.map(|z| match z {
                ZRefArg::Centre => ZRef::Centre,
                ZRefArg::Top => ZRef::Top,
                ZRefArg::Invert => ZRef::Invert,
            }),
            depth_m: args.depth_m,
        };
        let got = lines_from_layer(v, &opts, dem.as_ref().map(|g| g as &dyn Ground));
        if !got.skipped.is_empty() {
            let (fi, why) = &got.skipped[0];
            eprintln!(
                "cim: {}: {} feature(s) left out (feature {fi}: {why})",
                cim_core::message::path(path),
                got.skipped.len()
            );
        }
        if got.lines.iter().all(|l| l.z.is_none()) && !got.lines.is_empty() {
            eprintln!(
                "cim: {}: no heights (geometry Z, start/end elevations, or depths with ground): vertical checks skipped",
                cim_core::message::path(path)
            );
        }
        lines.extend(got.lines);
    }
    if lines.is_empty() {
        bail!("no utility lines read");
    }
    Ok(Corridor {
        planar,
        lines,
        dem,
        rules,
    })
}

/// A rule table's text: a regular file of at most 1 MiB (a FIFO or
/// `/dev/zero` is refused, not read forever).
fn read_rules(path: &Path) -> Result<String> {
    use std::io::Read;
    const MAX: u64 = 1 << 20;
    let file = cim_loaders::source_file::open_regular(path).map_err(|e| anyhow!(e))?;
    let mut bytes = Vec::new();
    file.take(MAX + 1)
        .read_to_end(&mut bytes)
        .with_context(|| cim_core::message::path(path))?;
    if bytes.len() as u64 > MAX {
        bail!("{}: a rule table over 1 MiB", cim_core::message::path(path));
    }
    String::from_utf8(bytes)
        .map_err(|_| anyhow!("{}: not UTF-8 text", cim_core::message::path(path)))
}

/// A DEM in the work CRS.
fn load_dem(path: &Path, work: &CrsDef) -> Result<Grid> {
    let layers = cim_loaders::load_path(path).map_err(|e| anyhow!(e))?;
    let layer = layers
        .into_iter()
        .find(|l| l.grid().is_some())
        .with_context(|| format!("{}: not a grid", cim_core::message::path(path)))?;
    let mut layer = layer;
    // A grid that declares no CRS is taken to be in the lines'.
    if layer.crs.is_some() {
        into_crs(&mut layer, path, work)?;
    }
    Ok(layer.grid().expect("a grid").clone())
}

pub fn clearance(
    args: &CorridorArgs,
    parallel_deg: f64,
    geojson: Option<&Path>,
) -> Result<ExitCode> {
    let c = load(args)?;
    let t0 = std::time::Instant::now();
    let report = clearance::check(
        &c.lines,
        &c.rules,
        CheckOptions {
            parallel_within_deg: parallel_deg,
            ..CheckOptions::default()
        },
    );
    let elapsed = t0.elapsed();
    let item = |v: &clearance::Violation| {
        let (a, b) = (&c.lines[v.a], &c.lines[v.b]);
        json!({
            "kind": v.kind.key(),
            "a": a.id, "utility_a": a.utility.key(),
            "b": b.id, "utility_b": b.utility.key(),
            "required_m": v.required_m,
            "clearance_m": v.clearance_m,
            "x": v.at.x, "y": v.at.y, "z": v.at.z,
            "places": v.places,
        })
    };
    if let Some(out) = geojson {
        let features: Vec<_> = report
            .violations
            .iter()
            .map(|v| json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [v.at.x, v.at.y, v.at.z]}, "properties": item(v)}))
            .collect();
        let doc = json!({"type": "FeatureCollection", "crs_label": c.planar.work.label(), "features": features});
        std::fs::write(out, serde_json::to_vec_pretty(&doc)?)
            .with_context(|| cim_core::message::path(out))?;
    }
    let unruled: Vec<_> = report.unruled.iter().map(|(a, b)| json!([a, b])).collect();
    if args.json {
        let out = json!({
            "rules": c.rules.name,
            "crs": c.planar.work.label(),
            "lines": c.lines.len(),
            "pairs_examined": report.pairs_examined,
            "crossings": report.crossings,
            "crossings_without_elevation": report.crossings_without_elevation,
            "unruled_pairs": unruled,
            "violations": report.violations.iter().map(item).collect::<Vec<_>>(),
            "seconds": elapsed.as_secs_f64(),
        });
        println!("{out}");
    } else {
        let count = |k| report.violations.iter().filter(|v| v.kind == k).count();
        println!(
            "{} lines ({}), rules: {}; {} crossings ({} without heights); {:.3} s",
            c.lines.len(),
            c.planar.work.label(),
            c.rules.name,
            report.crossings,
            report.crossings_without_elevation,
            elapsed.as_secs_f64()
        );
        println!(
            "{} collision(s), {} vertical, {} horizontal violation(s)",
            count(ViolationKind::Collision),
            count(ViolationKind::Vertical),
            count(ViolationKind::Horizontal)
        );
        for v in report.violations.iter().take(30) {
            let (a, b) = (&c.lines[v.a], &c.lines[v.b]);
            println!(
                "  {:<10} {} ({}) – {} ({}): {:.2} m{} at ({:.2}, {:.2}, {:.2})",
                v.kind.key(),
                a.id,
                a.utility.name_zh(),
                b.id,
                b.utility.name_zh(),
                v.clearance_m,
                v.required_m
                    .map_or(String::new(), |r| format!(" < {r:.2} m")),
                v.at.x,
                v.at.y,
                v.at.z
            );
        }
        if !unruled.is_empty() {
            let names: Vec<String> = report
                .unruled
                .iter()
                .map(|(a, b)| format!("{a}–{b}"))
                .collect();
            println!("no rule for: {} (not checked)", names.join(", "));
        }
    }
    Ok(if report.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

pub fn cover(args: &CorridorArgs, under: UnderArg, step: f64) -> Result<ExitCode> {
    let c = load(args)?;
    let default = match under {
        UnderArg::Roadway => Location::Roadway,
        UnderArg::Other => Location::Other,
    };
    let r = cover::check(&c.lines, &c.rules, c.ground(), default, step);
    let item = |s: &cover::CoverShortfall| {
        let l = &c.lines[s.line];
        json!({"id": l.id, "utility": l.utility.key(), "location": s.location, "required_m": s.required_m,
               "cover_m": s.cover_m, "length_m": s.length_m, "x": s.at.x, "y": s.at.y, "z": s.at.z})
    };
    if args.json {
        println!(
            "{}",
            json!({
                "rules": c.rules.name,
                "checked": r.checked,
                "without_ground": r.without_ground,
                "without_elevation": r.without_elevation,
                "without_rule": r.without_rule,
                "shortfalls": r.shortfalls.iter().map(item).collect::<Vec<_>>(),
            })
        );
    } else {
        println!(
            "{} line(s) checked; {} too shallow; not checked: {} without ground, {} without heights, no rule for {:?}",
            r.checked,
            r.shortfalls.len(),
            r.without_ground,
            r.without_elevation,
            r.without_rule
        );
        for s in r.shortfalls.iter().take(30) {
            let l = &c.lines[s.line];
            println!(
                "  {} ({}): cover {:.2} m < {:.2} m over {:.1} m, least at ({:.2}, {:.2})",
                l.id,
                l.utility.name_zh(),
                s.cover_m,
                s.required_m,
                s.length_m,
                s.at.x,
                s.at.y
            );
        }
    }
    Ok(if r.shortfalls.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

pub struct SectionArgs<'a> {
    pub line: &'a str,
    pub corridor: f64,
    pub step: f64,
    pub exaggeration: f64,
    pub out: Option<&'a Path>,
    pub english: bool,
}

pub fn section(args: &CorridorArgs, s: SectionArgs) -> Result<ExitCode> {
    let c = load(args)?;
    let path = c.points(s.line, "--line")?;
    if path.len() < 2 {
        bail!("--line needs at least two points");
    }
    let sec = section::section(&c.lines, &path, s.corridor, c.ground(), s.step);
    if let Some(out) = s.out {
        let title = svg::title(s.corridor > 0.0, !s.english);
        let doc = svg::to_svg(
            &sec,
            &c.lines,
            &svg::SvgOptions {
                title: title.to_string(),
                exaggeration: s.exaggeration,
                chinese: !s.english,
                ..svg::SvgOptions::default()
            },
        );
        let ext = out
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let bytes = match ext.as_str() {
            "svg" => doc.into_bytes(),
            "png" => crate::headless::svg_png::render(&doc)?,
            _ => bail!("--out: write .svg or .png"),
        };
        std::fs::write(out, bytes).with_context(|| cim_core::message::path(out))?;
    }
    if args.json || s.out.is_none() {
        let cuts: Vec<_> = sec
            .cuts
            .iter()
            .map(|k| {
                let l = &c.lines[k.line];
                json!({"id": l.id, "utility": l.utility.key(), "section": l.section, "s_m": k.s,
                       "x": k.at.x, "y": k.at.y, "z_m": k.z, "ground_m": k.ground, "cover_m": k.cover(l)})
            })
            .collect();
        let runs: Vec<_> = sec
            .runs
            .iter()
            .map(|r| {
                let l = &c.lines[r.line];
                json!({"id": l.id, "utility": l.utility.key(), "from_s_m": r.points[0].0, "to_s_m": r.points.last().map(|p| p.0)})
            })
            .collect();
        println!(
            "{}",
            json!({"length_m": sec.length_m, "ground_points": sec.ground.len(), "cuts": cuts, "runs": runs})
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub struct DigArgs<'a> {
    pub polygon: &'a str,
    pub depth: Option<f64>,
    pub bottom: Option<f64>,
    pub margin: f64,
    pub step: f64,
}

pub fn dig(args: &CorridorArgs, d: DigArgs) -> Result<ExitCode> {
    let c = load(args)?;
    let outline = c.points(d.polygon, "--polygon")?;
    if outline.len() < 3 {
        bail!("--polygon needs at least three points");
    }
    let bottom = match (d.depth, d.bottom) {
        (Some(depth), None) if depth > 0.0 => DigBottom::Depth(depth),
        (None, Some(z)) => DigBottom::Elevation(z),
        _ => bail!("give the dig's --depth (metres below ground, > 0) or its --bottom elevation"),
    };
    let hits = excavation::impact(
        &c.lines,
        &Dig {
            outline,
            bottom,
            margin_m: d.margin.max(0.0),
        },
        c.ground(),
        d.step,
    );
    let reached = hits
        .iter()
        .filter(|h| h.impact != excavation::Impact::Below)
        .count();
    if args.json {
        let items: Vec<_> = hits
            .iter()
            .map(|h| {
                let l = &c.lines[h.line];
                json!({"id": l.id, "utility": l.utility.key(), "impact": h.impact.key(), "inside_m": h.inside_m,
                       "clearance_m": h.clearance_m, "x": h.at.x, "y": h.at.y, "z": h.at.z})
            })
            .collect();
        println!("{}", json!({"lines": items, "reached": reached}));
    } else {
        println!(
            "{} line(s) under or near the dig, {reached} reached or unknown:",
            hits.len()
        );
        for h in &hits {
            let l = &c.lines[h.line];
            println!(
                "  {:<14} {} ({}) {:.1} m inside{}",
                h.impact.key(),
                l.id,
                l.utility.name_zh(),
                h.inside_m,
                h.clearance_m
                    .map_or(String::new(), |c| format!(", clearance {c:.2} m"))
            );
        }
    }
    Ok(if reached == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
