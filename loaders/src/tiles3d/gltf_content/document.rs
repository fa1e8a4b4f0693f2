//! The GLB container split into its chunks, and the glTF document checked
//! before anything indexes into it.

use super::UNDERSTOOD;

/// The JSON and BIN chunks of a GLB (glTF 2.0 §4.4), every length
/// checked (the `gltf` crate's own GLB reader overflows on a header
/// shorter than it says).
pub(super) fn split_glb(bytes: &[u8]) -> Result<(&[u8], Option<&[u8]>), String> {
    let word = |i: usize| {
        bytes
            .get(i..i + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let (version, length) = (word(4), word(8));
    if version != Some(2) {
        return Err(format!("GLB version {version:?}, only 2 is read"));
    }
    let length = length.filter(|&l| (12..=bytes.len()).contains(&l));
    let length = length
        .ok_or_else(|| format!("a GLB whose length is not within its {} bytes", bytes.len()))?;
    let mut at = 12;
    let mut chunks = Vec::new();
    while at + 8 <= length && chunks.len() < 2 {
        let (len, kind) = (word(at).unwrap_or(0), word(at + 4).unwrap_or(0));
        let end = (at + 8).checked_add(len).filter(|&e| e <= length);
        let end = end.ok_or_else(|| format!("a GLB chunk of {len} bytes runs past the end"))?;
        chunks.push((kind, &bytes[at + 8..end]));
        at = end;
    }
    const JSON: usize = 0x4E4F_534A;
    const BIN: usize = 0x004E_4942;
    match chunks.as_slice() {
        [(JSON, json)] => Ok((json, None)),
        [(JSON, json), (BIN, bin), ..] => Ok((json, Some(bin))),
        [(JSON, json), ..] => Ok((json, None)),
        _ => Err("a GLB without a JSON chunk first".into()),
    }
}

/// The document's indices all point somewhere, its enums are known, and
/// every required extension is one this reader understands.
pub(super) fn validate(doc: &gltf::Document) -> Result<(), String> {
    use gltf::json::validation::Validate;
    let root = doc.as_json();
    // gltf-json's own check of POSITION bounds indexes the accessors
    // unchecked, so that index is checked first.
    for (m, mesh) in root.meshes.iter().enumerate() {
        for (p, prim) in mesh.primitives.iter().enumerate() {
            let pos = gltf::json::validation::Checked::Valid(gltf::Semantic::Positions);
            if let Some(i) = prim.attributes.get(&pos)
                && i.value() >= root.accessors.len()
            {
                return Err(format!(
                    "meshes[{m}].primitives[{p}]: POSITION names accessor {}, of {} accessors",
                    i.value(),
                    root.accessors.len()
                ));
            }
        }
    }
    let mut errors = Vec::new();
    root.validate(root, gltf::json::Path::new, &mut |path, err| {
        errors.push((path().to_string(), err));
    });
    for (path, err) in errors {
        // Accessor bounds are required for POSITION but often left out, and
        // nothing here needs them (bounds come from the tileset).
        if path.ends_with(".min") || path.ends_with(".max") {
            continue;
        }
        // An accessor without a view is zeros (glTF 2.0 §5.1), or is filled
        // by an extension (KHR_draco_mesh_compression); gltf-json wants one.
        if path.starts_with("accessors[")
            && path.ends_with("].bufferView")
            && matches!(err, gltf::json::validation::Error::Missing)
        {
            continue;
        }
        if path.starts_with("extensionsRequired") {
            let ext = root
                .extensions_required
                .iter()
                .find(|e| path.contains(e.as_str()));
            match ext {
                Some(e) if UNDERSTOOD.contains(&e.as_str()) => continue,
                Some(e) => return Err(format!("requires the extension {e}, not supported yet")),
                None => return Err(format!("{path}: {err}")),
            }
        }
        return Err(format!("{path}: {err}"));
    }
    Ok(())
}
