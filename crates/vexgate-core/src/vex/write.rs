//! Locked, atomic read-modify-write of a file (the VEX document `vex add` edits).
//!
//! Writers serialise on an exclusive lock of a sidecar file (`.<name>.lock` next to the
//! target, `std::fs::File::lock`), held across read, modify and write, so two concurrent
//! `vex add` runs never lose each other's statement. The new content is written by
//! [`crate::output::write_atomic`] with [`Sync::Durable`]: a temp file in the same
//! directory, flushed to disk, renamed over the target, so a reader (or a crash at any
//! point) sees either the old file or the new one, never a torn write.
//!
//! The sidecar is left in place on purpose: deleting a lock file races with a process that
//! has opened it but not yet locked it.

use std::fs::{self, File, OpenOptions};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::output::{self, Sync, parent_dir, write_error};

/// The sidecar lock file for `target`: `.<file name>.lock` in the same directory.
pub fn lock_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vex".to_string());
    parent_dir(target).join(format!(".{name}.lock"))
}

/// An exclusive lock on a target's sidecar, released on drop.
#[derive(Debug)]
pub struct TargetLock {
    file: File,
}

impl TargetLock {
    /// Block until this process holds the exclusive lock for `target`.
    pub fn acquire(target: &Path) -> Result<Self> {
        let dir = parent_dir(target);
        if !dir.is_dir() {
            return Err(Error::input(
                target,
                format!("cannot write: directory {} does not exist", dir.display()),
            ));
        }
        let lp = lock_path(target);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lp)
            .map_err(|e| write_error(target, &lp, e))?;
        file.lock().map_err(|e| write_error(target, &lp, e))?;
        Ok(Self { file })
    }
}

impl Drop for TargetLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// Refuse a target that exists and is not a regular file (a device such as `/dev/full`, a
/// FIFO, a socket, a directory): it is never read, locked or replaced, and no lock file is
/// created beside it. A missing target is fine (it will be created).
pub fn check_target(target: &Path) -> Result<()> {
    match fs::metadata(target) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) if m.is_dir() => Err(Error::input(target, "is a directory")),
        Ok(_) => Err(Error::input(
            target,
            "is not a regular file (a device, FIFO or socket): the VEX document must be a regular file",
        )),
        // Missing (or under a path that is not a directory): the writer says why it cannot
        // create it.
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => Ok(()),
        Err(e) => Err(Error::io(target, e)),
    }
}

/// Read `target` (`None` when it does not exist), with the bounds of every input. A target
/// that is not a regular file is refused ([`check_target`]); other read errors are input
/// errors.
pub fn read_existing(target: &Path) -> Result<Option<String>> {
    check_target(target)?;
    match crate::report::text::read_text(target) {
        Ok(s) => Ok(Some(s)),
        Err(_) if !target.exists() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Atomically and durably replace `target` with `content` (see
/// [`crate::output::write_atomic`]). The caller should hold the [`TargetLock`].
pub fn write_atomic(target: &Path, content: &str) -> Result<()> {
    output::write_atomic(target, Sync::Durable, |w| w.write_all(content.as_bytes()))
}

/// Read-modify-write under the lock: `modify` gets the current content (`None` if the file
/// does not exist) and returns the new content, or `None` to leave the file as it is.
pub fn update<T>(
    target: &Path,
    modify: impl FnOnce(Option<&str>) -> Result<(Option<String>, T)>,
) -> Result<T> {
    // Before the lock: no lock file beside a device or a FIFO.
    check_target(target)?;
    let _lock = TargetLock::acquire(target)?;
    let old = read_existing(target)?;
    let (new, out) = modify(old.as_deref())?;
    if let Some(new) = new
        && old.as_deref() != Some(new.as_str())
    {
        write_atomic(target, &new)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_creates_replaces_and_keeps_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("doc.json");
        update(&p, |old| {
            assert!(old.is_none());
            Ok((Some("one\n".to_string()), ()))
        })
        .unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "one\n");
        update(&p, |old| {
            assert_eq!(old, Some("one\n"));
            Ok((Some("two\n".to_string()), ()))
        })
        .unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "two\n");
        let r: Result<()> = update(&p, |_| Err(Error::usage("nope")));
        assert!(r.is_err());
        assert_eq!(fs::read_to_string(&p).unwrap(), "two\n");
        // Only the document and its lock sidecar remain: no temp files left behind.
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, [".doc.json.lock", "doc.json"]);
    }

    #[test]
    fn missing_directory_is_one_line() {
        let e = TargetLock::acquire(Path::new("/nonexistent-dir-vexgate/x.json")).unwrap_err();
        assert!(e.to_string().contains("does not exist"), "{e}");
    }
}
