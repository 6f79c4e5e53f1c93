//! The bytes of a report file, validated as UTF-8: memory-mapped for large regular files,
//! read into a `String` otherwise.
//!
//! Reading a 100 MB report with `read_to_string` costs a quarter of the whole gate
//! (page faults on a fresh buffer plus the copy out of the page cache); mapping it with
//! `MAP_POPULATE` costs a few milliseconds, and the typed model borrows straight from the
//! page cache (scripts/bench-gate.sh).
//!
//! The one hazard of a mapping is a file truncated by another process while it is mapped:
//! touching a page past the new end raises SIGBUS. [`sigbus`] turns that into the project's
//! bad-input contract: one line naming the file, exit code 2, and nothing written.

use std::fmt;
use std::fs::File;
use std::ops::Deref;
use std::path::Path;

use memmap2::{Mmap, MmapOptions};

use crate::error::{Error, Result};

/// Files smaller than this are read, not mapped: a mapping costs two syscalls and a VMA,
/// which only pays off on large files.
pub const MAP_THRESHOLD: u64 = 1 << 20;

/// A report's text: valid UTF-8, owned or mapped.
pub struct ReportText {
    repr: Repr,
}

enum Repr {
    Owned(String),
    // The guard is declared first so that it leaves the SIGBUS table before the range is
    // unmapped (variant fields drop in declaration order).
    Mapped {
        _guard: sigbus::Registration,
        map: Mmap,
    },
}

impl ReportText {
    /// Read `path` (already known to be a file of `len` bytes): mapped when large and
    /// regular, read otherwise. Invalid UTF-8 is an input error naming the file.
    pub fn load(path: &Path, len: u64, regular: bool) -> Result<Self> {
        if regular && len >= MAP_THRESHOLD {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            // SAFETY: the mapping is read-only and private. Another process can still change
            // the file under it: truncating it raises SIGBUS on the next read past the new
            // end, which `sigbus` turns into a one-line error naming the file (exit 2);
            // rewriting bytes in place while vexgate runs could show it changed bytes after
            // the UTF-8 check, the caveat every mmap-based reader (ripgrep, cargo) accepts.
            // vexgate reads reports after Trivy has written them, and small files are read,
            // not mapped.
            let guard = sigbus::Registration::pending(path);
            let map = unsafe { MmapOptions::new().populate().map(&file) }
                .map_err(|e| Error::io(path, e))?;
            let guard = guard.activate(map.as_ptr(), map.len());
            validate_utf8(&map).map_err(|at| not_utf8(path, at))?;
            return Ok(Self {
                repr: Repr::Mapped { _guard: guard, map },
            });
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text =
            String::from_utf8(bytes).map_err(|e| not_utf8(path, e.utf8_error().valid_up_to()))?;
        Ok(Self::from(text))
    }

    pub fn as_str(&self) -> &str {
        match &self.repr {
            Repr::Owned(s) => s,
            // SAFETY: validated as UTF-8 in `load`; the mapping is read-only.
            Repr::Mapped { map, .. } => unsafe { std::str::from_utf8_unchecked(map) },
        }
    }

    /// Whether the text is a memory mapping (for tests and benchmarks).
    pub fn is_mapped(&self) -> bool {
        matches!(self.repr, Repr::Mapped { .. })
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

/// `std::str::from_utf8` on several threads: the bytes are cut at character starts, so
/// the whole is valid exactly when every part is. `Err` holds the first invalid offset.
fn validate_utf8(bytes: &[u8]) -> std::result::Result<(), usize> {
    let threads = super::parse_threads();
    if threads < 2 || bytes.len() < MAP_THRESHOLD as usize {
        return std::str::from_utf8(bytes)
            .map(drop)
            .map_err(|e| e.valid_up_to());
    }
    let mut cuts = vec![0];
    for k in 1..threads {
        let mut at = (bytes.len() / threads * k).max(*cuts.last().unwrap_or(&0));
        // Never cut before a continuation byte (10xxxxxx).
        while at < bytes.len() && bytes[at] & 0xC0 == 0x80 {
            at += 1;
        }
        cuts.push(at);
    }
    cuts.push(bytes.len());
    let results: Vec<std::result::Result<(), usize>> = std::thread::scope(|s| {
        let handles: Vec<_> = cuts
            .windows(2)
            .skip(1)
            .map(|w| {
                let (a, b) = (w[0], w[1]);
                s.spawn(move || {
                    std::str::from_utf8(&bytes[a..b])
                        .map(drop)
                        .map_err(|e| a + e.valid_up_to())
                })
            })
            .collect();
        let mut out = vec![
            std::str::from_utf8(&bytes[..cuts[1]])
                .map(drop)
                .map_err(|e| e.valid_up_to()),
        ];
        out.extend(handles.into_iter().map(|h| h.join().unwrap_or(Err(0))));
        out
    });
    results.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The threaded check agrees with `std::str::from_utf8` wherever the invalid byte is,
    /// including multi-byte characters straddling every cut.
    #[test]
    fn parallel_utf8_check_agrees_with_std() {
        let unit = "aé€😀".repeat(1 << 16); // 1, 2, 3 and 4-byte characters
        let mut bytes = unit
            .repeat(((MAP_THRESHOLD as usize) / unit.len()) + 2)
            .into_bytes();
        assert_eq!(validate_utf8(&bytes), Ok(()));
        for at in [0, 1, bytes.len() / 2, bytes.len() / 2 + 1, bytes.len() - 1] {
            let saved = bytes[at];
            bytes[at] = 0xFF;
            let want = std::str::from_utf8(&bytes).unwrap_err().valid_up_to();
            assert_eq!(validate_utf8(&bytes), Err(want), "invalid byte at {at}");
            bytes[at] = saved;
        }
        // A truncated character at the very end.
        bytes.extend_from_slice(&[0xE2, 0x82]);
        let want = std::str::from_utf8(&bytes).unwrap_err().valid_up_to();
        assert_eq!(validate_utf8(&bytes), Err(want));
    }
}

impl From<String> for ReportText {
    fn from(s: String) -> Self {
        Self {
            repr: Repr::Owned(s),
        }
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
            .field("mapped", &self.is_mapped())
            .finish()
    }
}

/// SIGBUS on a truncated mapping becomes `vexgate: error: FILE: ...` and exit code 2.
///
/// Each live mapping is registered in a fixed table of atomics (address range and file
/// name), which the handler reads without locking or allocating (it is async-signal-safe:
/// only atomic loads, `write(2)` and `_exit(2)`). A SIGBUS outside every registered mapping
/// is not ours: the handler restores the default action and returns, so the fault repeats
/// and the process dies as it would have without us.
pub mod sigbus {
    use std::path::Path;
    use std::sync::Once;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const SLOTS: usize = 64;

    struct Slot {
        start: AtomicUsize,
        len: AtomicUsize,
        name: AtomicUsize,
        name_len: AtomicUsize,
    }

    #[allow(clippy::declare_interior_mutable_const)]
    const EMPTY: Slot = Slot {
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        name: AtomicUsize::new(0),
        name_len: AtomicUsize::new(0),
    };
    static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];
    /// Slots claimed but not yet filled hold this start address.
    const CLAIMED: usize = usize::MAX;

    /// A mapping's entry in the table; clears it on drop.
    pub struct Registration {
        slot: Option<usize>,
        name: Box<[u8]>,
    }

    impl Registration {
        /// Claim a slot for `path` and install the handler (once per process). When the
        /// table is full the mapping is still used, and a SIGBUS on it kills the process
        /// with the default action.
        pub fn pending(path: &Path) -> Self {
            install();
            let mut name = Vec::with_capacity(path.as_os_str().len() + 96);
            name.extend_from_slice(b"vexgate: error: ");
            // Escaped like every error line, so a path holding a newline stays one line.
            name.extend_from_slice(crate::escape::term_path(path).as_bytes());
            name.extend_from_slice(
                b": the file was truncated while vexgate was reading it; nothing was decided\n",
            );
            let slot = TABLE.iter().position(|s| {
                s.start
                    .compare_exchange(0, CLAIMED, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
            });
            Self {
                slot,
                name: name.into_boxed_slice(),
            }
        }

        /// Publish the mapped range.
        pub fn activate(self, start: *const u8, len: usize) -> Self {
            if let Some(i) = self.slot {
                let s = &TABLE[i];
                s.name.store(self.name.as_ptr() as usize, Ordering::Relaxed);
                s.name_len.store(self.name.len(), Ordering::Relaxed);
                s.len.store(len, Ordering::Relaxed);
                s.start.store(start as usize, Ordering::Release);
            }
            self
        }
    }

    impl Drop for Registration {
        fn drop(&mut self) {
            if let Some(i) = self.slot {
                let s = &TABLE[i];
                s.len.store(0, Ordering::Relaxed);
                s.start.store(0, Ordering::Release);
            }
        }
    }

    fn install() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // SAFETY: a plain sigaction call with a zeroed struct filled field by field; the
            // handler only performs async-signal-safe operations.
            unsafe {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = handler as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
            }
        });
    }

    extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
        let addr = unsafe { (*info).si_addr() } as usize;
        for s in &TABLE {
            let start = s.start.load(Ordering::Acquire);
            if start == 0 || start == CLAIMED {
                continue;
            }
            let len = s.len.load(Ordering::Relaxed);
            if addr >= start && addr < start.saturating_add(len) {
                let name = s.name.load(Ordering::Relaxed) as *const libc::c_void;
                let name_len = s.name_len.load(Ordering::Relaxed);
                // SAFETY: write(2) and _exit(2) are async-signal-safe; `name` points to the
                // registration's boxed message, alive while the slot is published.
                unsafe {
                    libc::write(2, name, name_len);
                    libc::_exit(2);
                }
            }
        }
        // Not a report mapping: fall back to the default action for the retried fault.
        // SAFETY: resetting a signal disposition is async-signal-safe.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
        }
    }
}
