//! The utility-corridor commands end to end (`cim pipe clearance|cover|
//! section|dig`) on the reference street (`tests/reference/corridor_street.*`,
//! numbers from a brute-force GEOS check), its drawing, and hostile inputs.

#[path = "support.rs"]
#[allow(dead_code, reason = "each e2e test file uses its own part of it")]
mod support;

#[path = "pipe_cli.rs"]
mod pipe_cli;

use pipe_cli::{cim, json, reference};
use serde_json::Value;
use std::path::PathBuf;
use support::{keep, snapshot};

fn street() -> PathBuf {
    reference("corridor_street.geojson")
}

fn expected_street() -> Value {
    serde_json::from_str(&std::fs::read_to_string(reference("corridor_street.json")).unwrap())
        .unwrap()
}

fn close(a: &Value, b: &Value, what: &str) {
    let (x, y) = (a.as_f64().unwrap(), b.as_f64().unwrap());
    assert!((x - y).abs() < 1e-6, "{what}: {x} vs {y}");
}

#[test]
fn clearance_finds_what_a_brute_force_geos_check_finds() {
    let out = cim(&["clearance", "--json"], &[&street()]);
    assert_eq!(out.status.code(), Some(2), "violations found: exit 2");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 feature(s) left out"),
        "the line of unknown class is named: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = expected_street();
    assert_eq!(got["lines"], want["lines"]);
    let key = |v: &Value| {
        (
            v["kind"].as_str().unwrap().to_string(),
            v["a"].as_str().unwrap().to_string(),
            v["b"].as_str().unwrap().to_string(),
        )
    };
    let mut got_v: Vec<&Value> = got["violations"].as_array().unwrap().iter().collect();
    let want_v: Vec<&Value> = want["clearance"].as_array().unwrap().iter().collect();
    got_v.sort_by_key(|v| {
        let (k, a, b) = key(v);
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        (
            ["collision", "vertical", "horizontal"]
                .iter()
                .position(|x| *x == k),
            a,
            b,
        )
    });
    let norm = |v: &Value| {
        let (k, a, b) = key(v);
        if a < b { (k, a, b) } else { (k, b, a) }
    };
    assert_eq!(
        got_v.iter().map(|v| norm(v)).collect::<Vec<_>>(),
        want_v.iter().map(|v| norm(v)).collect::<Vec<_>>()
    );
    for (g, w) in got_v.iter().zip(&want_v) {
        close(&g["clearance_m"], &w["clearance_m"], "clearance");
        close(&g["x"], &w["x"], "x");
        close(&g["y"], &w["y"], "y");
        assert_eq!(g["required_m"], w["required_m"]);
    }
}

#[test]
fn a_cross_section_lists_every_line_cut_and_draws_it() {
    let want = expected_street();
    let line: Vec<String> = want["section"]["line"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{},{}", p[0], p[1]))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("section.svg");
    let line = line.join(" ");
    let out = cim(
        &[
            "section",
            "--json",
            "--line",
            &line,
            "--out",
            svg.to_str().unwrap(),
        ],
        &[&street()],
    );
    let got = json(&out);
    let (g, w) = (
        got["cuts"].as_array().unwrap(),
        want["section"]["cuts"].as_array().unwrap(),
    );
    assert_eq!(g.len(), w.len());
    for (g, w) in g.iter().zip(w) {
        assert_eq!(g["id"], w["id"]);
        close(&g["s_m"], &w["s_m"], "chainage");
        close(&g["z_m"], &w["z_m"], "centre height");
        close(&g["cover_m"], &w["cover_m"], "cover");
    }
    let drawing = std::fs::read_to_string(&svg).unwrap();
    for c in w {
        assert!(
            drawing.contains(c["id"].as_str().unwrap()),
            "{} drawn",
            c["id"]
        );
    }
    assert!(drawing.contains("横断面图") && drawing.contains("覆土"));
    // The same as PNG, through resvg with the CJK font.
    let png = dir.path().join("section.png");
    let out = cim(
        &["section", "--line", &line, "--out", png.to_str().unwrap()],
        &[&street()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let img = image::open(&png).unwrap().to_rgb8();
    assert!(img.width() > 900 && img.height() > 300);
    // The storm drain's brown (CJJ 61: 76, 57, 38) is drawn.
    assert!(
        img.pixels().any(|p| p.0 == [76, 57, 38]),
        "the storm drain is drawn"
    );
    keep(&png, "corridor_section.png");
}

#[test]
fn a_dig_reports_the_lines_it_exposes() {
    let want = expected_street();
    let poly: Vec<String> = want["dig"]["polygon"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| format!("{},{}", p[0], p[1]))
        .collect();
    let out = cim(
        &[
            "dig",
            "--json",
            "--polygon",
            &poly.join(" "),
            "--depth",
            "1.6",
            "--margin",
            "0.5",
        ],
        &[&street()],
    );
    assert_eq!(out.status.code(), Some(2), "lines are exposed: exit 2");
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let inside: Vec<&Value> = got["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["inside_m"].as_f64().unwrap() > 0.0)
        .collect();
    let w = want["dig"]["hits"].as_array().unwrap();
    assert_eq!(inside.len(), w.len());
    for want in w {
        let g = inside
            .iter()
            .find(|h| h["id"] == want["id"])
            .expect("the same lines inside");
        close(&g["inside_m"], &want["inside_m"], "length inside");
        close(
            &g["clearance_m"],
            &want["clearance_m"],
            "clearance under the pit",
        );
        let c = want["clearance_m"].as_f64().unwrap();
        let impact = if c < 0.0 {
            "exposed"
        } else if c < 0.5 {
            "within_margin"
        } else {
            "below"
        };
        assert_eq!(g["impact"], impact, "{}", want["id"]);
    }
}

#[test]
fn cover_follows_a_projects_own_rule_table() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "name = \"site\"\n[[cover]]\nline = \"water:d>200\"\nroadway_m = 1.2\nother_m = 1.0\n",
    )
    .unwrap();
    let out = cim(
        &["cover", "--json", "--rules", rules.to_str().unwrap()],
        &[&street()],
    );
    assert_eq!(out.status.code(), Some(2));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let short = got["shortfalls"].as_array().unwrap();
    // Only the DN400 main (top 1.0 m down) is under the 1.2 m; the DN150
    // branch is not a `d>200` line.
    assert_eq!(short.len(), 1, "{short:?}");
    assert_eq!(short[0]["id"], "JS1");
    close(&short[0]["cover_m"], &serde_json::json!(1.0), "cover");
    assert!((short[0]["length_m"].as_f64().unwrap() - 200.0).abs() < 1e-6);
    // A broken table is refused, naming the file.
    std::fs::write(
        &rules,
        "name = \"site\"\n[[cover]]\nline = \"lava\"\nroadway_m = 1\nother_m = 1\n",
    )
    .unwrap();
    let out = cim(&["cover", "--rules", rules.to_str().unwrap()], &[&street()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rules.toml") && err.contains("lava"), "{err}");
}

#[test]
fn a_surveyed_street_is_drawn_as_pipes_in_its_classes_colours() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("street.png");
    let out = snapshot(&street(), &png);
    assert!(out.status.success());
    keep(&png, "corridor_street.png");
    let img = image::open(&png).unwrap().to_rgb8();
    // Each class's centre lines in CJJ 61's colour: 给水 sky blue, 排水
    // brown, 燃气 magenta, 热力 orange, 电力 red, 通信 green.
    for (name, c) in [
        ("water", [0, 255, 255]),
        ("drainage", [76, 57, 38]),
        ("gas", [255, 0, 255]),
        ("heat", [255, 128, 0]),
        ("power", [255, 0, 0]),
        ("telecom", [0, 255, 0]),
    ] {
        let n = img.pixels().filter(|p| p.0 == c).count();
        assert!(n > 20, "{name}: {n} pixels of {c:?}");
    }
}

#[test]
fn hostile_corridor_inputs_are_refused_by_name_not_hung_on() {
    // A rule table that never ends: refused, not read forever.
    let out = cim(&["clearance", "--rules", "/dev/zero"], &[&street()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/dev/zero"));
    // Coordinates that are not places, and numbers that are not depths:
    // those features are left out by name, the rest checked.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.geojson");
    std::fs::write(
        &bad,
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4547"}},"features":[
          {"type":"Feature","properties":{"管线类别":"给水","管径":"DN300","起点埋深":1e300,"终点埋深":1,"起点地面高程":10,"终点地面高程":10},
           "geometry":{"type":"LineString","coordinates":[[0,0],[100,0]]}},
          {"type":"Feature","properties":{"管线类别":"污水","管径":"DN99999999"},
           "geometry":{"type":"LineString","coordinates":[[0,1],[1e12,1]]}},
          {"type":"Feature","properties":{"管线类别":"污水","管径":"DN400"},
           "geometry":{"type":"LineString","coordinates":[[0,1.2],[100,1.2]]}}]}"#,
    )
    .unwrap();
    let out = cim(&["clearance", "--json", "--utility", "water"], &[&bad]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("left out") && err.contains("10⁹"), "{err}");
    let got: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(got["lines"], 2);
    // The sewer 1.2 m from the water main (no heights: plan only) is too
    // close: 1.2 − 0.15 − 0.2 = 0.85 m < 1.0 m.
    assert_eq!(got["violations"][0]["kind"], "horizontal");
}
