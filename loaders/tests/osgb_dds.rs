//! Block-compressed OSGB textures: DDS files and inline S3TC pixels
//! decoded as Pillow decodes them (`tests/reference/dds_pixels.py` made
//! the fixtures with ImageMagick and the expected pixels with Pillow), in
//! the right orientation; bad ones are a warning naming what is wrong.

use cim_loaders::osgb::dds::decode_dds;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

struct Reference {
    width: u32,
    height: u32,
    rgba: Vec<u8>,
}

fn reference(name: &str) -> Reference {
    let text = std::fs::read_to_string(root().join("../tests/reference/dds_pixels.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let r = &v[name];
    Reference {
        width: r["width"].as_u64().unwrap() as u32,
        height: r["height"].as_u64().unwrap() as u32,
        rgba: r["rgba"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap() as u8)
            .collect(),
    }
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join(format!("tests/fixtures/dds/{name}.dds"))).unwrap()
}

/// The largest difference of any channel of any pixel.
fn max_diff(a: &[u8], b: &[u8]) -> u8 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x.abs_diff(*y)).max().unwrap()
}

/// `rgba`'s rows of `w` pixels in reverse order.
fn flipped(rgba: &[u8], w: u32) -> Vec<u8> {
    rgba.chunks(w as usize * 4)
        .rev()
        .flatten()
        .copied()
        .collect()
}

#[test]
fn dds_files_decode_as_pillow_decodes_them() {
    for name in ["dxt1", "dxt5", "rgba"] {
        let want = reference(name);
        let got = decode_dds(&fixture(name)).unwrap();
        assert_eq!((got.width, got.height), (want.width, want.height), "{name}");
        let d = max_diff(&got.rgba, &want.rgba);
        assert_eq!(d, 0, "{name}: off by {d}");
    }
}

/// The texture of the only mesh of an OSGB file.
fn texture_of(seed: &str) -> cim_core::model::tile_content::TextureImage {
    let bytes = std::fs::read(root().join("fuzz/corpus/osgb").join(seed)).unwrap();
    let file = cim_loaders::osgb::parse(&bytes).unwrap();
    let content = cim_loaders::osgb::mesh::to_content(&file, None).unwrap();
    assert!(content.warnings.is_empty(), "{:?}", content.warnings);
    let t = content.meshes[0]
        .material
        .texture
        .as_ref()
        .expect("a texture");
    (**t).clone()
}

#[test]
fn osgb_textures_in_s3tc_are_decoded_the_right_way_up() {
    // DXT1 pixels written bottom row first (OpenGL's origin): the texture
    // holds them top row first.
    let want = reference("dxt1");
    let t = texture_of("seed-dxt1-pixels");
    assert_eq!((t.width, t.height), (10, 6));
    assert_eq!(max_diff(&t.rgba, &flipped(&want.rgba, want.width)), 0);
    // A DDS file inside the .osgb, top row first as DDS stores it.
    let want = reference("dxt5");
    let t = texture_of("seed-dds-file");
    assert_eq!(max_diff(&t.rgba, &want.rgba), 0);
}

#[test]
fn bad_block_compressed_textures_are_named_and_skipped() {
    // Too few bytes for the blocks a size needs.
    let mut dds = fixture("dxt1");
    dds.truncate(128 + 20);
    let e = decode_dds(&dds).unwrap_err();
    assert!(
        e.contains("10×6 Bc1 pixels need 48 bytes; there are 20"),
        "{e}"
    );
    // An absurd size is refused before anything is allocated.
    let mut dds = fixture("dxt1");
    dds[12..16].copy_from_slice(&1_000_000u32.to_le_bytes()); // height
    let e = decode_dds(&dds).unwrap_err();
    assert!(e.contains("each side must be 1 to 16384"), "{e}");
    // A format it does not decode says which.
    let mut dds = fixture("dxt1");
    dds[84..88].copy_from_slice(b"ATI1");
    let e = decode_dds(&dds).unwrap_err();
    assert!(e.contains("is not decoded"), "{e}");
    assert!(decode_dds(b"DDS \x7c\x00").is_err());
    // Inside an .osgb: the mesh stays, untextured, with a warning.
    let seed = root().join("fuzz/corpus/osgb/seed-dxt1-pixels");
    let mut bytes = std::fs::read(seed).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == 0x83F0u32.to_le_bytes())
        .unwrap();
    // The data size, after the internal and pixel formats, data type,
    // packing and allocation mode: say 8 bytes where 48 are needed, and
    // keep the rest.
    let size = at + 20;
    assert_eq!(&bytes[size..size + 4], &48u32.to_le_bytes());
    bytes[size..size + 4].copy_from_slice(&8u32.to_le_bytes());
    let tail = bytes.split_off(size + 4 + 8);
    bytes.extend_from_slice(&tail[40..]);
    let file = cim_loaders::osgb::parse(&bytes).unwrap();
    let content = cim_loaders::osgb::mesh::to_content(&file, None).unwrap();
    assert!(content.meshes[0].material.texture.is_none());
    assert!(
        content.warnings[0].contains("need 48 bytes; there are 8"),
        "{:?}",
        content.warnings
    );
}
