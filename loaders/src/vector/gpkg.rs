//! GeoPackage vector tables, read through SQLite.
//!
//! Format: OGC 12-128r18 *GeoPackage Encoding Standard* 1.3. Each row of
//! `gpkg_contents` with `data_type = 'features'` and its
//! `gpkg_geometry_columns` entry is one layer; its CRS comes from
//! `gpkg_spatial_ref_sys` (the EPSG code when the organization is EPSG, else
//! the WKT `definition`; srs_id 0 and -1 are "undefined"). Geometry blobs are
//! the GeoPackage binary format of §2.1.3.1.1: `"GP"`, version, flags (byte
//! order, envelope kind, empty flag, extended type), srs_id, envelope, then
//! ISO WKB ([`crate::vector::wkb`]).
//!
//! Column types map as: BOOLEAN → bool; TINYINT, SMALLINT, MEDIUMINT, INT,
//! INTEGER → int; FLOAT, DOUBLE, REAL → float; DATE → date; TEXT, DATETIME
//! and undeclared → string. BLOB columns are left out with a warning. The
//! integer primary key is the feature id.

use crate::vector::finish::{self, RawFeature};
use crate::{LoadError, Loaded, budget};
use cim_core::message::quote;
use cim_core::model::attr::Date;
use cim_core::{
    AttrType, AttrValue, FeatureId, Field, Geometry, Layer, LayerContent, LayerKind, VectorData,
};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

const FMT: &str = "GeoPackage";

fn sql_err(path: &Path, what: &str, e: rusqlite::Error) -> LoadError {
    LoadError::sqlite(path, format!("{what}: {e}"))
}

/// Quotes an SQL identifier.
fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

struct LayerDef {
    table: String,
    geom_col: String,
    srs_id: i64,
}

/// Loads every feature table of a GeoPackage, one result per table.
pub fn load(path: &Path) -> Vec<Result<Loaded, LoadError>> {
    // SQLite opens the file itself: refuse FIFOs, devices and directories
    // (which would block it or be read without end) first.
    let file_len = match crate::source_file::open_sized(path) {
        Ok((_, len)) => len,
        Err(e) => return vec![Err(e)],
    };
    let conn = match Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(c) => c,
        Err(e) => return vec![Err(sql_err(path, "cannot open", e))],
    };
    let defs = match layer_defs(path, &conn) {
        Ok(d) => d,
        Err(e) => return vec![Err(e)],
    };
    defs.iter()
        .map(|d| {
            load_table(path, &conn, d, file_len).map_err(|e| match e {
                LoadError::Sqlite { path, detail } => {
                    LoadError::sqlite(&path, format!("table \"{}\": {detail}", quote(&d.table)))
                }
                other => other,
            })
        })
        .collect()
}

fn layer_defs(path: &Path, conn: &Connection) -> Result<Vec<LayerDef>, LoadError> {
    let has: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') \
             AND name IN ('gpkg_contents','gpkg_geometry_columns')",
            [],
            |r| r.get(0),
        )
        .map_err(|e| sql_err(path, "not a readable SQLite database", e))?;
    if has < 2 {
        return Err(LoadError::invalid(
            path,
            FMT,
            "SQLite database without gpkg_contents and gpkg_geometry_columns tables",
        ));
    }
    let mut stmt = conn
        .prepare(
            "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c \
             JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
             WHERE c.data_type = 'features' ORDER BY c.table_name",
        )
        .map_err(|e| sql_err(path, "reading gpkg_contents", e))?;
    let defs = stmt
        .query_map([], |r| {
            Ok(LayerDef {
                table: r.get(0)?,
                geom_col: r.get(1)?,
                srs_id: r.get(2)?,
            })
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| sql_err(path, "reading gpkg_contents", e))?;
    if defs.is_empty() {
        let tiles: i64 = conn
            .query_row(
                "SELECT count(*) FROM gpkg_contents WHERE data_type <> 'features'",
                [],
                |r| r.get(0),
            )
            .unwrap_or(0);
        return Err(LoadError::unsupported(
            path,
            FMT,
            if tiles > 0 {
                "it holds only tile or attribute tables; only feature tables are read".to_string()
            } else {
                "gpkg_contents lists no feature tables".to_string()
            },
        ));
    }
    Ok(defs)
}

fn srs(
    path: &Path,
    conn: &Connection,
    srs_id: i64,
    warnings: &mut Vec<String>,
) -> Option<cim_core::crs::CrsDef> {
    if srs_id == 0 || srs_id == -1 {
        return None;
    }
    let row: Result<(Option<String>, Option<i64>, Option<String>), _> = conn.query_row(
        "SELECT organization, organization_coordsys_id, definition \
         FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
        [srs_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    );
    let parsed = match row {
        Err(e) => Err(format!(
            "srs_id {srs_id} not found in gpkg_spatial_ref_sys ({e})"
        )),
        Ok((org, code, def)) => {
            let epsg = org.is_some_and(|o| o.eq_ignore_ascii_case("EPSG"));
            match (epsg, code, def) {
                // GeoPackage stores longitude as x whatever the EPSG axis order.
                (true, Some(4326), _) => Ok(crate::crs::wgs84()),
                (true, Some(c), _) if c > 0 => crate::crs::epsg(c as u32),
                (_, _, Some(d)) if !d.trim().is_empty() && d.trim() != "undefined" => {
                    crate::crs::parse(&d)
                }
                _ => Err(format!(
                    "srs_id {srs_id} has neither an EPSG code nor a definition"
                )),
            }
        }
    };
    parsed
        .map_err(|e| {
            warnings.push(format!(
                "{}: CRS not recognised ({e}); the layer is loaded without a CRS",
                crate::show(path)
            ))
        })
        .ok()
}

/// Bytes of SQLite pages that hold `table`, where SQLite is built with the
/// `dbstat` virtual table.
fn table_bytes(conn: &Connection, table: &str) -> Option<u64> {
    conn.query_row(
        "SELECT sum(pgsize) FROM dbstat WHERE name = ?1",
        [table],
        |r| r.get::<_, Option<i64>>(0),
    )
    .ok()
    .flatten()
    .map(|b| b.max(0) as u64)
}

/// Checks a table against the memory budget: by the whole file's size
/// when that fits, else by the table's own pages (a GeoPackage may hold
/// gigabytes of tiles next to a small feature table).
fn check_budget(
    path: &Path,
    conn: &Connection,
    table: &str,
    file_len: u64,
) -> Result<(), LoadError> {
    let whole = budget::scaled(file_len, budget::GEOPACKAGE_FACTOR);
    if budget::check(path, whole).is_ok() {
        return Ok(());
    }
    let own =
        table_bytes(conn, table).map_or(whole, |b| budget::scaled(b, budget::GEOPACKAGE_FACTOR));
    budget::check(path, own)
}

fn column_type(decl: &str) -> Option<AttrType> {
    let d = decl.trim().to_ascii_uppercase();
    let base = d.split('(').next().unwrap_or("").trim();
    Some(match base {
        "BOOLEAN" => AttrType::Bool,
        "TINYINT" | "SMALLINT" | "MEDIUMINT" | "INT" | "INTEGER" | "BIGINT" => AttrType::Int,
        "FLOAT" | "DOUBLE" | "REAL" | "NUMERIC" => AttrType::Float,
        "DATE" => AttrType::Date,
        "BLOB" => return None,
        _ => AttrType::String,
    })
}

fn load_table(
    path: &Path,
    conn: &Connection,
    def: &LayerDef,
    file_len: u64,
) -> Result<Loaded, LoadError> {
    check_budget(path, conn, &def.table, file_len)?;
    let mut warnings = Vec::new();
    let mut info = conn
        .prepare(&format!("PRAGMA table_info({})", ident(&def.table)))
        .map_err(|e| sql_err(path, "reading the columns", e))?;
    let cols: Vec<(String, String, i64)> = info
        .query_map([], |r| {
            Ok((
                r.get(1)?,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get(5)?,
            ))
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|e| sql_err(path, "reading the columns", e))?;
    if cols.is_empty() {
        return Err(LoadError::invalid(
            path,
            FMT,
            format!(
                "table \"{}\" listed in gpkg_contents does not exist",
                quote(&def.table)
            ),
        ));
    }
    let fid_col = cols
        .iter()
        .find(|c| c.2 == 1 && c.1.eq_ignore_ascii_case("INTEGER"))
        .map(|c| c.0.clone());
    let mut fields = Vec::new();
    let mut select = vec![
        fid_col.as_deref().map_or("rowid".to_string(), ident),
        ident(&def.geom_col),
    ];
    for (name, decl, _) in &cols {
        if Some(name) == fid_col.as_ref() || name.eq_ignore_ascii_case(&def.geom_col) {
            continue;
        }
        match column_type(decl) {
            Some(ty) => {
                fields.push(Field::new(name.clone(), ty));
                select.push(ident(name));
            }
            None => warnings.push(format!(
                "{}: table \"{}\": BLOB column \"{}\" is not loaded",
                crate::show(path),
                quote(&def.table),
                quote(name)
            )),
        }
    }
    let sql = format!("SELECT {} FROM {}", select.join(", "), ident(&def.table));
    let mut stmt = conn
        .prepare(&sql)
        .map_err(|e| sql_err(path, "reading the features", e))?;
    let mut rows = stmt
        .query([])
        .map_err(|e| sql_err(path, "reading the features", e))?;
    let mut raw = Vec::new();
    let mut blobs = 0usize;
    let mut with_m = 0usize;
    while let Some(row) = rows
        .next()
        .map_err(|e| sql_err(path, "reading the features", e))?
    {
        let fid: i64 = row
            .get(0)
            .map_err(|e| sql_err(path, "reading a feature id", e))?;
        let geometry = match row
            .get_ref(1)
            .map_err(|e| sql_err(path, "reading a geometry", e))?
        {
            ValueRef::Null => None,
            ValueRef::Blob(b) => {
                if blob_wkb(b).is_some_and(crate::vector::wkb::has_m) {
                    with_m += 1;
                }
                parse_geometry(b).map_err(|e| {
                    LoadError::invalid(
                        path,
                        FMT,
                        format!("table \"{}\", feature {fid}: {e}", quote(&def.table)),
                    )
                })?
            }
            _ => {
                return Err(LoadError::invalid(
                    path,
                    FMT,
                    format!(
                        "table \"{}\", feature {fid}: the geometry is not a BLOB",
                        quote(&def.table)
                    ),
                ));
            }
        };
        let mut attributes = Vec::with_capacity(fields.len());
        for (i, f) in fields.iter().enumerate() {
            let v = row
                .get_ref(i + 2)
                .map_err(|e| sql_err(path, "reading an attribute", e))?;
            if matches!(v, ValueRef::Blob(_)) {
                blobs += 1;
            }
            attributes.push(value(v, f.ty));
        }
        raw.push(RawFeature {
            id: FeatureId(fid as u64),
            geometry,
            attributes,
        });
    }
    if blobs > 0 {
        warnings.push(format!(
            "{}: table \"{}\": {blobs} value(s) stored as BLOBs in columns of other types \
             were left empty",
            crate::show(path),
            quote(&def.table)
        ));
    }
    if with_m > 0 {
        warnings.push(format!(
            "{}: table \"{}\": the M (measure) values of {with_m} geometries are not kept",
            crate::show(path),
            quote(&def.table)
        ));
    }
    let crs = srs(path, conn, def.srs_id, &mut warnings);
    Ok(Loaded {
        layer: Layer {
            name: def.table.clone(),
            format: crate::FileFormat::GeoPackage.name().to_string(),
            crs,
            kind: LayerKind::Auto,
            content: LayerContent::Vector(VectorData {
                fields,
                features: finish::finish(raw, None),
            }),
        },
        warnings,
        detail: None,
    })
}

fn value(v: ValueRef<'_>, ty: AttrType) -> AttrValue {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match (v, ty) {
        (ValueRef::Null, _) | (ValueRef::Blob(_), _) => AttrValue::Null,
        (ValueRef::Integer(i), AttrType::Int) => AttrValue::Int(i),
        (ValueRef::Integer(i), AttrType::Float) => AttrValue::Float(i as f64),
        (ValueRef::Integer(i), AttrType::Bool) => AttrValue::Bool(i != 0),
        (ValueRef::Integer(i), _) => AttrValue::String(i.to_string()),
        (ValueRef::Real(f), AttrType::Float) => AttrValue::Float(f),
        (ValueRef::Real(f), AttrType::Int) if f.fract() == 0.0 => AttrValue::Int(f as i64),
        (ValueRef::Real(f), AttrType::Bool) => AttrValue::Bool(f != 0.0),
        (ValueRef::Real(f), _) => AttrValue::String(f.to_string()),
        (ValueRef::Text(t), AttrType::Date) => {
            let s = text(t);
            Date::parse(s.get(..10).unwrap_or(&s)).map_or(AttrValue::String(s), AttrValue::Date)
        }
        (ValueRef::Text(t), AttrType::Int) => {
            let s = text(t);
            s.trim()
                .parse()
                .map_or(AttrValue::String(s), AttrValue::Int)
        }
        (ValueRef::Text(t), AttrType::Float) => {
            let s = text(t);
            s.trim()
                .parse()
                .map_or(AttrValue::String(s), AttrValue::Float)
        }
        (ValueRef::Text(t), _) => AttrValue::String(text(t)),
    }
}

/// The WKB inside a GeoPackage geometry blob, if the header is sound.
fn blob_wkb(b: &[u8]) -> Option<&[u8]> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return None;
    }
    let env = match (b[3] >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => return None,
    };
    b.get(8 + env..)
}

/// Parses a GeoPackage geometry blob (header + WKB); `None` when empty.
pub fn parse_geometry(b: &[u8]) -> Result<Option<Geometry>, String> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return Err("not a GeoPackage geometry blob (no \"GP\" magic)".into());
    }
    if b[2] != 0 {
        return Err(format!("unknown GeoPackage binary version {}", b[2]));
    }
    let flags = b[3];
    if flags & 0x20 != 0 {
        return Err("extended (non-standard) GeoPackage geometry types are not supported".into());
    }
    let env = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(format!("invalid envelope indicator {e}")),
    };
    let start = 8 + env;
    if b.len() < start {
        return Err(format!(
            "blob of {} bytes is shorter than its {start}-byte header",
            b.len()
        ));
    }
    if flags & 0x10 != 0 {
        return Ok(None);
    }
    crate::vector::wkb::parse(&b[start..])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::vector::wkb::tests::W;

    pub(crate) fn gpkg_blob(wkb: &[u8], envelope: Option<[f64; 4]>) -> Vec<u8> {
        let mut b = b"GP\0".to_vec();
        b.push(if envelope.is_some() { 0b011 } else { 0b001 });
        b.extend(4326i32.to_le_bytes());
        if let Some(e) = envelope {
            for v in e {
                b.extend(v.to_le_bytes());
            }
        }
        b.extend(wkb);
        b
    }

    /// Writes a GeoPackage with two feature tables (one with a bad blob) and
    /// a tiles entry.
    pub(crate) fn write_gpkg(path: &Path) {
        let c = Connection::open(path).unwrap();
        c.execute_batch(
            "PRAGMA application_id = 1196444487;
             CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
               organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
               definition TEXT NOT NULL, description TEXT);
             INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84', 4326, 'EPSG', 4326, 'GEOGCS[...]', NULL);
             INSERT INTO gpkg_spatial_ref_sys VALUES ('CGCS2000 / 3-degree GK CM 114E', 4547, 'EPSG', 4547, 'PROJCS[...]', NULL);
             CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL,
               identifier TEXT, description TEXT, last_change DATETIME, min_x DOUBLE, min_y DOUBLE,
               max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
             CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
               geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
             INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('buildings', 'features', 4547);
             INSERT INTO gpkg_geometry_columns VALUES ('buildings', 'geom', 'POLYGON', 4547, 0, 0);
             INSERT INTO gpkg_contents (table_name, data_type, srs_id) VALUES ('broken', 'features', 4326);
             INSERT INTO gpkg_geometry_columns VALUES ('broken', 'geom', 'POINT', 4326, 0, 0);
             INSERT INTO gpkg_contents (table_name, data_type) VALUES ('ortho', 'tiles');
             CREATE TABLE buildings (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POLYGON,
               name TEXT(20), floors MEDIUMINT, height DOUBLE, listed BOOLEAN, built DATE, photo BLOB);
             CREATE TABLE broken (fid INTEGER PRIMARY KEY, geom POINT);",
        )
        .unwrap();
        let mut sq = W::new();
        sq.head(3).n(1).n(5).pts(&[
            &[38_500_000.0, 2_470_000.0],
            &[38_500_010.0, 2_470_000.0],
            &[38_500_010.0, 2_470_020.0],
            &[38_500_000.0, 2_470_020.0],
            &[38_500_000.0, 2_470_000.0],
        ]);
        let env = Some([38_500_000.0, 38_500_010.0, 2_470_000.0, 2_470_020.0]);
        c.execute(
            "INSERT INTO buildings VALUES (10, ?1, '办公楼', 12, 45.5, 1, '2001-05-04', x'00')",
            [gpkg_blob(&sq.0, env)],
        )
        .unwrap();
        c.execute(
            "INSERT INTO buildings VALUES (11, NULL, NULL, NULL, NULL, 0, NULL, NULL)",
            [],
        )
        .unwrap();
        c.execute("INSERT INTO broken VALUES (1, x'47500003')", [])
            .unwrap();
    }

    #[test]
    fn dropped_measures_are_said() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("city.gpkg");
        write_gpkg(&path);
        let mut pm = W::new();
        pm.head(2001).pts(&[&[38_500_005.0, 2_470_005.0, 7.5]]);
        let c = Connection::open(&path).unwrap();
        c.execute(
            "UPDATE buildings SET geom = ?1 WHERE fid = 11",
            [gpkg_blob(&pm.0, None)],
        )
        .unwrap();
        let results = load(&path);
        let l = results
            .iter()
            .flatten()
            .find(|l| l.layer.name == "buildings")
            .unwrap();
        assert!(
            l.warnings
                .iter()
                .any(|w| w.contains("M (measure) values of 1")),
            "{:?}",
            l.warnings
        );
    }

    #[test]
    fn tables_too_large_for_the_memory_budget_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("city.gpkg");
        write_gpkg(&path);
        let results = crate::budget::with_available(1000, || load(&path));
        assert_eq!(results.len(), 2);
        for r in &results {
            let e = r.as_ref().unwrap_err();
            assert!(matches!(e, LoadError::TooLarge { .. }), "{e}");
        }
        // A blob where text belongs is counted, not dropped silently.
        let c = Connection::open(&path).unwrap();
        c.execute("UPDATE buildings SET name = x'0102' WHERE fid = 11", [])
            .unwrap();
        drop(c);
        let results = load(&path);
        let l = results[1].as_ref().unwrap();
        assert!(
            l.warnings
                .iter()
                .any(|w| w.contains("1 value(s) stored as BLOBs")),
            "{:?}",
            l.warnings
        );
    }

    #[test]
    fn feature_tables_load_and_a_broken_one_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("city.gpkg");
        write_gpkg(&path);
        let results = load(&path);
        assert_eq!(results.len(), 2);
        // Tables in name order: broken, buildings.
        let e = results[0].as_ref().unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("city.gpkg") && msg.contains("\"broken\""),
            "{msg}"
        );
        let l = results[1].as_ref().unwrap();
        assert_eq!(l.layer.name, "buildings");
        assert_eq!(l.layer.crs, Some(crate::crs::epsg(4547).unwrap()));
        assert!(
            l.warnings.iter().any(|w| w.contains("photo")),
            "{:?}",
            l.warnings
        );
        let v = l.layer.vector().unwrap();
        let schema: Vec<_> = v.fields.iter().map(|f| (f.name.as_str(), f.ty)).collect();
        assert_eq!(
            schema,
            [
                ("name", AttrType::String),
                ("floors", AttrType::Int),
                ("height", AttrType::Float),
                ("listed", AttrType::Bool),
                ("built", AttrType::Date)
            ]
        );
        assert_eq!(v.features.len(), 2);
        assert_eq!(v.features[0].id, FeatureId(10));
        assert_eq!(v.attr(&v.features[0], "name"), &AttrValue::from("办公楼"));
        assert_eq!(v.attr(&v.features[0], "listed"), &AttrValue::Bool(true));
        assert_eq!(v.attr(&v.features[0], "built").to_string(), "2001-05-04");
        assert_eq!(v.geometry_type(), "Polygon");
        assert_eq!(
            l.layer.bbox().unwrap().to_xy_array(),
            [38_500_000.0, 2_470_000.0, 38_500_010.0, 2_470_020.0]
        );
    }

    #[test]
    fn blob_headers() {
        let mut p = W::new();
        p.head(1).pts(&[&[1.0, 2.0]]);
        assert!(parse_geometry(&gpkg_blob(&p.0, None)).unwrap().is_some());
        let mut empty = gpkg_blob(&p.0, None);
        empty[3] |= 0x10;
        assert_eq!(parse_geometry(&empty).unwrap(), None);
        assert!(parse_geometry(b"XX\0\x01\0\0\0\0").is_err());
        let mut bad_env = gpkg_blob(&p.0, None);
        bad_env[3] = 0b1110;
        assert!(parse_geometry(&bad_env).unwrap_err().contains("envelope"));
        assert!(parse_geometry(&gpkg_blob(&p.0, None)[..12]).is_err());
    }

    #[test]
    fn not_a_geopackage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gpkg");
        std::fs::write(&path, b"this is not sqlite at all, not even close........").unwrap();
        let r = load(&path);
        assert_eq!(r.len(), 1);
        let msg = r[0].as_ref().unwrap_err().to_string();
        assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        let path = dir.path().join("plain.gpkg");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (a INTEGER);")
            .unwrap();
        let msg = load(&path)[0].as_ref().unwrap_err().to_string();
        assert!(msg.contains("without gpkg_contents"), "{msg}");
    }
}
