//! Replays every file kept under `fuzz/corpus/<target>/` and
//! `fuzz/regressions/<target>/` through the body of that `cargo fuzz` target
//! (`cim_loaders::fuzzing`), so that what the fuzzer found stays fixed
//! without a nightly toolchain or libFuzzer. A panic, a file that takes
//! longer than [`LIMIT`], or one that makes the reader ask for more than
//! [`MAX_ALLOCATION`] bytes at once fails the test, naming the file. See
//! `fuzz/README.md`.

use cim_loaders::fuzzing::{Body, TARGETS};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one input may take (debug build, under a loaded machine); the
/// fuzzer's own limit is 10 s on an optimised build.
const LIMIT: Duration = Duration::from_secs(60);

/// The largest single allocation one input may cause: libFuzzer's
/// `-malloc_limit_mb`, which defaults to the `-rss_limit_mb=2048` the
/// campaigns run with, so its out-of-memory reports stay failures here.
/// (Zeroed allocations are lazily committed, so a reader that asks for
/// gigabytes can pass unnoticed without this check.)
const MAX_ALLOCATION: usize = 2048 << 20;

/// The system allocator, noting the largest request since the last reset.
struct Watched;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Watched {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Watched = Watched;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files (not folders, not dot-files) directly inside `dir`, sorted.
fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    files.sort();
    files
}

/// Runs `body` on `file`'s bytes on its own thread: `Err` says how it failed.
fn replay(body: Body, file: &Path) -> Result<Duration, String> {
    let data = std::fs::read(file).map_err(|e| format!("cannot read: {e}"))?;
    let (tx, rx) = mpsc::channel();
    LARGEST.store(0, Ordering::Relaxed);
    let start = Instant::now();
    let handle = std::thread::Builder::new()
        .name(file.display().to_string())
        .spawn(move || {
            let outcome = std::panic::catch_unwind(|| body(&data));
            let _ = tx.send(outcome.map_err(|p| {
                p.downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(non-string panic payload)".into())
            }));
        })
        .unwrap();
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(())) => {
            handle.join().unwrap();
            let largest = LARGEST.load(Ordering::Relaxed);
            if largest > MAX_ALLOCATION {
                return Err(format!(
                    "asked for {largest} bytes at once (limit {MAX_ALLOCATION})"
                ));
            }
            Ok(start.elapsed())
        }
        Ok(Err(msg)) => {
            let _ = handle.join();
            Err(format!("panicked: {msg}"))
        }
        // The thread is left running; the test process ends with it.
        Err(_) => Err(format!("still running after {LIMIT:?}")),
    }
}

#[test]
fn every_kept_fuzz_input_is_handled() {
    let root = fuzz_dir();
    let mut failures = Vec::new();
    let mut replayed = 0;
    for kind in ["corpus", "regressions"] {
        // A folder that names no target would be skipped silently otherwise.
        if let Ok(entries) = std::fs::read_dir(root.join(kind)) {
            for e in entries {
                let name = e.unwrap().file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') && !TARGETS.iter().any(|(t, _)| *t == name) {
                    failures.push(format!("fuzz/{kind}/{name}: no fuzz target of that name"));
                }
            }
        }
        for (target, body) in TARGETS {
            for file in files_in(&root.join(kind).join(target)) {
                replayed += 1;
                let shown = file
                    .strip_prefix(&root)
                    .unwrap_or(&file)
                    .display()
                    .to_string();
                match replay(*body, &file) {
                    Ok(t) if t > Duration::from_secs(5) => {
                        eprintln!("slow: fuzz/{shown} took {t:.1?}")
                    }
                    Ok(_) => {}
                    Err(why) => failures.push(format!("fuzz/{shown} ({target}): {why}")),
                }
            }
        }
    }
    eprintln!("replayed {replayed} fuzz inputs");
    assert!(
        failures.is_empty(),
        "{} fuzz input(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every target has seed inputs, so each body runs at least on valid data.
#[test]
fn every_target_has_a_corpus() {
    let root = fuzz_dir().join("corpus");
    let empty: Vec<&str> = TARGETS
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| files_in(&root.join(t)).is_empty())
        .collect();
    assert!(
        empty.is_empty(),
        "no corpus under fuzz/corpus/ for {empty:?}"
    );
}
