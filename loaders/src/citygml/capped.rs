//! The XML input of the CityGML reader, capped: no single token (a tag,
//! a run of text such as one `posList`) may exceed [`MAX_TOKEN`] bytes,
//! so a hostile 1 GB line is refused instead of buffered.

use std::io::{self, BufRead, Read};

/// Longest single XML token (a tag, a text run such as one `posList`),
/// to within one 64 KiB chunk: longer is hostile (a 1 GB line), not a
/// building.
pub const MAX_TOKEN: u64 = 64 << 20;

/// Bytes handed to the XML reader at a time.
const CHUNK: usize = 64 << 10;

/// A reader that fails once a single XML token would pass
/// [`MAX_TOKEN`] bytes (`since_token` is reset before each event).
pub(super) struct Capped<R> {
    inner: R,
    since_token: u64,
}

impl<R> Capped<R> {
    pub(super) fn new(inner: R) -> Self {
        Capped {
            inner,
            since_token: 0,
        }
    }

    /// A new token starts: its bytes are counted from here.
    pub(super) fn reset(&mut self) {
        self.since_token = 0;
    }
}

impl<R: BufRead> Read for Capped<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.count(n)?;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Capped<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.since_token > MAX_TOKEN {
            return Err(too_long());
        }
        // At most a chunk at a time, so a long token is read in chunks and
        // counted, even from a reader holding it all.
        let b = self.inner.fill_buf()?;
        Ok(&b[..b.len().min(CHUNK)])
    }

    fn consume(&mut self, n: usize) {
        self.since_token += n as u64;
        self.inner.consume(n);
    }
}

impl<R> Capped<R> {
    fn count(&mut self, n: usize) -> io::Result<()> {
        self.since_token += n as u64;
        if self.since_token > MAX_TOKEN {
            return Err(too_long());
        }
        Ok(())
    }
}

fn too_long() -> io::Error {
    io::Error::other(format!(
        "a single XML token longer than {} MiB (a run of text or a tag without end)",
        MAX_TOKEN >> 20
    ))
}
