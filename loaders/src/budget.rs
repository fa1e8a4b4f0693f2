//! A memory budget per load: a file whose contents would take more than
//! half of the memory this process can still get is refused with
//! [`LoadError::TooLarge`] before it is read, instead of being read until the
//! allocator (or the kernel's OOM killer) stops the whole application.
//!
//! The memory available ([`available`]) is the least of:
//! * `MemAvailable` in `/proc/meminfo` (Linux);
//! * for the process's cgroup (v2) and each cgroup above it, `memory.max`
//!   less `memory.current`, where a limit is set;
//! * the `RLIMIT_AS` soft limit (`ulimit -v`) less the process's current
//!   virtual size (`/proc/self/statm`), where a limit is set.
//!
//! Off Linux it is the physical memory (Unix) or unknown (then only the
//! readers' fixed caps apply).
//!
//! A load's size in memory is estimated before its bodies are read, from the
//! bytes on disk (or a zip member's declared uncompressed size) times a
//! per-format expansion factor — the constants below, measured on generated
//! files — or from the header where the format has one that says more (a
//! `.dbf`'s record and field counts, a GeoTIFF's cells).
//!
//! Tests (and callers that know better) can set the budget for the current
//! thread with [`with_available`].

use crate::LoadError;
use std::cell::Cell;
use std::path::Path;

/// `.shp` bytes → memory: the file is held while decoding (1×), and each
/// 16-byte x/y pair becomes a 24-byte `DVec3` (1.5×), plus per-shape
/// vectors.
pub const SHAPEFILE_FACTOR: f64 = 3.0;
/// GeoJSON bytes → memory: the text is held while it is parsed (1×);
/// features are deserialized straight into coordinates and attribute values
/// (about 1.5× for typical files). Peak RSS measured at 2.5× (plus 13 MB)
/// on a generated 100 MB FeatureCollection of 232 000 polygons with five
/// properties each (it was 9.4× when the text was parsed into a
/// `serde_json::Value` first); 4 leaves room for attribute-heavy files.
pub const GEOJSON_FACTOR: f64 = 4.0;
/// ESRI ASCII grid bytes → memory: the text (1×) and one `f32` per value,
/// each value taking at least two bytes of text (≤ 2×).
pub const ASCII_GRID_FACTOR: f64 = 3.0;
/// GeoPackage table bytes (SQLite pages) → memory: WKB's 16-byte x/y pairs
/// become 24-byte `DVec3`s, attribute values become `AttrValue`s.
pub const GEOPACKAGE_FACTOR: f64 = 3.0;

/// A load is refused when its estimate exceeds this share of [`available`].
pub const SHARE: f64 = 0.5;

thread_local! {
    static OVERRIDE: Cell<Option<u64>> = const { Cell::new(None) };
}

/// Runs `f` with [`available`] reporting `bytes` on this thread (loads run
/// on the calling thread), then restores the previous setting.
pub fn with_available<T>(bytes: u64, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<u64>);
    impl Drop for Restore {
        fn drop(&mut self) {
            OVERRIDE.with(|o| o.set(self.0));
        }
    }
    let _restore = Restore(OVERRIDE.with(|o| o.replace(Some(bytes))));
    f()
}

/// The bytes of memory this process can still allocate, as far as can be
/// told (see the module docs); `None` when nothing can be told.
pub fn available() -> Option<u64> {
    if let Some(b) = OVERRIDE.with(Cell::get) {
        return Some(b);
    }
    system_available()
}

/// `bytes × factor`, saturating.
pub(crate) fn scaled(bytes: u64, factor: f64) -> u64 {
    let v = bytes as f64 * factor;
    if v >= u64::MAX as f64 {
        u64::MAX
    } else {
        v as u64
    }
}

/// Refuses a load of `path` estimated to take `needed` bytes of memory when
/// that is more than [`SHARE`] of what is [`available`].
pub(crate) fn check(path: &Path, needed: u64) -> Result<(), LoadError> {
    let Some(available) = available() else {
        return Ok(());
    };
    if needed as f64 > available as f64 * SHARE {
        return Err(LoadError::TooLarge {
            path: path.to_path_buf(),
            needed,
            available,
        });
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn system_available() -> Option<u64> {
    [meminfo_available(), cgroup_available(), rlimit_available()]
        .into_iter()
        .flatten()
        .min()
}

#[cfg(all(unix, not(target_os = "linux")))]
fn system_available() -> Option<u64> {
    // SAFETY: sysconf has no preconditions.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (pages > 0 && size > 0).then(|| pages as u64 * size as u64)
}

#[cfg(not(unix))]
fn system_available() -> Option<u64> {
    None
}

/// `MemAvailable` from `/proc/meminfo`, in bytes.
#[cfg(target_os = "linux")]
fn meminfo_available() -> Option<u64> {
    parse_meminfo(&std::fs::read_to_string("/proc/meminfo").ok()?)
}

fn parse_meminfo(text: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb.saturating_mul(1024))
}

/// The least room left under any cgroup v2 memory limit on the path from
/// this process's cgroup to the root.
#[cfg(target_os = "linux")]
fn cgroup_available() -> Option<u64> {
    let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let rel = own
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .unwrap_or("/")
        .trim();
    let root = Path::new("/sys/fs/cgroup");
    let mut dir = root.join(rel.trim_start_matches('/'));
    let mut least: Option<u64> = None;
    loop {
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
        if let (Some(max), Some(current)) = (read("memory.max"), read("memory.current"))
            && let (Ok(max), Ok(current)) =
                (max.trim().parse::<u64>(), current.trim().parse::<u64>())
        {
            let room = max.saturating_sub(current);
            least = Some(least.map_or(room, |l| l.min(room)));
        }
        if dir == root || !dir.pop() || !dir.starts_with(root) {
            break;
        }
    }
    least
}

/// The `RLIMIT_AS` soft limit less the current virtual size.
#[cfg(target_os = "linux")]
fn rlimit_available() -> Option<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut lim) } != 0
        || lim.rlim_cur == libc::RLIM_INFINITY
    {
        return None;
    }
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().next()?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    Some(lim.rlim_cur.saturating_sub(pages.saturating_mul(page)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_override_is_scoped_to_the_call() {
        let inside = with_available(1000, || {
            assert!(check(Path::new("a"), 500).is_ok());
            let e = check(Path::new("big.shp"), 501).unwrap_err();
            assert!(matches!(e, LoadError::TooLarge { .. }), "{e}");
            // Nested: the inner one for its call, then the outer again.
            assert_eq!(with_available(10, available), Some(10));
            available()
        });
        assert_eq!(inside, Some(1000));
        // Gone after the call (the system's figure moves as other tests
        // run, so the override itself is what is checked).
        assert_eq!(OVERRIDE.with(Cell::get), None);
    }

    #[test]
    fn meminfo_is_parsed() {
        let text = "MemTotal:       32000000 kB\nMemFree:  100 kB\nMemAvailable:   2048 kB\n";
        assert_eq!(parse_meminfo(text), Some(2048 * 1024));
        assert_eq!(parse_meminfo("MemTotal: 1 kB\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_system_reports_something_plausible() {
        let a = system_available().expect("Linux reports available memory");
        assert!(a > 1 << 20, "{a}");
    }
}
