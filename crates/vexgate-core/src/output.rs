//! Output files, written safely: never over an input, and whole or not at all.
//!
//! - [`refuse_overlaps`] runs before anything is written: an output that is the same file
//!   as an input (same device and inode, so through symbolic and hard links too), or as
//!   another output, is a usage error (exit 2). `gate --output-report in.json in.json` would
//!   otherwise destroy the report it is reading.
//! - [`write_atomic`] writes to a temp file in the output's own directory and renames it
//!   over the output: a reader sees the old file or the new one, and a failed write (disk
//!   full, `ulimit -f`) leaves the old file as it was and removes the temp file. An existing
//!   build output is replaced by exchanging the two names and removing the old content (see
//!   `exchange`). An output that is a symbolic link is replaced by a regular file, not
//!   written through. Outputs that exist and are not regular files (`/dev/null`,
//!   `/dev/stdout`, a FIFO) are written in place, since they cannot be renamed over.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Test hook (only with the `test-hooks` cargo feature, which release builds never enable):
/// when set to a number of milliseconds, [`write_atomic`] sleeps that long after the temp
/// file is complete and before the rename, so a test can kill a writer mid-write.
#[cfg(feature = "test-hooks")]
pub const PAUSE_ENV: &str = "VEXGATE_TEST_PAUSE_BEFORE_RENAME_MS";

/// How much durability a write needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// fsync the temp file before the rename and the directory after it: for documents
    /// people edit (`vex add`), which must survive a crash.
    Durable,
    /// No fsync: for build outputs (reports, summaries, SARIF) that the next run rewrites.
    /// The rename is still atomic for readers, and a failed write still leaves the old file.
    Atomic,
}

/// What identifies a file: its device and inode when it exists, else its absolute path
/// (the parent resolved through links).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identity {
    Inode(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> Option<Identity> {
    if let Ok(m) = fs::metadata(path) {
        return Some(Identity::Inode(m.dev(), m.ino()));
    }
    let name = path.file_name()?;
    let parent = parent_dir(path).canonicalize().ok()?;
    Some(Identity::Path(parent.join(name)))
}

/// One named file: the flag or role that named it (`--sarif`, `report`) and its path.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    pub what: &'a str,
    pub path: &'a Path,
}

impl<'a> Named<'a> {
    pub fn new(what: &'a str, path: &'a Path) -> Self {
        Self { what, path }
    }
}

/// Refuse, before anything is written, an output that is the same file as an input or as
/// another output. Inputs that do not exist are skipped (they fail later, when read).
pub fn refuse_overlaps(inputs: &[Named<'_>], outputs: &[Named<'_>]) -> Result<()> {
    let ins: Vec<(Named<'_>, Identity)> = inputs
        .iter()
        .filter_map(|n| match fs::metadata(n.path) {
            Ok(m) => Some((*n, Identity::Inode(m.dev(), m.ino()))),
            Err(_) => None,
        })
        .collect();
    let mut seen: Vec<(Named<'_>, Identity)> = Vec::with_capacity(outputs.len());
    for out in outputs {
        let Some(id) = identity(out.path) else {
            continue;
        };
        if let Some((input, _)) = ins.iter().find(|(_, i)| *i == id) {
            return Err(Error::usage(format!(
                "{} {} is the same file as the {} {}: vexgate never writes over an input",
                out.what,
                out.path.display(),
                input.what,
                input.path.display()
            )));
        }
        if let Some((other, _)) = seen.iter().find(|(_, i)| *i == id) {
            return Err(Error::usage(format!(
                "{} {} and {} {} are the same file",
                other.what,
                other.path.display(),
                out.what,
                out.path.display()
            )));
        }
        seen.push((*out, id));
    }
    Ok(())
}

/// The directory a path's temp file goes to: its parent, or `.`.
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A write error as one input error naming the output.
pub fn write_error(target: &Path, what: &Path, e: io::Error) -> Error {
    let why = match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::ReadOnlyFilesystem => "read-only file system".to_string(),
        ErrorKind::NotFound if what != target => format!("{} does not exist", what.display()),
        _ => e.to_string(),
    };
    if what == target || e.kind() == ErrorKind::NotFound {
        Error::input(target, format!("cannot write: {why}"))
    } else {
        Error::input(target, format!("cannot write: {} ({why})", what.display()))
    }
}

/// Write `target` with `fill`: into a temp file in the target's directory, renamed over
/// the target once complete (see the module docs). An existing target's permissions are
/// kept; a new file gets 0666 less the umask, as `File::create` would.
pub fn write_atomic(
    target: &Path,
    sync: Sync,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let existing = fs::metadata(target).ok();
    if let Some(m) = &existing {
        if m.is_dir() {
            return Err(Error::input(target, "cannot write: is a directory"));
        }
        if !m.is_file() {
            return write_in_place(target, fill);
        }
    }
    let dir = parent_dir(target);
    if !dir.is_dir() {
        return Err(Error::input(
            target,
            format!("cannot write: directory {} does not exist", dir.display()),
        ));
    }
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o666))
        .tempfile_in(&dir)
        .map_err(|e| write_error(target, &dir, e))?;
    let tmp_path = tmp.path().to_path_buf();
    {
        let mut w = BufWriter::with_capacity(1 << 16, tmp.as_file_mut());
        fill(&mut w)
            .and_then(|()| w.flush())
            .map_err(|e| write_error(target, target, e))?;
    }
    if sync == Sync::Durable {
        tmp.as_file()
            .sync_all()
            .map_err(|e| write_error(target, &tmp_path, e))?;
    }
    if let Some(m) = &existing {
        let _ = fs::set_permissions(&tmp_path, m.permissions());
    }
    #[cfg(feature = "test-hooks")]
    if let Some(ms) = std::env::var(PAUSE_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        eprintln!("vexgate: test hook: temp file written, pausing {ms} ms before rename");
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    if sync == Sync::Atomic && existing.is_some() {
        // Swap the two names, then remove the old content under the temp name.
        let tmp = tmp.into_temp_path();
        if exchange(&tmp, target).is_ok() {
            return Ok(());
        }
        return tmp
            .persist(target)
            .map_err(|e| write_error(target, target, e.error));
    }
    tmp.persist(target)
        .map_err(|e| write_error(target, target, e.error))?;
    if sync == Sync::Durable
        && let Ok(d) = File::open(&dir)
    {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Atomically exchange two names (Linux `renameat2(RENAME_EXCHANGE)`). Replacing an existing
/// output this way keeps a reader's view atomic (the old file or the new one), and, unlike a
/// rename over the old file, does not make ext4 start writing the whole new file back during
/// the call (its replace-via-rename `auto_da_alloc` heuristic: about 10 ms for a 100 MB
/// report). A build output needs no such durability. Where the exchange is not supported,
/// the caller falls back to a plain rename.
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(ErrorKind::Unsupported))
}

/// Write straight into an existing non-regular file (a device, a FIFO).
fn write_in_place(
    target: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let file = OpenOptions::new()
        .write(true)
        .open(target)
        .map_err(|e| write_error(target, target, e))?;
    let mut w = BufWriter::new(file);
    fill(&mut w)
        .and_then(|()| w.flush())
        .map_err(|e| write_error(target, target, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_files_and_keeps_the_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        write_atomic(&p, Sync::Atomic, |w| w.write_all(b"one")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&p, Sync::Durable, |w| w.write_all(b"two")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        // Replacing an existing build output (exchange, then the old content removed).
        write_atomic(&p, Sync::Atomic, |w| w.write_all(b"three")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
        write_atomic(&p, Sync::Atomic, |w| w.write_all(b"two")).unwrap();
        // A failing writer leaves the old file and no temp file.
        let e = write_atomic(&p, Sync::Atomic, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert!(e.to_string().contains("boom"), "{e}");
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_symlinked_output_is_replaced_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = dir.path().join("elsewhere.txt");
        fs::write(&elsewhere, "keep").unwrap();
        let out = dir.path().join("out.txt");
        std::os::unix::fs::symlink(&elsewhere, &out).unwrap();
        for sync in [Sync::Atomic, Sync::Durable] {
            write_atomic(&out, sync, |w| w.write_all(b"new")).unwrap();
            assert!(!fs::symlink_metadata(&out).unwrap().is_symlink());
            assert_eq!(fs::read(&out).unwrap(), b"new");
            assert_eq!(fs::read(&elsewhere).unwrap(), b"keep");
            fs::remove_file(&out).unwrap();
            std::os::unix::fs::symlink(&elsewhere, &out).unwrap();
        }
    }

    #[test]
    fn devices_are_written_in_place() {
        use std::os::unix::fs::FileTypeExt;
        write_atomic(Path::new("/dev/null"), Sync::Atomic, |w| w.write_all(b"x")).unwrap();
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
    }

    #[test]
    fn overlaps_are_found_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.json");
        fs::write(&input, "{}").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let hard = dir.path().join("hard.json");
        fs::hard_link(&input, &hard).unwrap();
        let new = dir.path().join("new.json");
        let ins = [Named::new("report", &input)];
        for out in [&input, &link, &hard] {
            let e = refuse_overlaps(&ins, &[Named::new("--sarif", out)]).unwrap_err();
            assert!(e.to_string().contains("same file as the report"), "{e}");
        }
        refuse_overlaps(&ins, &[Named::new("--sarif", &new)]).unwrap();
        let dotted = dir.path().join(".").join("new.json");
        let e = refuse_overlaps(
            &ins,
            &[
                Named::new("--sarif", &new),
                Named::new("--summary-md", &dotted),
            ],
        )
        .unwrap_err();
        assert!(e.to_string().contains("are the same file"), "{e}");
    }
}
