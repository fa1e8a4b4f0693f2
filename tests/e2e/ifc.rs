//! End-to-end over IFC: `cim snapshot` of each sample model in
//! `$CIM_TEST_DATA/ifc/web-ifc/` draws it through the tileset engine; a
//! file that is not IFC is a clear error.

use std::path::PathBuf;

#[path = "support.rs"]
mod support;
use support::{keep, scene, snapshot};

/// Share of pixels that differ from the image's corner colour (the ground
/// around the model, evenly lit; a road in its light-grey style differs
/// from it by less than 30 levels).
fn drawn(img: &image::RgbaImage) -> f64 {
    let ground = img.get_pixel(0, 0).0;
    let n = img
        .pixels()
        .filter(|p| p.0.iter().zip(ground).any(|(a, b)| a.abs_diff(b) > 12))
        .count();
    n as f64 / (img.width() * img.height()) as f64
}

/// Share of pixels that `is` holds for.
fn share(img: &image::RgbaImage, is: impl Fn([u8; 4]) -> bool) -> f64 {
    let n = img.pixels().filter(|p| is(p.0)).count();
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
        if name == "AC20-FZK-Haus.ifc" {
            in_its_styles(&img, name);
        }
        keep(&png, &name.replace(".ifc", ".png"));
    }
}

/// FZK-Haus drawn in the file's styles: a red-tiled roof on a green
/// site, not the grey of a default.
fn in_its_styles(img: &image::RgbaImage, name: &str) {
    let red = share(img, |[r, g, b, _]| {
        r > g.saturating_add(50) && r > b.saturating_add(70)
    });
    let green = share(img, |[r, g, b, _]| {
        g > r.saturating_add(30) && g > b.saturating_add(30)
    });
    assert!(
        red > 0.1 && green > 0.05,
        "{name}: red {red:.3}, green {green:.3}"
    );
}

/// Share of the red of FZK-Haus's roof tiles.
fn red(img: &image::RgbaImage) -> f64 {
    share(img, |[r, g, b, _]| {
        r > g.saturating_add(50) && r > b.saturating_add(70)
    })
}

/// A class filter and storey isolation are the layer's filter in the
/// query language over the elements' `class` and `storey`: hiding the
/// slabs takes FZK-Haus's roof away (its roof is two slabs), isolating
/// the ground floor too, and the walls stay.
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn classes_and_storeys_are_filtered() {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let model = PathBuf::from(d).join("ifc/web-ifc/AC20-FZK-Haus.ifc");
    let dir = tempfile::tempdir().unwrap();
    let shot = |name: &str, filter: &str| {
        let extra = format!("[layer.style]\nfilter = {filter:?}\n");
        let doc = scene(dir.path(), name, ("EPSG:4547", [0.0, 0.0]), &model, &extra);
        let png = dir.path().join(format!("{name}.png"));
        let out = snapshot(&doc, &png);
        assert!(out.status.success(), "{name}: {out:?}");
        keep(&png, &format!("fzk_{name}.png"));
        let img = image::open(&png).unwrap().to_rgba8();
        (red(&img), drawn(&img))
    };
    let (all, all_drawn) = shot("all", "class != 'IfcSite'");
    let (no_slabs, no_slabs_drawn) = shot("no_slabs", "class != 'IfcSlab' and class != 'IfcSite'");
    let (ground, ground_drawn) = shot("ground", "storey = 'Erdgeschoss'");
    assert!(all > 0.05, "the roof: {all}");
    assert!(
        no_slabs < 0.1 * all,
        "no slabs, no roof: {no_slabs} of {all}"
    );
    assert!(
        ground < 0.1 * all,
        "the ground floor alone: {ground} of {all}"
    );
    for (what, d) in [("no slabs", no_slabs_drawn), ("ground floor", ground_drawn)] {
        assert!(
            d > 0.02 && d < all_drawn,
            "{what}: {d} drawn of {all_drawn}"
        );
    }
}

/// `cim convert FILE.ifc --to 3dtiles`: a tileset of its elements, which
/// draws as the model does.
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn a_model_converts_to_a_tileset_that_draws_alike() {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let model = PathBuf::from(d).join("ifc/web-ifc/AC20-FZK-Haus.ifc");
    let dir = tempfile::tempdir().unwrap();
    let tiles = dir.path().join("fzk");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cim"))
        .args(["convert", "--to", "3dtiles", "--out"])
        .arg(&tiles)
        .arg(&model)
        .output()
        .expect("cim runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("83 features"), "{err}");
    let png = dir.path().join("fzk.png");
    let out = snapshot(&tiles.join("tileset.json"), &png);
    assert!(out.status.success(), "{out:?}");
    in_its_styles(
        &image::open(&png).unwrap().to_rgba8(),
        "the converted tileset",
    );
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
