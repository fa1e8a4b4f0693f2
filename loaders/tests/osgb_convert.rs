//! `cim convert … --to 3dtiles`: an OSGB dataset written as a 3D Tiles
//! 1.1 tileset reads back through our own tileset reader with the same
//! tree and triangles, and with CIM_TEST_DATA every `.glb` written from the
//! real tiles passes the Khronos glTF validator (npm `gltf-validator`,
//! through `tests/reference/validate_gltf.cjs`; a reference tool the test
//! needs then).

use cim_loaders::osgb::convert::to_3dtiles;
use cim_loaders::tiles3d::{summary, tileset};
use std::path::{Path, PathBuf};

#[path = "support/gltf_validator.rs"]
mod gltf_validator;

fn seed(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus/osgb")
        .join(name);
    std::fs::read(p).expect("seed")
}

fn glbs(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            glbs(&p, out);
        } else if p.extension().is_some_and(|x| x == "glb") {
            out.push(p);
        }
    }
}

#[test]
fn a_dataset_converts_to_a_tileset_that_reads_back_alike() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("in");
    let block = data.join("Data/Tile_A");
    std::fs::create_dir_all(&block).unwrap();
    std::fs::write(block.join("Tile_A.osgb"), seed("seed-group-plain")).unwrap();
    std::fs::write(block.join("Tile_L2_0.osgb"), seed("seed-zlib")).unwrap();
    std::fs::write(
        data.join("metadata.xml"),
        "<ModelMetadata><SRS>EPSG:4547</SRS><SRSOrigin>500000,2500000,10</SRSOrigin></ModelMetadata>",
    )
    .unwrap();
    let out = dir.path().join("out");
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let c = to_3dtiles(&data, &out, |_, total| {
        assert_eq!(total, 3);
        calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    })
    .expect("convert");
    assert_eq!(calls.into_inner(), 3);
    assert_eq!((c.tile_count, c.glb_count), (4, 3));
    assert!(c.errors.is_empty() && c.problems.is_empty());
    let ts = tileset::open(&out.join("tileset.json"), &tileset::Limits::default()).expect("open");
    let s = summary::summarise(&ts, true);
    assert!(s.errors.is_empty(), "{:?}", s.errors);
    assert_eq!((s.tile_count, s.content_count), (4, 3));
    assert_eq!(s.deep.unwrap().triangle_count, 2 + 4 + 2);
    assert_eq!(s.version, "1.1");
    // The geometric errors and the placement are the dataset's.
    let page = ts.tree.tile(2);
    assert!((page.geometric_error - 16.0 * 1.6 / 100.0).abs() < 1e-9);
    // On the globe: the page's centre, taken back from earth-centred
    // coordinates to EPSG:4547, is where metadata.xml put the dataset (the
    // quad spans 0‥1 m from the origin).
    let (ecef, gk) = (
        cim_core::crs::CrsDef::parse("EPSG:4978").unwrap(),
        cim_core::crs::CrsDef::parse("EPSG:4547").unwrap(),
    );
    let back = cim_core::crs::transform::Transformer::new(&ecef, &gk).unwrap();
    let c = page.bounds.aabb(&page.world).center();
    let p = back.transform(c).unwrap();
    assert!(
        (p.x - 500000.5).abs() < 0.6 && (p.y - 2500000.5).abs() < 0.6 && (p.z - 10.0).abs() < 1.0,
        "{p}"
    );
    // And a vertex, exactly: the textured quad's corner (0, 0, 0) read
    // back from its glb through the tileset's transforms.
    let content = cim_loaders::tiles3d::read_content(&ts, &ts.tree.tile(1).contents[0]).unwrap();
    let m = &content.meshes[0];
    let world = ts.tree.tile(1).world * m.transform;
    let corners: Vec<glam::DVec3> = m
        .positions
        .iter()
        .map(|q| {
            back.transform(world.transform_point3(q.map(f64::from).into()))
                .unwrap()
        })
        .collect();
    let origin = glam::DVec3::new(500000.0, 2500000.0, 10.0);
    assert!(
        corners.iter().any(|q| q.distance(origin) < 0.001),
        "{corners:?}"
    );
    // The seed's PNG is written as it was, once, beside the glbs that use
    // it, which name it.
    let pngs: Vec<_> = std::fs::read_dir(out.join("Tile_A"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    assert_eq!(pngs.len(), 1, "{pngs:?}");
    assert!(
        std::fs::read(&pngs[0])
            .unwrap()
            .starts_with(b"\x89PNG\r\n\x1a\n")
    );
    let rest = std::fs::read(out.join("Tile_A/Tile_A_rest.glb")).unwrap();
    let name = pngs[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .as_bytes()
        .to_vec();
    assert!(rest.windows(name.len()).any(|w| w == name));
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn glbs_from_the_real_tiles_pass_the_gltf_validator() {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let c =
        to_3dtiles(&PathBuf::from(d).join("osgb/osgb-master"), &out, |_, _| {}).expect("convert");
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    let mut files = Vec::new();
    glbs(&out, &mut files);
    assert!(files.len() >= 8, "{} glbs", files.len());
    gltf_validator::assert_valid(&files);
    // The same triangles as the tiles (osgconv's counts of the files).
    let ts = tileset::open(&out.join("tileset.json"), &tileset::Limits::default()).unwrap();
    let s = summary::summarise(&ts, true);
    assert_eq!(s.deep.unwrap().triangle_count, 2911 + 1 + 77);
}
