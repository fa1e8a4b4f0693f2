//! A section drawn as SVG: ground line, lines cut (true size, in their
//! CJJ 61 colours, labelled with ID, class, size and cover), lines running
//! along, axes in metres, and a table of the cuts under the plot.

use super::section::Section;
use super::utility::{Section as Shape, UtilityLine};
use std::fmt::Write;

/// How to draw.
#[derive(Clone, Debug)]
pub struct SvgOptions {
    pub title: String,
    /// Plot width in pixels (the drawing adds margins).
    pub width_px: f64,
    /// Vertical scale over horizontal: 1 for a cross-section, 5–20 for a
    /// long profile.
    pub exaggeration: f64,
    /// Chinese labels (else English).
    pub chinese: bool,
}

impl Default for SvgOptions {
    fn default() -> Self {
        SvgOptions {
            title: String::new(),
            width_px: 1000.0,
            exaggeration: 1.0,
            chinese: true,
        }
    }
}

const LEFT: f64 = 70.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 96.0;
const AXIS: f64 = 64.0;
const ROW: f64 = 18.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn rgb(c: [u8; 3]) -> String {
    format!("rgb({},{},{})", c[0], c[1], c[2])
}

/// A tick step of 1, 2 or 5 × 10ⁿ giving about `n` ticks over `span`.
fn tick_step(span: f64, n: f64) -> f64 {
    let raw = (span / n).max(1e-9);
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|k| k * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

fn size_label(line: &UtilityLine) -> String {
    match line.section {
        Some(Shape::Circle { diameter_m }) => format!("DN{:.0}", diameter_m * 1000.0),
        Some(Shape::Rect { width_m, height_m }) => {
            format!("{:.0}×{:.0}", width_m * 1000.0, height_m * 1000.0)
        }
        None => String::new(),
    }
}

/// The drawing's title: a longitudinal profile (纵断面图) or a
/// cross-section (横断面图).
pub fn title(profile: bool, chinese: bool) -> &'static str {
    match (profile, chinese) {
        (true, true) => "纵断面图",
        (true, false) => "Longitudinal profile",
        (false, true) => "横断面图",
        (false, false) => "Cross-section",
    }
}

/// The section as an SVG document.
pub fn to_svg(section: &Section, lines: &[UtilityLine], opts: &SvgOptions) -> String {
    let zh = opts.chinese;
    // Elevation range: ground and every line drawn, with room for labels.
    let mut zs: Vec<f64> = section.ground.iter().map(|g| g.1).collect();
    for c in &section.cuts {
        if let Some(z) = c.z {
            let h = lines[c.line].half_height();
            zs.extend([z - h, z + h]);
        }
    }
    zs.extend(
        section
            .runs
            .iter()
            .flat_map(|r| r.points.iter().map(|p| p.1)),
    );
    let (zmin, zmax) = zs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), z| {
            (a.min(*z), b.max(*z))
        });
    let (zmin, zmax) = if zmin.is_finite() {
        (zmin, zmax)
    } else {
        (0.0, 1.0)
    };
    let pad = ((zmax - zmin) * 0.15).max(0.5);
    let (zlo, zhi) = (zmin - pad, zmax + pad);
    let smax = section.length_m.max(1.0);
    let sx = opts.width_px / smax;
    let sy = sx * opts.exaggeration.max(0.01);
    let plot_h = ((zhi - zlo) * sy).clamp(120.0, 4000.0);
    let sy = plot_h / (zhi - zlo);
    let x = |s: f64| LEFT + s * sx;
    let y = |z: f64| TOP + (zhi - z) * sy;
    let table_top = TOP + plot_h + AXIS;
    let width = LEFT + opts.width_px + RIGHT;
    let height = table_top + ROW * (section.cuts.len() as f64 + 2.0) + 20.0;

    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="Noto Sans CJK SC, Noto Sans SC, sans-serif" font-size="12">"#
    );
    let _ = writeln!(o, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        o,
        r#"<text x="{LEFT}" y="24" font-size="16" font-weight="bold">{}</text>"#,
        escape(&opts.title)
    );
    let _ = writeln!(
        o,
        r##"<text x="{LEFT}" y="44" fill="#555">{}</text>"##,
        escape(&if zh {
            format!(
                "长 {:.1} m · 竖向比例 {:.0}:1 · 高程 m",
                section.length_m, opts.exaggeration
            )
        } else {
            format!(
                "length {:.1} m · vertical exaggeration {:.0}:1 · elevations in m",
                section.length_m, opts.exaggeration
            )
        })
    );

    // Grid and axes.
    let zstep = tick_step(zhi - zlo, 6.0);
    let mut z = (zlo / zstep).ceil() * zstep;
    while z <= zhi {
        let _ = writeln!(
            o,
            r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#444">{z:.1}</text>"##,
            x(0.0),
            y(z),
            x(smax),
            y(z),
            LEFT - 6.0,
            y(z) + 4.0
        );
        z += zstep;
    }
    let sstep = tick_step(smax, 8.0);
    let mut s = 0.0;
    while s <= smax + 1e-9 {
        let _ = writeln!(
            o,
            r##"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">{s:.0}</text>"##,
            x(s),
            y(zhi),
            x(s),
            y(zlo),
            x(s),
            y(zlo) + 16.0
        );
        s += sstep;
    }
    let _ = writeln!(
        o,
        r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{plot_h:.1}" fill="none" stroke="#888"/>"##,
        x(0.0),
        y(zhi),
        opts.width_px
    );
    let _ = writeln!(
        o,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">{}</text>"##,
        x(smax / 2.0),
        y(zlo) + 32.0,
        if zh { "桩号 (m)" } else { "chainage (m)" }
    );

    // Ground: soil below the line.
    if section.ground.len() > 1 {
        let mut d = format!("M{:.1},{:.1}", x(section.ground[0].0), y(zlo));
        for (s, z) in &section.ground {
            let _ = write!(d, " L{:.1},{:.1}", x(*s), y(*z));
        }
        let _ = write!(
            d,
            " L{:.1},{:.1} Z",
            x(section.ground.last().unwrap().0),
            y(zlo)
        );
        let _ = writeln!(o, r##"<path d="{d}" fill="#f3ead9" stroke="none"/>"##);
        let pts: Vec<String> = section
            .ground
            .iter()
            .map(|(s, z)| format!("{:.1},{:.1}", x(*s), y(*z)))
            .collect();
        let _ = writeln!(
            o,
            r##"<polyline points="{}" fill="none" stroke="#8b5a2b" stroke-width="2"/>"##,
            pts.join(" ")
        );
    }

    // Lines running along the path, each labelled once (on its longest
    // stretch), labels spread along the chainage so parallel lines do not
    // overprint.
    let mut longest: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    for (k, run) in section.runs.iter().enumerate() {
        let best = longest.entry(run.line).or_insert(k);
        if run.points.len() > section.runs[*best].points.len() {
            *best = k;
        }
    }
    let mut labelled: Vec<usize> = longest.into_values().collect();
    labelled.sort_unstable();
    for (k, run) in section.runs.iter().enumerate() {
        let l = &lines[run.line];
        let pts: Vec<String> = run
            .points
            .iter()
            .map(|(s, z)| format!("{:.1},{:.1}", x(*s), y(*z)))
            .collect();
        let w = (l.half_height() * 2.0 * sy).max(2.0);
        let _ = writeln!(
            o,
            r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="{w:.1}" stroke-opacity="0.8"/>"#,
            pts.join(" "),
            rgb(l.utility.color())
        );
        let Ok(nth) = labelled.binary_search(&k) else {
            continue;
        };
        let at = (0.1 + 0.8 * (nth as f64 + 0.5) / labelled.len() as f64)
            * (run.points.len() - 1) as f64;
        let mid = run.points[at.round() as usize];
        let _ = writeln!(
            o,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x(mid.0),
            y(mid.1) - w / 2.0 - 4.0,
            escape(&format!("{} {}", l.id, size_label(l)))
        );
    }

    // Lines cut: true size, a leader up to the ground, labels.
    for (k, c) in section.cuts.iter().enumerate() {
        let l = &lines[c.line];
        let Some(zc) = c.z else { continue };
        let (cx, cy) = (x(c.s), y(zc));
        let fill = rgb(l.utility.color());
        match l.section {
            Some(Shape::Rect { width_m, height_m }) => {
                let (w, h) = ((width_m * sx).max(3.0), (height_m * sy).max(3.0));
                let _ = writeln!(
                    o,
                    r#"<rect x="{:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}" stroke="black" stroke-width="0.8"/>"#,
                    cx - w / 2.0,
                    cy - h / 2.0
                );
            }
            _ => {
                let r = l.half_width();
                let _ = writeln!(
                    o,
                    r#"<ellipse cx="{cx:.1}" cy="{cy:.1}" rx="{:.1}" ry="{:.1}" fill="{fill}" stroke="black" stroke-width="0.8"/>"#,
                    (r * sx).max(3.0),
                    (r * sy).max(3.0)
                );
            }
        }
        // Leader: faint from the label to the ground, dashed over the
        // cover down to the line's top.
        let ground_y = c.ground.map_or(y(zhi), y);
        let top_y = cy - l.half_height() * sy;
        let _ = writeln!(
            o,
            r##"<line x1="{cx:.1}" y1="{:.1}" x2="{cx:.1}" y2="{ground_y:.1}" stroke="#bbb"/><line x1="{cx:.1}" y1="{ground_y:.1}" x2="{cx:.1}" y2="{top_y:.1}" stroke="#333" stroke-dasharray="3,3"/>"##,
            y(zhi)
        );
        // Above the plot, at alternating heights so neighbours do not
        // overprint; the leader below ties each to its line.
        let ly = TOP - 8.0 - (k % 2) as f64 * 14.0;
        let _ = writeln!(
            o,
            r#"<text x="{cx:.1}" y="{ly:.1}" text-anchor="middle" font-size="11">{}</text>"#,
            escape(&l.id)
        );
    }

    // Table of cuts.
    let cols: [&str; 7] = if zh {
        [
            "编号",
            "类别",
            "规格",
            "桩号 m",
            "管中高程 m",
            "地面高程 m",
            "覆土 m",
        ]
    } else {
        [
            "ID",
            "class",
            "size",
            "chainage m",
            "centre z m",
            "ground z m",
            "cover m",
        ]
    };
    let col_w = (width - LEFT) / cols.len() as f64;
    for (i, h) in cols.iter().enumerate() {
        let _ = writeln!(
            o,
            r#"<text x="{:.1}" y="{:.1}" font-weight="bold">{h}</text>"#,
            LEFT + i as f64 * col_w,
            table_top
        );
    }
    let fmt = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.2}"));
    for (r, c) in section.cuts.iter().enumerate() {
        let l = &lines[c.line];
        let cells = [
            l.id.clone(),
            if zh {
                l.utility.name_zh().to_string()
            } else {
                l.utility.key().to_string()
            },
            size_label(l),
            format!("{:.2}", c.s),
            fmt(c.z),
            fmt(c.ground),
            fmt(c.cover(l)),
        ];
        for (i, cell) in cells.iter().enumerate() {
            let _ = writeln!(
                o,
                r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                LEFT + i as f64 * col_w,
                table_top + ROW * (r as f64 + 1.0),
                escape(cell)
            );
        }
    }
    o.push_str("</svg>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipes::corridor::ground::NoGround;
    use crate::pipes::corridor::section::section;
    use crate::pipes::corridor::utility::{Laying, Utility};
    use glam::DVec2;

    #[test]
    fn the_drawing_names_every_line_cut_and_escapes_text() {
        let line = |id: &str, y: f64, z: f64| UtilityLine {
            id: id.into(),
            utility: Utility::Drainage,
            pressure: None,
            laying: Laying::Direct,
            section: Some(Shape::Circle { diameter_m: 0.6 }),
            plan: vec![DVec2::new(0.0, y), DVec2::new(10.0, y)],
            z: Some(vec![z, z]),
            ground: Some(vec![10.0, 10.0]),
            location: None,
        };
        let lines = [line("S<1>", 1.0, 7.0), line("S2", 4.0, 8.0)];
        let s = section(
            &lines,
            &[DVec2::new(5.0, 0.0), DVec2::new(5.0, 6.0)],
            0.0,
            &NoGround,
            1.0,
        );
        let svg = to_svg(&s, &lines, &SvgOptions::default());
        assert!(svg.contains("S&lt;1&gt;") && !svg.contains("S<1>"));
        assert_eq!(svg.matches("<ellipse").count(), 2);
        assert!(
            svg.contains("DN600") && svg.contains("2.70"),
            "cover 10 − 7.3"
        );
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    }
}
