//! Acceptance test: CGCS2000 geographic ↔ every CGCS2000 3-degree Gauss–Krüger
//! CRS (EPSG:4513–4554) agrees with PROJ's own `cs2cs` to better than 1 mm, in
//! both directions, on 10 080 deterministic random points inside each zone's
//! band over China's latitudes.
//!
//! Reference numbers: `tests/data/gk_cs2cs.txt`, produced by
//! `tests/data/gen_gk_cs2cs.sh` (which runs `cs2cs`; see its header for the
//! exact commands and the format).

use std::collections::BTreeMap;

use cim_core::crs::{CrsDef, DVec3, Transformer};

/// One reference pair: geographic (lon, lat) and grid (easting, northing).
struct Pair {
    lon: f64,
    lat: f64,
    e: f64,
    n: f64,
    line: usize,
}

/// Sections of the fixture: (EPSG code, direction) → pairs.
fn load_fixture() -> BTreeMap<(String, String), Vec<Pair>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/gk_cs2cs.txt");
    let text = std::fs::read_to_string(path).expect("fixture gk_cs2cs.txt");
    let mut sections: BTreeMap<(String, String), Vec<Pair>> = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix("@ ") {
            let mut it = header.split_whitespace();
            let key = (
                it.next().unwrap().to_string(),
                it.next().unwrap().to_string(),
            );
            current = Some(key.clone());
            sections.entry(key).or_default();
            continue;
        }
        let v: Vec<f64> = line
            .split_whitespace()
            .map(|f| {
                f.parse()
                    .unwrap_or_else(|_| panic!("line {}: {line}", i + 1))
            })
            .collect();
        assert_eq!(v.len(), 4, "line {}: {line}", i + 1);
        let key = current
            .clone()
            .expect("data before the first section header");
        sections.get_mut(&key).unwrap().push(Pair {
            lon: v[0],
            lat: v[1],
            e: v[2],
            n: v[3],
            line: i + 1,
        });
    }
    sections
}

/// Metres per degree, good enough to express angular differences as ground distances.
fn angular_error_m(dlon: f64, dlat: f64, lat: f64) -> f64 {
    let m = 111_320.0;
    (dlon * m * lat.to_radians().cos()).hypot(dlat * m)
}

#[test]
fn gauss_kruger_zones_agree_with_cs2cs_to_a_millimetre() {
    const TOLERANCE_M: f64 = 1e-3;
    let sections = load_fixture();
    let codes: std::collections::BTreeSet<&String> = sections.keys().map(|(c, _)| c).collect();
    assert_eq!(codes.len(), 42, "EPSG:4513..=4554");
    let total: usize = sections.values().map(Vec::len).sum();
    assert!(total >= 10_000, "only {total} points in the fixture");

    let geo = CrsDef::parse("EPSG:4490").unwrap();
    let mut worst_fwd: f64 = 0.0;
    let mut worst_inv: f64 = 0.0;
    let mut failures = Vec::new();
    let mut checked = 0usize;
    for ((code, direction), pairs) in &sections {
        let grid = CrsDef::parse(code).unwrap();
        let fwd = Transformer::new(&geo, &grid).unwrap();
        let inv = Transformer::new(&grid, &geo).unwrap();
        for p in pairs {
            // Both directions for every pair, whichever side cs2cs computed.
            let g = fwd.transform(DVec3::new(p.lon, p.lat, 0.0)).unwrap();
            let err_fwd = (g.x - p.e).hypot(g.y - p.n);
            let l = inv.transform(DVec3::new(p.e, p.n, 0.0)).unwrap();
            let err_inv = angular_error_m(l.x - p.lon, l.y - p.lat, p.lat);
            worst_fwd = worst_fwd.max(err_fwd);
            worst_inv = worst_inv.max(err_inv);
            checked += 1;
            if !(err_fwd < TOLERANCE_M && err_inv < TOLERANCE_M) {
                failures.push(format!(
                    "{code} {direction} (fixture line {}): forward off by {err_fwd:.6} m, inverse by {err_inv:.6} m",
                    p.line
                ));
            }
        }
    }
    assert_eq!(checked, total);
    assert!(
        failures.is_empty(),
        "{} of {checked} points differ from cs2cs by ≥ 1 mm; first: {:#?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    println!("{checked} points, worst forward {worst_fwd:.2e} m, worst inverse {worst_inv:.2e} m");
}

#[test]
fn zone_prefix_is_respected() {
    // Same point, zone 40 with prefix (EPSG:4528) and CM 120E without (EPSG:4549).
    let geo = CrsDef::cgcs2000();
    let p = DVec3::new(120.5, 31.0, 0.0);
    let a = Transformer::new(&geo, &CrsDef::parse("EPSG:4528").unwrap())
        .unwrap()
        .transform(p)
        .unwrap();
    let b = Transformer::new(&geo, &CrsDef::parse("EPSG:4549").unwrap())
        .unwrap()
        .transform(p)
        .unwrap();
    assert!((a.x - b.x - 40_000_000.0).abs() < 1e-6 && (a.y - b.y).abs() < 1e-9);
}
