//! What the `cim pipe …` end-to-end tests share: the reference files, the
//! command, its JSON.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A file of `tests/reference/`.
pub fn reference(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/reference")
        .join(name)
}

/// `cim pipe ARGS… FILES…`.
pub fn cim(args: &[&str], files: &[&Path]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cim"));
    c.args(["pipe"]).args(args).args(files);
    c.output().expect("cim runs")
}

/// The JSON a successful run printed.
pub fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "cim failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}
