//! Writes a large OSGB dataset for benchmarks by replicating and offsetting
//! the real sample tiles:
//!
//! ```sh
//! cargo run --release -p cim-loaders --example make_osgb_dataset -- OUT_DIR [BLOCKS]
//! ```
//!
//! `OUT_DIR/metadata.xml` (EPSG:4547) and `OUT_DIR/Data/Tile_+XXX_+YYY/`,
//! one block per grid cell (default 6 000 blocks, about 1 GB): the block's
//! root file is `$CIM_TEST_DATA/osgb/osgb-master/Tile_+005_+005_L22_000020t4.osgb`
//! (five PagedLODs) moved to its cell, and the five files it pages in are
//! `Tile_5_L21_002240t1.osgb` moved onto each PagedLOD's centre — two
//! levels, ~30 000 pages. Each copy is the original file's root object
//! wrapped in an `osg::MatrixTransform` (the bytes spliced, not re-encoded),
//! so every file is a valid OSGB that OpenSceneGraph reads too.

use cim_loaders::osgb::{self, outline};
use glam::DVec3;
use std::path::PathBuf;

/// The header of a version-91 file without block sizes or compression.
const HEADER_LEN: usize = 8 + 4 + 4 + 4 + 4 + 1;

/// `file` (a version-91 OSGB without block sizes) with its root moved by
/// `offset`.
fn moved(file: &[u8], offset: DVec3) -> Vec<u8> {
    assert_eq!(&file[..8], &osgb::MAGIC);
    assert_eq!(
        &file[12..20],
        &[91, 0, 0, 0, 0, 0, 0, 0],
        "version 91, no attributes"
    );
    assert_eq!(&file[20..25], &[1, 0, 0, 0, b'0'], "no compressor");
    let mut out = file[..HEADER_LEN].to_vec();
    let put = |out: &mut Vec<u8>, b: &[u8]| out.extend_from_slice(b);
    let class = b"osg::MatrixTransform";
    put(&mut out, &(class.len() as u32).to_le_bytes());
    put(&mut out, class);
    put(&mut out, &0x7FFF_FFF0u32.to_le_bytes()); // an ID the original does not use
    put(&mut out, &[0, 0, 0, 0, 0, 0, 0, 0, 0]); // name, data variance, user data
    put(&mut out, &[0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0]); // osg::Node
    put(&mut out, &[1, 1, 0, 0, 0]); // one child: the original root
    put(&mut out, &file[HEADER_LEN..]);
    put(&mut out, &0i32.to_le_bytes()); // RELATIVE_RF
    let m = glam::DMat4::from_translation(offset);
    for v in m.to_cols_array() {
        put(&mut out, &v.to_le_bytes());
    }
    out
}

fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .expect("usage: make_osgb_dataset OUT_DIR [BLOCKS]"),
    );
    let blocks: usize = args.next().map_or(6000, |b| b.parse().expect("BLOCKS"));
    let data = PathBuf::from(std::env::var_os("CIM_TEST_DATA").expect("CIM_TEST_DATA"));
    let samples = data.join("osgb/osgb-master");
    let root = std::fs::read(samples.join("Tile_+005_+005_L22_000020t4.osgb")).unwrap();
    let leaf = std::fs::read(samples.join("Tile_5_L21_002240t1.osgb")).unwrap();
    let outline_of = |b: &[u8]| {
        let f = osgb::parse(b).unwrap();
        outline::outline(f.root.as_deref()).unwrap()
    };
    let root_outline = outline_of(&root);
    let leaf_outline = outline_of(&leaf);
    let bbox = |o: &outline::Outline| {
        let mut b = o.rest.unwrap_or(cim_core::Bbox::EMPTY);
        for p in &o.pages {
            b = b.union(&p.bbox.unwrap_or(cim_core::Bbox::EMPTY));
        }
        b
    };
    let rb = bbox(&root_outline);
    let leaf_center = bbox(&leaf_outline).center();
    let spacing = (rb.max - rb.min).max_element() * 1.25;
    let side = (blocks as f64).sqrt().ceil() as usize;
    std::fs::create_dir_all(out.join("Data")).unwrap();
    std::fs::write(
        out.join("metadata.xml"),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<ModelMetadata version=\"1\">\n\
         \t<SRS>EPSG:4547</SRS>\n\t<SRSOrigin>500000,2500000,0</SRSOrigin>\n</ModelMetadata>\n",
    )
    .unwrap();
    let mut bytes = 0usize;
    for k in 0..blocks {
        let (i, j) = (k % side, k / side);
        let name = format!("Tile_+{i:03}_+{j:03}");
        let dir = out.join("Data").join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        let offset = DVec3::new(i as f64 * spacing, j as f64 * spacing, 0.0) - rb.min;
        let r = moved(&root, offset);
        bytes += r.len();
        std::fs::write(dir.join(format!("{name}.osgb")), r).unwrap();
        for p in &root_outline.pages {
            let center = p.sphere.map_or(leaf_center, |(c, _)| c);
            let l = moved(&leaf, offset + center - leaf_center);
            bytes += l.len();
            std::fs::write(dir.join(&p.file), l).unwrap();
        }
    }
    println!(
        "{}: {blocks} blocks, {} files, {:.2} GB",
        out.display(),
        blocks * (1 + root_outline.pages.len()),
        bytes as f64 / 1e9
    );
}
