//! Point Cloud (3D Tiles 1.0 §"Point Cloud"): positions (float or
//! quantized), colours (RGBA, RGB, RGB565 or one constant), normals (float
//! or oct-encoded) and batch ids, all in the feature table.

use super::{ContentContext, feature_table as ft};
use cim_core::model::tile_content::{BATCH_TABLE, FeatureIds, PointCloud, TileContent};
use glam::{DMat4, DVec3};

pub fn read(bytes: &[u8], _ctx: &ContentContext) -> Result<TileContent, String> {
    let s = ft::split(bytes, b"pnts", 7)?;
    let (j, bin) = (&s.feature_json, s.feature_bin);
    if j.get("extensions")
        .and_then(|e| e.get("3DTILES_draco_point_compression"))
        .is_some()
    {
        return Err("3DTILES_draco_point_compression is not supported yet".into());
    }
    let n = ft::global_count(j, bin, "POINTS_LENGTH")?
        .ok_or("the feature table has no POINTS_LENGTH")?;
    let mut transform = DMat4::IDENTITY;
    if let Some(c) = ft::global_f64s(j, bin, "RTC_CENTER", 3)? {
        transform = DMat4::from_translation(DVec3::new(c[0], c[1], c[2]));
    }
    let positions: Vec<[f32; 3]> = if let Some(p) =
        ft::per_feature(j, bin, "POSITION", n, "FLOAT", 3)?
    {
        p.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
    } else if let Some(q) = ft::per_feature(j, bin, "POSITION_QUANTIZED", n, "UNSIGNED_SHORT", 3)? {
        let offset = ft::global_f64s(j, bin, "QUANTIZED_VOLUME_OFFSET", 3)?
            .ok_or("POSITION_QUANTIZED without QUANTIZED_VOLUME_OFFSET")?;
        let scale = ft::global_f64s(j, bin, "QUANTIZED_VOLUME_SCALE", 3)?
            .ok_or("POSITION_QUANTIZED without QUANTIZED_VOLUME_SCALE")?;
        // Positions relative to the volume's offset keep f32 precision.
        transform *= DMat4::from_translation(DVec3::new(offset[0], offset[1], offset[2]));
        q.chunks_exact(3)
            .map(|c| std::array::from_fn(|k| (c[k] as f64 / 65535.0 * scale[k]) as f32))
            .collect()
    } else {
        return Err("no POSITION or POSITION_QUANTIZED".into());
    };
    if positions.iter().flatten().any(|x| !x.is_finite()) {
        return Err("non-finite positions".into());
    }
    let colors = colors(j, bin, n)?;
    let normals = if let Some(v) = ft::per_feature(j, bin, "NORMAL", n, "FLOAT", 3)? {
        v.chunks_exact(3).map(|c| [c[0], c[1], c[2]]).collect()
    } else if let Some(v) = ft::per_feature(j, bin, "NORMAL_OCT16P", n, "UNSIGNED_BYTE", 2)? {
        v.chunks_exact(2)
            .map(|c| ft::oct_decode(c[0], c[1], 255.0))
            .collect()
    } else {
        Vec::new()
    };
    let batch = ft::global_count(j, bin, "BATCH_LENGTH")?;
    // Without a batch, each point is its own feature (3D Tiles 1.0
    // §"Batch Table" of pnts).
    let ids: Vec<u32> = match (
        batch,
        ft::per_feature(j, bin, "BATCH_ID", n, "UNSIGNED_SHORT", 1)?,
    ) {
        (Some(_), Some(ids)) => ids.into_iter().map(|x| x as u32).collect(),
        _ => (0..n as u32).collect(),
    };
    let features = batch.unwrap_or(n);
    let mut content = TileContent {
        feature_count: features,
        ..TileContent::default()
    };
    content.points.push(PointCloud {
        transform,
        positions,
        colors,
        normals,
        features: vec![FeatureIds {
            ids,
            table: Some(BATCH_TABLE),
            label: None,
        }],
    });
    let columns = ft::batch_properties(&s.batch_json, s.batch_bin, features, &mut content.warnings);
    content.add_batch_table(features, columns);
    Ok(content)
}

fn colors(
    j: &serde_json::Map<String, serde_json::Value>,
    bin: &[u8],
    n: usize,
) -> Result<Vec<[u8; 4]>, String> {
    let byte = |x: f32| x.clamp(0.0, 255.0) as u8;
    if let Some(v) = ft::per_feature(j, bin, "RGBA", n, "UNSIGNED_BYTE", 4)? {
        return Ok(v
            .chunks_exact(4)
            .map(|c| [byte(c[0]), byte(c[1]), byte(c[2]), byte(c[3])])
            .collect());
    }
    if let Some(v) = ft::per_feature(j, bin, "RGB", n, "UNSIGNED_BYTE", 3)? {
        return Ok(v
            .chunks_exact(3)
            .map(|c| [byte(c[0]), byte(c[1]), byte(c[2]), 255])
            .collect());
    }
    if let Some(v) = ft::per_feature(j, bin, "RGB565", n, "UNSIGNED_SHORT", 1)? {
        return Ok(v.into_iter().map(|x| rgb565(x as u16)).collect());
    }
    if let Some(c) = j
        .get("CONSTANT_RGBA")
        .and_then(|c| c.as_array())
        .filter(|a| a.len() == 4)
    {
        let c: Vec<u8> = c
            .iter()
            .map(|x| x.as_u64().unwrap_or(255).min(255) as u8)
            .collect();
        return Ok(vec![[c[0], c[1], c[2], c[3]]; n]);
    }
    Ok(Vec::new())
}

/// 5 bits red, 6 green, 5 blue, red in the high bits.
fn rgb565(c: u16) -> [u8; 4] {
    let r = (c >> 11) & 0x1f;
    let g = (c >> 5) & 0x3f;
    let b = c & 0x1f;
    [
        (r * 255 / 31) as u8,
        (g * 255 / 63) as u8,
        (b * 255 / 31) as u8,
        255,
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn rgb565_spans_full_range() {
        assert_eq!(super::rgb565(0xffff), [255, 255, 255, 255]);
        assert_eq!(super::rgb565(0xf800), [255, 0, 0, 255]);
    }
}
