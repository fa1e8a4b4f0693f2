//! `cim pipe …` on EPANET networks end to end: the JSON and CSV
//! interfaces and their numbers (EPANET's via WNTR,
//! `tests/reference/pipes_*.json`), burst isolation, scenario edits, bad
//! networks, and a network drawn coloured by its simulated results.

#[path = "support.rs"]
#[allow(dead_code, reason = "each e2e test file uses its own part of it")]
mod support;

#[path = "pipe_cli.rs"]
mod pipe_cli;

use pipe_cli::{cim, json, reference};
use serde_json::Value;
use std::path::Path;
use support::{keep, snapshot};

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
