//! Compressed glTF content decodes as the compressors' own tools say.
//!
//! - `KHR_draco_mesh_compression`: a Draco-compressed glTF decodes to what
//!   Google's Draco decoder (C++, through DracoPy) makes of it — the same
//!   points in the same order, the same triangles and feature ids. Fixture
//!   and reference decoding: `tests/reference/draco_grid.py`.
//! - `EXT_meshopt_compression`: a glTF whose buffer views meshoptimizer's
//!   own encoders compressed reads back to the mesh it was made from (the
//!   codecs used are lossless, so the reference is the mesh, rebuilt here by
//!   the script's rule). Fixture: `tests/reference/meshopt_grid.py`.
//!
//! The commands that made them are in the scripts' headers.

use cim_loaders::tiles3d::{ContentContext, read_content_bytes};
use serde_json::Value;

/// The grid both fixtures hold: N × N points.
const N: usize = 24;

/// `loaders/tests/fixtures/NAME`.
fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn read(bytes: &[u8]) -> Result<cim_core::model::tile_content::TileContent, String> {
    let none = |uri: &str| Err(format!("{uri}: no external files here"));
    read_content_bytes(
        bytes,
        &ContentContext {
            y_up: true,
            resolve: &none,
        },
        0,
    )
}

fn reference() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/reference/draco_grid.json"
    ))
    .expect("the reference decoding");
    serde_json::from_str(&text).expect("JSON")
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

/// Equal to float32 rounding (Draco dequantises in float32).
fn close(got: &[f32], want: &[f64]) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(a, b)| (*a as f64 - b).abs() <= 1e-6 * b.abs().max(1.0))
}

#[test]
fn a_draco_primitive_decodes_as_the_reference_decoder_does() {
    let content = read(&fixture("draco-grid.glb")).unwrap_or_else(|e| panic!("{e}"));
    let want = reference();
    assert_eq!(content.meshes.len(), 1);
    let m = &content.meshes[0];
    assert_eq!(m.positions.len(), want["points"].as_u64().unwrap() as usize);
    let flat = |v: &[[f32; 3]]| v.iter().flatten().copied().collect::<Vec<f32>>();
    assert!(
        close(&flat(&m.positions), &numbers(&want["positions"])),
        "positions"
    );
    let uvs: Vec<f32> = m.uvs.iter().flatten().copied().collect();
    // Texture coordinates are read only for a textured material; this mesh
    // has none, so they are not kept.
    assert!(uvs.is_empty());
    let ids: Vec<f32> = m.features[0].ids.iter().map(|&i| i as f32).collect();
    assert!(close(&ids, &numbers(&want["batch_ids"])), "feature ids");
    let indices: Vec<f64> = m.indices.iter().map(|&i| i as f64).collect();
    assert_eq!(indices, numbers(&want["indices"]), "triangles");
    assert_eq!(content.triangle_count(), 1058);
}

#[test]
fn a_broken_draco_stream_is_a_clear_error() {
    let good = fixture("draco-grid.glb");
    // The Draco stream starts after the GLB header, the JSON chunk and the
    // BIN chunk's header; cut it short, then scramble it.
    let json_len = u32::from_le_bytes(good[12..16].try_into().unwrap()) as usize;
    let stream = 20 + json_len + 8;
    let mut cut = good.clone();
    cut.truncate(stream + 40);
    let fixed = (cut.len() - 12 - 8 - json_len - 8) as u32;
    let total = cut.len() as u32;
    cut[8..12].copy_from_slice(&total.to_le_bytes());
    cut[20 + json_len..24 + json_len].copy_from_slice(&fixed.to_le_bytes());
    let e = read(&cut).unwrap_err();
    assert!(e.contains("holds 40 bytes"), "{e}");
    let mut scrambled = good.clone();
    for (k, b) in scrambled[stream + 16..].iter_mut().enumerate() {
        *b ^= (k * 131 % 251) as u8;
    }
    let e = read(&scrambled).unwrap_err();
    assert!(e.contains("Draco"), "{e}");
}

#[test]
fn meshopt_views_decode_to_the_mesh_they_were_made_from() {
    let c = read(&fixture("meshopt-grid.glb")).unwrap_or_else(|e| panic!("{e}"));
    let m = &c.meshes[0];
    assert_eq!(m.positions.len(), N * N);
    for (k, p) in m.positions.iter().enumerate() {
        let (i, j) = ((k % N) as f64, (k / N) as f64);
        let want = [i * 0.5, j * 0.5, (i / 5.0).sin() * 2.0].map(|v| v as f32);
        for (a, b) in p.iter().zip(want) {
            assert!((a - b).abs() <= 1e-6, "point {k}: {p:?} ≠ {want:?}");
        }
        let quadrant = (i >= 12.0) as u32 + 2 * (j >= 12.0) as u32;
        assert_eq!(m.features[0].ids[k], quadrant, "point {k}");
    }
    let mut want = Vec::new();
    for j in 0..N - 1 {
        for i in 0..N - 1 {
            let a = (j * N + i) as u32;
            let n = N as u32;
            want.extend([a, a + 1, a + n + 1, a, a + n + 1, a + n]);
        }
    }
    assert_eq!(m.indices, want);
}

#[test]
fn corrupt_meshopt_data_is_a_clear_error() {
    let mut bad = fixture("meshopt-grid.glb");
    // The compressed streams are the BIN chunk, after the JSON chunk.
    let json_len = u32::from_le_bytes(bad[12..16].try_into().unwrap()) as usize;
    let bin = 20 + json_len + 8;
    // A vertex stream starts with its header byte (0xa0 | version):
    // anything else is refused.
    bad[bin] = 0x00;
    let e = read(&bad).unwrap_err();
    assert!(e.contains("EXT_meshopt_compression"), "{e}");
}
