//! An OSGB scene graph as renderable tile content: each geometry a
//! triangle mesh in the file's frame (metres, z up, as photogrammetry
//! producers write it), with its texture decoded.
//!
//! Strips, fans, quads, quad strips and polygons become triangle lists as
//! OpenGL would draw them; points and lines are left out. Of an `osg::LOD`'s
//! children written in the file only the most detailed is kept (drawing all
//! of them would draw the same surface several times); a PagedLOD's
//! children in the file are its coarse level, and its child files are
//! other tiles.

use super::OsgbFile;
use super::model::*;
use super::texture::{self, Keep};
use cim_core::model::tile_content::{ContentMaterial, ContentMesh, TextureImage, TileContent};
use glam::{DMat4, DVec3};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;

/// The most vertices one file may expand to (a graph that shares a node
/// many times over multiplies what it draws).
pub const MAX_VERTICES: usize = 50_000_000;

/// The most node visits one walk of a graph may make: a file of a few
/// bytes can share a node twice at each of 128 levels.
pub const MAX_VISITS: usize = 1_000_000;

/// The triangles a primitive set of `n` vertices makes in GL mode `mode`.
fn triangles_of(mode: u32, n: usize) -> usize {
    match mode {
        gl::TRIANGLES => n / 3,
        gl::TRIANGLE_STRIP | gl::TRIANGLE_FAN | gl::POLYGON => n.saturating_sub(2),
        gl::QUADS => n / 4 * 2,
        gl::QUAD_STRIP => n.saturating_sub(2) / 2 * 2,
        _ => 0,
    }
}

/// The runs of vertices a primitive set draws (one run but for
/// `DrawArrayLengths`).
fn run_lengths(p: &Primitive) -> Vec<usize> {
    match &p.indices {
        Indices::Range { count, .. } => vec![(*count).max(0) as usize],
        Indices::Lengths { lengths, .. } => lengths.iter().map(|&l| l.max(0) as usize).collect(),
        Indices::Elements(ix) => vec![ix.len()],
    }
}

/// Triangles of one geometry.
pub fn triangle_count(g: &Geometry) -> usize {
    g.primitives
        .iter()
        .map(|p| {
            run_lengths(p)
                .into_iter()
                .map(|n| triangles_of(p.mode, n))
                .sum::<usize>()
        })
        .sum()
}

/// Appends the triangle list of one run `v` (vertex indices in drawing
/// order) in mode `mode`.
fn triangulate(mode: u32, v: &[u32], out: &mut Vec<u32>) {
    let n = v.len();
    match mode {
        gl::TRIANGLES => out.extend_from_slice(&v[..n / 3 * 3]),
        gl::TRIANGLE_STRIP => {
            for i in 2..n {
                // Every other triangle is turned to keep one winding.
                if i % 2 == 0 {
                    out.extend([v[i - 2], v[i - 1], v[i]]);
                } else {
                    out.extend([v[i - 1], v[i - 2], v[i]]);
                }
            }
        }
        gl::TRIANGLE_FAN | gl::POLYGON => {
            for i in 2..n {
                out.extend([v[0], v[i - 1], v[i]]);
            }
        }
        gl::QUADS => {
            for q in v.chunks_exact(4) {
                out.extend([q[0], q[1], q[2], q[0], q[2], q[3]]);
            }
        }
        gl::QUAD_STRIP => {
            let mut i = 0;
            while i + 3 < n {
                out.extend([v[i], v[i + 1], v[i + 3], v[i], v[i + 3], v[i + 2]]);
                i += 2;
            }
        }
        _ => {}
    }
}

/// The triangle list of a geometry of `vertices` vertices; an index past
/// the vertices is an error.
fn triangle_list(g: &Geometry, vertices: usize) -> Result<Vec<u32>, String> {
    let mut out = Vec::with_capacity(triangle_count(g) * 3);
    let mut run = Vec::new();
    for p in &g.primitives {
        let runs: Vec<(usize, usize)> = match &p.indices {
            Indices::Range { first, count } => {
                vec![((*first).max(0) as usize, (*count).max(0) as usize)]
            }
            Indices::Lengths { first, lengths } => {
                let mut at = (*first).max(0) as usize;
                lengths
                    .iter()
                    .map(|&l| {
                        let r = (at, l.max(0) as usize);
                        at += r.1;
                        r
                    })
                    .collect()
            }
            Indices::Elements(ix) => {
                if let Some(bad) = ix.iter().find(|&&i| i as usize >= vertices) {
                    return Err(format!(
                        "index {bad} past the geometry's {vertices} vertices"
                    ));
                }
                triangulate(p.mode, ix, &mut out);
                continue;
            }
        };
        for (first, count) in runs {
            if first.saturating_add(count) > vertices {
                return Err(format!(
                    "vertices {first}..{} past the geometry's {vertices}",
                    first.saturating_add(count)
                ));
            }
            run.clear();
            run.extend(first as u32..(first + count) as u32);
            triangulate(p.mode, &run, &mut out);
        }
    }
    Ok(out)
}

/// Which part of a file's graph to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Everything in the file.
    All,
    /// What no paging PagedLOD holds: drawn for as long as the file is.
    Rest,
    /// The in-file (coarse) children of the file's `i`-th paging PagedLOD
    /// (counted depth first; one inside another's children is not counted,
    /// it is part of that one).
    Page(usize),
}

/// Whether a PagedLOD pages in a file (and so is a tile of its own).
pub fn pages_in(paged: &PagedLod) -> bool {
    paged.files.iter().any(|f| !f.is_empty())
}

/// Builds renderable content from an OSGB file's graph; images stored as
/// files of their own are read from `dir` (the `.osgb`'s folder), when
/// given.
pub fn to_content(file: &OsgbFile, dir: Option<&Path>) -> Result<TileContent, String> {
    to_content_part(file, dir, Part::All)
}

/// [`to_content`] of one part of the file.
pub fn to_content_part(
    file: &OsgbFile,
    dir: Option<&Path>,
    part: Part,
) -> Result<TileContent, String> {
    build(file, dir, part, Keep::Decoded, None)
}

/// The textures of one parsed file decoded so far, shared by the contents
/// made from its parts (the pages of a file share its texture: decoded
/// once, one image in memory).
#[derive(Debug, Default)]
pub struct TextureMemo(Mutex<HashMap<usize, Option<Arc<TextureImage>>>>);

impl TextureMemo {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<usize, Option<Arc<TextureImage>>>> {
        // A build that panicked left the map whole.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// [`to_content_part`], textures taken from and added to `memo` (which
/// must only ever serve parts of `file`).
pub fn to_content_part_shared(
    file: &OsgbFile,
    dir: Option<&Path>,
    part: Part,
    memo: &TextureMemo,
) -> Result<TileContent, String> {
    build(file, dir, part, Keep::Decoded, Some(memo))
}

/// [`to_content_part`] for a writer: JPEG and PNG textures are kept as the
/// files they are ([`TextureImage::encoded`]), not decoded.
pub fn to_content_for_writing(
    file: &OsgbFile,
    dir: Option<&Path>,
    part: Part,
) -> Result<TileContent, String> {
    build(file, dir, part, Keep::Encoded, None)
}

fn build(
    file: &OsgbFile,
    dir: Option<&Path>,
    part: Part,
    keep: Keep,
    memo: Option<&TextureMemo>,
) -> Result<TileContent, String> {
    let mut b = Builder {
        memo,
        keep,
        part,
        pages: 0,
        dir: dir.map(Path::to_path_buf),
        content: TileContent {
            warnings: file.warnings.clone(),
            ..TileContent::default()
        },
        textures: HashMap::new(),
        vertices: 0,
        visits: 0,
    };
    if let Some(root) = &file.root {
        let emit = !matches!(part, Part::Page(_));
        b.node(root, DMat4::IDENTITY, None, emit, false)?;
    }
    Ok(b.content)
}

struct Builder<'m> {
    memo: Option<&'m TextureMemo>,
    keep: Keep,
    part: Part,
    /// Paging PagedLODs met so far.
    pages: usize,
    dir: Option<PathBuf>,
    content: TileContent,
    /// Decoded textures by the address of their `osg::Texture2D`.
    textures: HashMap<*const Texture, Option<Arc<TextureImage>>>,
    vertices: usize,
    visits: usize,
}

impl Builder<'_> {
    /// Draws `node`'s subtree; `emit`: whether its geometry is in the part
    /// drawn; `in_page`: whether it is under a paging PagedLOD.
    fn node(
        &mut self,
        node: &Node,
        m: DMat4,
        state: Option<&Arc<StateSet>>,
        emit: bool,
        in_page: bool,
    ) -> Result<(), String> {
        self.visits += 1;
        if self.visits > MAX_VISITS {
            return Err(format!(
                "the graph has more than {MAX_VISITS} nodes to visit"
            ));
        }
        let state = node.state.as_ref().or(state);
        let mut m = m;
        match &node.kind {
            NodeKind::Transform(t) => m *= *t,
            NodeKind::Geode(geoms) if emit => {
                for g in geoms {
                    self.geometry(g, m, g.state.as_ref().or(state))?;
                }
            }
            NodeKind::Lod(lod, ..) => {
                if let Some(i) = finest(lod, node.children.len()) {
                    return self.node(&node.children[i], m, state, emit, in_page);
                }
                return Ok(());
            }
            NodeKind::PagedLod(_, paged) if pages_in(paged) && !in_page => {
                let i = self.pages;
                self.pages += 1;
                let emit = match self.part {
                    Part::All => true,
                    Part::Rest => false,
                    Part::Page(k) => k == i,
                };
                for c in &node.children {
                    self.node(c, m, state, emit, true)?;
                }
                return Ok(());
            }
            _ => {}
        }
        for c in &node.children {
            self.node(c, m, state, emit, in_page)?;
        }
        Ok(())
    }

    fn geometry(
        &mut self,
        g: &Geometry,
        m: DMat4,
        state: Option<&Arc<StateSet>>,
    ) -> Result<(), String> {
        let Some(v) = &g.vertices else {
            return Ok(());
        };
        let n = v.array.len();
        self.vertices += n;
        if self.vertices > MAX_VERTICES {
            return Err(format!("the graph draws more than {MAX_VERTICES} vertices"));
        }
        let indices = match triangle_list(g, n) {
            Ok(ix) => ix,
            Err(e) => {
                self.content
                    .warnings
                    .push(format!("a geometry left out: {e}"));
                return Ok(());
            }
        };
        if indices.is_empty() {
            return Ok(());
        }
        // Positions relative to the first vertex keep f64 arrays exact in
        // f32; the offset goes into the mesh's transform.
        let origin = match v.array.data {
            Numbers::F64(_) => DVec3::new(v.array.get(0, 0), v.array.get(0, 1), v.array.get(0, 2)),
            _ => DVec3::ZERO,
        };
        let positions = (0..n)
            .map(|i| [0, 1, 2].map(|c| (v.array.get(i, c) - origin[c]) as f32))
            .collect();
        let per_vertex = |b: Option<&Bound>| -> bool {
            b.is_some_and(|b| {
                b.array.len() == n && matches!(b.binding, Binding::PerVertex | Binding::Undefined)
            })
        };
        let normals = g
            .normals
            .as_ref()
            .filter(|b| per_vertex(Some(b)))
            .map(|b| {
                (0..n)
                    .map(|i| [0, 1, 2].map(|c| b.array.get(i, c) as f32))
                    .collect()
            })
            .unwrap_or_default();
        // OSG images have row 0 at the bottom; the decoded image has it at
        // the top.
        let uvs = g
            .texcoords
            .first()
            .and_then(Option::as_ref)
            .filter(|b| per_vertex(Some(b)))
            .map(|b| {
                (0..n)
                    .map(|i| [b.array.get(i, 0) as f32, 1.0 - b.array.get(i, 1) as f32])
                    .collect()
            })
            .unwrap_or_default();
        let colors = g
            .colors
            .as_ref()
            .filter(|b| per_vertex(Some(b)))
            .map(|b| (0..n).map(|i| color(b, i)).collect())
            .unwrap_or_default();
        let mut material = self.material(state)?;
        if let Some(c) = g.colors.as_ref().filter(|c| c.array.len() == 1 && n > 1) {
            let rgba = color(c, 0);
            for (k, x) in material.base_color.iter_mut().enumerate() {
                *x *= f32::from(rgba[k]) / 255.0;
            }
        }
        self.content.meshes.push(ContentMesh {
            transform: m * DMat4::from_translation(origin),
            positions,
            normals,
            uvs,
            colors,
            indices,
            material,
            ..ContentMesh::default()
        });
        Ok(())
    }

    /// The material a state set gives: its diffuse colour and unit-0
    /// texture; textured photogrammetry is unlit (its light is in the
    /// photographs), as is anything with `GL_LIGHTING` off.
    fn material(&mut self, state: Option<&Arc<StateSet>>) -> Result<ContentMaterial, String> {
        let mut mat = ContentMaterial {
            double_sided: true,
            ..ContentMaterial::default()
        };
        let Some(s) = state else {
            return Ok(mat);
        };
        if let Some(d) = s.diffuse {
            mat.base_color = d;
        }
        if let Some(t) = s.base_texture() {
            mat.texture = self.texture(t);
        }
        mat.unlit = mat.texture.is_some() || s.mode(gl::LIGHTING) == Some(false);
        if s.mode(gl::CULL_FACE) == Some(true) {
            mat.double_sided = false;
        }
        Ok(mat)
    }

    /// A texture's image, decoded once; one that cannot be decoded is
    /// warned of and left out.
    fn texture(&mut self, t: &Arc<Texture>) -> Option<Arc<TextureImage>> {
        let key = Arc::as_ptr(t);
        if let Some(done) = self.textures.get(&key) {
            return done.clone();
        }
        if let Some(done) = self
            .memo
            .and_then(|m| m.lock().get(&(key as usize)).cloned())
        {
            self.textures.insert(key, done.clone());
            return done;
        }
        let dir = self.dir.as_deref();
        let keep = self.keep;
        let decoded = t
            .image
            .as_ref()
            .and_then(|img| match texture::load(img, dir, keep) {
                Ok(i) => i.map(Arc::new),
                Err(e) => {
                    self.content.warnings.push(format!(
                        "texture {}: {e}",
                        cim_core::message::clip(&img.file_name, 120)
                    ));
                    None
                }
            });
        self.textures.insert(key, decoded.clone());
        if let Some(m) = self.memo {
            m.lock().insert(key as usize, decoded.clone());
        }
        decoded
    }
}

/// Vertex colour `i` of a colour array, as sRGB bytes.
fn color(b: &Bound, i: usize) -> [u8; 4] {
    let unit = if b.normalize || matches!(b.array.data, Numbers::F32(_) | Numbers::F64(_)) {
        b.array.data.unit()
    } else {
        255.0
    };
    let mut c = [255u8; 4];
    for (k, x) in c.iter_mut().enumerate().take(b.array.components) {
        *x = (b.array.get(i, k) / unit * 255.0).round().clamp(0.0, 255.0) as u8;
    }
    c
}

/// The child of an `osg::LOD` shown closest up.
pub(crate) fn finest(lod: &Lod, children: usize) -> Option<usize> {
    let score = |i: usize| -> f32 {
        let (min, max) = lod.ranges.get(i).copied().unwrap_or((0.0, f32::MAX));
        match lod.range_mode {
            RangeMode::PixelSizeOnScreen => max,
            RangeMode::DistanceFromEyePoint => -min,
        }
    };
    (0..children).max_by(|&a, &b| score(a).total_cmp(&score(b)))
}
