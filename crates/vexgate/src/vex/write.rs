//! Locked, atomic read-modify-write of a file (the VEX document `vex add` edits).
//!
//! Writers serialise on an exclusive lock of a sidecar file (`.<name>.lock` next to the
//! target, `std::fs::File::lock`), held across read, modify and write, so two concurrent
//! `vex add` runs never lose each other's statement. The new content goes to a temp file
//! in the same directory, is flushed to disk, and is renamed over the target: a reader (or
//! a crash at any point) sees either the old file or the new one, never a torn write.
//!
//! The sidecar is left in place on purpose: deleting a lock file races with a process that
//! has opened it but not yet locked it.

use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Test hook: when set to a number of milliseconds, the writer sleeps that long after the
/// temp file is complete and before the rename (lets a test kill a writer mid-write).
pub const PAUSE_ENV: &str = "VEXGATE_TEST_PAUSE_BEFORE_RENAME_MS";

/// The sidecar lock file for `target`: `.<file name>.lock` in the same directory.
pub fn lock_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vex".to_string());
    parent_dir(target).join(format!(".{name}.lock"))
}

fn parent_dir(target: &Path) -> PathBuf {
    match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
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

fn write_error(target: &Path, what: &Path, e: std::io::Error) -> Error {
    let why = match e.kind() {
        ErrorKind::PermissionDenied => "permission denied".to_string(),
        ErrorKind::ReadOnlyFilesystem => "read-only file system".to_string(),
        _ => e.to_string(),
    };
    if what == target {
        Error::input(target, format!("cannot write: {why}"))
    } else {
        Error::input(target, format!("cannot write: {} ({why})", what.display()))
    }
}

/// Read `target` (`None` when it does not exist). Other read errors are input errors.
pub fn read_existing(target: &Path) -> Result<Option<String>> {
    match fs::read(target) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Ok(Some(s)),
            Err(_) => Err(Error::input(target, "is not UTF-8 text")),
        },
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) if e.kind() == ErrorKind::IsADirectory => {
            Err(Error::input(target, "is a directory"))
        }
        Err(e) => Err(Error::io(target, e)),
    }
}

/// Atomically replace `target` with `content`: temp file in the same directory, fsync,
/// rename, fsync of the directory. An existing file's permissions are kept. The caller
/// should hold the [`TargetLock`].
pub fn write_atomic(target: &Path, content: &str) -> Result<()> {
    let dir = parent_dir(target);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(
            ".{}.",
            target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| write_error(target, &dir, e))?;
    let tmp_path = tmp.path().to_path_buf();
    tmp.write_all(content.as_bytes())
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| write_error(target, &tmp_path, e))?;
    if let Ok(meta) = fs::metadata(target) {
        let _ = fs::set_permissions(&tmp_path, meta.permissions());
    } else {
        // tempfile creates 0600; a new document should get the usual 0644-under-umask.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(&tmp_path, fs::Permissions::from_mode(0o644));
        }
    }
    if let Some(ms) = std::env::var(PAUSE_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        eprintln!("vexgate: test hook: temp file written, pausing {ms} ms before rename");
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    tmp.persist(target)
        .map_err(|e| write_error(target, target, e.error))?;
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Read-modify-write under the lock: `modify` gets the current content (`None` if the file
/// does not exist) and returns the new content, or `None` to leave the file as it is.
pub fn update<T>(
    target: &Path,
    modify: impl FnOnce(Option<&str>) -> Result<(Option<String>, T)>,
) -> Result<T> {
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
