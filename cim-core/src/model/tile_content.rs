//! Decoded content of one streamed tile (a 3D Tiles b3dm/i3dm/pnts/cmpt or
//! glTF, later an OSGB node or an IFC storey): triangle meshes, point
//! clouds and instances in the tile's frame, with a feature id per vertex
//! and the features' properties, ready for the renderer and for picking.

use crate::model::attr::AttrValue;
use glam::DMat4;
use std::sync::Arc;

/// An RGBA8 image (sRGB), decoded from the content's PNG/JPEG.
#[derive(Clone, Debug, PartialEq)]
pub struct TextureImage {
    pub width: u32,
    pub height: u32,
    /// Empty when only [`TextureImage::encoded`] was kept.
    pub rgba: Vec<u8>,
    /// The file the image came from, kept (instead of decoding it) for a
    /// writer that passes it on as it is (`cim convert`).
    pub encoded: Option<EncodedImage>,
}

/// An image file as it was read: its bytes and MIME type.
#[derive(Clone, Debug, PartialEq)]
pub struct EncodedImage {
    /// `image/jpeg` or `image/png`.
    pub mime: &'static str,
    pub bytes: Arc<Vec<u8>>,
}

/// How a material's alpha is used (glTF `alphaMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Alpha {
    #[default]
    Opaque,
    /// Drawn where alpha ≥ the cutoff, not at all elsewhere (cut-outs:
    /// leaves, billboards).
    Mask(f32),
    Blend,
}

/// How a mesh is coloured.
#[derive(Clone, Debug, PartialEq)]
pub struct ContentMaterial {
    /// Linear RGBA factor (glTF `baseColorFactor`).
    pub base_color: [f32; 4],
    pub texture: Option<Arc<TextureImage>>,
    /// `KHR_materials_unlit`: photogrammetry is usually unlit.
    pub unlit: bool,
    pub double_sided: bool,
    pub alpha: Alpha,
}

impl Default for ContentMaterial {
    fn default() -> Self {
        ContentMaterial {
            base_color: [1.0; 4],
            texture: None,
            unlit: false,
            double_sided: false,
            alpha: Alpha::Opaque,
        }
    }
}

/// The feature id that means "no feature" (`EXT_mesh_features`
/// `nullFeatureId`). An id past its table's rows is a feature without
/// properties ([`PropertyTable::row`] is empty).
pub const NO_FEATURE: u32 = u32::MAX;

/// The table of a feature id set whose properties are in its container's
/// batch table (b3dm `_BATCHID`, i3dm and pnts `BATCH_ID`), until the
/// container adds it ([`TileContent::add_batch_table`]); content without
/// one leaves such sets without a table ([`TileContent::no_batch_table`]).
pub const BATCH_TABLE: u32 = u32::MAX - 1;

/// One set of feature ids over a mesh's vertices, a point cloud's points or
/// a mesh's instances (`_BATCHID`, pnts `BATCH_ID`, i3dm instances, an
/// `EXT_mesh_features` / `EXT_instance_features` feature id set).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureIds {
    /// One per vertex (point, instance); [`NO_FEATURE`] where none.
    pub ids: Vec<u32>,
    /// The [`PropertyTable`] (index into [`TileContent::tables`]) holding
    /// the features' properties, if any.
    pub table: Option<u32>,
    /// The set's `label`, when the content names it.
    pub label: Option<String>,
}

/// The properties of a content's features, a column per property: a b3dm
/// batch table, an `EXT_structural_metadata` property table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PropertyTable {
    /// The table's name (`"batch table"` for legacy content).
    pub name: String,
    /// The metadata class its rows are instances of, when it has one.
    pub class: Option<String>,
    /// Rows (features).
    pub count: usize,
    /// `(property, one value per row)`.
    pub columns: Vec<(String, Vec<AttrValue>)>,
}

impl PropertyTable {
    /// A table of `rows`, each its features' `(property, value)` pairs: a
    /// column per property any row has, in the order first met, null where
    /// a row lacks it; properties past `max_columns` columns are left out
    /// (columns × rows stay bounded whatever names the rows bring).
    ///
    /// ```
    /// use cim_core::model::attr::AttrValue;
    /// use cim_core::model::tile_content::PropertyTable;
    /// let rows = vec![
    ///     vec![("name".to_string(), AttrValue::String("A".into()))],
    ///     vec![("height".to_string(), AttrValue::Float(9.0))],
    /// ];
    /// let t = PropertyTable::from_rows("walls", &rows, 100);
    /// assert_eq!(t.count, 2);
    /// assert_eq!(t.row(1), vec![("name", &AttrValue::Null), ("height", &AttrValue::Float(9.0))]);
    /// ```
    pub fn from_rows(name: &str, rows: &[Vec<(String, AttrValue)>], max_columns: usize) -> Self {
        let mut columns: Vec<(String, Vec<AttrValue>)> = Vec::new();
        let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (r, row) in rows.iter().enumerate() {
            for (k, v) in row {
                let c = match at.get(k.as_str()) {
                    Some(&c) => c,
                    None if columns.len() >= max_columns => continue,
                    None => {
                        at.insert(k, columns.len());
                        columns.push((k.clone(), Vec::new()));
                        columns.len() - 1
                    }
                };
                let col = &mut columns[c].1;
                col.resize(r, AttrValue::Null);
                col.push(v.clone());
            }
        }
        for (_, col) in &mut columns {
            col.resize(rows.len(), AttrValue::Null);
        }
        PropertyTable {
            name: name.into(),
            class: None,
            count: rows.len(),
            columns,
        }
    }

    /// The properties of feature `row` (empty past the end).
    ///
    /// ```
    /// use cim_core::model::attr::AttrValue;
    /// use cim_core::model::tile_content::PropertyTable;
    /// let t = PropertyTable {
    ///     count: 2,
    ///     columns: vec![("height".into(), vec![AttrValue::Float(12.5), AttrValue::Float(30.0)])],
    ///     ..PropertyTable::default()
    /// };
    /// assert_eq!(t.row(1), vec![("height", &AttrValue::Float(30.0))]);
    /// assert!(t.row(2).is_empty());
    /// ```
    pub fn row(&self, row: usize) -> Vec<(&str, &AttrValue)> {
        if row >= self.count {
            return Vec::new();
        }
        self.columns
            .iter()
            .filter_map(|(name, values)| Some((name.as_str(), values.get(row)?)))
            .collect()
    }
}

/// One metadata entity of a tileset (3D Tiles 1.1 metadata: the tileset's,
/// a group's, a tile's or a content's), its values decoded by its class.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetadataEntity {
    /// What it describes: `"tileset"`, `"group"`, `"tile"` or `"content"`.
    pub scope: String,
    /// Its class in the tileset's schema.
    pub class: Option<String>,
    /// The content a group's or content's metadata is about (its URI).
    pub about: Option<String>,
    pub properties: Vec<(String, AttrValue)>,
}

/// A triangle mesh. Positions are f32 in the mesh's own frame; `transform`
/// (f64) places that frame in the tile's frame (glTF node matrices, the
/// `RTC_CENTER`/`CESIUM_RTC` centre and the y-up → z-up turn).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ContentMesh {
    pub transform: DMat4,
    pub positions: Vec<[f32; 3]>,
    /// One per position, or empty.
    pub normals: Vec<[f32; 3]>,
    pub uvs: Vec<[f32; 2]>,
    /// sRGB vertex colours, or empty.
    pub colors: Vec<[u8; 4]>,
    /// A triangle list.
    pub indices: Vec<u32>,
    /// The features each vertex belongs to, one set per way the content
    /// groups them (`_BATCHID`, each `EXT_mesh_features` set); the first
    /// set is the one the viewer highlights and styles.
    pub features: Vec<FeatureIds>,
    pub material: ContentMaterial,
    /// Instance transforms (i3dm, `EXT_mesh_gpu_instancing`), applied before
    /// `transform`; empty: drawn once.
    pub instances: Vec<DMat4>,
    /// The feature each instance is (i3dm `BATCH_ID`, or the instance's
    /// index; `EXT_instance_features`): ids per instance.
    pub instance_features: Vec<FeatureIds>,
}

/// A point cloud (pnts, glTF `POINTS`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PointCloud {
    pub transform: DMat4,
    pub positions: Vec<[f32; 3]>,
    pub colors: Vec<[u8; 4]>,
    pub normals: Vec<[f32; 3]>,
    /// Feature ids per point, as for [`ContentMesh::features`].
    pub features: Vec<FeatureIds>,
}

/// Everything one tile content holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TileContent {
    pub meshes: Vec<ContentMesh>,
    pub points: Vec<PointCloud>,
    /// Features the content declares (b3dm/pnts `BATCH_LENGTH`, i3dm
    /// instances, `EXT_mesh_features` feature counts).
    pub feature_count: usize,
    /// Instances drawn (i3dm `INSTANCES_LENGTH`, glTF
    /// `EXT_mesh_gpu_instancing` counts), each counted once however many
    /// meshes it places.
    pub instance_count: usize,
    /// Feature properties, which [`FeatureIds::table`] refers to.
    pub tables: Vec<PropertyTable>,
    /// What was read but could not be used (an unsupported extension, a
    /// property that is not an array…).
    pub warnings: Vec<String>,
}

impl TileContent {
    /// Triangles, counted once per mesh whatever its instances.
    pub fn triangle_count(&self) -> usize {
        self.meshes.iter().map(|m| m.indices.len() / 3).sum()
    }

    pub fn point_count(&self) -> usize {
        self.points.iter().map(|p| p.positions.len()).sum()
    }

    /// Appends `other` (the inner tiles of a composite), whose feature ids
    /// keep naming its own tables.
    pub fn append(&mut self, mut other: TileContent) {
        let shift = self.tables.len() as u32;
        for set in other.feature_sets_mut() {
            set.table = set.table.and_then(|t| t.checked_add(shift));
        }
        self.meshes.append(&mut other.meshes);
        self.points.append(&mut other.points);
        self.feature_count += other.feature_count;
        self.instance_count += other.instance_count;
        self.tables.append(&mut other.tables);
        self.warnings.append(&mut other.warnings);
    }

    /// Every feature id set: each mesh's (per vertex and per instance) and
    /// each point cloud's.
    pub fn feature_sets_mut(&mut self) -> impl Iterator<Item = &mut FeatureIds> {
        let meshes = self
            .meshes
            .iter_mut()
            .flat_map(|m| m.features.iter_mut().chain(m.instance_features.iter_mut()));
        meshes.chain(self.points.iter_mut().flat_map(|p| p.features.iter_mut()))
    }

    /// Adds the batch table of legacy content (b3dm, i3dm, pnts),
    /// `features` rows, after the tables the content has (a b3dm's glTF
    /// may carry `EXT_structural_metadata` tables of its own), and points
    /// the sets waiting for it ([`BATCH_TABLE`]) at it.
    ///
    /// ```
    /// use cim_core::model::tile_content::*;
    /// let mut c = TileContent::default();
    /// c.tables.push(PropertyTable { name: "rooms".into(), ..PropertyTable::default() });
    /// c.points.push(PointCloud {
    ///     features: vec![
    ///         FeatureIds { table: Some(BATCH_TABLE), ..FeatureIds::default() },
    ///         FeatureIds { table: Some(0), ..FeatureIds::default() },
    ///     ],
    ///     ..PointCloud::default()
    /// });
    /// c.add_batch_table(2, Vec::new());
    /// let tables: Vec<_> = c.points[0].features.iter().map(|f| f.table).collect();
    /// assert_eq!(tables, [Some(1), Some(0)]);
    /// assert_eq!(c.tables[1].name, "batch table");
    /// ```
    pub fn add_batch_table(&mut self, features: usize, columns: Vec<(String, Vec<AttrValue>)>) {
        let at = self.tables.len() as u32;
        self.tables.push(PropertyTable {
            name: "batch table".into(),
            class: None,
            count: features,
            columns,
        });
        self.resolve_batch_sets(Some(at));
    }

    /// Content without a batch table (a glTF read on its own): sets
    /// waiting for one have no properties.
    pub fn no_batch_table(&mut self) {
        self.resolve_batch_sets(None);
    }

    fn resolve_batch_sets(&mut self, table: Option<u32>) {
        for set in self.feature_sets_mut() {
            if set.table == Some(BATCH_TABLE) {
                set.table = table;
            }
        }
    }
}
