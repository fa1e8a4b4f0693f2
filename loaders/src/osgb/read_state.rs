//! Reading state: `osg::StateSet`, the attributes photogrammetry uses
//! (`osg::Material`, `osg::Texture2D`, `osg::CullFace`, `osg::BlendFunc`)
//! and `osg::Image` (`InputStream::readImage`), whose pixels are usually a
//! whole JPEG file embedded in the stream.

use super::OsgbError;
use super::model::*;
use super::read::{Attribute, Obj, Reader};
use std::sync::Arc;

/// How an image is stored (`osgDB::IMAGE_*`).
const IMAGE_INLINE_DATA: i32 = 0;
const IMAGE_INLINE_FILE: i32 = 1;

impl Reader<'_> {
    /// The state classes; `None` for a class that is not one.
    pub(crate) fn state_class(&mut self, class: &str) -> Result<Option<Obj>, OsgbError> {
        let attribute = match class {
            "osg::StateSet" => {
                self.object_fields()?;
                return Ok(Some(Obj::StateSet(Arc::new(self.state_set()?))));
            }
            "osg::Material" | "osg::Texture2D" | "osg::CullFace" | "osg::BlendFunc" => {
                self.object_fields()?;
                // osg::StateAttribute: update and event callbacks.
                self.optional_object()?;
                self.optional_object()?;
                match class {
                    "osg::Material" => Attribute::Material(self.material()?),
                    "osg::Texture2D" => Attribute::Texture(Arc::new(self.texture_2d()?)),
                    "osg::CullFace" => {
                        self.s.i32("CullFace Mode")?;
                        Attribute::CullFace
                    }
                    _ => {
                        for _ in 0..4 {
                            self.s.u32("BlendFunc factor")?;
                        }
                        Attribute::Other
                    }
                }
            }
            _ => return Ok(None),
        };
        Ok(Some(Obj::Attribute(attribute)))
    }

    /// `osg::StateSet`'s properties.
    fn state_set(&mut self) -> Result<StateSet, OsgbError> {
        let mut ss = StateSet::default();
        if self.s.bool("ModeList")? {
            ss.modes = self.modes()?;
        }
        if self.s.bool("AttributeList")? {
            for a in self.attributes()? {
                if let Attribute::Material(c) = a {
                    ss.diffuse = Some(c);
                }
            }
        }
        if self.s.bool("TextureModeList")? {
            let n = self.s.count(4, "TextureModeList")?;
            self.s.begin("TextureModeList")?;
            for _ in 0..n {
                self.modes()?;
            }
            self.s.end();
        }
        if self.s.bool("TextureAttributeList")? {
            let n = self.s.count(4, "TextureAttributeList")?;
            self.s.begin("TextureAttributeList")?;
            for unit in 0..n {
                for a in self.attributes()? {
                    if let Attribute::Texture(t) = a {
                        ss.textures.push((unit as u32, t));
                    }
                }
            }
            self.s.end();
        }
        if self.s.bool("UniformList")? {
            let n = self.s.count(9, "UniformList")?;
            self.s.begin("UniformList")?;
            for _ in 0..n {
                self.object()?;
                self.s.i32("uniform value")?;
            }
            self.s.end();
        }
        self.s.i32("RenderingHint")?;
        self.s.i32("RenderBinMode")?;
        self.s.i32("BinNumber")?;
        self.s.string("BinName")?;
        self.s.bool("NestRenderBins")?;
        self.optional_object()?; // UpdateCallback
        self.optional_object()?; // EventCallback
        if self.s.version >= 151 && self.s.bool("DefineList")? {
            let n = self.s.count(12, "DefineList")?;
            self.s.begin("DefineList")?;
            for _ in 0..n {
                self.s.string("define name")?;
                self.s.string("define value")?;
                self.s.i32("define override")?;
            }
            self.s.end();
        }
        Ok(ss)
    }

    /// A mode list: GL enums and whether each is on.
    fn modes(&mut self) -> Result<Vec<(u32, bool)>, OsgbError> {
        let n = self.s.count(8, "modes")?;
        let mut out = Vec::with_capacity(n);
        if n > 0 {
            self.s.begin("modes")?;
            for _ in 0..n {
                let mode = self.s.u32("mode")?;
                let value = self.s.i32("mode value")?;
                out.push((mode, value & 1 != 0));
            }
            self.s.end();
        }
        Ok(out)
    }

    /// An attribute list: attributes, each with its override value.
    fn attributes(&mut self) -> Result<Vec<Attribute>, OsgbError> {
        let n = self.s.count(9, "attributes")?;
        let mut out = Vec::with_capacity(n);
        if n > 0 {
            self.s.begin("attributes")?;
            for _ in 0..n {
                let a = self.object()?;
                self.s.i32("attribute value")?;
                match a {
                    Some(Obj::Attribute(a)) => out.push(a),
                    Some(Obj::Other(_)) | None => {}
                    Some(other) => {
                        return Err(self.invalid(format!(
                            "a state attribute was expected, not {}",
                            other.kind()
                        )));
                    }
                }
            }
            self.s.end();
        }
        Ok(out)
    }

    /// `osg::Material`'s properties; its front diffuse colour.
    fn material(&mut self) -> Result<[f32; 4], OsgbError> {
        self.s.i32("ColorMode")?;
        let mut diffuse = [1.0; 4];
        for (i, what) in ["Ambient", "Diffuse", "Specular", "Emission"]
            .into_iter()
            .enumerate()
        {
            if self.s.bool(what)? {
                self.s.bool("FrontAndBack")?;
                let front = self.s.f32s::<4>(what)?;
                self.s.f32s::<4>(what)?;
                if i == 1 {
                    diffuse = front;
                }
            }
        }
        if self.s.bool("Shininess")? {
            self.s.bool("FrontAndBack")?;
            self.s.f32s::<2>("Shininess")?;
        }
        Ok(diffuse)
    }

    /// `osg::Texture` and `osg::Texture2D`'s properties.
    fn texture_2d(&mut self) -> Result<Texture, OsgbError> {
        let v = self.s.version;
        let mut tex = Texture::default();
        for (i, what) in ["WRAP_S", "WRAP_T", "WRAP_R", "MIN_FILTER", "MAG_FILTER"]
            .into_iter()
            .enumerate()
        {
            if self.s.bool(what)? {
                let value = self.s.u32(what)?;
                if i < 2 {
                    tex.wrap[i] = value;
                }
            }
        }
        self.s.f32("MaxAnisotropy")?;
        for what in [
            "UseHardwareMipMapGeneration",
            "UnRefImageDataAfterApply",
            "ClientStorageHint",
            "ResizeNonPowerOfTwoHint",
        ] {
            self.s.bool(what)?;
        }
        self.s.f64s::<4>("BorderColor")?;
        self.s.i32("BorderWidth")?;
        self.s.i32("InternalFormatMode")?;
        for what in ["InternalFormat", "SourceFormat", "SourceType"] {
            if self.s.bool(what)? {
                self.s.u32(what)?;
            }
        }
        self.s.bool("ShadowComparison")?;
        self.s.i32("ShadowCompareFunc")?;
        self.s.i32("ShadowTextureMode")?;
        self.s.f32("ShadowAmbient")?;
        if (95..154).contains(&v) && self.s.bool("ImageAttachment")? {
            self.s.u32("unit")?;
            self.s.i32("level")?;
            self.s.u8("layered")?;
            self.s.i32("layer")?;
            self.s.u32("access")?;
            self.s.u32("format")?;
        }
        if v >= 98 && self.s.bool("Swizzle")? {
            self.s.string("Swizzle")?;
        }
        if v >= 155 {
            self.s.f32s::<3>("MinLOD, MaxLOD, LODBias")?;
        }
        // osg::Texture2D
        if self.s.bool("Image")? {
            tex.image = self.image()?;
        }
        self.s.i32("TextureWidth")?;
        self.s.i32("TextureHeight")?;
        Ok(tex)
    }

    /// `InputStream::readImage`.
    fn image(&mut self) -> Result<Option<Arc<Image>>, OsgbError> {
        if self.s.version > 94 {
            self.s.string("image ClassName")?;
        }
        let id = self.s.u32("image UniqueID")?;
        if let Some(seen) = self.image_by_id(id)? {
            return Ok(Some(seen));
        }
        let file_name = self.s.string("image FileName")?;
        self.s.i32("WriteHint")?;
        let decision = self.s.i32("image storage")?;
        let data = match decision {
            IMAGE_INLINE_DATA => self.pixels()?,
            IMAGE_INLINE_FILE => {
                let n = self.s.count(1, "image file size")?;
                let b = self.s.bytes(n, "image file")?;
                if b.is_empty() {
                    ImageData::External
                } else {
                    ImageData::File(b.to_vec())
                }
            }
            _ => ImageData::External,
        };
        self.object_fields()?;
        let image = Arc::new(Image { file_name, data });
        self.keep_image(id, image.clone());
        Ok(Some(image))
    }

    /// Pixels written inline, with their mipmap offsets.
    fn pixels(&mut self) -> Result<ImageData, OsgbError> {
        let origin = self.s.i32("Origin")?;
        let width = self.s.i32("width")?;
        let height = self.s.i32("height")?;
        self.s.i32("depth")?;
        self.s.i32("InternalTextureFormat")?;
        let pixel_format = self.s.u32("PixelFormat")?;
        let data_type = self.s.u32("DataType")?;
        self.s.i32("Packing")?;
        self.s.i32("AllocationMode")?;
        let n = self.s.count(1, "image data size")?;
        let bytes = self.s.bytes(n, "image data")?.to_vec();
        let levels = self.s.count(4, "mipmap levels")?;
        for _ in 0..levels {
            self.s.u32("mipmap offset")?;
        }
        if width <= 0 || height <= 0 {
            return Ok(ImageData::External);
        }
        Ok(ImageData::Pixels {
            width: width as u32,
            height: height as u32,
            pixel_format,
            data_type,
            top_left: origin == 1,
            bytes,
        })
    }
}
