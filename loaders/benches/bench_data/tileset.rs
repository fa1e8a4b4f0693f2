//! A generated 3D Tiles 1.1 city for benchmarks: a quadtree of `levels`
//! levels (REPLACE) over 8 km × 8 km at Zhuhai (113.55° E, 22.25° N,
//! earth-centred through the root transform), each tile a glb block of
//! `n × n` cells with buildings of pseudo-random heights (2·n² triangles).
// Shared by benches and an example, each of which uses a part of it.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

/// What was written.
pub struct TilesetStats {
    pub tiles: usize,
    pub triangles: usize,
    pub bytes: u64,
}

/// Side of the whole city, m.
const CITY: f64 = 8192.0;

/// East-north-up at (lon, lat) on WGS 84, as a column-major 4×4 matrix
/// (3D Tiles `transform`).
fn enu_transform(lon_deg: f64, lat_deg: f64) -> [f64; 16] {
    let (lon, lat) = (lon_deg.to_radians(), lat_deg.to_radians());
    let (a, e2) = (6_378_137.0, 6.694_379_990_14e-3);
    let n = a / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    let p = [
        n * lat.cos() * lon.cos(),
        n * lat.cos() * lon.sin(),
        n * (1.0 - e2) * lat.sin(),
    ];
    let east = [-lon.sin(), lon.cos(), 0.0];
    let north = [-lat.sin() * lon.cos(), -lat.sin() * lon.sin(), lat.cos()];
    let up = [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()];
    [
        east[0], east[1], east[2], 0.0, north[0], north[1], north[2], 0.0, up[0], up[1], up[2],
        0.0, p[0], p[1], p[2], 1.0,
    ]
}

/// A height field block of `n × n` cells over `size` m, as a GLB (y-up, as
/// glTF is): positions relative to the block's centre, u32 indices.
pub fn block_glb(n: usize, size: f64, seed: u64) -> Vec<u8> {
    let cell = size / n as f64;
    let height = |i: usize, j: usize| -> f32 {
        // A building on three cells in four, 6–60 m.
        let h = (i as u64 * 7_919 + j as u64 * 104_729 + seed).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        if h >> 62 == 0 {
            0.0
        } else {
            6.0 + (h >> 40 & 0xff) as f32 / 255.0 * 54.0
        }
    };
    let mut pos: Vec<f32> = Vec::with_capacity((n + 1) * (n + 1) * 3);
    for j in 0..=n {
        for i in 0..=n {
            let x = (i as f64 * cell - size / 2.0) as f32;
            let y = (j as f64 * cell - size / 2.0) as f32;
            let z = height(i.min(n - 1), j.min(n - 1));
            // glTF is y-up: (x, z, -y).
            pos.extend_from_slice(&[x, z, -y]);
        }
    }
    let mut idx: Vec<u32> = Vec::with_capacity(n * n * 6);
    let v = |i: usize, j: usize| (j * (n + 1) + i) as u32;
    for j in 0..n {
        for i in 0..n {
            idx.extend_from_slice(&[v(i, j), v(i + 1, j), v(i + 1, j + 1)]);
            idx.extend_from_slice(&[v(i, j), v(i + 1, j + 1), v(i, j + 1)]);
        }
    }
    let (mut min, mut max) = ([f32::MAX; 3], [f32::MIN; 3]);
    for p in pos.chunks_exact(3) {
        for k in 0..3 {
            min[k] = min[k].min(p[k]);
            max[k] = max[k].max(p[k]);
        }
    }
    let mut bin: Vec<u8> = pos.iter().flat_map(|f| f.to_le_bytes()).collect();
    let pos_len = bin.len();
    bin.extend(idx.iter().flat_map(|i| i.to_le_bytes()));
    let json = format!(
        r#"{{"asset":{{"version":"2.0"}},"scene":0,"scenes":[{{"nodes":[0]}}],"nodes":[{{"mesh":0}}],"meshes":[{{"primitives":[{{"attributes":{{"POSITION":0}},"indices":1,"material":0}}]}}],"materials":[{{"pbrMetallicRoughness":{{"baseColorFactor":[0.8,0.78,0.74,1],"metallicFactor":0}}}}],"accessors":[{{"bufferView":0,"componentType":5126,"count":{},"type":"VEC3","min":{min:?},"max":{max:?}}},{{"bufferView":1,"componentType":5125,"count":{},"type":"SCALAR"}}],"bufferViews":[{{"buffer":0,"byteLength":{pos_len}}},{{"buffer":0,"byteOffset":{pos_len},"byteLength":{}}}],"buffers":[{{"byteLength":{}}}]}}"#,
        pos.len() / 3,
        idx.len(),
        bin.len() - pos_len,
        bin.len()
    );
    glb(json.into_bytes(), bin)
}

/// A GLB container around `json` and `bin`.
pub fn glb(mut json: Vec<u8>, mut bin: Vec<u8>) -> Vec<u8> {
    while !json.len().is_multiple_of(4) {
        json.push(b' ');
    }
    while !bin.len().is_multiple_of(4) {
        bin.push(0);
    }
    let total = 12 + 8 + json.len() + 8 + bin.len();
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(b"glTF");
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(total as u32).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(b"JSON");
    out.extend_from_slice(&json);
    out.extend_from_slice(&(bin.len() as u32).to_le_bytes());
    out.extend_from_slice(b"BIN\0");
    out.extend_from_slice(&bin);
    out
}

/// The same glb as a b3dm (3D Tiles 1.0), `BATCH_LENGTH` 0.
pub fn b3dm(glb: &[u8]) -> Vec<u8> {
    let mut ft = br#"{"BATCH_LENGTH":0}"#.to_vec();
    while !(28 + ft.len()).is_multiple_of(8) {
        ft.push(b' ');
    }
    let total = 28 + ft.len() + glb.len();
    let mut out = b"b3dm".to_vec();
    for w in [1, total, ft.len(), 0, 0, 0] {
        out.extend_from_slice(&(w as u32).to_le_bytes());
    }
    out.extend_from_slice(&ft);
    out.extend_from_slice(glb);
    out
}

/// Writes `dir/tileset.json` and `dir/t/L/X_Y.glb` for every tile.
pub fn write_tileset(dir: &Path, levels: u32, n: usize) -> TilesetStats {
    std::fs::create_dir_all(dir.join("t")).expect("create the tileset folder");
    let mut stats = TilesetStats {
        tiles: 0,
        triangles: 0,
        bytes: 0,
    };
    let transform = format!("{:?}", enu_transform(113.55, 22.25));
    let root = tile_json(
        dir,
        (0, 0, 0),
        (0.0, 0.0),
        Some(transform),
        levels,
        n,
        &mut stats,
    );
    let json = format!(
        r#"{{"asset":{{"version":"1.1","generator":"cim-loaders make_bench_data"}},"geometricError":{},"root":{root}}}"#,
        CITY / 8.0
    );
    let mut f = std::fs::File::create(dir.join("tileset.json")).expect("create tileset.json");
    f.write_all(json.as_bytes()).expect("write tileset.json");
    stats.bytes += json.len() as u64;
    stats
}

/// One tile (and its subtree) as JSON; `parent` is the parent's centre in
/// the root frame (each tile's transform moves it from there to its own).
fn tile_json(
    dir: &Path,
    (level, x, y): (u32, u32, u32),
    parent: (f64, f64),
    transform: Option<String>,
    levels: u32,
    n: usize,
    stats: &mut TilesetStats,
) -> String {
    let size = CITY / f64::from(1u32 << level);
    let (cx, cy) = (
        -CITY / 2.0 + (f64::from(x) + 0.5) * size,
        -CITY / 2.0 + (f64::from(y) + 0.5) * size,
    );
    let glb = block_glb(
        n,
        size,
        u64::from(level) << 40 | u64::from(x) << 20 | u64::from(y),
    );
    let rel = format!("t/{level}/{x}_{y}.glb");
    std::fs::create_dir_all(dir.join(format!("t/{level}"))).expect("create a level folder");
    std::fs::write(dir.join(&rel), &glb).expect("write a tile");
    stats.tiles += 1;
    stats.triangles += 2 * n * n;
    stats.bytes += glb.len() as u64;
    let leaf = level + 1 >= levels;
    // A tile's block has cells of size / n: that is its error.
    let error = if leaf { 0.0 } else { size / n as f64 };
    let children = if leaf {
        String::new()
    } else {
        let kids: Vec<String> = (0..4)
            .map(|k| {
                let at = (level + 1, 2 * x + (k & 1), 2 * y + (k >> 1));
                tile_json(dir, at, (cx, cy), None, levels, n, stats)
            })
            .collect();
        format!(r#","children":[{}]"#, kids.join(","))
    };
    // Tile content is centred on the tile: a transform moves it there.
    let transform = transform.unwrap_or_else(|| {
        format!(
            "[1,0,0,0,0,1,0,0,0,0,1,0,{},{},0,1]",
            cx - parent.0,
            cy - parent.1
        )
    });
    format!(
        r#"{{"transform":{transform},"boundingVolume":{{"box":[0,0,30,{h},0,0,0,{h},0,0,0,31]}},"geometricError":{error},"refine":"REPLACE","content":{{"uri":"{rel}"}}{children}}}"#,
        h = size / 2.0
    )
}
