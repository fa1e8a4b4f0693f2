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
