//! `EXT_meshopt_compression`: a glTF whose buffer views meshoptimizer's
//! own encoders compressed (`tests/reference/meshopt_grid.py`, the command
//! in its header) reads back to the mesh it was made from — the codecs
//! used are lossless, so the reference is the mesh, rebuilt here by the
//! script's rule.

use cim_loaders::tiles3d::{ContentContext, read_content_bytes};

const N: usize = 24;

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

fn fixture() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/meshopt-grid.glb"
    ))
    .expect("the meshopt fixture")
}

#[test]
fn meshopt_views_decode_to_the_mesh_they_were_made_from() {
    let c = read(&fixture()).unwrap_or_else(|e| panic!("{e}"));
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
    let mut bad = fixture();
    // The compressed streams are the BIN chunk, after the JSON chunk.
    let json_len = u32::from_le_bytes(bad[12..16].try_into().unwrap()) as usize;
    let bin = 20 + json_len + 8;
    // A vertex stream starts with its header byte (0xa0 | version):
    // anything else is refused.
    bad[bin] = 0x00;
    let e = read(&bad).unwrap_err();
    assert!(e.contains("EXT_meshopt_compression"), "{e}");
}
