//! Feature ids: `EXT_mesh_features` / `EXT_instance_features` feature id
//! sets (or b3dm's `_BATCHID`), and the `EXT_structural_metadata` property
//! tables they name.

use super::Reader;
use super::buffers::{per_vertex, view_bytes};
use cim_core::model::tile_content::{BATCH_TABLE, FeatureIds, NO_FEATURE};

impl Reader<'_> {
    /// `EXT_instance_features`: the feature of each of `count` instances,
    /// per feature id set (an attribute of `EXT_mesh_gpu_instancing`, or
    /// the instance's index).
    pub(super) fn instance_features(
        &mut self,
        node: &gltf::Node,
        count: usize,
    ) -> Result<Vec<FeatureIds>, String> {
        let Some(ext) = node.extension_value("EXT_instance_features") else {
            return Ok(Vec::new());
        };
        self.out.feature_count += feature_count_of(ext);
        let attributes = node
            .extension_value("EXT_mesh_gpu_instancing")
            .and_then(|e| e.get("attributes"));
        let mut sets = Vec::new();
        for set in feature_sets(ext) {
            let ids = match set.get("attribute").and_then(|a| a.as_u64()) {
                Some(k) => {
                    let name = format!("_FEATURE_ID_{k}");
                    let Some(i) = attributes
                        .and_then(|a| a.get(&name))
                        .and_then(|i| i.as_u64())
                    else {
                        return Err(format!(
                            "EXT_instance_features names {name}, which the instancing does not have"
                        ));
                    };
                    let acc = self
                        .doc
                        .accessors()
                        .nth(i as usize)
                        .ok_or_else(|| format!("instancing accessor {i} does not exist"))?;
                    self.ids_of(&acc, count, &name)?
                }
                None => (0..count as u32).collect(),
            };
            sets.push(feature_set(set, ids));
        }
        Ok(sets)
    }

    /// The glTF's `EXT_structural_metadata` property tables, which feature
    /// id sets name by index.
    pub(super) fn property_tables(&mut self) -> Result<(), String> {
        let Some(ext) = self.doc.extension_value("EXT_structural_metadata") else {
            return Ok(());
        };
        let schema = match (
            ext.get("schema"),
            ext.get("schemaUri").and_then(|u| u.as_str()),
        ) {
            (Some(s), _) => s.clone(),
            (None, Some(uri)) => {
                let bytes = (self.ctx.resolve)(uri)
                    .map_err(|e| format!("EXT_structural_metadata schemaUri: {e}"))?;
                serde_json::from_slice(&bytes).map_err(|e| {
                    format!(
                        "EXT_structural_metadata schema {}: {e}",
                        cim_core::message::quote(uri)
                    )
                })?
            }
            (None, None) => return Err("EXT_structural_metadata has no schema".into()),
        };
        let views: Vec<gltf::buffer::View> = self.doc.views().collect();
        let buffers = self.buffers;
        let view = |i: usize| -> Result<&[u8], String> {
            let v = views
                .get(i)
                .ok_or_else(|| format!("bufferView {i} does not exist"))?;
            view_bytes(v, buffers)
        };
        let tables = crate::tiles3d::structural_metadata::property_tables(
            ext,
            &schema,
            &view,
            &mut self.out.warnings,
        );
        self.out.tables = tables;
        self.check_table_references();
        Ok(())
    }

    /// Feature id sets naming a property table that does not exist name
    /// none (with a warning): their features have no properties.
    fn check_table_references(&mut self) {
        let n = self.out.tables.len() as u32;
        let mut dangling = 0;
        for set in self.out.feature_sets_mut() {
            if set.table.is_some_and(|t| t >= n && t != BATCH_TABLE) {
                set.table = None;
                dangling += 1;
            }
        }
        if dangling > 0 {
            self.out.warnings.push(format!(
                "{dangling} feature id sets name a property table that does not exist (there are {n})"
            ));
        }
    }

    /// The features of each vertex: each `EXT_mesh_features` feature id
    /// set (an attribute, or the vertex index), else `_BATCHID` (b3dm,
    /// whose batch table the b3dm adds: [`BATCH_TABLE`]). Feature id textures are not read
    /// yet (a warning).
    pub(super) fn features(
        &mut self,
        prim: &gltf::Primitive,
        n: usize,
    ) -> Result<Vec<FeatureIds>, String> {
        let attribute = |name: &str| {
            prim.attributes()
                .find(|(s, _)| matches!(s, gltf::Semantic::Extras(e) if format!("_{e}") == name))
                .map(|(_, a)| a)
        };
        let Some(ext) = prim.extension_value("EXT_mesh_features") else {
            let Some(acc) = attribute("_BATCHID") else {
                return Ok(Vec::new());
            };
            return Ok(vec![FeatureIds {
                ids: self.ids_of(&acc, n, "_BATCHID")?,
                table: Some(BATCH_TABLE),
                label: None,
            }]);
        };
        let mut sets = Vec::new();
        for set in feature_sets(ext) {
            let ids = match (
                set.get("attribute").and_then(|a| a.as_u64()),
                set.get("texture"),
            ) {
                (Some(k), _) => {
                    let name = format!("_FEATURE_ID_{k}");
                    let acc = attribute(&name).ok_or_else(|| {
                        format!("EXT_mesh_features names {name}, which the primitive does not have")
                    })?;
                    self.ids_of(&acc, n, &name)?
                }
                (None, Some(_)) => {
                    self.out
                        .warnings
                        .push("EXT_mesh_features feature id textures are not read yet".into());
                    continue;
                }
                // Neither: the vertex index is the feature id.
                (None, None) => (0..n as u32).collect(),
            };
            sets.push(feature_set(set, ids));
        }
        Ok(sets)
    }

    /// One feature id per element (vertex, instance) from a SCALAR
    /// accessor.
    fn ids_of(&self, acc: &gltf::Accessor, n: usize, name: &str) -> Result<Vec<u32>, String> {
        let (v, comps) = self.floats(acc)?;
        if comps != 1 {
            return Err(format!("{name} is not a SCALAR"));
        }
        per_vertex(v.into_iter().map(|f| f.max(0.0) as u32).collect(), n, name)
    }
}

/// The feature id sets of an `EXT_mesh_features` / `EXT_instance_features`
/// object.
fn feature_sets(ext: &serde_json::Value) -> impl Iterator<Item = &serde_json::Value> {
    ext.get("featureIds")
        .and_then(|ids| ids.as_array())
        .into_iter()
        .flatten()
}

/// A feature id set's ids, with its `nullFeatureId` made [`NO_FEATURE`],
/// its property table and label.
fn feature_set(set: &serde_json::Value, mut ids: Vec<u32>) -> FeatureIds {
    if let Some(null) = set.get("nullFeatureId").and_then(|v| v.as_u64()) {
        for id in &mut ids {
            if *id as u64 == null {
                *id = NO_FEATURE;
            }
        }
    }
    FeatureIds {
        ids,
        // No content has a million tables: a larger index names none.
        table: set
            .get("propertyTable")
            .and_then(|t| t.as_u64())
            .filter(|&t| t < 1 << 20)
            .map(|t| t as u32),
        label: set
            .get("label")
            .and_then(|l| l.as_str())
            .map(|l| cim_core::message::clip(l, 100).into_owned()),
    }
}

/// `EXT_mesh_features` / `EXT_instance_features`: the first feature id
/// set's `featureCount`.
pub(super) fn feature_count_of(ext: &serde_json::Value) -> usize {
    ext.get("featureIds")
        .and_then(|ids| ids.get(0))
        .and_then(|id| id.get("featureCount"))
        .and_then(|c| c.as_u64())
        .map_or(0, |c| c as usize)
}
