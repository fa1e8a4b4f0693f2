//! The bodies of the `cargo fuzz` targets in `loaders/fuzz/`, one function
//! per target, so that the targets are one-liners and the normal test
//! `tests/fuzz_regressions.rs` can replay every kept corpus file and crash
//! reproducer through exactly the same code. Each function feeds arbitrary
//! bytes to one reader and ignores its result: the only failures are a
//! panic, a hang or an unbounded allocation. With `CIM_FUZZ_VERBOSE` set
//! in the environment, each result is printed to stderr (for looking at one
//! input: `cargo fuzz run <target> <file>`). Not part of the API.

use crate::vector::shapefile::{Part, ShapefileParts};
use std::fmt::Display;
use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

/// Prints `r` when `CIM_FUZZ_VERBOSE` is set.
fn note<T, E: Display>(what: &str, r: &Result<T, E>) {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    if *VERBOSE.get_or_init(|| std::env::var_os("CIM_FUZZ_VERBOSE").is_some()) {
        match r {
            Ok(_) => eprintln!("{what}: ok"),
            Err(e) => eprintln!("{what}: error: {e}"),
        }
    }
}

/// The body of a fuzz target.
pub type Body = fn(&[u8]);

/// Every fuzz target: its name (the folder under `fuzz/corpus/` and
/// `fuzz/regressions/`, and the `[[bin]]` in `fuzz/Cargo.toml`) and body.
pub const TARGETS: &[(&str, Body)] = &[
    ("shp", shp),
    ("dbf", dbf),
    ("geotiff", geotiff),
    ("wkb", wkb),
    ("geojson", geojson),
    ("zip", zip),
    ("ascii_grid", ascii_grid),
    ("scene", scene),
    ("b3dm", b3dm),
    ("i3dm", i3dm),
    ("pnts", pnts),
    ("cmpt", cmpt),
    ("glb", glb),
    ("subtree", subtree),
    ("osgb", osgb),
    ("citygml", citygml),
    ("ifc", ifc),
    ("inp", inp),
];

/// The shapefile reader (`.shp` + `.shx` + `.dbf`): the input is a 4-byte
/// head — the `.shx` length and the `.dbf` length, each a little-endian
/// `u16` (0: no such file) — then the `.shx`, the `.dbf` and the `.shp` (the
/// rest); lengths past the end are clipped. The record parser and the `.dbf`
/// reader also get their parts on their own.
pub fn shp(data: &[u8]) {
    let Some((head, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let shx_len = usize::from(u16::from_le_bytes([head[0], head[1]])).min(rest.len());
    let (shx, rest) = rest.split_at(shx_len);
    let dbf_len = usize::from(u16::from_le_bytes([head[2], head[3]])).min(rest.len());
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
    note("shapefile::read", &crate::vector::shapefile::read(&parts));
    // What follows the file header and the first record header, as one
    // record's content of whatever length (the reader cuts records to the
    // length they declare).
    note(
        "shapefile::parse_shape",
        &crate::vector::shapefile::parse_shape(shp.get(108..).unwrap_or_default()),
    );
    note(
        "dbf::read_dbf",
        &crate::vector::dbf::read_dbf("fuzz.dbf".as_ref(), dbf, None),
    );
}

/// The `.dbf` attribute table reader, without and with a `.cpg` code page.
pub fn dbf(data: &[u8]) {
    let path = Path::new("fuzz.dbf");
    note(
        "dbf::read_dbf",
        &crate::vector::dbf::read_dbf(path, data, None),
    );
    note(
        "dbf::read_dbf (GBK)",
        &crate::vector::dbf::read_dbf(path, data, Some("GBK")),
    );
}

/// The GeoTIFF reader: a full load (which reads rasters over the full-read
/// limit decimated) and a small resampled window.
pub fn geotiff(data: &[u8]) {
    let path = Path::new("fuzz.tif");
    note(
        "geotiff::load_from",
        &crate::raster::geotiff::load_from(path, Cursor::new(data)),
    );
    let window = crate::raster::geotiff::read_window_resampled_from(
        path,
        Cursor::new(data),
        (1, 1, 3, 2),
        2,
    );
    note("geotiff::read_window_resampled_from", &window);
}

/// GeoPackage geometry blobs (`GP` header + WKB) and bare WKB.
pub fn wkb(data: &[u8]) {
    note(
        "gpkg::parse_geometry",
        &crate::vector::gpkg::parse_geometry(data),
    );
    note("wkb::parse", &crate::vector::wkb::parse(data));
}

/// The GeoJSON reader.
pub fn geojson(data: &[u8]) {
    let r = crate::vector::geojson::read(Path::new("fuzz.geojson"), data, "fuzz");
    note("geojson::read", &r);
}

/// Zip archives: every layer inside (shapefiles, GeoJSON, grids, GeoTIFFs,
/// nested zips), read in memory.
pub fn zip(data: &[u8]) {
    for r in crate::archive::load_from(Path::new("fuzz.zip"), Cursor::new(data)) {
        note("archive::load_from", &r);
    }
}

/// The ESRI ASCII grid reader.
pub fn ascii_grid(data: &[u8]) {
    note(
        "ascii_grid::read",
        &crate::raster::ascii_grid::read(Path::new("fuzz.asc"), data, None),
    );
}

/// The scene document (`*.cim.toml`) parser; invalid UTF-8 is replaced, as
/// the parser only takes text.
pub fn scene(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let r = cim_core::scene::SceneDoc::from_toml_str(&text, Path::new("fuzz.cim.toml"));
    note("SceneDoc::from_toml_str", &r);
}

/// What a 3D Tiles content reader gets besides the bytes: y-up glTF, and
/// no other file (an external buffer, image or glTF fails to resolve).
fn tile_context(run: impl FnOnce(&crate::tiles3d::ContentContext)) {
    let resolve =
        |uri: &str| -> Result<Vec<u8>, String> { Err(format!("{uri}: not in the fuzz input")) };
    run(&crate::tiles3d::ContentContext {
        y_up: true,
        resolve: &resolve,
    });
}

/// The b3dm reader (feature and batch tables, then its glTF).
pub fn b3dm(data: &[u8]) {
    tile_context(|ctx| note("b3dm", &crate::tiles3d::b3dm::read(data, ctx)));
}

/// The i3dm reader (instance positions, orientations, scales; embedded glTF).
pub fn i3dm(data: &[u8]) {
    tile_context(|ctx| note("i3dm", &crate::tiles3d::i3dm::read(data, ctx)));
}

/// The pnts reader (positions, colours, normals, batch ids).
pub fn pnts(data: &[u8]) {
    tile_context(|ctx| note("pnts", &crate::tiles3d::pnts::read(data, ctx)));
}

/// The composite reader, and through it every inner format.
pub fn cmpt(data: &[u8]) {
    tile_context(|ctx| note("cmpt", &crate::tiles3d::cmpt::read(data, ctx, 0)));
}

/// The glTF reader alone (GLB or JSON).
pub fn glb(data: &[u8]) {
    tile_context(|ctx| note("glb", &crate::tiles3d::gltf_content::read(data, ctx)));
}

/// An implicit-tiling subtree (binary or JSON) and the expansion of its
/// availability into tiles: the first byte picks the scheme (bit 0:
/// octree) and the subtree levels (bits 1–3, plus one); the rest is the
/// subtree file.
pub fn subtree(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let r = crate::tiles3d::implicit::expand_one_for_fuzzing(
        rest,
        head & 1 == 1,
        u32::from(head >> 1 & 7) + 1,
    );
    note("subtree", &r);
}

/// The OSGB reader, then its counts and its meshes (textures decoded; no
/// folder for external images).
pub fn osgb(data: &[u8]) {
    let r = crate::osgb::parse(data);
    note("osgb::parse", &r);
    if let Ok(file) = r {
        note("osgb::stats", &file.stats());
        note(
            "osgb::mesh::to_content",
            &crate::osgb::mesh::to_content(&file, None),
        );
    }
}

/// The CityGML reader, then every tile's content (triangulation, tables).
pub fn citygml(data: &[u8]) {
    use cim_core::lod::tile_source::TileSource;
    let r = crate::citygml::read::read(data);
    note("citygml::read", &r);
    if let Ok(model) = r {
        let src = crate::citygml::source::CityGmlSource::new(model, None);
        for c in src.tree().tiles.iter().flat_map(|t| &t.contents) {
            note("citygml::content", &src.read(c));
        }
    }
}

/// The IFC reader (IFC-Lite's parser and geometry kernel), then every
/// tile's content.
pub fn ifc(data: &[u8]) {
    use cim_core::lod::tile_source::TileSource;
    let r = crate::ifc::read::read(&String::from_utf8_lossy(data));
    note("ifc::read", &r);
    if let Ok(model) = r {
        let src = crate::ifc::source::IfcSource::new(model);
        for c in src.tree().tiles.iter().flat_map(|t| &t.contents) {
            note("ifc::content", &src.read(c));
        }
    }
}

/// The EPANET `.inp` reader, then the analyses on what it reads: the
/// connectivity check, valve segments (a valve at every link's start) and a
/// burst isolation of the first link.
pub fn inp(data: &[u8]) {
    use cim_core::pipes::{connectivity, graph::Adjacency, isolation};
    let r = crate::pipes::inp::parse(&String::from_utf8_lossy(data));
    note("pipes::inp::parse", &r);
    if let Ok(net) = r {
        let report = connectivity::check(&net, &Adjacency::new(&net));
        let _ = crate::pipes::inp::disconnected(&net, &report);
        let valves: Vec<_> = (0..net.links.len() as u32)
            .map(|l| isolation::IsolationValve {
                id: String::new(),
                link: l,
                node: net.links[l as usize].from,
            })
            .collect();
        if !net.links.is_empty() {
            let _ = isolation::Isolator::new(&net, &valves, &[]).isolate(0);
        }
    }
}
