//! The part of an OpenSceneGraph scene graph that photogrammetry tiles use,
//! as read from an `.osgb` file: nodes (groups, LODs, PagedLODs, geodes,
//! matrix transforms), geometries with their arrays and primitive sets, and
//! the state (material colour, 2D texture and its image) that colours them.
//!
//! Objects the file shares through its unique IDs (one state set for many
//! geometries, say) are shared here through [`Arc`], so a graph read from
//! a file is never bigger than the file says.

use glam::DMat4;
use std::sync::Arc;

/// A node of the scene graph.
#[derive(Clone, Debug)]
pub struct Node {
    /// The `osg::` class the node was written as.
    pub class: String,
    pub name: String,
    pub state: Option<Arc<StateSet>>,
    pub kind: NodeKind,
    /// Children in the file (a PagedLOD's children that live in other files
    /// are in [`PagedLod::files`] instead).
    pub children: Vec<Arc<Node>>,
}

#[derive(Clone, Debug)]
pub enum NodeKind {
    /// `osg::Node`, `osg::Group` and groups read as such.
    Group,
    Lod(Lod),
    PagedLod(Lod, PagedLod),
    /// `osg::Geode`: drawables, no children.
    Geode(Vec<Arc<Geometry>>),
    /// `osg::MatrixTransform`: the children are in the frame `matrix` maps
    /// into the parent's (column vectors, as glam has them).
    Transform(DMat4),
}

/// How an `osg::LOD` chooses among its children.
#[derive(Clone, Debug, Default)]
pub struct Lod {
    /// The user-defined centre and radius, where the file gives them.
    pub center: Option<([f64; 3], f64)>,
    pub range_mode: RangeMode,
    /// Each child's `[min, max)` range: metres from the eye, or pixels of
    /// the bounding sphere's size on screen.
    pub ranges: Vec<(f32, f32)>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RangeMode {
    #[default]
    DistanceFromEyePoint,
    PixelSizeOnScreen,
}

/// What makes an `osg::PagedLOD` paged: the files of its children.
#[derive(Clone, Debug, Default)]
pub struct PagedLod {
    /// The folder the file names are relative to, when the file says.
    pub database_path: Option<String>,
    /// One file name per range; empty where that child is in the file.
    pub files: Vec<String>,
}

/// An `osg::Geometry`.
#[derive(Clone, Debug, Default)]
pub struct Geometry {
    pub state: Option<Arc<StateSet>>,
    pub vertices: Option<Bound>,
    pub normals: Option<Bound>,
    pub colors: Option<Bound>,
    /// Per texture unit; `None` where a unit has no coordinates.
    pub texcoords: Vec<Option<Bound>>,
    pub primitives: Vec<Arc<Primitive>>,
}

/// An array and how it binds to the geometry.
#[derive(Clone, Debug)]
pub struct Bound {
    pub array: Arc<Array>,
    pub binding: Binding,
    /// Integer colours read as 0‥1 (`Normalize`).
    pub normalize: bool,
}

/// `osg::Array::Binding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    Undefined,
    Off,
    Overall,
    PerPrimitiveSet,
    PerVertex,
}

/// An `osg::*Array`: `components` numbers per element.
#[derive(Clone, Debug)]
pub struct Array {
    pub components: usize,
    pub data: Numbers,
}

/// The numbers of an array, in the type the file stores them in.
#[derive(Clone, Debug)]
pub enum Numbers {
    I8(Vec<i8>),
    U8(Vec<u8>),
    I16(Vec<i16>),
    U16(Vec<u16>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl Numbers {
    pub fn len(&self) -> usize {
        match self {
            Numbers::I8(v) => v.len(),
            Numbers::U8(v) => v.len(),
            Numbers::I16(v) => v.len(),
            Numbers::U16(v) => v.len(),
            Numbers::I32(v) => v.len(),
            Numbers::U32(v) => v.len(),
            Numbers::F32(v) => v.len(),
            Numbers::F64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number `i` as f64.
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Numbers::I8(v) => f64::from(v[i]),
            Numbers::U8(v) => f64::from(v[i]),
            Numbers::I16(v) => f64::from(v[i]),
            Numbers::U16(v) => f64::from(v[i]),
            Numbers::I32(v) => f64::from(v[i]),
            Numbers::U32(v) => f64::from(v[i]),
            Numbers::F32(v) => f64::from(v[i]),
            Numbers::F64(v) => v[i],
        }
    }

    /// The largest value an integer type holds (what `Normalize` divides
    /// by); 1 for floats.
    pub fn unit(&self) -> f64 {
        match self {
            Numbers::I8(_) => 127.0,
            Numbers::U8(_) => 255.0,
            Numbers::I16(_) => 32767.0,
            Numbers::U16(_) => 65535.0,
            Numbers::I32(_) => i32::MAX as f64,
            Numbers::U32(_) => u32::MAX as f64,
            Numbers::F32(_) | Numbers::F64(_) => 1.0,
        }
    }
}

impl Array {
    /// How many elements (vertices, say) the array has.
    pub fn len(&self) -> usize {
        self.data.len() / self.components.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Component `c` of element `i`; 0 past the element's components.
    pub fn get(&self, i: usize, c: usize) -> f64 {
        if c < self.components {
            self.data.get(i * self.components + c)
        } else {
            0.0
        }
    }
}

/// An `osg::PrimitiveSet`: how vertices join into points, lines or faces.
#[derive(Clone, Debug)]
pub struct Primitive {
    /// The GL mode (`GL_TRIANGLES` = 4, …).
    pub mode: u32,
    pub instances: u32,
    pub indices: Indices,
}

#[derive(Clone, Debug)]
pub enum Indices {
    /// `osg::DrawArrays`: vertices `first..first + count`.
    Range { first: i32, count: i32 },
    /// `osg::DrawArrayLengths`: runs of the given lengths from `first`.
    Lengths { first: i32, lengths: Vec<i32> },
    /// `osg::DrawElementsUByte/UShort/UInt`.
    Elements(Vec<u32>),
}

/// The GL primitive modes.
pub mod gl {
    pub const POINTS: u32 = 0;
    pub const LINES: u32 = 1;
    pub const LINE_LOOP: u32 = 2;
    pub const LINE_STRIP: u32 = 3;
    pub const TRIANGLES: u32 = 4;
    pub const TRIANGLE_STRIP: u32 = 5;
    pub const TRIANGLE_FAN: u32 = 6;
    pub const QUADS: u32 = 7;
    pub const QUAD_STRIP: u32 = 8;
    pub const POLYGON: u32 = 9;
    /// `GL_TEXTURE_2D` (a texture mode).
    pub const TEXTURE_2D: u32 = 0x0DE1;
    /// `GL_CULL_FACE` (a mode).
    pub const CULL_FACE: u32 = 0x0B44;
    /// `GL_LIGHTING` (a mode).
    pub const LIGHTING: u32 = 0x0B50;
}

/// An `osg::StateSet`, as far as it colours a surface.
#[derive(Clone, Debug, Default)]
pub struct StateSet {
    /// `osg::Material`'s front diffuse colour.
    pub diffuse: Option<[f32; 4]>,
    /// The 2D texture of each unit that has one.
    pub textures: Vec<(u32, Arc<Texture>)>,
    /// Modes switched on or off (`GL_LIGHTING`, `GL_CULL_FACE`, …).
    pub modes: Vec<(u32, bool)>,
}

impl StateSet {
    /// The texture of unit 0, if any.
    pub fn base_texture(&self) -> Option<&Arc<Texture>> {
        self.textures.iter().find(|(u, _)| *u == 0).map(|(_, t)| t)
    }

    /// Whether mode `mode` is set, and to what.
    pub fn mode(&self, mode: u32) -> Option<bool> {
        self.modes
            .iter()
            .find(|(m, _)| *m == mode)
            .map(|(_, on)| *on)
    }
}

/// An `osg::Texture2D`.
#[derive(Clone, Debug, Default)]
pub struct Texture {
    /// `GL_REPEAT` (0x2901) and the clamps, for S and T.
    pub wrap: [u32; 2],
    pub image: Option<Arc<Image>>,
}

/// An `osg::Image` as the file holds it.
#[derive(Clone, Debug)]
pub struct Image {
    pub file_name: String,
    pub data: ImageData,
}

#[derive(Clone, Debug)]
pub enum ImageData {
    /// A whole image file (JPEG, PNG, DDS…) embedded in the stream.
    File(Vec<u8>),
    /// Pixels as OpenGL would take them.
    Pixels {
        width: u32,
        height: u32,
        /// `GL_RGB`, `GL_RGBA`, `GL_LUMINANCE`, a compressed format…
        pixel_format: u32,
        /// `GL_UNSIGNED_BYTE`, …
        data_type: u32,
        /// `Origin`: whether row 0 is the top.
        top_left: bool,
        bytes: Vec<u8>,
    },
    /// Only the file name: the image is beside the `.osgb`.
    External,
}
