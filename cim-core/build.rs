//! Records where the bundled PROJ build put its resource files (`proj.db`).
//!
//! `proj-sys` (feature `bundled_proj`) builds PROJ with CMake and installs it
//! into its own `OUT_DIR`, so `proj.db` ends up in
//! `<target>/<profile>/build/proj-sys-<hash>/out/share/proj/proj.db`. It does
//! not publish that path as `DEP_PROJ_*` metadata, so we look for it next to
//! our own `OUT_DIR` (same `build/` folder). Because `proj-sys` is a direct
//! dependency with a `links` key, Cargo runs its build script before this one.
//!
//! The path is handed to the crate as `CIM_PROJ_BUILD_DATA` and is only the
//! last fallback of `crs::proj_data_dir()`; an installed app ships its own
//! copy (see `cim-core/src/crs/proj_backend.rs`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CIM_PROJ_BUILD_DATA");
    let found = env::var_os("OUT_DIR")
        .map(PathBuf::from)
        .and_then(|out| find_bundled_proj_data(&out));
    match found {
        Some(dir) => {
            println!("cargo:rerun-if-changed={}", dir.join("proj.db").display());
            println!("cargo:rustc-env=CIM_PROJ_BUILD_DATA={}", dir.display());
        }
        None => {
            println!(
                "cargo:warning=cim-core: proj.db of the bundled PROJ build was not found; \
                 set PROJ_DATA at run time"
            );
            println!("cargo:rustc-env=CIM_PROJ_BUILD_DATA=");
        }
    }
}

/// `OUT_DIR` is `<build>/cim-core-<hash>/out`; search `<build>/proj-sys-*/out/share/proj`
/// and take the most recently written `proj.db` (stale builds of other
/// feature sets may linger).
fn find_bundled_proj_data(out_dir: &Path) -> Option<PathBuf> {
    let build_dir = out_dir.parent()?.parent()?;
    let mut best: Option<(SystemTime, PathBuf)> = None;
    for entry in fs::read_dir(build_dir).ok()?.flatten() {
        if !entry.file_name().to_string_lossy().starts_with("proj-sys-") {
            continue;
        }
        let dir = entry.path().join("out").join("share").join("proj");
        let Ok(meta) = fs::metadata(dir.join("proj.db")) else {
            continue;
        };
        let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if best.as_ref().is_none_or(|(t, _)| modified > *t) {
            best = Some((modified, dir));
        }
    }
    best.map(|(_, dir)| dir)
}
