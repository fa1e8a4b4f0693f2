//! `cim pipe …` end to end: the JSON interfaces and their numbers (EPANET's
//! via WNTR, `tests/reference/pipes_*.json`), bad networks, and a network
//! drawn coloured by its simulated results.

#[path = "support.rs"]
#[allow(dead_code, reason = "each e2e test file uses its own part of it")]
mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::{keep, snapshot};

fn reference(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/reference")
        .join(name)
}

fn cim(args: &[&str], files: &[&Path]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cim"));
    c.args(["pipe"]).args(args).args(files);
    c.output().expect("cim runs")
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "cim failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn simulate_prints_the_documented_json_with_epanets_numbers() {
    let inp = reference("pipes_generated.inp");
    let got = json(&cim(&["simulate", "--json"], &[&inp]));
    assert_eq!(got["units"], "SI");
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(reference("pipes_epanet.json")).unwrap())
            .unwrap();
    let want = &all["networks"]["generated"];
    let periods = got["periods"].as_array().unwrap();
    assert_eq!(periods.len(), want["times"].as_array().unwrap().len());
    let ids = |k: &str| -> Vec<String> { serde_json::from_value(want[k].clone()).unwrap() };
    let (nodes, links) = (ids("nodes"), ids("links"));
    for (t, p) in periods.iter().enumerate() {
        assert_eq!(p["time_s"], want["times"][t]);
        let node_map = p["nodes"].as_object().unwrap();
        assert_eq!(node_map.len(), nodes.len());
        for (k, id) in nodes.iter().enumerate() {
            let n = &node_map[id];
            let (pressure, head) = (
                n["pressure_m"].as_f64().unwrap(),
                n["head_m"].as_f64().unwrap(),
            );
            assert!(
                (pressure - want["pressure_m"][t][k].as_f64().unwrap()).abs() <= 0.01,
                "{id}"
            );
            assert!(
                (head - want["head_m"][t][k].as_f64().unwrap()).abs() <= 0.01,
                "{id}"
            );
            assert!(n["demand_lps"].is_number());
        }
        let link_map = p["links"].as_object().unwrap();
        assert_eq!(link_map.len(), links.len());
        for (k, id) in links.iter().enumerate() {
            let l = &link_map[id];
            let (q, w) = (
                l["flow_lps"].as_f64().unwrap(),
                want["flow_lps"][t][k].as_f64().unwrap(),
            );
            assert!(
                (q - w).abs() <= (1e-3 * w.abs()).max(1e-3),
                "{id}: {q} vs {w}"
            );
            assert!(l["velocity_ms"].is_number());
            let closed = want["status"][t][k] == 0;
            assert_eq!(l["status"], if closed { "CLOSED" } else { "OPEN" }, "{id}");
        }
    }
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder (EPANET's Net3)"
)]
fn isolate_prints_wntrs_valves_and_nodes() {
    let data = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA");
    let net3 = Path::new(&data).join("pipes/epanet/Net3.inp");
    assert!(net3.is_file(), "{}: missing", net3.display());
    let valves = reference("pipes_net3_valves.csv");
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string(reference("pipes_segments.json")).unwrap())
            .unwrap();
    for pipe in ["20", "40", "173", "329"] {
        let got = json(&cim(
            &[
                "isolate",
                "--link",
                pipe,
                "--valves",
                valves.to_str().unwrap(),
                "--json",
            ],
            &[&net3],
        ));
        let sorted = |v: &Value| {
            let mut s: Vec<String> = serde_json::from_value(v.clone()).unwrap();
            s.sort();
            s
        };
        let expected = &want["bursts"][pipe];
        assert_eq!(
            sorted(&got["valves_to_close"]),
            sorted(&expected["valves_to_close"]),
            "{pipe}"
        );
        assert_eq!(
            sorted(&got["isolated_nodes"]),
            sorted(&expected["isolated_nodes"]),
            "{pipe}"
        );
        assert!(got["affected_demand_lps"].as_f64().unwrap() >= 0.0);
        assert!(
            got["isolated_links"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l == pipe)
        );
        // A valve that will not close: the next ring closes instead, and at
        // least as much loses supply.
        let seized = got["valves_to_close"][0].as_str().unwrap().to_string();
        let wider = json(&cim(
            &[
                "isolate",
                "--link",
                pipe,
                "--valves",
                valves.to_str().unwrap(),
                "--failed-valve",
                &seized,
                "--json",
            ],
            &[&net3],
        ));
        assert!(
            !wider["valves_to_close"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| v == seized.as_str())
        );
        assert!(
            wider["isolated_nodes"].as_array().unwrap().len()
                >= got["isolated_nodes"].as_array().unwrap().len()
        );
    }
}

#[test]
fn bad_networks_are_errors_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = "[RESERVOIRS]\nR 50\n[JUNCTIONS]\nA 10 1\nB 10 1\n[PIPES]\nP1 R A 100 200 100\nP2 A B 100 200 100\n";
    let cases = [
        (
            "section.inp",
            format!("{good}[PIPEZ]\nX A B 1 1 1\n"),
            "line 9: unknown section",
        ),
        (
            "number.inp",
            good.replace("A 10 1", "A ten 1"),
            "line 4: elevation `ten` is not a number",
        ),
        (
            "node.inp",
            good.replace("P2 A B", "P2 A Q"),
            "line 8: link `P2` names node `Q`, which is not defined",
        ),
        (
            "island.inp",
            format!("{good}[JUNCTIONS]\nC 1\nD 1\n[PIPES]\nP3 C D 10 100 100\n"),
            "line 10: junction `C` and 1 other node(s) joined to it are reached by no reservoir or tank",
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        for args in [
            &["simulate", "--json"][..],
            &["isolate", "--link", "P1"][..],
        ] {
            let out = cim(args, &[&path]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{name}: {err}");
            assert!(err.contains(name) && err.contains(want), "{name}: {err}");
            assert!(out.stdout.is_empty(), "{name}: nothing half-printed");
        }
    }
    // `check` lists the pieces instead, exit 2.
    let out = cim(&["check", "--json"], &[&dir.path().join("island.inp")]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["islands"], serde_json::json!([["C", "D"]]));
}

#[test]
fn a_network_is_drawn_in_the_colours_of_its_results() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("grid.png");
    let out = snapshot(&reference("pipes_generated.inp"), &png);
    assert!(out.status.success());
    keep(&png, "pipes_generated.png");
    let img = image::open(&png).unwrap().to_rgba8();
    // Pipes coloured by velocity through the turbo ramp: several distinct,
    // saturated hues, not one layer colour.
    let mut hues = std::collections::BTreeSet::new();
    for p in img.pixels() {
        let [r, g, b, _] = p.0.map(i32::from);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        if max - min > 90 {
            hues.insert(((r / 64), (g / 64), (b / 64)));
        }
    }
    assert!(hues.len() >= 4, "saturated colour classes: {hues:?}");
}

#[test]
fn a_gis_line_layer_is_joined_into_a_network_with_its_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mains.geojson");
    // UTM 50N metres: a main, a branch ending 5 cm off its middle, a pipe
    // 2 cm short of the main's end, and a stub 3 m beyond the branch.
    let line = |pts: &[(f64, f64)]| {
        let c: Vec<String> = pts
            .iter()
            .map(|(x, y)| format!("[{}, {}]", 400000.0 + x, 2500000.0 + y))
            .collect();
        format!(
            r#"{{"type":"Feature","properties":{{"DN":200}},"geometry":{{"type":"LineString","coordinates":[{}]}}}}"#,
            c.join(",")
        )
    };
    let features = [
        line(&[(0.0, 0.0), (100.0, 0.0)]),
        line(&[(50.0, 0.05), (50.0, 40.0)]),
        line(&[(100.02, 0.0), (180.0, 0.0)]),
        line(&[(50.0, 43.0), (50.0, 60.0)]),
    ];
    std::fs::write(
        &path,
        format!(
            r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::32650"}}}},"features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    let out = cim(
        &["check", "--snap", "0.1", "--gap", "5", "--json"],
        &[&path],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pipes"], 4);
    assert_eq!(v["links"], 5, "the main is split where the branch meets it");
    assert_eq!(v["split_pipes"], 1);
    assert_eq!(v["snapped_ends"], 1);
    assert_eq!(v["components"], 2, "the stub stands apart");
    let gaps = v["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 2);
    for g in gaps {
        assert!(
            (g["distance_m"].as_f64().unwrap() - 3.0).abs() < 1e-6,
            "{g}"
        );
    }
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder (Za'atari's pipes)"
)]
fn a_real_sewer_layer_is_checked_in_metres() {
    let data = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA");
    let pipes = Path::new(&data).join("gis/zaatari/Pipes_SolidFree_2017_03.geojson");
    assert!(pipes.is_file(), "{}: missing", pipes.display());
    let out = cim(&["check", "--json"], &[&pipes]);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    eprintln!("{v:#}");
    // CRS84 is taken to its UTM zone (37N) before snapping.
    assert!(v["crs"].as_str().unwrap().contains("32637"), "{}", v["crs"]);
    assert_eq!(v["pipes"], 2096);
    let (nodes, links) = (v["nodes"].as_u64().unwrap(), v["links"].as_u64().unwrap());
    assert!(
        links >= 2096 && nodes > 1000,
        "{nodes} nodes, {links} links"
    );
    // Drawn by hand: many ends meet within the tolerance and branches end
    // on mains; the camp's sewers are many small block networks.
    assert!(v["snapped_ends"].as_u64().unwrap() > 1000);
    assert!(v["split_pipes"].as_u64().unwrap() > 100);
    assert!(v["components"].as_u64().unwrap() > 100);
    // Two drawn pipes are shorter than the 0.5 m snap (0.28 m and 0.44 m):
    // left out, and said.
    assert_eq!(v["skipped"], serde_json::json!(["752", "2021"]));
    // Every gap is a real miss: beyond the snap, within the search.
    for g in v["gaps"].as_array().unwrap() {
        let d = g["distance_m"].as_f64().unwrap();
        assert!(d > 0.5 && d <= 5.0, "{g}");
    }
}

// --- utility corridors: clearance, sections, digs, cover ----------------

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
fn simulate_writes_every_value_as_csv_too() {
    let inp = reference("pipes_generated.inp");
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("results.csv");
    let got = json(&cim(
        &["simulate", "--json", "--csv", csv.to_str().unwrap()],
        &[&inp],
    ));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("time_s,element,id,head_m,pressure_m,demand_lps,flow_lps,velocity_ms,status")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let periods = got["periods"].as_array().unwrap();
    let per_step = periods[0]["nodes"].as_object().unwrap().len()
        + periods[0]["links"].as_object().unwrap().len();
    assert_eq!(rows.len(), periods.len() * per_step);
    // Every value the JSON gives, the CSV gives the same.
    for r in &rows {
        let t: u64 = r[0].parse().unwrap();
        let p = periods.iter().find(|p| p["time_s"] == t).unwrap();
        let (table, cols): (&str, &[(usize, &str)]) = match r[1] {
            "node" => (
                "nodes",
                &[(3, "head_m"), (4, "pressure_m"), (5, "demand_lps")],
            ),
            _ => ("links", &[(6, "flow_lps"), (7, "velocity_ms")]),
        };
        let want = &p[table][r[2]];
        for &(c, key) in cols {
            // Both are Rust's shortest round-trip form; serde_json's
            // reading of it may be one ulp off.
            let (a, b) = (r[c].parse::<f64>().unwrap(), want[key].as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-12 * a.abs().max(1.0),
                "{} {key}: {a} vs {b}",
                r[2]
            );
        }
        if r[1] == "link" {
            assert_eq!(r[8], want["status"]);
        }
    }
}

#[test]
fn a_gis_network_is_isolated_by_its_valve_points() {
    // A main west–east (pipes A, B, C, IDs in `编号`), a branch D north
    // from B's middle; valve points drawn beside the main; the source at
    // the west end. EPSG:4547 (metres).
    let dir = tempfile::tempdir().unwrap();
    let (x0, y0) = (435_000.0, 2_555_000.0);
    let line = |id: &str, pts: &[(f64, f64)]| {
        let c: Vec<[f64; 2]> = pts.iter().map(|&(x, y)| [x0 + x, y0 + y]).collect();
        serde_json::json!({"type": "Feature", "properties": {"编号": id, "管径": 300},
                           "geometry": {"type": "LineString", "coordinates": c}})
    };
    let crs =
        serde_json::json!({"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}});
    let lines = serde_json::json!({"type": "FeatureCollection", "crs": crs, "features": [
        line("A", &[(0.0, 0.0), (100.0, 0.0)]),
        line("B", &[(100.0, 0.0), (200.0, 0.0)]),
        line("C", &[(200.0, 0.0), (300.0, 0.0)]),
        line("D", &[(150.0, 0.05), (150.0, 80.0)]),
    ]});
    let point = |id: &str, x: f64, y: f64| {
        serde_json::json!({"type": "Feature", "properties": {"编号": id},
                           "geometry": {"type": "Point", "coordinates": [x0 + x, y0 + y]}})
    };
    let valves = serde_json::json!({"type": "FeatureCollection", "crs": crs, "features": [
        point("V1", 104.0, 0.4),
        point("V2", 196.0, -0.4),
        point("V3", 150.3, 10.0),
        point("stray", 250.0, 40.0),
    ]});
    let hydrants = serde_json::json!({"type": "FeatureCollection", "crs": crs, "features": [
        point("H1", 250.0, 1.5),
        point("H2", 50.0, -1.5),
    ]});
    let hp = dir.path().join("hydrants.geojson");
    std::fs::write(&hp, hydrants.to_string()).unwrap();
    let (lp, vp) = (
        dir.path().join("mains.geojson"),
        dir.path().join("valves.geojson"),
    );
    std::fs::write(&lp, lines.to_string()).unwrap();
    std::fs::write(&vp, valves.to_string()).unwrap();
    let source = format!("{},{}", x0, y0);
    let out = cim(
        &[
            "isolate",
            "--json",
            "--link",
            "B#1",
            "--valves",
            vp.to_str().unwrap(),
            "--source",
            &source,
            "--hydrants",
            hp.to_str().unwrap(),
        ],
        &[&lp],
    );
    let got = json(&out);
    // B is split where D meets it: B#1 (west half), B#2 (east half). The
    // break in B#1 closes V1 (west), V2 (east) and V3 (on D).
    let mut closed: Vec<&str> = got["valves_to_close"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    closed.sort_unstable();
    assert_eq!(closed, ["V1", "V2", "V3"]);
    assert_eq!(got["valves_unplaced"], serde_json::json!(["stray"]));
    let mut dry: Vec<&str> = got["isolated_links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    dry.sort_unstable();
    // The segment (B's halves, D up to V3) and what only it fed: C, and D
    // beyond V3.
    assert_eq!(dry, ["B#1", "B#2", "C", "D"]);
    // The hydrant on C is out of service, the one on A is not.
    assert_eq!(got["hydrants_out_of_service"], serde_json::json!(["H1"]));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stray"));
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

/// One scenario of `pipes_scenarios.json` (EPANET's numbers with the
/// same edits, made through its toolkit).
fn scenario_reference(name: &str) -> Value {
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(reference("pipes_scenarios.json")).unwrap())
            .unwrap();
    all["scenarios"][name].clone()
}

#[test]
fn simulate_with_closed_links_prints_epanets_numbers_for_the_scenario() {
    let inp = reference("pipes_generated.inp");
    let want = scenario_reference("generated");
    let out = cim(
        &[
            "simulate",
            "--json",
            "--close",
            "PU1,TCV1",
            "--close",
            "H2_0,V1_5",
            "--out-of-service",
            "J2_1",
        ],
        &[&inp],
    );
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stderr.contains("control 1 disabled: it acts on closed link PU1")
            && stderr.contains("rule 1 disabled")
            && stderr.contains("pipe V1_5: its check valve set aside"),
        "{stderr}"
    );
    let got = json(&out);
    let ids = |k: &str| -> Vec<String> { serde_json::from_value(want[k].clone()).unwrap() };
    let periods = got["periods"].as_array().unwrap();
    assert_eq!(periods.len(), want["times"].as_array().unwrap().len());
    for (t, p) in periods.iter().enumerate() {
        for (k, id) in ids("nodes").iter().enumerate() {
            let (g, w) = (
                p["nodes"][id]["pressure_m"].as_f64().unwrap(),
                want["pressure_m"][t][k].as_f64().unwrap(),
            );
            assert!(
                (g - w).abs() <= 0.01,
                "{id} at step {t}: {g} m, EPANET {w} m"
            );
        }
        for (k, id) in ids("links").iter().enumerate() {
            let (g, w) = (
                p["links"][id]["flow_lps"].as_f64().unwrap(),
                want["flow_lps"][t][k].as_f64().unwrap(),
            );
            assert!(
                (g - w).abs() <= (1e-3 * w.abs()).max(1e-3),
                "{id}: {g} vs {w}"
            );
        }
        for id in ["PU1", "TCV1", "H2_0", "V1_5"] {
            assert_eq!(p["links"][id]["status"], "CLOSED", "{id} at step {t}");
        }
    }
    let bad = cim(&["simulate", "--close", "NOPE"], &[&inp]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("pipes_generated.inp") && err.contains("no link `NOPE` to close"),
        "{err}"
    );
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder (EPANET's Net3)"
)]
fn isolate_simulate_reports_the_pressure_drops_epanet_gives() {
    let data = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA");
    let net3 = Path::new(&data).join("pipes/epanet/Net3.inp");
    assert!(net3.is_file(), "{}: missing", net3.display());
    let valves = reference("pipes_net3_valves.csv");
    let got = json(&cim(
        &[
            "isolate",
            "--link",
            "103",
            "--valves",
            valves.to_str().unwrap(),
            "--simulate",
            "--min-pressure",
            "48",
            "--json",
        ],
        &[&net3],
    ));
    let after = &got["after_closing"];
    let scenario = scenario_reference("net3_burst_103");
    let sorted = |v: &Value| {
        let mut s: Vec<String> = serde_json::from_value(v.clone()).unwrap();
        s.sort();
        s
    };
    // The edits are the reference's (pipes_scenarios.py lists them).
    assert_eq!(sorted(&after["closed_links"]), sorted(&scenario["close"]));
    assert_eq!(
        sorted(&after["out_of_service"]),
        sorted(&scenario["out_of_service"])
    );
    // Drops: EPANET's normal operation (pipes_epanet.json) less EPANET's
    // scenario, at the node and time reported.
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(reference("pipes_epanet.json")).unwrap())
            .unwrap();
    let base = &all["networks"]["Net3"];
    let pressure = |r: &Value, node: &str, time: u64| {
        let t = r["times"]
            .as_array()
            .unwrap()
            .iter()
            .position(|x| x == time)
            .unwrap();
        let k = r["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .position(|x| x == node)
            .unwrap();
        r["pressure_m"][t][k].as_f64().unwrap()
    };
    let drops = after["largest_drops"].as_array().unwrap();
    assert_eq!(drops.len(), 20);
    let mut previous = f64::INFINITY;
    for d in drops {
        let (node, time) = (d["node"].as_str().unwrap(), d["time_s"].as_u64().unwrap());
        let want = pressure(base, node, time) - pressure(&scenario, node, time);
        let drop = d["drop_m"].as_f64().unwrap();
        assert!(
            (drop - want).abs() <= 0.02,
            "{node} at {time} s: {drop} m, EPANET {want} m"
        );
        assert!(drop <= previous + 1e-9, "largest first");
        previous = drop;
    }
    // The largest drop of all, by EPANET's numbers, over junctions in
    // service (Net3's tanks 1–3 and reservoirs River and Lake left out).
    let skip = ["1", "2", "3", "River", "Lake"];
    let out: Vec<String> = sorted(&scenario["out_of_service"]);
    let mut largest = 0.0f64;
    for (k, node) in base["nodes"].as_array().unwrap().iter().enumerate() {
        let node = node.as_str().unwrap();
        if skip.contains(&node) || out.iter().any(|o| o == node) {
            continue;
        }
        let j = scenario["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .position(|x| x == node)
            .unwrap();
        for t in 0..base["times"].as_array().unwrap().len() {
            let b = base["pressure_m"][t][k].as_f64().unwrap();
            largest = largest.max(b - scenario["pressure_m"][t][j].as_f64().unwrap());
        }
    }
    let top = drops[0]["drop_m"].as_f64().unwrap();
    assert!((top - largest).abs() <= 0.02, "{top} vs EPANET's {largest}");
    // With a 48 m floor, junction 113 (50.5 m → 48.7 m) is not pushed
    // below; those listed were at or above 48 m and are now below.
    for n in after["newly_low"].as_array().unwrap() {
        assert!(n["pressure_m"].as_f64().unwrap() < 48.0);
        assert!(n["base_pressure_m"].as_f64().unwrap() >= 48.0);
    }
    assert!(!after["newly_low"].as_array().unwrap().is_empty());
}
