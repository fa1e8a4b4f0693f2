//! Hostile and broken OSGB files: each is a clear error (or a warning for
//! what can be stepped over), nothing panics, nothing allocates what the
//! file does not hold, and nothing runs away.
//!
//! The files are written here by a small writer of OpenSceneGraph's binary
//! layout for version 91 (what ContextCapture writes), with or without
//! block sizes.

use cim_loaders::osgb::{self, OsgbError};

/// Writes an OSGB stream: version 91, block sizes when `brackets`.
struct W {
    b: Vec<u8>,
    brackets: bool,
    open: Vec<usize>,
}

impl W {
    fn new(brackets: bool) -> W {
        let mut w = W {
            b: osgb::MAGIC.to_vec(),
            brackets,
            open: Vec::new(),
        };
        w.u32(1).u32(91).u32(if brackets { 4 } else { 0 }).str("0");
        w
    }
    fn u8(&mut self, v: u8) -> &mut W {
        self.b.push(v);
        self
    }
    fn u32(&mut self, v: u32) -> &mut W {
        self.b.extend(v.to_le_bytes());
        self
    }
    fn i32(&mut self, v: i32) -> &mut W {
        self.b.extend(v.to_le_bytes());
        self
    }
    fn f32(&mut self, v: f32) -> &mut W {
        self.b.extend(v.to_le_bytes());
        self
    }
    fn str(&mut self, s: &str) -> &mut W {
        self.i32(s.len() as i32);
        self.b.extend(s.as_bytes());
        self
    }
    /// `{`: a placeholder for the block's size, with block sizes.
    fn begin(&mut self) -> &mut W {
        if self.brackets {
            self.open.push(self.b.len());
            self.u32(0);
        }
        self
    }
    /// `}`: the block's size, counted from its size field.
    fn end(&mut self) -> &mut W {
        if self.brackets {
            let at = self.open.pop().expect("an open block");
            let size = (self.b.len() - at) as u32;
            self.b[at..at + 4].copy_from_slice(&size.to_le_bytes());
        }
        self
    }
    /// An object's class, block and ID, then `osg::Object`'s fields.
    fn object(&mut self, class: &str, id: u32) -> &mut W {
        self.str(class).begin().u32(id).str("").i32(0).u8(0)
    }
    /// A reference to an object written before.
    fn reference(&mut self, class: &str, id: u32) -> &mut W {
        self.str(class).begin().u32(id).end()
    }
    /// `osg::Node`'s fields (no state set).
    fn node(&mut self) -> &mut W {
        self.u8(0).u8(0).u8(0).u8(0).u8(0).u8(1).u32(!0).u8(0)
    }
    /// An `osg::Group` whose children `children` writes (`n` of them).
    fn group(&mut self, id: u32, n: u32, children: impl FnOnce(&mut W)) -> &mut W {
        self.object("osg::Group", id).node().u8(1).u32(n).begin();
        children(self);
        self.end().end()
    }
    /// An `osg::Geode` holding one triangle geometry with `indices` into
    /// `vertices` (a vertex array of that many elements, written as
    /// `count` elements).
    fn geode(&mut self, id: u32, vertices: &[[f32; 3]], count: i32, indices: &[u32]) -> &mut W {
        self.object("osg::Geode", id).node().u8(1).u32(1).begin();
        self.object("osg::Geometry", id + 1);
        // osg::Drawable (version 91).
        self.u8(0).u8(0).u8(0).u8(0).u8(1).u8(1).u8(0);
        self.u8(0).u8(0).u8(0).u8(0);
        // PrimitiveSetList: one DrawElementsUInt of triangles.
        self.u32(1).i32(54).i32(4).u32(indices.len() as u32).begin();
        for &i in indices {
            self.u32(i);
        }
        self.end();
        // VertexData: a Vec3Array, no indices, per vertex.
        self.u8(1)
            .begin()
            .u8(1)
            .u32(id + 2)
            .i32(16)
            .i32(count)
            .begin();
        for v in vertices {
            self.f32(v[0]).f32(v[1]).f32(v[2]);
        }
        self.end().u8(0).i32(4).i32(0).end();
        // No normals, colours, secondary colours, fog coordinates, texture
        // coordinates or vertex attributes; FastPathHint.
        for _ in 0..6 {
            self.u8(0);
        }
        self.u8(0);
        self.end(); // the geometry
        self.end().end() // Drawables, the geode
    }
    fn done(&self) -> Vec<u8> {
        assert!(self.open.is_empty(), "unclosed blocks");
        self.b.clone()
    }
}

const TRIANGLE: [[f32; 3]; 3] = [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];

fn one_triangle(brackets: bool) -> Vec<u8> {
    let mut w = W::new(brackets);
    w.group(1, 1, |w| {
        w.geode(2, &TRIANGLE, 3, &[0, 1, 2]);
    });
    w.done()
}

#[test]
fn the_writer_here_writes_what_the_reader_reads() {
    for brackets in [false, true] {
        let f = osgb::parse(&one_triangle(brackets)).expect("parse");
        let st = f.stats().expect("stats");
        assert_eq!((st.vertex_count, st.triangle_count), (3, 1));
        let c = osgb::mesh::to_content(&f, None).expect("content");
        assert_eq!(c.meshes[0].indices, vec![0, 1, 2]);
    }
}

#[test]
fn every_truncation_is_an_error() {
    for brackets in [false, true] {
        let full = one_triangle(brackets);
        for n in 0..full.len() {
            let r = osgb::parse(&full[..n]);
            assert!(r.is_err(), "cut at {n} of {}: read", full.len());
        }
    }
}

#[test]
fn not_osgb_and_unread_kinds_are_named() {
    assert!(matches!(
        osgb::parse(b"hello, world"),
        Err(OsgbError::NotOsgb)
    ));
    let mut big_endian = one_triangle(false);
    big_endian[..8].copy_from_slice(&[0x6C, 0x91, 0x0E, 0xA1, 0x1A, 0xFB, 0x45, 0x45]);
    let e = osgb::parse(&big_endian).unwrap_err().to_string();
    assert!(e.contains("big-endian"), "{e}");
    let mut image = one_triangle(false);
    image[8] = 2;
    let e = osgb::parse(&image).unwrap_err().to_string();
    assert!(e.contains("file type 2"), "{e}");
    let mut zlib = W::new(false);
    zlib.b.truncate(zlib.b.len() - 5);
    zlib.str("zlib").u32(0xDEAD_BEEF);
    let e = osgb::parse(&zlib.done()).unwrap_err().to_string();
    assert!(e.contains("zlib stream is corrupt"), "{e}");
    let mut other = W::new(false);
    other.b.truncate(other.b.len() - 5);
    other.str("lzma");
    let e = osgb::parse(&other.done()).unwrap_err().to_string();
    assert!(e.contains("compressor `lzma`"), "{e}");
}

#[test]
fn an_object_inside_itself_is_a_cycle() {
    let mut w = W::new(false);
    w.group(1, 1, |w| {
        w.reference("osg::Group", 1);
    });
    let e = osgb::parse(&w.done()).unwrap_err().to_string();
    assert!(e.contains("cyclic object reference"), "{e}");
}

#[test]
fn absurd_counts_are_refused_before_allocating() {
    let mut w = W::new(false);
    w.group(1, 1, |w| {
        w.geode(2, &TRIANGLE, i32::MAX, &[0, 1, 2]);
    });
    let e = osgb::parse(&w.done()).unwrap_err().to_string();
    assert!(e.contains("2147483647 items of 12 bytes"), "{e}");
    let mut w = W::new(false);
    w.object("osg::Group", 1).node().u8(1).u32(u32::MAX);
    let e = osgb::parse(&w.b).unwrap_err().to_string();
    assert!(e.contains("Children: 4294967295 items"), "{e}");
    let mut w = W::new(false);
    w.i32(-5);
    let e = osgb::parse(&w.b).unwrap_err().to_string();
    assert!(e.contains("negative string length"), "{e}");
}

#[test]
fn nesting_past_the_limit_is_refused() {
    fn nest(w: &mut W, id: u32, left: u32) {
        if left == 0 {
            w.object("osg::Node", id).node().end();
        } else {
            w.group(id, 1, |w| nest(w, id + 1, left - 1));
        }
    }
    let mut w = W::new(false);
    nest(&mut w, 1, 100);
    assert!(osgb::parse(&w.done()).is_ok(), "100 levels read");
    let mut w = W::new(false);
    nest(&mut w, 1, 300);
    let e = osgb::parse(&w.done()).unwrap_err().to_string();
    assert!(e.contains("nest more than 128"), "{e}");
}

/// A group sharing its child twice at each of 40 levels is a few hundred
/// bytes but 2⁴⁰ nodes to walk: counting and meshing stop at a limit.
#[test]
fn a_graph_that_shares_itself_exponentially_is_refused() {
    let mut w = W::new(false);
    let levels = 40;
    fn level(w: &mut W, id: u32, left: u32) {
        if left == 0 {
            w.geode(id, &TRIANGLE, 3, &[0, 1, 2]);
            return;
        }
        w.group(id, 2, |w| {
            level(w, id + 3, left - 1);
            let child = if left == 1 {
                "osg::Geode"
            } else {
                "osg::Group"
            };
            w.reference(child, id + 3);
        });
    }
    level(&mut w, 1, levels);
    let f = osgb::parse(&w.done()).expect("parse");
    let e = f.stats().unwrap_err();
    assert!(e.contains("more than 1000000 nodes"), "{e}");
    let e = osgb::mesh::to_content(&f, None).unwrap_err();
    assert!(e.contains("more than"), "{e}");
}

#[test]
fn an_unknown_class_is_skipped_only_with_block_sizes() {
    let write = |brackets: bool| {
        let mut w = W::new(brackets);
        w.group(1, 2, |w| {
            w.object("osgSim::LightPointNode", 2).u32(7).u32(8).end();
            w.geode(3, &TRIANGLE, 3, &[0, 1, 2]);
        });
        w.done()
    };
    let e = osgb::parse(&write(false)).unwrap_err().to_string();
    assert!(e.contains("class osgSim::LightPointNode"), "{e}");
    let f = osgb::parse(&write(true)).expect("skipped");
    assert_eq!(
        f.warnings,
        ["skipped an object of class osgSim::LightPointNode"]
    );
    assert_eq!(f.stats().unwrap().triangle_count, 1);
}

#[test]
fn an_index_past_the_vertices_leaves_its_geometry_out() {
    let mut w = W::new(false);
    w.group(1, 2, |w| {
        w.geode(2, &TRIANGLE, 3, &[0, 1, 7]);
        w.geode(5, &TRIANGLE, 3, &[2, 1, 0]);
    });
    let f = osgb::parse(&w.done()).expect("parse");
    let c = osgb::mesh::to_content(&f, None).expect("content");
    assert_eq!(c.meshes.len(), 1);
    assert_eq!(c.warnings.len(), 1);
    assert!(c.warnings[0].contains("index 7 past the geometry's 3 vertices"));
}

#[test]
fn a_file_that_is_not_a_regular_file_or_missing_names_itself() {
    let dir = tempfile::tempdir().unwrap();
    let e = osgb::read_file(&dir.path().join("nope.osgb"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("nope.osgb"), "{e}");
    let p = dir.path().join("bad.osgb");
    std::fs::write(&p, &one_triangle(false)[..40]).unwrap();
    let e = osgb::read_file(&p).unwrap_err().to_string();
    assert!(e.contains("bad.osgb") && e.contains("truncated"), "{e}");
}
