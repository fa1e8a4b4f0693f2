//! The primitive reads of OpenSceneGraph's binary stream (`osgDB::InputStream`
//! over the `osg` plugin's `BinaryInputIterator`): little-endian numbers,
//! length-prefixed strings, and the optional block sizes ("binary
//! brackets") that let a reader skip an object it does not know.
//!
//! Every read is bounds-checked, and every count is checked against the
//! bytes left before anything is allocated for it, so a hostile count
//! cannot make the reader allocate more than the file could hold.

use super::OsgbError;

/// The reading position in one (decompressed) OSGB stream.
pub(crate) struct Stream<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// The file's serializer version (`OPENSCENEGRAPH_SOVERSION` of the
    /// writer): which properties each class has.
    pub version: u32,
    /// Whether `{` carries the size of its block (header attribute 0x4).
    brackets: bool,
    /// The ends of the open blocks, innermost last (with `brackets`).
    block_ends: Vec<usize>,
}

impl<'a> Stream<'a> {
    pub fn new(bytes: &'a [u8]) -> Stream<'a> {
        Stream {
            bytes,
            pos: 0,
            version: 0,
            brackets: false,
            block_ends: Vec::new(),
        }
    }

    pub fn set_brackets(&mut self, on: bool) {
        self.brackets = on;
    }

    pub fn has_brackets(&self) -> bool {
        self.brackets
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// The rest of the stream, which is then used up.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let rest = &self.bytes[self.pos..];
        self.pos = self.bytes.len();
        rest
    }

    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], OsgbError> {
        if n > self.remaining() {
            return Err(OsgbError::Truncated {
                offset: self.pos,
                detail: format!("{what}: {n} bytes wanted, {} left", self.remaining()),
            });
        }
        let b = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], OsgbError> {
        let b = self.bytes(N, what)?;
        Ok(b.try_into().expect("N bytes"))
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, OsgbError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn bool(&mut self, what: &str) -> Result<bool, OsgbError> {
        Ok(self.u8(what)? != 0)
    }

    pub fn u32(&mut self, what: &str) -> Result<u32, OsgbError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub fn i32(&mut self, what: &str) -> Result<i32, OsgbError> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    pub fn f32(&mut self, what: &str) -> Result<f32, OsgbError> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }

    pub fn f64(&mut self, what: &str) -> Result<f64, OsgbError> {
        Ok(f64::from_le_bytes(self.array(what)?))
    }

    pub fn f64s<const N: usize>(&mut self, what: &str) -> Result<[f64; N], OsgbError> {
        let mut v = [0.0; N];
        for x in &mut v {
            *x = self.f64(what)?;
        }
        Ok(v)
    }

    pub fn f32s<const N: usize>(&mut self, what: &str) -> Result<[f32; N], OsgbError> {
        let mut v = [0.0; N];
        for x in &mut v {
            *x = self.f32(what)?;
        }
        Ok(v)
    }

    /// A count of items of at least `item_bytes` bytes each, refused when
    /// the stream cannot hold that many (so it is safe to allocate for).
    pub fn count(&mut self, item_bytes: usize, what: &str) -> Result<usize, OsgbError> {
        let at = self.pos;
        let n = self.u32(what)? as usize;
        self.check_count(n, item_bytes, at, what)?;
        Ok(n)
    }

    /// Refuses `n` items of `item_bytes` each when fewer bytes are left.
    pub fn check_count(
        &self,
        n: usize,
        item_bytes: usize,
        at: usize,
        what: &str,
    ) -> Result<(), OsgbError> {
        if n.saturating_mul(item_bytes.max(1)) > self.remaining() {
            return Err(OsgbError::Invalid {
                offset: at,
                detail: format!(
                    "{what}: {n} items of {} bytes, but only {} bytes are left",
                    item_bytes.max(1),
                    self.remaining()
                ),
            });
        }
        Ok(())
    }

    /// A length-prefixed string (`BinaryInputIterator::readString`); bytes
    /// that are not UTF-8 (file names in GBK, say) are kept as lossy text.
    pub fn string(&mut self, what: &str) -> Result<String, OsgbError> {
        let at = self.pos;
        let n = self.i32(what)?;
        if n < 0 {
            return Err(OsgbError::Invalid {
                offset: at,
                detail: format!("{what}: negative string length {n}"),
            });
        }
        let b = self.bytes(n as usize, what)?;
        Ok(String::from_utf8_lossy(b).into_owned())
    }

    /// `{`: with block sizes, reads the size of the block that follows
    /// (32-bit up to version 148, 64-bit after).
    pub fn begin(&mut self, what: &str) -> Result<(), OsgbError> {
        if !self.brackets {
            return Ok(());
        }
        let start = self.pos;
        let size = if self.version > 148 {
            u64::from_le_bytes(self.array(what)?)
        } else {
            u64::from(self.u32(what)?)
        };
        let end = usize::try_from(size)
            .ok()
            .and_then(|s| start.checked_add(s))
            .filter(|&e| e <= self.bytes.len() && e >= self.pos);
        let Some(end) = end else {
            return Err(OsgbError::Invalid {
                offset: start,
                detail: format!("{what}: a block of {size} bytes runs past the end"),
            });
        };
        self.block_ends.push(end);
        Ok(())
    }

    /// `}`: nothing to read; closes the innermost block.
    pub fn end(&mut self) {
        if self.brackets {
            self.block_ends.pop();
        }
    }

    /// After an object: with block sizes, moves to the end of its block and
    /// closes it (what `advanceToCurrentEndBracket` does), which steps over
    /// the fields a newer writer added and over objects of classes that are
    /// not read.
    pub fn finish_block(&mut self) {
        if self.brackets
            && let Some(end) = self.block_ends.pop()
        {
            self.pos = end.max(self.pos);
        }
    }
}
