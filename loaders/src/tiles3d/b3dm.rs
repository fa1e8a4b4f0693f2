//! Batched 3D Model (3D Tiles 1.0 §"Batched 3D Model"): a glTF with a
//! feature table (`BATCH_LENGTH`, `RTC_CENTER`) and a batch table of
//! per-feature properties; vertices name their feature by `_BATCHID`.

use super::{ContentContext, feature_table as ft, gltf_content};
use cim_core::model::tile_content::TileContent;
use glam::{DMat4, DVec3};

pub fn read(bytes: &[u8], ctx: &ContentContext) -> Result<TileContent, String> {
    let s = ft::split(bytes, b"b3dm", 7)?;
    let features = ft::global_count(&s.feature_json, s.feature_bin, "BATCH_LENGTH")?
        .ok_or("the feature table has no BATCH_LENGTH")?;
    let rtc = ft::global_f64s(&s.feature_json, s.feature_bin, "RTC_CENTER", 3)?;
    let mut content = gltf_content::read(s.body, ctx).map_err(|e| format!("its glTF: {e}"))?;
    if let Some(c) = rtc {
        let m = DMat4::from_translation(DVec3::new(c[0], c[1], c[2]));
        for mesh in &mut content.meshes {
            mesh.transform = m * mesh.transform;
        }
        for p in &mut content.points {
            p.transform = m * p.transform;
        }
    }
    content.feature_count = features;
    let columns = ft::batch_properties(&s.batch_json, s.batch_bin, features, &mut content.warnings);
    content.add_batch_table(features, columns);
    Ok(content)
}
