//! Running a hostile case: the memory cap, time limit and output bound
//! every case lives under, what it must end with, the runner (`wait4` for
//! its peak memory) and the builders of `cim inspect` / `cim snapshot`
//! cases.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `ulimit -v` for every case, KiB.
pub const MEMORY_CAP_KIB: u64 = 4 << 20;
/// Longest a case may take.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);
/// Most stderr a case may print: messages are bounded.
pub const MAX_STDERR: usize = 16 * 1024;
pub const SNAP: [&str; 4] = ["--width", "160", "--height", "100"];

/// What a case must end with.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Expect {
    /// Exit 0.
    Ok,
    /// Exit 2: output written, something reported missing.
    Partial,
    /// Exit 1: a clear error, no output.
    Error,
    /// Exit 0, or 1 with a clear error (a load that may be refused as
    /// too large for the memory at hand).
    OkOrError,
}

pub struct Case {
    pub name: &'static str,
    pub args: Vec<String>,
    pub stdin: Vec<u8>,
    pub expect: Expect,
    /// Each must appear in stderr.
    pub says: Vec<String>,
    /// Bytes of input on disk, uncompressed, for the memory bound.
    pub input_bytes: u64,
    /// For snapshots: the image that must exist afterwards (or not).
    pub out: Option<PathBuf>,
}

pub struct Ran {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub signal: Option<i32>,
    pub stderr: Vec<u8>,
    pub stderr_total: usize,
    pub wall: Duration,
    pub max_rss_kib: u64,
}

/// Runs the binary with `args` under the memory cap, draining its output
/// on threads (a case that floods stderr must not block on the pipe), and
/// kills it at the time limit. Peak memory comes from `wait4`.
// The child is reaped by `wait4` (for its resource usage), not `wait()`.
#[allow(clippy::zombie_processes)]
pub fn run_capped(args: &[String], stdin: &[u8]) -> Ran {
    let script = format!("ulimit -v {MEMORY_CAP_KIB} && exec \"$0\" \"$@\"");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_cim"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cim starts");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let (mut kept, mut total, mut buf) = (Vec::new(), 0usize, [0u8; 65536]);
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                total += n;
                if kept.len() < 1 << 20 {
                    kept.extend_from_slice(&buf[..n]);
                }
            }
            (kept, total)
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let pid = child.id() as libc::pid_t;
    let started = Instant::now();
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    loop {
        // SAFETY: plain syscall on our own child; status and usage are
        // valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if r == pid {
            break;
        }
        if started.elapsed() > TIME_LIMIT {
            let _ = child.kill();
            // SAFETY: as above; this time blocking until it is gone.
            unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall = started.elapsed();
    let _ = feeder.join();
    let (stdout, _) = out.join().unwrap();
    let (stderr, stderr_total) = err.join().unwrap();
    Ran {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout,
        signal: libc::WIFSIGNALED(status).then(|| libc::WTERMSIG(status)),
        stderr,
        stderr_total,
        wall,
        max_rss_kib: usage.ru_maxrss as u64,
    }
}

pub fn s(v: &str) -> String {
    v.to_string()
}

/// A `cim inspect ARGS…` case.
pub fn inspect(
    name: &'static str,
    args: Vec<String>,
    expect: Expect,
    says: Vec<String>,
    input_bytes: u64,
) -> Case {
    let mut all = vec![s("inspect")];
    all.extend(args);
    Case {
        name,
        args: all,
        stdin: Vec::new(),
        expect,
        says,
        input_bytes,
        out: None,
    }
}

/// A `cim snapshot INPUTS… --out d/NAME.png` case.
pub fn snapshot(
    d: &Path,
    name: &'static str,
    inputs: Vec<String>,
    expect: Expect,
    says: Vec<String>,
    input_bytes: u64,
) -> Case {
    let out = d.join(format!("{name}.png"));
    let mut args = vec![s("snapshot")];
    args.extend(inputs);
    args.extend([s("--out"), out.to_string_lossy().into_owned()]);
    args.extend(SNAP.iter().map(|a| s(a)));
    Case {
        name,
        args,
        stdin: Vec::new(),
        expect,
        says,
        input_bytes,
        out: Some(out),
    }
}
