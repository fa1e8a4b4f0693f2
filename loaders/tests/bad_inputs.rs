//! Damaged and hostile files give errors that name the file and the problem,
//! never panics or unbounded allocations; a bad layer in an archive does not
//! stop the good ones. All fixtures are generated here.

use cim_loaders::{LoadError, inspect_path, load_all, load_path};
use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

/// Writes `name.shp/.shx/.dbf` with `n` square footprints and a FLOORS field.
fn write_shapefile(dir: &Path, name: &str, n: usize) -> PathBuf {
    let path = dir.join(format!("{name}.shp"));
    let table =
        TableWriterBuilder::new().add_numeric_field(FieldName::try_from("FLOORS").unwrap(), 4, 0);
    let mut w = shapefile::Writer::from_path(&path, table).unwrap();
    for i in 0..n {
        let x = i as f64 * 20.0;
        let ring = vec![
            shapefile::Point::new(x, 0.0),
            shapefile::Point::new(x, 10.0),
            shapefile::Point::new(x + 10.0, 10.0),
            shapefile::Point::new(x + 10.0, 0.0),
            shapefile::Point::new(x, 0.0),
        ];
        let mut rec = Record::default();
        rec.insert("FLOORS".into(), FieldValue::Numeric(Some(i as f64)));
        w.write_shape_and_record(
            &shapefile::Polygon::new(shapefile::PolygonRing::Outer(ring)),
            &rec,
        )
        .unwrap();
    }
    drop(w);
    path
}

fn zip_dir(files: &[PathBuf], out: &Path) {
    let mut z = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    for f in files {
        z.start_file(
            f.file_name().unwrap().to_string_lossy(),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        z.write_all(&std::fs::read(f).unwrap()).unwrap();
    }
    z.finish().unwrap();
}

fn set(path: &Path, ext: &str) -> Vec<PathBuf> {
    ["shp", "shx", "dbf"]
        .iter()
        .map(|e| path.with_extension(e))
        .chain(std::iter::once(path.with_extension(ext)).filter(|p| p.exists()))
        .collect()
}

#[test]
fn truncated_shp_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path(), "roads", 3);
    let bytes = std::fs::read(&shp).unwrap();
    std::fs::write(&shp, &bytes[..bytes.len() - 17]).unwrap();
    let e = load_path(&shp).unwrap_err();
    assert!(matches!(e, LoadError::Truncated { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with(&shp.display().to_string()), "{msg}");
    assert!(msg.contains("declares"), "{msg}");
}

#[test]
fn short_dbf_names_the_dbf() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path(), "blocks", 5);
    let dbf = shp.with_extension("dbf");
    let bytes = std::fs::read(&dbf).unwrap();
    // Cut the last two records off (each is 1 + 4 bytes, plus the 0x1A end).
    std::fs::write(&dbf, &bytes[..bytes.len() - 11]).unwrap();
    let e = load_path(&shp).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with(&dbf.display().to_string()), "{msg}");
    assert!(
        msg.contains("truncated") && msg.contains("5 records"),
        "{msg}"
    );
}

#[test]
fn wrong_prj_loads_without_crs_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path(), "parcels", 2);
    let prj = shp.with_extension("prj");
    std::fs::write(&prj, "GEOGCS[\"nonsense\",DATUM[").unwrap();
    let loaded = load_all(&shp).remove(0).unwrap();
    assert_eq!(loaded.layer.crs, None);
    assert_eq!(loaded.layer.feature_count(), 2);
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.starts_with(&prj.display().to_string())),
        "{:?}",
        loaded.warnings
    );
    // inspect shows the warning too.
    let text = inspect_path(&shp).to_string();
    assert!(
        text.contains("warning:") && text.contains("parcels.prj"),
        "{text}"
    );
}

#[test]
fn corrupt_zip_names_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path(), "a", 2);
    let zip = dir.path().join("a.shp.zip");
    zip_dir(&set(&shp, "prj"), &zip);
    let mut bytes = std::fs::read(&zip).unwrap();
    // Destroy the central directory.
    let n = bytes.len();
    bytes[n - 22..].fill(0);
    std::fs::write(&zip, &bytes).unwrap();
    let r = load_all(&zip);
    assert_eq!(r.len(), 1);
    let e = r[0].as_ref().unwrap_err();
    assert!(matches!(e, LoadError::Zip { .. }), "{e}");
    assert!(e.to_string().starts_with(&zip.display().to_string()), "{e}");
}

#[test]
fn one_bad_shapefile_in_a_zip_does_not_hide_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_shapefile(dir.path(), "good", 4);
    let bad = write_shapefile(dir.path(), "bad", 3);
    let b = std::fs::read(&bad).unwrap();
    std::fs::write(&bad, &b[..b.len() - 40]).unwrap();
    std::fs::write(good.with_extension("prj"), "EPSG:4547").unwrap();
    let zip = dir.path().join("city.zip");
    let mut files = set(&good, "prj");
    files.extend(set(&bad, "prj"));
    zip_dir(&files, &zip);
    let r = load_all(&zip);
    assert_eq!(r.len(), 2);
    let good_layer = r.iter().find_map(|x| x.as_ref().ok()).unwrap();
    assert_eq!(good_layer.layer.name, "good");
    assert_eq!(good_layer.layer.feature_count(), 4);
    assert_eq!(
        good_layer.layer.crs,
        Some(cim_core::crs::CrsDef::parse("EPSG:4547").unwrap())
    );
    let err = r.iter().find_map(|x| x.as_ref().err()).unwrap();
    assert_eq!(err.path(), zip.join("bad.shp"));
    // load_path is all-or-nothing and reports the failure.
    assert!(load_path(&zip).is_err());
    // inspect lists both, with the error naming the member.
    let j = serde_json::to_value(inspect_path(&zip)).unwrap();
    let layers = j["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    assert!(
        layers
            .iter()
            .any(|l| l["error"].as_str().is_some_and(|e| e.contains("bad.shp"))),
        "{j}"
    );
}

#[test]
fn unknown_compression_geotiff_is_a_clear_error() {
    // A 2 × 2 uint8 TIFF written by the encoder, with its Compression tag
    // patched to 34887 (LERC).
    let mut buf = Cursor::new(Vec::new());
    let mut enc = tiff::encoder::TiffEncoder::new(&mut buf).unwrap();
    enc.write_image::<tiff::encoder::colortype::Gray8>(2, 2, &[1, 2, 3, 4])
        .unwrap();
    let mut bytes = buf.into_inner();
    let ifd = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    let n = u16::from_le_bytes([bytes[ifd], bytes[ifd + 1]]) as usize;
    let entry = (0..n)
        .map(|i| ifd + 2 + 12 * i)
        .find(|&e| u16::from_le_bytes([bytes[e], bytes[e + 1]]) == 259)
        .unwrap();
    bytes[entry + 8..entry + 10].copy_from_slice(&34887u16.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lerc.tif");
    std::fs::write(&path, &bytes).unwrap();
    let e = load_path(&path).unwrap_err();
    assert!(matches!(e, LoadError::Unsupported { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert!(msg.contains("compression 34887 (LERC)"), "{msg}");
}

#[test]
fn hostile_declared_sizes_are_refused_without_allocating_them() {
    let dir = tempfile::tempdir().unwrap();
    // .shp whose header claims 4 GiB.
    let shp = write_shapefile(dir.path(), "big", 1);
    let mut b = std::fs::read(&shp).unwrap();
    b[24..28].copy_from_slice(&i32::MAX.to_be_bytes());
    std::fs::write(&shp, &b).unwrap();
    assert!(matches!(load_path(&shp), Err(LoadError::Truncated { .. })));
    // .dbf claiming 4 billion records.
    let shp = write_shapefile(dir.path(), "many", 1);
    let dbf = shp.with_extension("dbf");
    let mut b = std::fs::read(&dbf).unwrap();
    b[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    std::fs::write(&dbf, &b).unwrap();
    let e = load_path(&shp).unwrap_err().to_string();
    assert!(e.contains("4294967295 records"), "{e}");
    // ASCII grid claiming 10^12 cells.
    let asc = dir.path().join("huge.asc");
    std::fs::write(
        &asc,
        "ncols 1000000\nnrows 1000000\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2 3\n",
    )
    .unwrap();
    assert!(matches!(load_path(&asc), Err(LoadError::Truncated { .. })));
    // TIFF claiming 4 billion × 4 billion cells with no data behind it.
    let tif = dir.path().join("huge.tif");
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    let entries: [(u16, u16, u32, u32); 7] = [
        (256, 4, 1, u32::MAX),
        (257, 4, 1, u32::MAX),
        (258, 3, 1, 32),
        (273, 4, 1, 8),
        (277, 3, 1, 1),
        (278, 4, 1, u32::MAX),
        (279, 4, 1, 4),
    ];
    t.extend((entries.len() as u16).to_le_bytes());
    for (tag, ty, n, v) in entries {
        t.extend(tag.to_le_bytes());
        t.extend(ty.to_le_bytes());
        t.extend(n.to_le_bytes());
        t.extend(v.to_le_bytes());
    }
    t.extend(0u32.to_le_bytes());
    std::fs::write(&tif, &t).unwrap();
    let e = load_path(&tif).unwrap_err();
    assert!(e.to_string().starts_with(&tif.display().to_string()), "{e}");
}

/// A small deterministic PRNG (xorshift64*), so the mutation test is repeatable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn mutate(src: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = src.to_vec();
    match rng.next() % 4 {
        0 => {
            let at = rng.next() as usize % b.len();
            b.truncate(at);
        }
        1 => {
            for _ in 0..1 + rng.next() % 8 {
                let at = rng.next() as usize % b.len();
                b[at] = rng.next() as u8;
            }
        }
        2 => {
            // Overwrite a 32-bit word with an extreme value.
            let at = rng.next() as usize % b.len().saturating_sub(4).max(1);
            let v = [0u32, 1, 0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000][rng.next() as usize % 5];
            let end = (at + 4).min(b.len());
            b[at..end].copy_from_slice(&v.to_le_bytes()[..end - at]);
        }
        _ => {
            let at = rng.next() as usize % b.len().saturating_sub(4).max(1);
            let v = [0x7FFF_FFFFu32, 0xFFFF_FFFF][rng.next() as usize % 2];
            let end = (at + 4).min(b.len());
            b[at..end].copy_from_slice(&v.to_be_bytes()[..end - at]);
        }
    }
    b
}

#[test]
fn mutated_files_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path(), "m", 6);
    let originals: Vec<(PathBuf, Vec<u8>)> = ["shp", "shx", "dbf"]
        .iter()
        .map(|e| {
            let p = shp.with_extension(e);
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect();
    let mut tiff = Cursor::new(Vec::new());
    tiff::encoder::TiffEncoder::new(&mut tiff)
        .unwrap()
        .with_compression(tiff::encoder::Compression::Deflate(
            tiff::encoder::DeflateLevel::Fast,
        ))
        .write_image::<tiff::encoder::colortype::Gray16>(9, 7, &[7u16; 63])
        .unwrap();
    let tiff = tiff.into_inner();
    let tif_path = dir.path().join("m.tif");
    let gj = br#"{"type":"FeatureCollection","features":[{"type":"Feature","id":1,"properties":{"a":1},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}]}"#;
    let gj_path = dir.path().join("m.geojson");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..800 {
        let (p, orig) = &originals[round % 3];
        std::fs::write(p, mutate(orig, &mut rng)).unwrap();
        let _ = load_all(&shp);
        std::fs::write(p, orig).unwrap();
        std::fs::write(&tif_path, mutate(&tiff, &mut rng)).unwrap();
        let _ = load_all(&tif_path);
        std::fs::write(&gj_path, mutate(gj, &mut rng)).unwrap();
        let _ = load_all(&gj_path);
    }
    // The untouched files still load.
    assert_eq!(load_path(&shp).unwrap()[0].feature_count(), 6);
}

/// Runs `f` on its own thread and fails the test if it takes longer than
/// `secs` seconds (a regression must fail, not hang the suite).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs))
        .expect("the loader blocked")
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
}

#[cfg(unix)]
#[test]
fn fifos_are_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    // As the file given, with and without a known extension, and as a
    // GeoPackage (which SQLite would open itself).
    for name in [
        "f.geojson",
        "f",
        "f.gpkg",
        "f.zip",
        "f.tif",
        "f.asc",
        "f.shp",
    ] {
        let fifo = dir.path().join(name);
        mkfifo(&fifo);
        let p = fifo.clone();
        let t = std::time::Instant::now();
        let r = within(5, move || load_all(&p));
        assert!(t.elapsed().as_secs_f64() < 1.0, "{name}: {:?}", t.elapsed());
        let e = r[0].as_ref().unwrap_err();
        assert!(matches!(e, LoadError::NotAFile { .. }), "{name}: {e}");
        let msg = e.to_string();
        assert!(
            msg.starts_with(&fifo.display().to_string())
                && msg.contains("not a regular file (a FIFO/named pipe)"),
            "{msg}"
        );
        let p = fifo.clone();
        let rep = within(5, move || inspect_path(&p));
        assert!(rep.has_errors());
    }
    // As a side file of a shapefile.
    let shp = write_shapefile(dir.path(), "side", 2);
    let dbf = shp.with_extension("dbf");
    std::fs::remove_file(&dbf).unwrap();
    mkfifo(&dbf);
    let e = within(5, move || load_path(&shp)).unwrap_err();
    assert!(matches!(e, LoadError::NotAFile { .. }), "{e}");
    assert_eq!(e.path(), dbf);
}

#[cfg(unix)]
#[test]
fn a_symlink_to_dev_zero_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("z.shp");
    std::os::unix::fs::symlink("/dev/zero", &z).unwrap();
    let p = z.clone();
    let e = within(5, move || load_path(&p)).unwrap_err();
    assert!(matches!(e, LoadError::NotAFile { .. }), "{e}");
    assert!(e.to_string().contains("a character device"), "{e}");
    // The same behind a side file, and for a file sniffed by its content.
    let shp = write_shapefile(dir.path(), "w", 1);
    std::fs::remove_file(shp.with_extension("shx")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", shp.with_extension("shx")).unwrap();
    let e = within(5, move || load_path(&shp)).unwrap_err();
    assert!(e.to_string().contains("w.shx: not a regular file"), "{e}");
    let n = dir.path().join("noext");
    std::os::unix::fs::symlink("/dev/zero", &n).unwrap();
    let e = within(5, move || load_path(&n)).unwrap_err();
    assert!(matches!(e, LoadError::NotAFile { .. }), "{e}");
    // A directory named like a data file.
    let d = dir.path().join("dir.geojson");
    std::fs::create_dir(&d).unwrap();
    let e = load_path(&d).unwrap_err();
    assert!(e.to_string().contains("(a directory)"), "{e}");
}

#[test]
fn loads_larger_than_the_memory_budget_are_refused_naming_the_file() {
    use cim_loaders::budget::with_available;
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path(), "b", 50);
    let gj = dir.path().join("g.geojson");
    std::fs::write(
        &gj,
        r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}"#,
    )
    .unwrap();
    let asc = dir.path().join("d.asc");
    std::fs::write(
        &asc,
        "ncols 2\nnrows 1\nxllcorner 0\nyllcorner 0\ncellsize 1\n1 2\n",
    )
    .unwrap();
    let zip = dir.path().join("b.zip");
    let mut files = set(&shp, "prj");
    files.push(gj.clone());
    zip_dir(&files, &zip);
    for (path, member) in [
        (&shp, shp.clone()),
        (&gj, gj.clone()),
        (&asc, asc.clone()),
        (&zip, zip.join("b.shp")),
    ] {
        // Enough for each of them.
        let ok = with_available(1 << 30, || load_all(path));
        assert!(ok.iter().all(|r| r.is_ok()), "{ok:?}");
        let r = with_available(100, || load_all(path));
        let e = r[0].as_ref().unwrap_err();
        assert!(matches!(e, LoadError::TooLarge { .. }), "{e}");
        assert_eq!(e.path(), member);
        let msg = e.to_string();
        assert!(
            msg.contains(": too large: about ") && msg.contains(" MB available"),
            "{msg}"
        );
    }
}

#[test]
fn a_truncated_shx_loses_no_feature_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path(), "x", 193);
    let shx = shp.with_extension("shx");
    let b = std::fs::read(&shx).unwrap();
    std::fs::write(&shx, &b[..100 + 8 * 90]).unwrap();
    let loaded = load_all(&shp).remove(0).unwrap();
    assert_eq!(loaded.layer.feature_count(), 193);
    assert_eq!(
        loaded.warnings,
        [format!(
            "{}: truncated (lists 90 of 193 records); read the .shp sequentially",
            shx.display()
        )]
    );
    // An index that is whole but lists fewer records (header patched too).
    let mut b = b[..100 + 8 * 90].to_vec();
    b[24..28].copy_from_slice(&((100 + 8 * 90) / 2i32).to_be_bytes());
    std::fs::write(&shx, &b).unwrap();
    let loaded = load_all(&shp).remove(0).unwrap();
    assert_eq!(loaded.layer.feature_count(), 193);
    assert!(loaded.warnings[0].contains("x.shx: truncated (lists 90 of 193"));
    // And inside a zip archive.
    let zip = dir.path().join("x.zip");
    zip_dir(&set(&shp, "prj"), &zip);
    let loaded = load_all(&zip).remove(0).unwrap();
    assert_eq!(loaded.layer.feature_count(), 193);
    assert!(
        loaded.warnings[0].contains("x.zip/x.shx: truncated"),
        "{:?}",
        loaded.warnings
    );
    // An index pointing outside the .shp: read sequentially, named.
    let mut b = std::fs::read(&shx).unwrap();
    b[100..104].copy_from_slice(&i32::MAX.to_be_bytes());
    std::fs::write(&shx, &b).unwrap();
    let loaded = load_all(&shp).remove(0).unwrap();
    assert_eq!(loaded.layer.feature_count(), 193);
    assert!(
        loaded.warnings[0].starts_with(&shx.display().to_string()),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn a_dbf_without_field_descriptors_says_its_attributes_were_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path(), "nofields", 3);
    let dbf = shp.with_extension("dbf");
    let mut b = std::fs::read(&dbf).unwrap();
    // Header length 33: room for no field descriptor; records stay 5 bytes.
    b[8..10].copy_from_slice(&33u16.to_le_bytes());
    std::fs::write(&dbf, &b).unwrap();
    let loaded = load_all(&shp).remove(0).unwrap();
    assert_eq!(loaded.layer.feature_count(), 3);
    assert!(loaded.layer.vector().unwrap().fields.is_empty());
    assert!(
        loaded
            .warnings
            .iter()
            .any(|w| w.starts_with(&dbf.display().to_string())
                && w.contains("attributes were dropped")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn the_shp_header_is_checked_before_the_body() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_shapefile(dir.path(), "h", 2);
    let mut b = std::fs::read(&shp).unwrap();
    b[0..4].copy_from_slice(&1234i32.to_be_bytes());
    std::fs::write(&shp, &b).unwrap();
    let e = load_path(&shp).unwrap_err();
    assert!(matches!(e, LoadError::Invalid { .. }), "{e}");
    assert!(e.to_string().contains("file code 1234"), "{e}");
    // Bytes after the declared length are reported, not silently dropped.
    let shp = write_shapefile(dir.path(), "t", 2);
    let mut b = std::fs::read(&shp).unwrap();
    b.extend_from_slice(&[0u8; 12]);
    std::fs::write(&shp, &b).unwrap();
    let loaded = load_all(&shp).remove(0).unwrap();
    assert_eq!(loaded.layer.feature_count(), 2);
    assert!(
        loaded.warnings.iter().any(|w| w.contains("12 bytes after")),
        "{:?}",
        loaded.warnings
    );
}

#[test]
fn messages_escape_file_names_and_bound_file_content() {
    let dir = tempfile::tempdir().unwrap();
    // A file name with an escape sequence: the error shows it escaped.
    let evil = dir.path().join("evil\u{1b}[2J.geojson");
    std::fs::write(&evil, "{").unwrap();
    let e = load_path(&evil).unwrap_err().to_string();
    assert!(!e.contains('\u{1b}'), "{e:?}");
    assert!(e.contains("evil\\u{1b}[2J.geojson"), "{e}");
    // A 1 MB .prj: the warning quotes a little of it.
    let shp = write_shapefile(dir.path(), "p", 1);
    let prj = format!("PROJCS[\"{}\u{1b}]", "x".repeat((1 << 20) - 20));
    std::fs::write(shp.with_extension("prj"), prj).unwrap();
    let loaded = load_all(&shp).remove(0).unwrap();
    let w = loaded
        .warnings
        .iter()
        .find(|w| w.contains("p.prj"))
        .unwrap();
    assert!(w.len() < 1000, "{}", w.len());
    assert!(!w.contains('\u{1b}'));
    // A side file named with control characters, in a warning.
    let shp = write_shapefile(dir.path(), "c\u{7}", 1);
    std::fs::remove_file(shp.with_extension("dbf")).unwrap();
    let loaded = load_all(&shp).remove(0).unwrap();
    assert!(
        loaded.warnings[0].contains("c\\u{7}.shp"),
        "{:?}",
        loaded.warnings
    );
}
