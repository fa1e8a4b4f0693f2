//! An OSGB dataset opened as a tile source: the tree its PagedLOD files
//! make (the root files read at open, the others when asked for), placed
//! by `metadata.xml`, and each file read as a tile's content.
//! The tiles are the fuzz corpus's seeds (a group with a textured geode and
//! a PagedLOD paging in `Tile_L2_0.osgb`; a zlib-compressed geode).

use cim_core::LayerContent;
use cim_core::lod::tile_source::TileSource;
use cim_core::lod::tileset::Refine;
use cim_loaders::osgb::source::{FANOUT, OsgbSource};
use cim_loaders::tiles3d::whole_tree::whole_tree;
use glam::DVec3;
use std::path::Path;

fn seed(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus/osgb")
        .join(name);
    std::fs::read(p).expect("seed")
}

/// `root/metadata.xml` and `root/Data/Tile_A/{Tile_A,Tile_L2_0}.osgb`.
fn dataset(root: &Path, with_child: bool) {
    let block = root.join("Data/Tile_A");
    std::fs::create_dir_all(&block).unwrap();
    std::fs::write(block.join("Tile_A.osgb"), seed("seed-group-plain")).unwrap();
    if with_child {
        std::fs::write(block.join("Tile_L2_0.osgb"), seed("seed-zlib")).unwrap();
    }
    std::fs::write(
        root.join("metadata.xml"),
        "<?xml version=\"1.0\"?>\n<ModelMetadata version=\"1\">\n\t<SRS>EPSG:4547</SRS>\n\
         \t<SRSOrigin>500000,2500000,10</SRSOrigin>\n</ModelMetadata>\n",
    )
    .unwrap();
}

#[test]
fn a_dataset_folder_is_a_tree_of_its_files() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), true);
    for open_at in [dir.path().to_path_buf(), dir.path().join("Data")] {
        let s = OsgbSource::open(&open_at).expect("open");
        // Opening reads the root file only: the root; the block's geometry
        // outside its PagedLOD; the PagedLOD's coarse child, whose file is
        // read when the view first needs it.
        let tree = s.tree();
        assert_eq!(tree.len(), 3);
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        let (rest, page) = (tree.tile(1), tree.tile(2));
        assert_eq!(rest.contents[0].uri, "Tile_A/Tile_A.osgb#rest");
        assert_eq!(page.contents[0].uri, "Tile_A/Tile_A.osgb#page=0");
        assert_eq!(page.children_uri.as_deref(), Some("Tile_A/Tile_L2_0.osgb"));
        assert!(page.children.is_empty());
        assert_eq!((rest.parent, page.parent), (Some(0), Some(0)));
        assert_eq!(page.refine, Refine::Replace);
        // Pixel-size switch at 100 px of a sphere of radius 0.8 m: the
        // error that reaches 16 px there.
        assert!((page.geometric_error - 16.0 * 1.6 / 100.0).abs() < 1e-9);
        assert_eq!(rest.geometric_error, 0.0);
        assert!(tree.tile(0).geometric_error > page.geometric_error);
        // Placed by metadata.xml: tile coordinates are offsets from the
        // origin in EPSG:4547.
        let p = page.world.transform_point3(DVec3::ZERO);
        assert_eq!(p, DVec3::new(500000.0, 2500000.0, 10.0));
        assert!(!s.is_ecef());

        // The page's file, read: one tile, under the page.
        let branch = s.expand(page).expect("expand");
        assert!(branch.problems.is_empty());
        assert_eq!(branch.tiles.len(), 1);
        let child = &branch.tiles[0];
        assert_eq!(child.parent, None);
        assert_eq!(child.contents[0].uri, "Tile_A/Tile_L2_0.osgb#rest");
        assert_eq!(child.geometric_error, 0.0);
        assert_eq!(child.world, page.world);
        // The whole tree, as the converter writes it.
        let (whole, problems) = whole_tree(&s);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(whole.len(), 4);
        assert_eq!(whole.tile(2).children, vec![3]);
        assert_eq!(whole.tile(2).children_uri, None);
        assert_eq!((whole.tile(3).parent, whole.tile(3).depth), (Some(2), 2));

        let read = |t: &cim_core::lod::tileset::Tile| s.read(&t.contents[0]).expect("read");
        let r = read(rest);
        assert_eq!(r.triangle_count(), 2);
        assert!(r.meshes[0].material.texture.is_some());
        assert_eq!(read(page).triangle_count(), 4);
        assert_eq!(read(child).triangle_count(), 2);
        assert_eq!(s.metadata(1)[0].properties[0].0, "SRS");
    }
}

/// Many blocks are grouped by place under contentless tiles (at most
/// `FANOUT` files to a tile, each file two tiles here), every block once.
#[test]
fn many_blocks_are_grouped_by_place() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        let block = dir.path().join(format!("Data/Tile_{i:03}"));
        std::fs::create_dir_all(&block).unwrap();
        std::fs::write(
            block.join(format!("Tile_{i:03}.osgb")),
            seed("seed-group-plain"),
        )
        .unwrap();
    }
    let s = OsgbSource::open(dir.path()).expect("open");
    let tree = s.tree();
    let mut files = 0;
    for (id, t) in tree.tiles.iter().enumerate() {
        assert!(
            t.children.len() <= 2 * FANOUT,
            "tile {id}: {}",
            t.children.len()
        );
        for &c in &t.children {
            assert_eq!(tree.tile(c).parent, Some(id as u32));
            assert_eq!(tree.tile(c).depth, t.depth + 1);
        }
        if t.contents.is_empty() {
            assert!(!t.children.is_empty(), "a group has children");
        } else if t.contents[0].uri.ends_with("#rest") {
            files += 1;
        }
    }
    assert_eq!(files, 50);
    // Root, quarters, quarters of those (3 or 4 files each), the files.
    assert_eq!(tree.max_depth(), 3);
    // 50 blocks missing their children: said once, counted.
    assert_eq!(s.problems().len(), 1);
    assert!(s.problems()[0].starts_with("50 PagedLOD child files"));
}

#[test]
fn a_block_missing_its_children_is_a_leaf() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), false);
    let s = OsgbSource::open(dir.path()).expect("open");
    assert_eq!(s.tree().len(), 3);
    assert_eq!(
        s.tree().tile(2).geometric_error,
        0.0,
        "no refining into a hole"
    );
    let problems = s.problems();
    assert_eq!(problems.len(), 1);
    assert!(problems[0].contains("1 PagedLOD child files are named but not on disk"));
}

#[test]
fn a_layer_with_its_crs_and_bad_tiles_reported() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), true);
    std::fs::write(dir.path().join("Data/Tile_A/Tile_L2_0.osgb"), b"not osgb").unwrap();
    let loaded = cim_loaders::load_all(dir.path())
        .pop()
        .unwrap()
        .expect("load");
    assert_eq!(loaded.layer.format, "OSGB");
    assert_eq!(loaded.layer.crs.as_ref().unwrap().to_string(), "EPSG:4547");
    let LayerContent::Tiles(t) = &loaded.layer.content else {
        panic!("a tiles layer");
    };
    // The bad file is not read at open; when the view needs it, it cannot
    // be, named, and its page stays a leaf.
    assert_eq!(t.source.tree().len(), 3);
    assert!(t.source.problems().is_empty());
    let e = t.source.expand(t.source.tree().tile(2)).unwrap_err();
    assert!(e.contains("Tile_L2_0.osgb"), "{e}");
    let (whole, problems) = whole_tree(t.source.as_ref());
    assert_eq!(whole.len(), 3);
    assert_eq!(whole.tile(2).children_uri, None);
    assert!(
        problems.iter().any(|p| p.contains("Tile_L2_0.osgb")),
        "{problems:?}"
    );
    let e = cim_loaders::load_all(&dir.path().join("nothing-here"))
        .pop()
        .unwrap();
    assert!(e.is_err());
    std::fs::write(
        dir.path().join("Data/Tile_A/Tile_A.osgb"),
        b"not osgb either",
    )
    .unwrap();
    let e = cim_loaders::load_all(dir.path())
        .pop()
        .unwrap()
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no tile could be read") && e.contains("Tile_A.osgb"),
        "{e}"
    );
}

/// `cim inspect DATASET [--deep]`: the tree's counts as a tileset's, the
/// CRS from metadata.xml, and with `--deep` every file's triangles.
#[test]
fn a_dataset_inspects_as_a_tileset() {
    let dir = tempfile::tempdir().unwrap();
    dataset(dir.path(), true);
    let report = cim_loaders::inspect_path_with(dir.path(), true);
    let v = serde_json::to_value(&report).unwrap();
    let l = &v["layers"][0];
    assert_eq!(l["format"], "OSGB");
    assert_eq!(l["crs"], "EPSG:4547");
    for (key, want) in [
        ("tile_count", 4),
        ("content_count", 3),
        ("max_depth", 2),
        ("triangle_count", 2 + 4 + 2),
    ] {
        assert_eq!(l[key], want, "{key}");
    }
    assert_eq!(l["refine"], "REPLACE");
    assert_eq!(l["errors"], serde_json::json!([]));
}

/// A PagedLOD naming a child outside the dataset's folder (`../…`) is not
/// followed: the file is never read, and the page stays a leaf.
#[test]
fn a_child_outside_the_folder_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("in");
    std::fs::create_dir_all(&data).unwrap();
    let mut root = seed("seed-group-plain");
    let name = b"Tile_L2_0.osgb";
    let at = root
        .windows(name.len())
        .position(|w| w == name)
        .expect("the child's name");
    root[at..at + name.len()].copy_from_slice(b"../L2_0_x.osgb");
    std::fs::write(data.join("Tile_A.osgb"), &root).unwrap();
    // The file it names exists, outside the folder.
    std::fs::write(dir.path().join("L2_0_x.osgb"), seed("seed-zlib")).unwrap();
    let s = OsgbSource::open(&data.join("Tile_A.osgb")).expect("open");
    assert_eq!(s.tree().len(), 3, "root, rest, page: nothing from outside");
    assert_eq!(s.tree().tile(2).geometric_error, 0.0);
    let problems = s.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("1 PagedLOD child files are named outside the folder"));
    let summary = cim_loaders::osgb::summary::summarise(&data.join("Tile_A.osgb"), true).unwrap();
    assert_eq!(summary.deep.unwrap().file_count, 1);
    assert!(
        summary.errors[0].message.contains("leaves the folder"),
        "{:?}",
        summary.errors
    );
}

/// Two files that page in each other: each is read once, the cycle is
/// told, and the tree stays finite.
#[test]
fn files_paging_in_each_other_are_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let a = seed("seed-group-plain"); // pages in Tile_L2_0.osgb
    let name = b"Tile_L2_0.osgb";
    let at = a.windows(name.len()).position(|w| w == name).unwrap();
    let mut b = a.clone();
    b[at..at + name.len()].copy_from_slice(b"Tile_L2_1.osgb");
    std::fs::write(dir.path().join("Tile_L2_1.osgb"), &a).unwrap();
    std::fs::write(dir.path().join("Tile_L2_0.osgb"), &b).unwrap();
    let s = OsgbSource::open(&dir.path().join("Tile_L2_1.osgb")).expect("open");
    let (whole, problems) = whole_tree(&s);
    // Root; 1's rest and page; 0's rest and page; 1's rest and page again,
    // whose page is not followed.
    assert_eq!(whole.len(), 7, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Tile_L2_0.osgb is paged in more than once")),
        "{problems:?}"
    );
}
