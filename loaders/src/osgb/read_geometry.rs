//! Reading `osg::Geometry`, its arrays and its primitive sets, in both of
//! the layouts OpenSceneGraph has written: before file version 112 arrays
//! and primitive sets are written inline (`InputStream::readArray` and
//! `readPrimitiveSet`, arrays with IDs of their own); from 112 on they are
//! objects like any other (`osg::Vec3Array`, `osg::DrawElementsUInt`, …).

use super::OsgbError;
use super::model::*;
use super::read::{Obj, Reader};
use std::sync::Arc;

/// An array class: its element type and components per element.
#[derive(Clone, Copy)]
enum Elem {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
}

impl Elem {
    fn size(self) -> usize {
        match self {
            Elem::I8 | Elem::U8 => 1,
            Elem::I16 | Elem::U16 => 2,
            Elem::I32 | Elem::U32 | Elem::F32 => 4,
            Elem::F64 => 8,
        }
    }
}

/// The array classes by name (from version 112).
fn array_class(class: &str) -> Option<(Elem, usize)> {
    let name = class.strip_prefix("osg::")?.strip_suffix("Array")?;
    Some(match name {
        "Byte" => (Elem::I8, 1),
        "UByte" => (Elem::U8, 1),
        "Short" => (Elem::I16, 1),
        "UShort" => (Elem::U16, 1),
        "Int" => (Elem::I32, 1),
        "UInt" => (Elem::U32, 1),
        "Float" => (Elem::F32, 1),
        "Double" => (Elem::F64, 1),
        _ => {
            let rest = name.strip_prefix("Vec")?;
            let n: usize = rest
                .get(..1)?
                .parse()
                .ok()
                .filter(|n| (2..=4).contains(n))?;
            let elem = match rest.get(1..)? {
                "" | "f" => Elem::F32,
                "d" => Elem::F64,
                "b" => Elem::I8,
                "ub" => Elem::U8,
                "s" => Elem::I16,
                "us" => Elem::U16,
                "i" => Elem::I32,
                "ui" => Elem::U32,
                _ => return None,
            };
            (elem, n)
        }
    })
}

/// `osg::Array::Binding` as both layouts number it.
fn binding(v: i32) -> Binding {
    match v {
        0 => Binding::Off,
        1 => Binding::Overall,
        2 => Binding::PerPrimitiveSet,
        4 => Binding::PerVertex,
        _ => Binding::Undefined,
    }
}

/// The array types of the inline layout (`osgDB::ID_*_ARRAY`).
fn array_type(id: i32) -> Option<(Elem, usize)> {
    use Elem::*;
    Some(match id {
        0 => (I8, 1),
        1 => (U8, 1),
        2 => (I16, 1),
        3 => (U16, 1),
        4 => (I32, 1),
        5 => (U32, 1),
        6 => (F32, 1),
        7 => (F64, 1),
        8 => (I8, 2),
        9 => (I8, 3),
        10 => (I8, 4),
        11 => (U8, 4),
        12 => (I16, 2),
        13 => (I16, 3),
        14 => (I16, 4),
        15 => (F32, 2),
        16 => (F32, 3),
        17 => (F32, 4),
        18 => (F64, 2),
        19 => (F64, 3),
        20 => (F64, 4),
        21 => (U8, 2),
        22 => (U8, 3),
        23 => (U16, 2),
        24 => (U16, 3),
        25 => (U16, 4),
        26 => (I32, 2),
        27 => (I32, 3),
        28 => (I32, 4),
        29 => (U32, 2),
        30 => (U32, 3),
        31 => (U32, 4),
        _ => return None,
    })
}

impl Reader<'_> {
    /// The geometry classes; `None` for a class that is not one.
    pub(crate) fn geometry_class(&mut self, class: &str) -> Result<Option<Obj>, OsgbError> {
        if class == "osg::Geometry" {
            return Ok(Some(Obj::Geometry(Arc::new(self.geometry()?))));
        }
        if let Some((elem, n)) = array_class(class) {
            self.object_fields()?;
            self.buffer_data()?;
            let binding = binding(self.s.i32("Binding")?);
            let normalize = self.s.bool("Normalize")?;
            self.s.bool("PreserveDataType")?;
            let count = self.s.count(elem.size() * n, "array size")?;
            let data = self.numbers(elem, count * n)?;
            let array = Arc::new(Array {
                components: n,
                data,
            });
            return Ok(Some(Obj::Array(Bound {
                array,
                binding,
                normalize,
            })));
        }
        let elements = match class {
            "osg::DrawElementsUByte" => Some(Elem::U8),
            "osg::DrawElementsUShort" => Some(Elem::U16),
            "osg::DrawElementsUInt" => Some(Elem::U32),
            "osg::DrawArrays" | "osg::DrawArrayLengths" => None,
            _ => return Ok(None),
        };
        self.object_fields()?;
        self.buffer_data()?;
        let instances = self.s.i32("NumInstances")?.max(0) as u32;
        let mode = self.s.i32("Mode")? as u32;
        let indices = match (class, elements) {
            (_, Some(elem)) => {
                let n = self.s.count(elem.size(), "element count")?;
                Indices::Elements(self.indices(elem, n)?)
            }
            ("osg::DrawArrays", _) => Indices::Range {
                first: self.s.i32("First")?,
                count: self.s.i32("Count")?,
            },
            _ => {
                let first = self.s.i32("First")?;
                let n = self.s.count(4, "length count")?;
                let lengths = (0..n)
                    .map(|_| self.s.i32("length"))
                    .collect::<Result<_, _>>()?;
                Indices::Lengths { first, lengths }
            }
        };
        Ok(Some(Obj::Primitive(Arc::new(Primitive {
            mode,
            instances,
            indices,
        }))))
    }

    /// `osg::BufferData` (from version 147): its buffer object.
    fn buffer_data(&mut self) -> Result<(), OsgbError> {
        if self.s.version >= 147 {
            self.optional_object()?;
        }
        Ok(())
    }

    /// `n` numbers of type `elem`.
    fn numbers(&mut self, elem: Elem, n: usize) -> Result<Numbers, OsgbError> {
        let b = self.s.bytes(n * elem.size(), "array data")?;
        Ok(match elem {
            Elem::I8 => Numbers::I8(b.iter().map(|&x| x as i8).collect()),
            Elem::U8 => Numbers::U8(b.to_vec()),
            Elem::I16 => Numbers::I16(
                b.chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
            Elem::U16 => Numbers::U16(
                b.chunks_exact(2)
                    .map(|c| u16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
            Elem::I32 => Numbers::I32(
                b.chunks_exact(4)
                    .map(|c| i32::from_le_bytes(c.try_into().expect("4")))
                    .collect(),
            ),
            Elem::U32 => Numbers::U32(
                b.chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().expect("4")))
                    .collect(),
            ),
            Elem::F32 => Numbers::F32(
                b.chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
                    .collect(),
            ),
            Elem::F64 => Numbers::F64(
                b.chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8")))
                    .collect(),
            ),
        })
    }

    /// `n` vertex indices stored as `elem`.
    fn indices(&mut self, elem: Elem, n: usize) -> Result<Vec<u32>, OsgbError> {
        let b = self.s.bytes(n * elem.size(), "indices")?;
        Ok(match elem {
            Elem::U8 => b.iter().map(|&x| u32::from(x)).collect(),
            Elem::U16 => b
                .chunks_exact(2)
                .map(|c| u32::from(u16::from_le_bytes([c[0], c[1]])))
                .collect(),
            _ => b
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes(c.try_into().expect("4")))
                .collect(),
        })
    }

    /// `osg::Geometry` (with `osg::Drawable` and, from version 154,
    /// `osg::Node` before it).
    fn geometry(&mut self) -> Result<Geometry, OsgbError> {
        let v = self.s.version;
        self.object_fields()?;
        let mut g = Geometry::default();
        if v >= 154 {
            g.state = self.node_fields()?;
        }
        self.drawable(&mut g)?;
        if v < 112 {
            self.inline_geometry(&mut g)?;
            return Ok(g);
        }
        let n = self.s.count(5, "PrimitiveSetList")?;
        for _ in 0..n {
            g.primitives.extend(self.primitive_object()?);
        }
        g.vertices = self.array_object(true)?;
        g.normals = self.array_object(true)?;
        g.colors = self.array_object(true)?;
        self.array_object(true)?; // SecondaryColorArray
        self.array_object(true)?; // FogCoordArray
        let n = self.s.count(5, "TexCoordArrayList")?;
        for _ in 0..n {
            let a = self.array_object(false)?;
            g.texcoords.push(a);
        }
        let n = self.s.count(5, "VertexAttribArrayList")?;
        for _ in 0..n {
            self.array_object(false)?;
        }
        Ok(g)
    }

    /// `osg::Drawable`'s properties.
    fn drawable(&mut self, g: &mut Geometry) -> Result<(), OsgbError> {
        let v = self.s.version;
        if v < 156 {
            let state = self.optional_state()?;
            g.state = g.state.take().or(state);
        }
        if self.s.bool("InitialBound")? {
            self.s.begin("InitialBound")?;
            self.s.f64s::<6>("InitialBound")?;
            self.s.end();
        }
        self.optional_object()?; // ComputeBoundingBoxCallback
        self.optional_object()?; // Shape
        self.s.bool("SupportsDisplayList")?;
        self.s.bool("UseDisplayList")?;
        self.s.bool("UseVertexBufferObjects")?;
        if v < 156 {
            for _ in 0..4 {
                // Update, Event, Cull and Draw callbacks.
                self.optional_object()?;
            }
        }
        if v >= 142 {
            self.s.u32("NodeMask")?;
        }
        if v >= 145 {
            self.s.bool("CullingActive")?;
        }
        Ok(())
    }

    /// A primitive set object (from version 112).
    fn primitive_object(&mut self) -> Result<Option<Arc<Primitive>>, OsgbError> {
        match self.object()? {
            Some(Obj::Primitive(p)) => Ok(Some(p)),
            Some(Obj::Other(_)) | None => Ok(None),
            Some(other) => Err(self.invalid(format!(
                "a primitive set was expected, not {}",
                other.kind()
            ))),
        }
    }

    /// An array object (from version 112), after a presence flag when
    /// `flagged`; bound per vertex unless it says otherwise.
    fn array_object(&mut self, flagged: bool) -> Result<Option<Bound>, OsgbError> {
        let obj = if flagged {
            self.optional_object()?
        } else {
            self.object()?
        };
        match obj {
            Some(Obj::Array(bound)) => Ok(Some(bound)),
            Some(Obj::Other(_)) | None => Ok(None),
            Some(other) => {
                Err(self.invalid(format!("an array was expected, not {}", other.kind())))
            }
        }
    }

    /// The properties of a geometry written before version 112.
    fn inline_geometry(&mut self, g: &mut Geometry) -> Result<(), OsgbError> {
        let n = self.s.count(12, "PrimitiveSetList")?;
        for _ in 0..n {
            g.primitives.push(Arc::new(self.inline_primitive()?));
        }
        g.vertices = self.array_data("VertexData")?;
        g.normals = self.array_data("NormalData")?;
        g.colors = self.array_data("ColorData")?;
        self.array_data("SecondaryColorData")?;
        self.array_data("FogCoordData")?;
        g.texcoords = self.array_list("TexCoordData")?;
        self.array_list("VertexAttribData")?;
        self.s.bool("FastPathHint")?;
        Ok(())
    }

    /// One of `VertexData`, `NormalData`, … (a user serializer).
    fn array_data(&mut self, what: &str) -> Result<Option<Bound>, OsgbError> {
        if !self.s.bool(what)? {
            return Ok(None);
        }
        self.s.begin(what)?;
        let a = self.bound_array()?;
        self.s.end();
        Ok(a)
    }

    /// `TexCoordData` or `VertexAttribData`: one array per unit.
    fn array_list(&mut self, what: &str) -> Result<Vec<Option<Bound>>, OsgbError> {
        if !self.s.bool(what)? {
            return Ok(Vec::new());
        }
        let n = self.s.count(10, what)?;
        self.s.begin(what)?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            self.s.begin(what)?;
            out.push(self.bound_array()?);
            self.s.end();
        }
        self.s.end();
        Ok(out)
    }

    /// An array, its optional index array (resolved here), its binding and
    /// normalisation (`readArray` of the Geometry wrapper).
    fn bound_array(&mut self) -> Result<Option<Bound>, OsgbError> {
        let array = if self.s.bool("Array")? {
            Some(self.inline_array()?)
        } else {
            None
        };
        let indices = if self.s.bool("Indices")? {
            Some(self.inline_array()?)
        } else {
            None
        };
        let binding = binding(self.s.i32("Binding")?);
        let normalize = self.s.i32("Normalize")? != 0;
        let Some(array) = array else {
            return Ok(None);
        };
        let array = match indices {
            Some(ix) => Arc::new(self.resolve(&array, &ix)?),
            None => array,
        };
        Ok(Some(Bound {
            array,
            binding,
            normalize,
        }))
    }

    /// `array` looked up through the index array `ix`.
    fn resolve(&self, array: &Array, ix: &Array) -> Result<Array, OsgbError> {
        let n = array.components;
        let mut values = Vec::with_capacity(ix.data.len() * n);
        for i in 0..ix.data.len() {
            let k = ix.data.get(i);
            if !(0.0..array.len() as f64).contains(&k) {
                return Err(self.invalid(format!(
                    "index {k} past an array of {} elements",
                    array.len()
                )));
            }
            for c in 0..n {
                values.push(array.get(k as usize, c));
            }
        }
        Ok(Array {
            components: n,
            data: Numbers::F64(values),
        })
    }

    /// `InputStream::readArray`: an ID (repeated IDs share the array), a
    /// type, then the elements.
    fn inline_array(&mut self) -> Result<Arc<Array>, OsgbError> {
        let id = self.s.u32("ArrayID")?;
        if let Some(a) = self.arrays.get(&id) {
            return Ok(a.clone());
        }
        let ty = self.s.i32("array type")?;
        let Some((elem, n)) = array_type(ty) else {
            return Err(self.invalid(format!("unknown array type {ty}")));
        };
        let at = self.s.pos();
        let count = self.s.i32("array size")?;
        if count < 0 {
            return Err(self.invalid(format!("negative array size {count}")));
        }
        self.s
            .check_count(count as usize, elem.size() * n, at, "array size")?;
        self.s.begin("array")?;
        let data = self.numbers(elem, count as usize * n)?;
        self.s.end();
        let a = Arc::new(Array {
            components: n,
            data,
        });
        self.arrays.insert(id, a.clone());
        Ok(a)
    }

    /// `InputStream::readPrimitiveSet`.
    fn inline_primitive(&mut self) -> Result<Primitive, OsgbError> {
        let ty = self.s.i32("primitive type")?;
        let mode = self.s.i32("primitive mode")? as u32;
        let instances = if self.s.version > 96 {
            self.s.u32("NumInstances")?
        } else {
            0
        };
        let indices = match ty {
            50 => Indices::Range {
                first: self.s.i32("first")?,
                count: self.s.i32("count")?,
            },
            51 => {
                let first = self.s.i32("first")?;
                let n = self.s.count(4, "length count")?;
                self.s.begin("lengths")?;
                let lengths = (0..n)
                    .map(|_| self.s.i32("length"))
                    .collect::<Result<_, _>>()?;
                self.s.end();
                Indices::Lengths { first, lengths }
            }
            52..=54 => {
                let elem = [Elem::U8, Elem::U16, Elem::U32][(ty - 52) as usize];
                let n = self.s.count(elem.size(), "element count")?;
                self.s.begin("elements")?;
                let ix = self.indices(elem, n)?;
                self.s.end();
                Indices::Elements(ix)
            }
            _ => return Err(self.invalid(format!("unknown primitive set type {ty}"))),
        };
        Ok(Primitive {
            mode,
            instances,
            indices,
        })
    }
}
