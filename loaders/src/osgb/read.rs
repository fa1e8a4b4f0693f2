//! Reading objects from the stream: the file header, `readObject` with its
//! table of unique IDs, and the node classes.
//!
//! OpenSceneGraph writes each object as its class name, its unique ID and
//! then the properties of each class in its chain (`osg::Object`,
//! `osg::Node`, `osg::Group`, …) in the order the class's serializer
//! wrapper lists them, each present from the file version it was added in
//! until the version it was removed in (`src/osgWrappers/serializers/osg/`
//! in OpenSceneGraph). The per-class readers here follow those lists; the
//! version gates are spelled out where they matter.

use super::OsgbError;
use super::model::*;
use super::stream::Stream;
use std::collections::HashMap;
use std::sync::Arc;

/// How deep objects may nest (a hostile file nests until the stack ends).
const MAX_DEPTH: usize = 128;

/// A finished object, as a unique ID may refer to it again.
#[derive(Clone, Debug)]
pub(crate) enum Obj {
    Node(Arc<Node>),
    Geometry(Arc<Geometry>),
    StateSet(Arc<StateSet>),
    /// A state attribute: a texture, a material colour, or another kind
    /// that does not change how a surface is drawn here.
    Attribute(Attribute),
    Array(Bound),
    Primitive(Arc<Primitive>),
    Image(Arc<Image>),
    /// Read and not kept (buffer objects, user data), or stepped over.
    Other(String),
}

#[derive(Clone, Debug)]
pub(crate) enum Attribute {
    Texture(Arc<Texture>),
    Material([f32; 4]),
    CullFace,
    Other,
}

/// The state of one read: the stream, the objects by unique ID, and what
/// was stepped over.
pub(crate) struct Reader<'a> {
    pub s: Stream<'a>,
    /// `None` while the object is being read: a reference to it then is a
    /// cycle.
    objects: HashMap<u32, Option<Obj>>,
    /// Arrays of files before version 112 have IDs of their own.
    pub arrays: HashMap<u32, Arc<Array>>,
    depth: usize,
    pub warnings: Vec<String>,
}

impl<'a> Reader<'a> {
    pub fn new(s: Stream<'a>) -> Reader<'a> {
        Reader {
            s,
            objects: HashMap::new(),
            arrays: HashMap::new(),
            depth: 0,
            warnings: Vec::new(),
        }
    }

    pub fn invalid(&self, detail: impl Into<String>) -> OsgbError {
        OsgbError::Invalid {
            offset: self.s.pos(),
            detail: detail.into(),
        }
    }

    /// `readObject`: a class name (or `NULL`), then the object.
    pub fn object(&mut self) -> Result<Option<Obj>, OsgbError> {
        let at = self.s.pos();
        let class = self.s.string("class name")?;
        if class == "NULL" {
            return Ok(None);
        }
        if !class.contains("::") || class.len() > 256 {
            return Err(OsgbError::Invalid {
                offset: at,
                detail: format!(
                    "`{}` is not a class name",
                    cim_core::message::clip(&class, 80)
                ),
            });
        }
        self.s.begin(&class)?;
        let id = self.s.u32("unique ID")?;
        if let Some(seen) = self.objects.get(&id) {
            let Some(obj) = seen.clone() else {
                return Err(OsgbError::Invalid {
                    offset: at,
                    detail: format!("{class} #{id} refers to itself (a cyclic object reference)"),
                });
            };
            self.s.finish_block();
            return Ok(Some(obj));
        }
        if self.depth >= MAX_DEPTH {
            return Err(OsgbError::Invalid {
                offset: at,
                detail: format!("objects nest more than {MAX_DEPTH} deep"),
            });
        }
        self.objects.insert(id, None);
        self.depth += 1;
        let obj = self.fields(&class);
        self.depth -= 1;
        let obj = obj?;
        self.objects.insert(id, Some(obj.clone()));
        self.s.finish_block();
        Ok(Some(obj))
    }

    /// The properties of an object of class `class`.
    fn fields(&mut self, class: &str) -> Result<Obj, OsgbError> {
        if let Some(obj) = self.geometry_class(class)? {
            return Ok(obj);
        }
        if let Some(obj) = self.state_class(class)? {
            return Ok(obj);
        }
        Ok(match class {
            "osg::Node"
            | "osg::Group"
            | "osg::LOD"
            | "osg::PagedLOD"
            | "osg::Geode"
            | "osg::MatrixTransform" => Obj::Node(Arc::new(self.node(class)?)),
            "osg::VertexBufferObject" | "osg::ElementBufferObject" => {
                self.object_fields()?;
                self.buffer_object()?;
                Obj::Other(class.to_string())
            }
            _ => self.skip(class)?,
        })
    }

    /// Steps over an object of a class this reader does not know, which
    /// only a file with block sizes allows (`object` then moves to the end
    /// of the object's block).
    fn skip(&mut self, class: &str) -> Result<Obj, OsgbError> {
        if !self.s.has_brackets() {
            return Err(OsgbError::Unsupported {
                offset: self.s.pos(),
                detail: format!(
                    "class {} (the file has no block sizes to step over it)",
                    cim_core::message::clip(class, 80)
                ),
            });
        }
        let warning = format!(
            "skipped an object of class {}",
            cim_core::message::clip(class, 80)
        );
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
        Ok(Obj::Other(class.to_string()))
    }

    /// The image a unique ID names already, if any.
    pub fn image_by_id(&self, id: u32) -> Result<Option<Arc<Image>>, OsgbError> {
        match self.objects.get(&id) {
            None => Ok(None),
            Some(Some(Obj::Image(i))) => Ok(Some(i.clone())),
            Some(None) => Err(self.invalid(format!(
                "image #{id} refers to an object it is part of (a cyclic object reference)"
            ))),
            Some(Some(other)) => {
                Err(self.invalid(format!("image #{id} names {}, not an image", other.kind())))
            }
        }
    }

    pub fn keep_image(&mut self, id: u32, image: Arc<Image>) {
        self.objects.insert(id, Some(Obj::Image(image)));
    }

    /// An object serializer: a flag, then the object if the flag is set.
    pub fn optional_object(&mut self) -> Result<Option<Obj>, OsgbError> {
        if self.s.bool("object flag")? {
            self.object()
        } else {
            Ok(None)
        }
    }

    /// An object that must be a node, or nothing.
    fn node_object(&mut self) -> Result<Option<Arc<Node>>, OsgbError> {
        match self.object()? {
            Some(Obj::Node(n)) => Ok(Some(n)),
            Some(Obj::Other(_)) | None => Ok(None),
            Some(other) => Err(self.invalid(format!("a node was expected, not {}", other.kind()))),
        }
    }

    /// A state set serializer: a flag, then a state set.
    pub fn optional_state(&mut self) -> Result<Option<Arc<StateSet>>, OsgbError> {
        match self.optional_object()? {
            Some(Obj::StateSet(s)) => Ok(Some(s)),
            Some(Obj::Other(_)) | None => Ok(None),
            Some(other) => {
                Err(self.invalid(format!("a state set was expected, not {}", other.kind())))
            }
        }
    }

    /// `osg::Object`: name, data variance, user data.
    pub fn object_fields(&mut self) -> Result<String, OsgbError> {
        let name = self.s.string("Name")?;
        self.s.i32("DataVariance")?;
        if self.s.version < 77 {
            // UserData: a user serializer holding one object in brackets.
            if self.s.bool("UserData")? {
                self.s.begin("UserData")?;
                self.object()?;
                self.s.end();
            }
        } else {
            self.optional_object()?; // UserDataContainer
        }
        Ok(name)
    }

    /// `osg::Node`'s properties; its state set.
    pub fn node_fields(&mut self) -> Result<Option<Arc<StateSet>>, OsgbError> {
        if self.s.bool("InitialBound")? {
            self.s.begin("InitialBound")?;
            self.s.f64s::<4>("InitialBound")?;
            self.s.end();
        }
        for _ in 0..4 {
            // ComputeBoundingSphere, Update, Event and Cull callbacks.
            self.optional_object()?;
        }
        self.s.bool("CullingActive")?;
        self.s.u32("NodeMask")?;
        if self.s.version < 77 && self.s.bool("Descriptions")? {
            let n = self.s.count(4, "Descriptions")?;
            self.s.begin("Descriptions")?;
            for _ in 0..n {
                self.s.string("Description")?;
            }
            self.s.end();
        }
        self.optional_state()
    }

    /// The node classes; `class` says which properties follow.
    fn node(&mut self, class: &str) -> Result<Node, OsgbError> {
        let name = self.object_fields()?;
        let state = self.node_fields()?;
        let mut node = Node {
            class: class.to_string(),
            name,
            state,
            kind: NodeKind::Group,
            children: Vec::new(),
        };
        match class {
            "osg::Node" => {}
            "osg::Group" => node.children = self.children()?,
            "osg::LOD" => {
                node.children = self.children()?;
                node.kind = NodeKind::Lod(self.lod()?);
            }
            "osg::PagedLOD" => {
                let lod = self.lod()?;
                let (paged, children) = self.paged_lod()?;
                node.kind = NodeKind::PagedLod(lod, paged);
                node.children = children;
            }
            "osg::Geode" => node.kind = NodeKind::Geode(self.drawables()?),
            "osg::MatrixTransform" => {
                node.children = self.children()?;
                self.s.i32("ReferenceFrame")?;
                self.s.begin("Matrix")?;
                let m = self.s.f64s::<16>("Matrix")?;
                self.s.end();
                // OSG's row-major matrices act on row vectors: the same
                // sixteen numbers are glam's columns.
                node.kind = NodeKind::Transform(glam::DMat4::from_cols_array(&m));
            }
            _ => unreachable!("not a node class: {class}"),
        }
        Ok(node)
    }

    /// `osg::Group`'s children.
    fn children(&mut self) -> Result<Vec<Arc<Node>>, OsgbError> {
        if !self.s.bool("Children")? {
            return Ok(Vec::new());
        }
        let n = self.s.count(5, "Children")?;
        self.s.begin("Children")?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.extend(self.node_object()?);
        }
        self.s.end();
        Ok(out)
    }

    /// `osg::LOD`'s own properties (after its children).
    fn lod(&mut self) -> Result<Lod, OsgbError> {
        let mut lod = Lod::default();
        self.s.i32("CenterMode")?;
        if self.s.bool("UserCenter")? {
            let c = self.s.f64s::<3>("UserCenter")?;
            let r = self.s.f64("UserCenter radius")?;
            lod.center = Some((c, r));
        }
        lod.range_mode = match self.s.i32("RangeMode")? {
            1 => RangeMode::PixelSizeOnScreen,
            _ => RangeMode::DistanceFromEyePoint,
        };
        if self.s.bool("RangeList")? {
            let n = self.s.count(8, "RangeList")?;
            self.s.begin("RangeList")?;
            lod.ranges = (0..n)
                .map(|_| Ok((self.s.f32("range")?, self.s.f32("range")?)))
                .collect::<Result<_, OsgbError>>()?;
            self.s.end();
        }
        Ok(lod)
    }

    /// `osg::PagedLOD`'s own properties: the child files and the children
    /// written in the file.
    fn paged_lod(&mut self) -> Result<(PagedLod, Vec<Arc<Node>>), OsgbError> {
        let mut paged = PagedLod::default();
        if self.s.bool("DatabasePath")? && self.s.bool("DatabasePath flag")? {
            paged.database_path = Some(self.s.string("DatabasePath")?);
        }
        if self.s.version < 70 {
            self.s.u32("FrameNumberOfLastTraversal")?;
        }
        self.s.u32("NumChildrenThatCannotBeExpired")?;
        self.s.bool("DisableExternalChildrenPaging")?;
        if self.s.bool("RangeDataList")? {
            let n = self.s.count(4, "RangeDataList")?;
            self.s.begin("RangeDataList")?;
            paged.files = (0..n)
                .map(|_| self.s.string("RangeDataList file"))
                .collect::<Result<_, _>>()?;
            self.s.end();
            let n = self.s.count(8, "PriorityList")?;
            self.s.begin("PriorityList")?;
            for _ in 0..n {
                self.s.f32s::<2>("PriorityList")?;
            }
            self.s.end();
        }
        let mut children = Vec::new();
        if self.s.bool("Children")? {
            let n = self.s.count(5, "Children")?;
            if n > 0 {
                self.s.begin("Children")?;
                for _ in 0..n {
                    children.extend(self.node_object()?);
                }
                self.s.end();
            }
        }
        Ok((paged, children))
    }

    /// `osg::Geode`'s drawables (geometries; other drawables are left out
    /// with a warning).
    fn drawables(&mut self) -> Result<Vec<Arc<Geometry>>, OsgbError> {
        if !self.s.bool("Drawables")? {
            return Ok(Vec::new());
        }
        let n = self.s.count(5, "Drawables")?;
        self.s.begin("Drawables")?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            match self.object()? {
                Some(Obj::Geometry(g)) => out.push(g),
                Some(Obj::Other(_)) | None => {}
                Some(other) => {
                    return Err(
                        self.invalid(format!("a drawable was expected, not {}", other.kind()))
                    );
                }
            }
        }
        self.s.end();
        Ok(out)
    }

    /// `osg::BufferObject`'s properties.
    fn buffer_object(&mut self) -> Result<(), OsgbError> {
        self.s.u32("Target")?;
        self.s.u32("Usage")?;
        self.s.bool("CopyDataAndReleaseGLBufferObject")?;
        if self.s.version >= 201 {
            self.s.u32("MappingBitfield")?;
        }
        Ok(())
    }
}

impl Obj {
    /// What kind of object this is, for messages.
    pub fn kind(&self) -> &str {
        match self {
            Obj::Node(n) => &n.class,
            Obj::Geometry(_) => "osg::Geometry",
            Obj::StateSet(_) => "osg::StateSet",
            Obj::Attribute(_) => "a state attribute",
            Obj::Array(_) => "an array",
            Obj::Primitive(_) => "a primitive set",
            Obj::Image(_) => "osg::Image",
            Obj::Other(c) => c,
        }
    }
}
