//! Instanced 3D Model (3D Tiles 1.0 §"Instanced 3D Model"): one glTF drawn
//! at many positions, each instance oriented by its up/right normals (or
//! east-north-up at its position) and scaled.

use super::{ContentContext, feature_table as ft, gltf_content};
use cim_core::model::tile_content::{BATCH_TABLE, FeatureIds, TileContent};
use glam::{DMat3, DMat4, DVec3};

pub fn read(bytes: &[u8], ctx: &ContentContext) -> Result<TileContent, String> {
    let s = ft::split(bytes, b"i3dm", 8)?;
    let (j, bin) = (&s.feature_json, s.feature_bin);
    let n = ft::global_count(j, bin, "INSTANCES_LENGTH")?
        .ok_or("the feature table has no INSTANCES_LENGTH")?;
    let rtc = ft::global_f64s(j, bin, "RTC_CENTER", 3)?
        .map_or(DVec3::ZERO, |c| DVec3::new(c[0], c[1], c[2]));
    let positions: Vec<DVec3> = if let Some(p) = ft::per_feature(j, bin, "POSITION", n, "FLOAT", 3)?
    {
        p.chunks_exact(3)
            .map(|c| DVec3::new(c[0] as f64, c[1] as f64, c[2] as f64))
            .collect()
    } else if let Some(q) = ft::per_feature(j, bin, "POSITION_QUANTIZED", n, "UNSIGNED_SHORT", 3)? {
        let o = ft::global_f64s(j, bin, "QUANTIZED_VOLUME_OFFSET", 3)?
            .ok_or("POSITION_QUANTIZED without QUANTIZED_VOLUME_OFFSET")?;
        let sc = ft::global_f64s(j, bin, "QUANTIZED_VOLUME_SCALE", 3)?
            .ok_or("POSITION_QUANTIZED without QUANTIZED_VOLUME_SCALE")?;
        q.chunks_exact(3)
            .map(|c| {
                DVec3::from_array(std::array::from_fn(|k| {
                    o[k] + c[k] as f64 / 65535.0 * sc[k]
                }))
            })
            .collect()
    } else {
        return Err("no POSITION or POSITION_QUANTIZED".into());
    };
    let normals = |float: &str, oct: &str| -> Result<Option<Vec<DVec3>>, String> {
        if let Some(v) = ft::per_feature(j, bin, float, n, "FLOAT", 3)? {
            return Ok(Some(
                v.chunks_exact(3)
                    .map(|c| DVec3::new(c[0] as f64, c[1] as f64, c[2] as f64))
                    .collect(),
            ));
        }
        Ok(
            ft::per_feature(j, bin, oct, n, "UNSIGNED_SHORT", 2)?.map(|v| {
                v.chunks_exact(2)
                    .map(|c| DVec3::from_array(ft::oct_decode(c[0], c[1], 65535.0).map(f64::from)))
                    .collect()
            }),
        )
    };
    let up = normals("NORMAL_UP", "NORMAL_UP_OCT32P")?;
    let right = normals("NORMAL_RIGHT", "NORMAL_RIGHT_OCT32P")?;
    let enu = j
        .get("EAST_NORTH_UP")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let scale = ft::per_feature(j, bin, "SCALE", n, "FLOAT", 1)?;
    let scale3 = ft::per_feature(j, bin, "SCALE_NON_UNIFORM", n, "FLOAT", 3)?;
    let instances: Vec<DMat4> = (0..n)
        .map(|i| {
            let p = positions[i];
            let rot = match (&up, &right) {
                (Some(u), Some(r)) => frame(r[i], u[i]),
                // East-north-up at the instance's place on the globe
                // (positions are earth-centred when a tileset uses it).
                _ if enu => enu_frame(rtc + p),
                _ => DMat3::IDENTITY,
            };
            let s = match (&scale3, &scale) {
                (Some(v), _) => {
                    DVec3::new(v[3 * i] as f64, v[3 * i + 1] as f64, v[3 * i + 2] as f64)
                }
                (None, Some(v)) => DVec3::splat(v[i] as f64),
                _ => DVec3::ONE,
            };
            DMat4::from_translation(p) * DMat4::from_mat3(rot) * DMat4::from_scale(s)
        })
        .collect();
    if instances.iter().any(|m| !m.is_finite()) {
        return Err("non-finite instance transforms".into());
    }
    let gltf_bytes;
    let body = match ft::u32_at(bytes, 7) {
        Some(1) => s.body,
        Some(0) => {
            let uri = std::str::from_utf8(s.body)
                .map_err(|_| "the glTF URI is not UTF-8")?
                .trim_end_matches(['\0', ' ']);
            gltf_bytes = (ctx.resolve)(uri)?;
            &gltf_bytes
        }
        other => return Err(format!("gltfFormat {other:?} (0 or 1 expected)")),
    };
    let mut content = gltf_content::read(body, ctx).map_err(|e| format!("its glTF: {e}"))?;
    // The batch table is the instances'; the model's own `_BATCHID`s name
    // none of it.
    content.no_batch_table();
    let rtc_m = DMat4::from_translation(rtc);
    // Each instance is a feature: its BATCH_ID, else its index.
    let ids: Vec<u32> = match ft::per_feature(j, bin, "BATCH_ID", n, "UNSIGNED_SHORT", 1)? {
        Some(v) => v.into_iter().map(|x| x as u32).collect(),
        None => (0..n as u32).collect(),
    };
    let batch = FeatureIds {
        ids,
        table: Some(BATCH_TABLE),
        label: None,
    };
    for mesh in &mut content.meshes {
        mesh.instance_features = vec![batch.clone()];
        // Instances place the model, which keeps its own node transforms.
        mesh.instances = instances
            .iter()
            .map(|inst| *inst * mesh.transform)
            .collect();
        mesh.transform = rtc_m;
    }
    content.points.clear();
    content.feature_count = n;
    content.instance_count = n;
    let columns = ft::batch_properties(&s.batch_json, s.batch_bin, n, &mut content.warnings);
    content.add_batch_table(n, columns);
    Ok(content)
}

/// The rotation whose x axis is `right`, z axis is `up` (3D Tiles i3dm:
/// the model's y-up glTF, turned z-up, faces along `up × right`).
fn frame(right: DVec3, up: DVec3) -> DMat3 {
    let r = right.normalize_or(DVec3::X);
    let u = up.normalize_or(DVec3::Z);
    let forward = u.cross(r).normalize_or(DVec3::Y);
    DMat3::from_cols(r, forward, u)
}

/// East, north, up at an earth-centred point.
fn enu_frame(p: DVec3) -> DMat3 {
    let up = p.normalize_or(DVec3::Z);
    let east = DVec3::Z.cross(up).normalize_or(DVec3::X);
    let north = up.cross(east);
    DMat3::from_cols(east, north, up)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enu_on_the_equator_at_zero_longitude() {
        let m = enu_frame(DVec3::new(6_378_137.0, 0.0, 0.0));
        assert!((m.x_axis - DVec3::Y).length() < 1e-12, "east");
        assert!((m.y_axis - DVec3::Z).length() < 1e-12, "north");
        assert!((m.z_axis - DVec3::X).length() < 1e-12, "up");
    }
}
