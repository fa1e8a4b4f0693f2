//! Simulations equal EPANET's own results as WNTR's EpanetSimulator gives
//! them (EPANET 2.2): node pressures and heads within 0.01 m, link flows
//! within 0.1 %, at every reporting step, for Net1–Net3 and a generated
//! network. Numbers: `tests/reference/pipes_epanet.json`, made by
//! `tests/reference/pipes_epanet.py` (the command is in its header).

use cim_hydraulics::{LinkState, Simulation, simulate};
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
