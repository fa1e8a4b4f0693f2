//! The Khronos glTF validator (npm `gltf-validator`, found through
//! NODE_PATH, run by `tests/reference/validate_gltf.cjs` on Node.js) over
//! written `.glb` files; a reference tool the tests that use it need.

use std::path::{Path, PathBuf};

/// Every file in `files` passes the validator with no error.
pub fn assert_valid(files: &[PathBuf]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/reference/validate_gltf.cjs");
    let run = std::process::Command::new("node")
        .arg(script)
        .args(files)
        .output()
        .expect("node (the glTF validator runs on Node.js)");
    let report = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "gltf-validator (npm, through NODE_PATH): {report}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(report.lines().count(), files.len(), "{report}");
    assert!(
        report.lines().all(|l| l.contains("\"errors\":0")),
        "{report}"
    );
}
