//! Simulations equal EPANET's own results as WNTR's EpanetSimulator gives
//! them (EPANET 2.2): node pressures and heads within 0.01 m, link flows
//! within 0.1 %, at every reporting step, for Net1–Net3 and a generated
//! network. Numbers: `tests/reference/pipes_epanet.json`, made by
//! `tests/reference/pipes_epanet.py` (the command is in its header).

use cim_hydraulics::{LinkState, Scenario, Simulation, simulate, simulate_scenario};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn reference() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference/pipes_epanet.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn data(name: &str) -> PathBuf {
    let dir = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA was set at build time");
    let p = Path::new(&dir).join("pipes/epanet").join(name);
    assert!(
        p.is_file(),
        "CIM_TEST_DATA is set but {} is missing",
        p.display()
    );
    p
}

/// Compares every value of one network's reference with the simulation.
fn compare(name: &str, sim: &Simulation) {
    let all = reference();
    let r = &all["networks"][name];
    let times: Vec<u64> = serde_json::from_value(r["times"].clone()).unwrap();
    let got_times: Vec<u64> = sim.periods.iter().map(|p| p.time_s).collect();
    assert_eq!(got_times, times, "{name}: reporting times");
    let index = |ids: &[String]| -> HashMap<String, usize> {
        ids.iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i))
            .collect()
    };
    let (nodes, links) = (index(&sim.node_ids), index(&sim.link_ids));
    let ids = |key: &str| -> Vec<String> { serde_json::from_value(r[key].clone()).unwrap() };
    let (node_ids, link_ids) = (ids("nodes"), ids("links"));
    assert_eq!(node_ids.len(), sim.node_ids.len(), "{name}: node count");
    assert_eq!(link_ids.len(), sim.link_ids.len(), "{name}: link count");
    let table = |key: &str| -> Vec<Vec<f64>> { serde_json::from_value(r[key].clone()).unwrap() };
    let (pressure, head, demand) = (table("pressure_m"), table("head_m"), table("demand_lps"));
    let (flow, velocity, status) = (table("flow_lps"), table("velocity_ms"), table("status"));
    let mut worst = (0.0f64, 0.0f64);
    for (t, p) in sim.periods.iter().enumerate() {
        for (k, id) in node_ids.iter().enumerate() {
            let i = nodes[id];
            for (what, want, got) in [
                ("pressure", pressure[t][k], p.pressure_m[i]),
                ("head", head[t][k], p.head_m[i]),
            ] {
                worst.0 = worst.0.max((want - got).abs());
                assert!(
                    (want - got).abs() <= 0.01,
                    "{name} at {} s: node {id} {what} {got} m, EPANET {want} m",
                    p.time_s
                );
            }
            let (want, got) = (demand[t][k], p.demand_lps[i]);
            assert!(
                (want - got).abs() <= 1e-3 * want.abs().max(1.0),
                "{name} at {} s: node {id} demand {got} L/s, EPANET {want} L/s",
                p.time_s
            );
        }
        for (k, id) in link_ids.iter().enumerate() {
            let i = links[id];
            let (want, got) = (flow[t][k], p.flow_lps[i]);
            // 0.1 %, and 0.001 L/s for flows near zero (closed links).
            let allowed = (1e-3 * want.abs()).max(1e-3);
            if want.abs() > 1.0 {
                worst.1 = worst.1.max((want - got).abs() / want.abs());
            }
            assert!(
                (want - got).abs() <= allowed,
                "{name} at {} s: link {id} flow {got} L/s, EPANET {want} L/s",
                p.time_s
            );
            let (want, got) = (velocity[t][k], p.velocity_ms[i]);
            assert!(
                (want - got).abs() <= (1e-3 * want.abs()).max(1e-4),
                "{name} at {} s: link {id} velocity {got} m/s, EPANET {want} m/s",
                p.time_s
            );
            let closed = status[t][k] == 0.0;
            assert_eq!(
                p.status[i] == LinkState::Closed,
                closed,
                "{name} at {} s: link {id} status {:?}",
                p.time_s,
                p.status[i]
            );
        }
    }
    eprintln!(
        "{name}: {} periods; largest head/pressure difference {:.2e} m, largest relative difference of flows over 1 L/s {:.2e}",
        sim.periods.len(),
        worst.0,
        worst.1
    );
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder (EPANET's Net1–Net3)"
)]
fn net1_to_net3_equal_epanet() {
    for name in ["Net1", "Net2", "Net3"] {
        let path = data(&format!("{name}.inp"));
        compare(name, &simulate(&path).unwrap());
    }
}

#[test]
fn a_generated_network_equals_epanet() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference/pipes_generated.inp");
    compare("generated", &simulate(&path).unwrap());
}

/// A scenario of `tests/reference/pipes_scenarios.json` (made by
/// `pipes_scenarios.py`): our edits on `inp` give EPANET's pressures
/// within 0.01 m and flows within 0.1 % at every reporting step.
fn compare_scenario(name: &str, inp: &Path) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference/pipes_scenarios.json");
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let r = &all["scenarios"][name];
    let list = |key: &str| -> Vec<String> { serde_json::from_value(r[key].clone()).unwrap() };
    let scenario = Scenario {
        closed_links: list("close"),
        out_of_service: list("out_of_service"),
    };
    let sim = simulate_scenario(inp, &scenario).unwrap();
    let times: Vec<u64> = serde_json::from_value(r["times"].clone()).unwrap();
    let got_times: Vec<u64> = sim.periods.iter().map(|p| p.time_s).collect();
    assert_eq!(got_times, times, "{name}: reporting times");
    let index = |ids: &[String], want: &[String]| -> Vec<usize> {
        want.iter()
            .map(|id| ids.iter().position(|s| s == id).unwrap())
            .collect()
    };
    let (nodes, links) = (
        index(&sim.node_ids, &list("nodes")),
        index(&sim.link_ids, &list("links")),
    );
    let table = |key: &str| -> Vec<Vec<f64>> { serde_json::from_value(r[key].clone()).unwrap() };
    let (pressure, flow) = (table("pressure_m"), table("flow_lps"));
    for (t, p) in sim.periods.iter().enumerate() {
        for (k, &i) in nodes.iter().enumerate() {
            let (want, got) = (pressure[t][k], p.pressure_m[i]);
            assert!(
                (want - got).abs() <= 0.01,
                "{name} at {} s: node {} pressure {got} m, EPANET {want} m",
                p.time_s,
                sim.node_ids[i]
            );
        }
        for (k, &i) in links.iter().enumerate() {
            let (want, got) = (flow[t][k], p.flow_lps[i]);
            assert!(
                (want - got).abs() <= (1e-3 * want.abs()).max(1e-3),
                "{name} at {} s: link {} flow {got} L/s, EPANET {want} L/s",
                p.time_s,
                sim.link_ids[i]
            );
        }
    }
    for id in &scenario.closed_links {
        let i = sim.link_ids.iter().position(|s| s == id).unwrap();
        assert!(
            sim.periods.iter().all(|p| p.status[i] == LinkState::Closed),
            "{name}: {id} stays closed"
        );
    }
}

#[test]
fn scenario_edits_on_a_generated_network_equal_epanets() {
    let inp = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference/pipes_generated.inp");
    compare_scenario("generated", &inp);
    // The pump's two controls and the valve's rule act on closed links.
    let sim = simulate_scenario(
        &inp,
        &Scenario {
            closed_links: vec!["PU1".into(), "TCV1".into()],
            out_of_service: Vec::new(),
        },
    )
    .unwrap();
    assert_eq!(sim.edits.len(), 3, "{:?}", sim.edits);
    assert!(sim.edits[2].starts_with("rule 1 disabled"));
    // Normal operation differs: the edits are what the reference matched.
    let base = simulate(&inp).unwrap();
    let pu1 = base.link_ids.iter().position(|s| s == "PU1").unwrap();
    assert!(base.periods.iter().any(|p| p.flow_lps[pu1] > 1.0));
}

#[test]
fn unknown_ids_in_a_scenario_are_errors_naming_them() {
    let inp = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference/pipes_generated.inp");
    for (links, nodes, want) in [
        (vec!["PX".to_string()], vec![], "no link `PX` to close"),
        (vec![], vec!["JX".to_string()], "no node `JX`"),
    ] {
        let s = Scenario {
            closed_links: links,
            out_of_service: nodes,
        };
        let e = simulate_scenario(&inp, &s).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("pipes_generated.inp"), "{e}");
    }
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder (EPANET's Net3)"
)]
fn a_burst_isolated_on_net3_equals_epanet() {
    compare_scenario("net3_burst_103", &data("Net3.inp"));
}
