//! Every `.osgb` in `$CIM_TEST_DATA/osgb/` reads, and its counts equal
//! OpenSceneGraph's own: `tests/reference/osgb_counts.json`, made by
//! `tests/reference/osgb_counts.py` (osgconv 3.6.5 to OBJ and to OSG's
//! ASCII format; the command is in the script's header).

use cim_loaders::osgb;
use serde_json::Value;
use std::path::PathBuf;

/// `$CIM_TEST_DATA/osgb`; ignored without `CIM_TEST_DATA` at build time
/// (see build.rs), failing when set and the folder is missing.
fn data() -> PathBuf {
    let d = std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA is not set");
    let dir = PathBuf::from(d).join("osgb");
    assert!(dir.is_dir(), "{}: no such folder", dir.display());
    dir
}

fn reference() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/reference/osgb_counts.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("reference counts")).expect("JSON")
}

#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn every_osgb_matches_openscenegraphs_counts() {
    let data = data();
    let reference = reference();
    let files = reference["files"].as_object().expect("files");
    assert!(
        files.len() >= 5,
        "the reference lists {} files",
        files.len()
    );
    for (rel, want) in files {
        let bytes = std::fs::read(data.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let file = osgb::parse(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert!(file.warnings.is_empty(), "{rel}: {:?}", file.warnings);
        let st = file.stats().unwrap_or_else(|e| panic!("{rel}: {e}"));
        let n = |k: &str| want[k].as_u64().unwrap_or_else(|| panic!("{rel}: no {k}")) as usize;
        assert_eq!(st.vertex_count, n("vertex_count"), "{rel}: vertices");
        assert_eq!(st.triangle_count, n("triangle_count"), "{rel}: triangles");
        assert_eq!(st.texture_count, n("texture_count"), "{rel}: textures");
        let children: Vec<String> = want["paged_lod_children"]
            .as_array()
            .expect("children")
            .iter()
            .map(|c| c.as_str().expect("name").to_string())
            .collect();
        assert_eq!(st.paged_lod_children, children, "{rel}: PagedLOD children");
    }
}

/// The meshes carry every triangle, with texture coordinates and the
/// embedded JPEG decoded.
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn a_tile_becomes_textured_meshes() {
    let path = data().join("osgb-master/Tile_+005_+005_L22_000020t4.osgb");
    let file = osgb::parse(&std::fs::read(&path).expect("read")).expect("parse");
    let content = osgb::mesh::to_content(&file, None).expect("content");
    assert!(content.warnings.is_empty(), "{:?}", content.warnings);
    assert_eq!(content.triangle_count(), 2911);
    assert_eq!(content.meshes.len(), 5);
    for m in &content.meshes {
        assert_eq!(m.uvs.len(), m.positions.len());
        let tex = m.material.texture.as_ref().expect("a texture");
        assert!(tex.width > 1 && tex.height > 1);
        assert_eq!(tex.rgba.len(), (tex.width * tex.height * 4) as usize);
        assert!(m.material.unlit);
    }
    // One osg::Texture2D shared by the five geometries: decoded once.
    let first = content.meshes[0].material.texture.as_ref().unwrap();
    assert!(
        content
            .meshes
            .iter()
            .all(|m| std::sync::Arc::ptr_eq(m.material.texture.as_ref().unwrap(), first))
    );
}

/// Runs `osgconv` (OpenSceneGraph's converter; a reference tool the test
/// needs when `CIM_TEST_DATA` is set) on `input` with plugin options
/// `options`, writing `out`.
fn osgconv(input: &std::path::Path, out: &std::path::Path, options: &str) {
    osgconv_with(&[], input, out, options, &[]);
}

/// [`osgconv`], run under the command `under` (e.g. `xvfb-run -a`) when it
/// is not empty, with osgconv's own `flags` too.
fn osgconv_with(
    under: &[&str],
    input: &std::path::Path,
    out: &std::path::Path,
    options: &str,
    flags: &[&str],
) {
    let mut cmd = match under.split_first() {
        Some((program, args)) => {
            let mut c = std::process::Command::new(program);
            c.args(args).arg("osgconv");
            c
        }
        None => std::process::Command::new("osgconv"),
    };
    if !options.is_empty() {
        cmd.args(["-O", options]);
    }
    cmd.args(flags);
    // Images it writes out land in its working folder.
    let st = cmd
        .current_dir(out.parent().expect("a folder"))
        .arg(input)
        .arg(out)
        .output()
        .unwrap_or_else(|e| {
            panic!("{under:?} osgconv (Debian packages openscenegraph, xvfb): {e}")
        });
    assert!(st.status.success(), "osgconv {options} {flags:?}: {st:?}");
}

/// The sample tiles are all version 91 without block sizes. OpenSceneGraph
/// 3.6 rewrites them as other writers do: version 161 with block sizes,
/// zlib-compressed, images as raw pixels or as embedded files, and older
/// versions on either side of each change in the serializers (arrays and
/// primitive sets as objects from 112, `osg::BufferData` from 147, 64-bit
/// block sizes from 149, `osg::Node` under drawables from 154). Each reads
/// with OpenSceneGraph's counts.
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn files_openscenegraph_rewrites_read_alike() {
    let data = data();
    let reference = reference();
    let tmp = tempfile::tempdir().expect("temp dir");
    // Images embedded as files unless the variant says otherwise (by
    // default osgconv would name an image file it does not write).
    let variants = [
        "",
        "Compressor=zlib",
        "WriteImageHint=IncludeData",
        "WriteImageHint=WriteOut",
        "TargetFileVersion=100",
        "TargetFileVersion=112",
        "TargetFileVersion=148",
        "TargetFileVersion=153",
        "TargetFileVersion=156",
        "RobustBinaryFormat=false",
    ];
    for rel in [
        "fanvanzh-3dtiles/test.osgb",
        "osgb-master/Tile_+005_+005_L22_000020t4.osgb",
    ] {
        let want = &reference["files"][rel];
        for variant in variants {
            let dir = tmp.path().join(variant.replace('=', "-"));
            std::fs::create_dir_all(&dir).expect("mkdir");
            let out = dir.join("out.osgb");
            let options = if variant.contains("WriteImageHint") {
                variant.to_string()
            } else {
                format!("WriteImageHint=IncludeFile {variant}")
            };
            let options = options.trim();
            osgconv(&data.join(rel), &out, options);
            let what = format!("{rel} rewritten with `{options}`");
            let bytes = std::fs::read(&out).expect("read");
            let file = osgb::parse(&bytes).unwrap_or_else(|e| panic!("{what}: {e}"));
            let st = file.stats().expect("stats");
            assert_eq!(
                st.vertex_count as u64,
                want["vertex_count"].as_u64().unwrap(),
                "{what}"
            );
            assert_eq!(
                st.triangle_count as u64,
                want["triangle_count"].as_u64().unwrap(),
                "{what}"
            );
            assert_eq!(st.texture_count, 1, "{what}");
            let content =
                osgb::mesh::to_content(&file, Some(&dir)).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(
                content.warnings.is_empty(),
                "{what}: {:?}",
                content.warnings
            );
            assert!(
                content.meshes.iter().any(|m| m.material.texture.is_some()),
                "{what}: no texture decoded"
            );
        }
    }
}

/// As a streamed dataset, the tile's five PagedLODs are five tiles; their
/// shared texture is decoded once, one image for all five.
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn the_pages_of_a_file_share_its_texture() {
    use cim_core::lod::tile_source::TileSource;
    let path = data().join("osgb-master/Tile_+005_+005_L22_000020t4.osgb");
    let src = osgb::source::OsgbSource::open(&path).expect("open");
    let tree = src.tree();
    assert_eq!(tree.len(), 1 + 5);
    let textures: Vec<_> = (1..6)
        .map(|id| {
            let c = src.read(&tree.tile(id).contents[0]).expect("read");
            c.meshes[0].material.texture.clone().expect("textured")
        })
        .collect();
    assert!(
        textures
            .iter()
            .all(|t| std::sync::Arc::ptr_eq(t, &textures[0]))
    );
    let triangles: usize = (1..6)
        .map(|id| {
            src.read(&tree.tile(id).contents[0])
                .unwrap()
                .triangle_count()
        })
        .sum();
    assert_eq!(triangles, 2911, "the pages together are the file");
}

/// The first texture of a file's meshes, decoded.
fn first_texture(
    path: &std::path::Path,
) -> std::sync::Arc<cim_core::model::tile_content::TextureImage> {
    let file = osgb::parse(&std::fs::read(path).expect("read")).expect("parse");
    let content = osgb::mesh::to_content(&file, path.parent()).expect("mesh");
    assert!(content.warnings.is_empty(), "{:?}", content.warnings);
    let t = content
        .meshes
        .iter()
        .find_map(|m| m.material.texture.clone());
    t.expect("a texture")
}

/// OpenSceneGraph compresses a real tile's texture to DXT1 (`osgconv
/// --compressed-dxt1`, written inline as S3TC pixels, bottom row first; it
/// picks DXT1 for `--compressed-dxt3`/`-dxt5` too, the photograph having no
/// alpha); it decodes to the original photograph within what block
/// compression loses, the right way up (upside down, a photograph differs
/// by far more). osgconv compresses through OpenGL, so it runs under a
/// virtual X server (`xvfb-run`, Debian package xvfb).
#[test]
#[cfg_attr(
    not(cim_test_data),
    ignore = "needs CIM_TEST_DATA, the shared data folder"
)]
fn a_dxt1_tile_openscenegraph_compresses_decodes_close_to_the_original() {
    let input = data().join("osgb-master/Tile_+005_+005_L22_000020t4.osgb");
    let original = first_texture(&input);
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("dxt1.osgb");
    osgconv_with(
        &["xvfb-run", "-a"],
        &input,
        &out,
        "WriteImageHint=IncludeData",
        &["--compressed-dxt1"],
    );
    let bytes = std::fs::read(&out).expect("read");
    // GL_COMPRESSED_RGB_S3TC_DXT1_EXT
    assert!(
        bytes.windows(4).any(|w| w == 0x83F0u32.to_le_bytes()),
        "written as S3TC pixels"
    );
    let t = first_texture(&out);
    assert_eq!((t.width, t.height), (original.width, original.height));
    // Mean difference over the colour channels, in levels of 255.
    let mean_error = |a: &[u8], b: &[u8]| {
        let sum: u64 = a
            .chunks(4)
            .zip(b.chunks(4))
            .flat_map(|(p, q)| (0..3).map(move |i| u64::from(p[i].abs_diff(q[i]))))
            .sum();
        sum as f64 / (a.len() / 4 * 3) as f64
    };
    let e = mean_error(&t.rgba, &original.rgba);
    assert!(e < 3.0, "mean error {e:.2} levels");
    let upside_down: Vec<u8> = t
        .rgba
        .chunks(t.width as usize * 4)
        .rev()
        .flatten()
        .copied()
        .collect();
    let flipped = mean_error(&upside_down, &original.rgba);
    assert!(flipped > 5.0 * e, "{flipped:.2} upside down vs {e:.2}");
}
