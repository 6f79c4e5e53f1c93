//! The bytes of a report file, read into memory and validated as UTF-8.
//!
//! Reports are read, never memory-mapped: a typed model that borrows from a mapping could
//! see the bytes change under it when another process rewrites the file. Reading is
//! bounded: a regular file is read up to the size it had when opened, anything else (a
//! FIFO, a device, `/proc`) up to [`NON_REGULAR_MAX`] bytes, and input whose first
//! non-blank byte cannot start a JSON value (`/dev/zero`, a binary file) fails after the
//! first read instead of being read to the end.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

use crate::error::{Error, Result};

/// The most vexgate reads from a file that is not a regular file (a FIFO, a process
/// substitution, a character device): 256 MiB, more than twice the largest Trivy report
/// seen in practice.
pub const NON_REGULAR_MAX: u64 = 256 << 20;

/// How much is read at once while looking for the first byte of the JSON value.
const PROBE: usize = 64 << 10;

/// Regular files from this size on are read by several threads, each into its own part
/// of the buffer: most of a large read is the kernel faulting in fresh pages and copying
/// out of the page cache, which parallelises.
const PARALLEL_READ_MIN: u64 = 4 << 20;

/// Read a text input (an ignore file, a VEX document, a settings file) with the same bounds
/// as a report: a regular file up to the size it had when opened, anything else (a FIFO,
/// `/dev/zero`, `/proc`) up to [`NON_REGULAR_MAX`] bytes. Errors read as
/// `std::fs::read_to_string`'s do, naming the file.
pub fn read_text(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let meta = file.metadata().map_err(|e| Error::io(path, e))?;
    let (limit, regular) = if meta.is_file() && meta.len() > 0 {
        (meta.len(), true)
    } else {
        (NON_REGULAR_MAX, false)
    };
    let mut buf = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > limit {
        return Err(too_large(path, limit, regular));
    }
    String::from_utf8(buf).map_err(|_| {
        Error::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ),
        )
    })
}

/// A report's text: valid UTF-8, owned.
pub struct ReportText {
    text: String,
}

impl ReportText {
    /// Read `path` into memory. Invalid UTF-8, input that cannot be JSON and input larger
    /// than the cap are input errors naming the file.
    pub fn load(path: &Path) -> Result<Self> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let meta = file.metadata().map_err(|e| Error::io(path, e))?;
        // `/proc` files are regular with a size of 0: read those up to the cap too.
        let (limit, regular) = if meta.is_file() && meta.len() > 0 {
            (meta.len(), true)
        } else {
            (NON_REGULAR_MAX, false)
        };
        let bytes = if regular && limit >= PARALLEL_READ_MIN {
            read_parallel(path, &file, limit)?
        } else {
            read_bounded(path, file, limit, regular)?
        };
        let text =
            String::from_utf8(bytes).map_err(|e| not_utf8(path, e.utf8_error().valid_up_to()))?;
        Ok(Self { text })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Read the `len` bytes of a regular file with positioned reads, in parts, on the report
/// pool ([`super::pool`]). The first non-blank byte is checked as in [`read_bounded`].
fn read_parallel(path: &Path, file: &File, len: u64) -> Result<Vec<u8>> {
    use rayon::prelude::*;
    use std::os::unix::fs::FileExt;
    let len = usize::try_from(len).map_err(|_| too_large(path, len, true))?;
    // Zeroed memory from the allocator is not touched here: each thread faults in its part.
    let mut buf = vec![0u8; len];
    let pool = super::pool::pool()?;
    let part = len.div_ceil(pool.current_num_threads().max(1)).max(1);
    let read = pool.install(|| {
        buf.par_chunks_mut(part)
            .enumerate()
            .try_for_each(|(i, chunk)| file.read_exact_at(chunk, (i * part) as u64))
    });
    match read {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(Error::input(
                path,
                "shrank while vexgate was reading it; nothing was decided",
            ));
        }
        Err(e) => return Err(Error::io(path, e)),
    }
    check_start(path, &buf, 0)?;
    Ok(buf)
}

/// Fail when the first non-blank byte of `buf[from..]` cannot start a JSON value. `Ok(true)`
/// when such a byte was found (and is fine), `Ok(false)` when the part is all blank.
fn check_start(path: &Path, buf: &[u8], from: usize) -> Result<bool> {
    let Some(at) = buf[from..]
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    else {
        return Ok(false);
    };
    let b = buf[from + at];
    if !matches!(
        b,
        b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'
    ) {
        return Err(Error::input(
            path,
            format!(
                "is not JSON (byte 0x{b:02x} at offset {} cannot start a JSON value); \
                 Trivy writes JSON reports",
                from + at
            ),
        ));
    }
    Ok(true)
}

/// Read at most `limit` bytes of `file`, failing as soon as the first non-blank byte is
/// one no JSON value starts with.
fn read_bounded(path: &Path, mut file: impl Read, limit: u64, regular: bool) -> Result<Vec<u8>> {
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    // One byte of slack, so a file that grew while being read is noticed.
    let mut buf: Vec<u8> = Vec::with_capacity(if regular {
        cap.saturating_add(1)
    } else {
        PROBE
    });
    let mut chunk = vec![0u8; PROBE];
    // Read until the first non-blank byte is known.
    loop {
        let n = read_retrying(&mut file, &mut chunk).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            return Ok(buf);
        }
        let start = buf.len();
        buf.extend_from_slice(&chunk[..n]);
        if check_start(path, &buf, start)? {
            break;
        }
        if buf.len() as u64 > limit {
            return Err(too_large(path, limit, regular));
        }
    }
    let room = (limit + 1).saturating_sub(buf.len() as u64);
    file.take(room)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(path, e))?;
    if buf.len() as u64 > limit {
        return Err(too_large(path, limit, regular));
    }
    Ok(buf)
}

fn read_retrying(file: &mut impl Read, chunk: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match file.read(chunk) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

fn too_large(path: &Path, limit: u64, regular: bool) -> Error {
    if regular {
        Error::input(
            path,
            format!("grew past its size of {limit} bytes while vexgate was reading it"),
        )
    } else {
        Error::input(
            path,
            format!(
                "is not a regular file and holds more than {limit} bytes, the most vexgate \
                 reads from a pipe or device"
            ),
        )
    }
}

fn not_utf8(path: &Path, at: usize) -> Error {
    Error::input(
        path,
        format!(
            "is not UTF-8 text (invalid byte at offset {at}); Trivy writes JSON reports in UTF-8"
        ),
    )
}

impl From<String> for ReportText {
    fn from(text: String) -> Self {
        Self { text }
    }
}

impl Deref for ReportText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ReportText {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for ReportText {
    fn as_ref(&self) -> &[u8] {
        self.as_str().as_bytes()
    }
}

impl fmt::Debug for ReportText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReportText")
            .field("len", &self.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::path::Path;

    use super::read_bounded;

    /// An endless stream of NUL bytes (`/dev/zero`) fails on the first read.
    #[test]
    fn endless_non_json_fails_at_once() {
        let e = read_bounded(Path::new("z"), std::io::repeat(0), u64::MAX, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "z: is not JSON (byte 0x00 at offset 0 cannot start a JSON value); Trivy writes JSON reports"
        );
    }

    /// An endless stream that starts like JSON stops at the cap, blank or not.
    #[test]
    fn endless_json_like_input_stops_at_the_cap() {
        for head in [&b"["[..], b""] {
            let input = head.chain(std::io::repeat(b' '));
            let e = read_bounded(Path::new("p"), input, 1 << 20, false).unwrap_err();
            assert!(
                e.to_string().contains("holds more than 1048576 bytes"),
                "{e}"
            );
        }
    }

    #[test]
    fn reads_a_whole_small_input() {
        let got = read_bounded(Path::new("a"), &b"  {\"a\":1}"[..], 10, true).unwrap();
        assert_eq!(got, b"  {\"a\":1}");
        let e = read_bounded(Path::new("a"), &b"{\"a\":12}"[..], 7, true).unwrap_err();
        assert!(
            e.to_string().contains("grew past its size of 7 bytes"),
            "{e}"
        );
    }

    /// A large regular file is read by several threads into exactly its bytes; one that
    /// cannot start a JSON value is refused.
    #[test]
    fn large_files_are_read_whole_in_parts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let len = (super::PARALLEL_READ_MIN as usize) * 2 + 12_345;
        let bytes: Vec<u8> = (0..len).map(|i| b"[ 1,2]\n"[i % 7]).collect();
        std::fs::write(&path, &bytes).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        assert_eq!(
            super::read_parallel(&path, &file, len as u64).unwrap(),
            bytes
        );
        std::fs::write(&path, vec![0u8; len]).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let e = super::read_parallel(&path, &file, len as u64).unwrap_err();
        assert!(e.to_string().contains("byte 0x00 at offset 0"), "{e}");
        // A file shorter than the size it was opened with.
        let file = std::fs::File::open(&path).unwrap();
        let e = super::read_parallel(&path, &file, len as u64 + 1).unwrap_err();
        assert!(
            e.to_string()
                .contains("shrank while vexgate was reading it"),
            "{e}"
        );
    }
}
