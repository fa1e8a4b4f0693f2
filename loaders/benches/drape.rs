//! Basemap drape benchmark (`cargo bench -p cim-loaders --bench drape`):
//! writes a folder of 256² PNG tiles with texture (not solid colours, so
//! PNG decoding costs what real imagery costs) at Web Mercator z 13–18 over
//! 4 km × 4 km near Zhuhai, then times `BasemapComposer::compose` for a
//! scene in CGCS2000 / 3° GK zone 38 (EPSG:4526):
//!
//! * one 256² drape of a 1 km patch, cold (tiles read and decoded) and warm
//!   (decoded tiles in the in-memory LRU);
//! * one 2048² drape of the same patch (the largest a close-up tile gets);
//! * 256 drapes of 256² over a 16 × 16 grid of 250 m patches from 3
//!   threads, as the viewer's worker pool does for a fresh view.

use cim_core::crs::{CrsDef, DVec3, Transformer};
use cim_core::model::geometry::Bbox;
use cim_core::scene::basemap::{Basemap, TileSource, TmsRef};
use cim_loaders::FetchOptions;
use cim_loaders::tiles::basemap::BasemapComposer;
use std::time::Instant;

const HALF: f64 = 20_037_508.342_789_244;
/// Scene point the patches are centred on (EPSG:4526).
const CENTRE: (f64, f64) = (38_448_500.0, 2_467_100.0);

fn write_tiles(root: &std::path::Path) -> usize {
    let to_wm = Transformer::new(
        &CrsDef::parse("EPSG:4526").unwrap(),
        &CrsDef::parse("EPSG:3857").unwrap(),
    )
    .unwrap();
    let a = to_wm
        .transform(DVec3::new(CENTRE.0 - 2_200.0, CENTRE.1 - 2_200.0, 0.0))
        .unwrap();
    let b = to_wm
        .transform(DVec3::new(CENTRE.0 + 2_200.0, CENTRE.1 + 2_200.0, 0.0))
        .unwrap();
    let mut n = 0;
    for z in 13..=18u32 {
        let span = 2.0 * HALF / f64::from(1u32 << z);
        let (c0, c1) = (((a.x + HALF) / span) as u64, ((b.x + HALF) / span) as u64);
        let (r0, r1) = (((HALF - b.y) / span) as u64, ((HALF - a.y) / span) as u64);
        for x in c0..=c1 {
            for y in r0..=r1 {
                let img = image::RgbaImage::from_fn(256, 256, |i, j| {
                    let v = (i * 7 + j * 13 + (x as u32) * 31 + (y as u32) * 17) % 251;
                    image::Rgba([v as u8, (v * 3 % 251) as u8, (255 - v) as u8, 255])
                });
                let p = root.join(format!("{z}/{x}/{y}.png"));
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                img.save(&p).unwrap();
                n += 1;
            }
        }
    }
    n
}

fn patch(cx: f64, cy: f64, half: f64) -> Bbox {
    Bbox {
        min: DVec3::new(cx - half, cy - half, 0.0),
        max: DVec3::new(cx + half, cy + half, 0.0),
    }
}

fn open(dir: &std::path::Path) -> BasemapComposer {
    let b = Basemap::new(TileSource::Folder {
        path: dir.to_path_buf(),
        pattern: "{z}/{x}/{y}.png".into(),
        tms: TmsRef::WebMercator,
    });
    let opts = FetchOptions {
        no_cache: true,
        ..FetchOptions::default()
    };
    BasemapComposer::open(&CrsDef::parse("EPSG:4526").unwrap(), &[b], &opts)
        .0
        .expect("the folder opens")
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let t = Instant::now();
    let n = write_tiles(dir.path());
    println!("wrote {n} tiles in {:.2} s", t.elapsed().as_secs_f64());

    let c = open(dir.path());
    let p = patch(CENTRE.0, CENTRE.1, 500.0);
    for (label, size) in [
        ("256² drape of 1 km, cold", 256),
        ("256² drape of 1 km, warm", 256),
    ] {
        let t = Instant::now();
        c.compose(p, size, size);
        println!("{label:<40} {:>8.1} ms", t.elapsed().as_secs_f64() * 1e3);
    }
    let c = open(dir.path());
    for label in ["2048² drape of 1 km, cold", "2048² drape of 1 km, warm"] {
        let t = Instant::now();
        c.compose(p, 2048, 2048);
        println!("{label:<40} {:>8.1} ms", t.elapsed().as_secs_f64() * 1e3);
    }

    let c = open(dir.path());
    let patches: Vec<Bbox> = (0..256)
        .map(|i| {
            let (gx, gy) = ((i % 16) as f64 - 7.5, (i / 16) as f64 - 7.5);
            patch(CENTRE.0 + gx * 250.0, CENTRE.1 + gy * 250.0, 125.0)
        })
        .collect();
    let t = Instant::now();
    std::thread::scope(|s| {
        for k in 0..3 {
            let (c, patches) = (&c, &patches);
            s.spawn(move || {
                for p in patches.iter().skip(k).step_by(3) {
                    c.compose(*p, 256, 256);
                }
            });
        }
    });
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{:<40} {:>8.1} ms  ({:.0} drapes/s, {} tile failures)",
        "256 drapes of 256², 3 threads",
        secs * 1e3,
        256.0 / secs,
        c.failures()
    );
}
