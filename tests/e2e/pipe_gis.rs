//! `cim pipe check|isolate` on GIS line layers end to end: pipes joined
//! into a network with its gaps, a real sewer layer in metres, a burst
//! isolated by valve points.

#[path = "support.rs"]
#[allow(dead_code, reason = "each e2e test file uses its own part of it")]
mod support;

#[path = "pipe_cli.rs"]
#[allow(dead_code, reason = "each e2e test file uses its own part of it")]
mod pipe_cli;

use pipe_cli::{cim, json};
use serde_json::Value;
use std::path::Path;

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
