//! What the end-to-end tests over streamed layers share: running `cim
//! snapshot`, and writing a one-layer scene document. Included by each
//! test file (`#[path = "support.rs"] mod support;`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `cim snapshot` of `input` into `out`, 320×180; its stderr is echoed.
pub fn snapshot(input: &Path, out: &Path) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_cim"))
        .env("RUST_LOG", "warn")
        .args(["snapshot", "--width", "320", "--height", "180", "--out"])
        .arg(out)
        .arg(input)
        .output()
        .expect("cim runs");
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// `dir/name.cim.toml`: a scene in `crs` about `origin` with one layer of
/// `source` and `extra` lines in its `[[layer]]` table.
pub fn scene(
    dir: &Path,
    name: &str,
    (crs, origin): (&str, [f64; 2]),
    source: &Path,
    extra: &str,
) -> PathBuf {
    let path = dir.join(format!("{name}.cim.toml"));
    std::fs::write(
        &path,
        format!(
            "format_version = 1\nname = \"{name}\"\ncrs = \"{crs}\"\n\
             origin = [{:.1}, {:.1}, 0.0]\n[[layer]]\nname = \"layer\"\n\
             source = {:?}\n{extra}",
            origin[0],
            origin[1],
            source.display().to_string()
        ),
    )
    .unwrap();
    path
}

/// Copies `png` to `$CIM_E2E_KEEP/name`, when set, to look at.
pub fn keep(png: &Path, name: &str) {
    if let Some(keep) = std::env::var_os("CIM_E2E_KEEP") {
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(png, Path::new(&keep).join(name));
    }
}
