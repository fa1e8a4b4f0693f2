//! End-to-end over OSGB: `cim snapshot` of an oblique-photography dataset
//! streams its PagedLOD tiles through the tileset engine and draws them
//! textured; a clip region makes room in it as in a 3D Tiles tileset.
//!
//! The synthetic dataset is the fuzz corpus's seeds (a group with a
//! quad textured orange and a PagedLOD paging in a second file) placed by
//! a `metadata.xml` in CGCS2000 / 3-degree Gauss-Krüger CM 114E.

use std::path::{Path, PathBuf};

#[path = "support.rs"]
mod support;
use support::{scene, snapshot};

/// The scene CRS and origin of this file's scene documents.
const FRAME: (&str, [f64; 2]) = ("EPSG:4547", [500000.0, 2500000.0]);

/// `root/metadata.xml`, `root/Data/Tile_A/{Tile_A,Tile_L2_0}.osgb`.
fn dataset(root: &Path) {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../loaders/fuzz/corpus/osgb");
    let block = root.join("Data/Tile_A");
    std::fs::create_dir_all(&block).unwrap();
    std::fs::copy(corpus.join("seed-group-plain"), block.join("Tile_A.osgb")).unwrap();
    std::fs::copy(corpus.join("seed-zlib"), block.join("Tile_L2_0.osgb")).unwrap();
    std::fs::write(
        root.join("metadata.xml"),
        "<?xml version=\"1.0\"?>\n<ModelMetadata version=\"1\">\n  <SRS>EPSG:4547</SRS>\n  \
         <SRSOrigin>500000,2500000,10</SRSOrigin>\n</ModelMetadata>\n",
    )
    .unwrap();
}

/// Pixels of the seed texture's orange (255, 128, 0) after tone mapping.
fn orange(img: &image::RgbaImage) -> f64 {
    let n = img
        .pixels()
        .filter(|p| {
            let [r, g, b, _] = p.0.map(i32::from);
            r > 180 && g > 80 && g < 200 && b < 140 && r > g + 40 && g > b + 20
        })
        .count();
    n as f64 / (img.width() * img.height()) as f64
}

#[test]
fn a_dataset_folder_streams_textured_and_clips() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dataset");
    dataset(&data);
    // Opened on its own: the scene takes metadata.xml's CRS.
    let png = dir.path().join("alone.png");
    let out = snapshot(&data, &png);
    assert!(out.status.success(), "{out:?}");
    let alone = image::open(&png).unwrap().to_rgba8();
    // The seeds' quads all lie in one plane: which one shows is z-fighting
    // (draw order), so the textured one covers at least half its square
    // (about 0.017 of the image) rather than all of it.
    assert!(
        orange(&alone) > 0.01,
        "the textured quad: {}",
        orange(&alone)
    );
    // In a scene document, with a clip region around the quad.
    let shot = |name: &str, extra: &str| {
        let doc = scene(dir.path(), name, FRAME, &data, extra);
        let png = dir.path().join(format!("{name}.png"));
        let out = snapshot(&doc, &png);
        assert!(out.status.success(), "{name}: {out:?}");
        image::open(&png).unwrap().to_rgba8()
    };
    let full = shot("full", "");
    let clipped = shot(
        "clip",
        "[[layer.clip]]\npolygon = [[499000.0, 2499000.0], [501000.0, 2499000.0], \
         [501000.0, 2501000.0], [499000.0, 2501000.0]]\n",
    );
    assert!(
        orange(&full) > 0.01,
        "drawn in the scene: {}",
        orange(&full)
    );
    assert!(
        orange(&clipped) < 0.0005,
        "clipped away: {}",
        orange(&clipped)
    );
}

/// The real ContextCapture tiles (`$CIM_TEST_DATA/osgb/osgb-master`):
/// textured photogrammetry; their child files are not in the sample, which
/// is an error naming them (exit 2) while the tile renders at its level.
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn real_oblique_tiles_render_textured() {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let tile = PathBuf::from(d).join("osgb/osgb-master/Tile_+005_+005_L22_000020t4.osgb");
    assert!(tile.is_file(), "{}: missing", tile.display());
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("tile.png");
    let out = snapshot(&tile, &png);
    assert_eq!(out.status.code(), Some(2), "partial: child files missing");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("5 PagedLOD child files are named but not on disk")
    );
    let img = image::open(&png).unwrap().to_rgba8();
    // The ground is one flat colour; photographs are many.
    let mut counts = std::collections::HashMap::new();
    for p in img.pixels() {
        *counts.entry(p.0).or_insert(0usize) += 1;
    }
    let distinct = counts.len();
    // About 3 000 here; an untextured scene of this size has a few hundred.
    assert!(
        distinct > 1500,
        "{distinct} colours: a textured surface has thousands"
    );
    support::keep(&png, "osgb_tile.png");
}
