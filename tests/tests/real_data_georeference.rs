//! Cross-crate: real GIS files (loaders) placed on Earth through the CRS
//! engine (cim-core) land where they really are.

use cim_core::DVec3;
use cim_core::crs::{CrsDef, Transformer};
use cim_tests::test_data;

/// Za'atari refugee camp, Jordan: about 36.32°E, 32.29°N.
const ZAATARI: (f64, f64) = (36.32, 32.29);

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn zaatari_layers_land_in_jordan() {
    let data = test_data("zaatari_layers_land_in_jordan");
    let dir = data.join("gis/zaatari");
    let mut checked = 0;
    for entry in walk(&dir) {
        let name = entry.to_string_lossy().to_lowercase();
        if !(name.ends_with(".geojson") || name.ends_with(".zip")) {
            continue;
        }
        let layers = cim_loaders::load_path(&entry).unwrap_or_else(|e| panic!("{e}"));
        for layer in layers {
            let crs = layer.crs.clone().unwrap_or_else(CrsDef::wgs84);
            let Some(bb) = layer.bbox() else { continue };
            let t = Transformer::new(&crs, &CrsDef::wgs84()).unwrap();
            let c = t
                .transform(DVec3::new(bb.center().x, bb.center().y, 0.0))
                .unwrap();
            assert!(
                (c.x - ZAATARI.0).abs() < 0.1 && (c.y - ZAATARI.1).abs() < 0.1,
                "{}: layer {} centred at {:.4}, {:.4}",
                entry.display(),
                layer.name,
                c.x,
                c.y
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 2,
        "expected several Za'atari layers, checked {checked}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
