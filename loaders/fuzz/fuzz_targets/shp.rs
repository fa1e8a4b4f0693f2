//! Feeds arbitrary bytes to the shapefile reader: the input is split into a
//! `.shp`, an optional `.shx` and an optional `.dbf` by two length bytes at
//! its start. Run with `cargo +nightly fuzz run shp` in loaders/.
#![no_main]

use cim_loaders::shapefile::{Part, ShapefileParts, read};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (head, rest) = data.split_at(2);
    let shx_len = (head[0] as usize * 8).min(rest.len());
    let dbf_len = (head[1] as usize * 4).min(rest.len() - shx_len);
    let (shx, rest) = rest.split_at(shx_len);
    let (dbf, shp) = rest.split_at(dbf_len);
    let part = |b: &[u8], ext: &str| Part {
        path: format!("fuzz.{ext}").into(),
        bytes: b.to_vec(),
    };
    let parts = ShapefileParts {
        name: "fuzz".into(),
        shp: part(shp, "shp"),
        shx: (!shx.is_empty()).then(|| part(shx, "shx")),
        dbf: (!dbf.is_empty()).then(|| part(dbf, "dbf")),
        prj: None,
        cpg: None,
    };
    let _ = read(&parts);
    // Every record body on its own, too.
    let _ = cim_loaders::shapefile::parse_shape(shp);
    let _ = cim_loaders::dbf::read_dbf("fuzz.dbf".as_ref(), dbf, None);
});
