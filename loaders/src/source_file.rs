//! Opening input files so that no path can block or flood a reader.
//!
//! A path handed to a loader may name something that is not a file: a FIFO
//! (named pipe), whose `open` blocks until a writer appears; a socket; a
//! terminal; a character device such as `/dev/zero` (perhaps behind a
//! symlink called `roads.shp`), which never ends; a directory. Every file the
//! loaders read is opened by [`open_regular`], which
//!
//! 1. checks the type with [`std::fs::metadata`] (following symlinks) and
//!    refuses anything but a regular file with [`LoadError::NotAFile`];
//! 2. opens with `O_NONBLOCK` on Unix, so that a FIFO swapped in between the
//!    check and the open cannot block the open either (the flag has no effect
//!    on regular files);
//! 3. checks the type of the opened handle (`fstat`) again, which closes that
//!    race: what was opened is what is read.
//!
//! Readers that cannot be handed a [`File`] (SQLite opens GeoPackages itself)
//! call [`check_regular`] first.

use crate::LoadError;
use std::fs::{File, FileType, Metadata};
use std::io::Read;
use std::path::Path;

/// What a non-regular file is, for messages.
fn kind(t: &FileType) -> &'static str {
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO/named pipe";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    "a special file"
}

fn require_regular(path: &Path, meta: &Metadata) -> Result<(), LoadError> {
    if meta.is_file() {
        Ok(())
    } else {
        Err(LoadError::NotAFile {
            path: path.to_path_buf(),
            kind: kind(&meta.file_type()),
        })
    }
}

/// Checks that `path` (after following symlinks) is a regular file, and
/// returns its metadata.
pub fn check_regular(path: &Path) -> Result<Metadata, LoadError> {
    let meta = std::fs::metadata(path).map_err(|e| LoadError::io(path, e))?;
    require_regular(path, &meta)?;
    Ok(meta)
}

/// Opens `path` for reading if it is a regular file (see the module docs);
/// never blocks on a FIFO or device.
pub fn open_regular(path: &Path) -> Result<File, LoadError> {
    open_sized(path).map(|(f, _)| f)
}

/// [`open_regular`], with the file's length as the opened handle reports it.
pub(crate) fn open_sized(path: &Path) -> Result<(File, u64), LoadError> {
    check_regular(path)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|e| LoadError::io(path, e))?;
    let meta = file.metadata().map_err(|e| LoadError::io(path, e))?;
    require_regular(path, &meta)?;
    Ok((file, meta.len()))
}

/// Reads up to `buf.len()` bytes from the start of `r`; the count read.
pub(crate) fn read_up_to(
    r: &mut impl Read,
    path: &Path,
    buf: &mut [u8],
) -> Result<usize, LoadError> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(LoadError::io(path, e)),
        }
    }
    Ok(n)
}

/// Reads the rest of `file` onto `buf` (which holds what was read of it so
/// far), refusing files of over `max` bytes: `len` is the length the file
/// had when opened, and a file that grows past `max` meanwhile is cut there
/// and refused.
pub(crate) fn read_rest(
    file: File,
    path: &Path,
    mut buf: Vec<u8>,
    len: u64,
    max: u64,
) -> Result<Vec<u8>, LoadError> {
    if len > max {
        return Err(too_big(path, len, max));
    }
    buf.reserve_exact((len as usize).saturating_sub(buf.len()));
    let room = (max + 1).saturating_sub(buf.len() as u64);
    file.take(room)
        .read_to_end(&mut buf)
        .map_err(|e| LoadError::io(path, e))?;
    if buf.len() as u64 > max {
        return Err(too_big(path, buf.len() as u64, max));
    }
    Ok(buf)
}

fn too_big(path: &Path, len: u64, max: u64) -> LoadError {
    LoadError::unsupported(
        path,
        "file",
        format!("{len} bytes is more than the {max}-byte limit for reading it whole"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = open_regular(dir.path()).unwrap_err();
        assert!(matches!(e, LoadError::NotAFile { .. }), "{e}");
        assert!(
            e.to_string().contains("not a regular file (a directory)"),
            "{e}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn fifos_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f.geojson");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let t = std::time::Instant::now();
        let e = open_regular(&fifo).unwrap_err();
        assert!(t.elapsed().as_secs_f64() < 1.0);
        assert!(e.to_string().contains("a FIFO/named pipe"), "{e}");
        let e = open_regular(Path::new("/dev/null")).unwrap_err();
        assert!(e.to_string().contains("a character device"), "{e}");
        // A regular file reads whole, and the limit holds.
        let p = dir.path().join("a.txt");
        std::fs::write(&p, b"hello").unwrap();
        let (mut f, len) = open_sized(&p).unwrap();
        let mut head = [0u8; 2];
        assert_eq!(read_up_to(&mut f, &p, &mut head).unwrap(), 2);
        assert_eq!(read_rest(f, &p, head.to_vec(), len, 5).unwrap(), b"hello");
        let (f, len) = open_sized(&p).unwrap();
        assert!(read_rest(f, &p, Vec::new(), len, 4).is_err());
    }
}
