//! End-to-end over IFC: `cim snapshot` of each sample model in
//! `$CIM_TEST_DATA/ifc/web-ifc/` draws it through the tileset engine; a
//! file that is not IFC is a clear error.

use std::path::{Path, PathBuf};

#[path = "support.rs"]
#[allow(dead_code)] // No scene documents here.
mod support;
use support::snapshot;

/// Share of pixels that differ clearly from the image's corner colour (the
/// ground or sky around the model).
fn drawn(img: &image::RgbaImage) -> f64 {
    let ground = img.get_pixel(img.width() / 2, img.height() - 1).0;
    let n = img
        .pixels()
        .filter(|p| p.0.iter().zip(ground).any(|(a, b)| a.abs_diff(b) > 30))
        .count();
    n as f64 / (img.width() * img.height()) as f64
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn sample_models_render() {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let folder = PathBuf::from(d).join("ifc/web-ifc");
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "AC20-FZK-Haus.ifc",
        "IfcOpenHouse_IFC4.ifc",
        "KIT-Simple-Road-Test-Web-IFC4x3_RC2.ifc",
    ] {
        let png = dir.path().join(name.replace(".ifc", ".png"));
        let out = snapshot(&folder.join(name), &png);
        assert!(out.status.success(), "{name}: {out:?}");
        let img = image::open(&png).unwrap().to_rgba8();
        assert!(
            drawn(&img) > 0.05,
            "{name}: {:.3} of the image drawn",
            drawn(&img)
        );
        if let Some(keep) = std::env::var_os("CIM_E2E_KEEP") {
            let _ = std::fs::create_dir_all(&keep);
            let _ = std::fs::copy(&png, Path::new(&keep).join(png.file_name().unwrap()));
        }
    }
}

#[test]
fn a_file_that_is_not_ifc_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("model.ifc");
    std::fs::write(&bad, "<html>not a model</html>").unwrap();
    let png = dir.path().join("bad.png");
    let out = snapshot(&bad, &png);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("model.ifc") && err.contains("FILE_SCHEMA"),
        "{err}"
    );
    assert!(!png.exists());
}
