//! Net3 ($CIM_TEST_DATA/pipes/epanet/Net3.inp) read by our EPANET reader,
//! split into valve segments and isolated pipe by pipe, equals WNTR:
//! `tests/reference/pipes_segments.json` and the valve layer
//! `tests/reference/pipes_net3_valves.csv`, both made by
//! `tests/reference/pipes_segments.py` (the command is in its header).

use cim_core::pipes::isolation::{Isolator, segments};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn reference(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/reference")
        .join(name)
}

fn net3() -> PathBuf {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let p = PathBuf::from(d).join("pipes/epanet/Net3.inp");
    assert!(p.is_file(), "{}: missing", p.display());
    p
}

/// The strings of a JSON array.
fn ids(v: &Value) -> BTreeSet<&str> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect()
}

/// A labelling as the partition it makes: the sets of IDs sharing a label.
fn partition(labels: impl IntoIterator<Item = (String, u64)>) -> BTreeSet<BTreeSet<String>> {
    let mut groups: BTreeMap<u64, BTreeSet<String>> = BTreeMap::new();
    for (id, label) in labels {
        groups.entry(label).or_default().insert(id);
    }
    groups.into_values().collect()
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder (EPANET's Net3)"
)]
fn net3_segments_and_bursts_equal_wntr() {
    let net = cim_loaders::pipes::inp::read(&net3()).unwrap();
    let valves =
        cim_loaders::pipes::valves::read(&reference("pipes_net3_valves.csv"), &net).unwrap();
    let want: Value =
        serde_json::from_str(&std::fs::read_to_string(reference("pipes_segments.json")).unwrap())
            .unwrap();
    let seg = segments(&net, &valves, |_| true);
    // Nodes and links together, as one partition (labels are arbitrary).
    let ours = partition(
        net.nodes
            .iter()
            .zip(&seg.node_segment)
            .map(|(n, s)| (format!("N{}", n.id), *s as u64))
            .chain(
                net.links
                    .iter()
                    .zip(&seg.link_segment)
                    .map(|(l, s)| (format!("L{}", l.id), *s as u64)),
            ),
    );
    let labels = |key: &str, prefix: &str| -> Vec<(String, u64)> {
        want[key]
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, s)| (format!("{prefix}{id}"), s.as_u64().unwrap()))
            .collect()
    };
    let theirs = partition(
        labels("node_segment", "N")
            .into_iter()
            .chain(labels("link_segment", "L")),
    );
    assert_eq!(ours.len(), theirs.len(), "segment count");
    assert_eq!(ours, theirs);

    let isolator = Isolator::new(&net, &valves, &[]);
    let bursts = want["bursts"].as_object().unwrap();
    assert!(bursts.len() > 100, "Net3 has 117 pipes");
    for (pipe, expected) in bursts {
        let iso = isolator.isolate(net.link(pipe).unwrap());
        let close: BTreeSet<&str> = iso
            .valves_to_close
            .iter()
            .map(|&i| valves[i].id.as_str())
            .collect();
        assert_eq!(
            close,
            ids(&expected["valves_to_close"]),
            "pipe {pipe}: valves"
        );
        let lost: BTreeSet<&str> = iso
            .isolated_nodes
            .iter()
            .map(|&n| net.nodes[n as usize].id.as_str())
            .collect();
        assert_eq!(
            lost,
            ids(&expected["isolated_nodes"]),
            "pipe {pipe}: nodes without supply"
        );
    }
}
