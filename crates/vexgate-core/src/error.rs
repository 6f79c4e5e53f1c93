//! Errors and their exit codes. Every input problem is one line naming the file.

use std::fmt;
use std::path::{Path, PathBuf};

/// Exit code for a passing gate.
pub const EXIT_PASS: i32 = 0;
/// Exit code when something blocks (or `--strict` lints fire).
pub const EXIT_BLOCKED: i32 = 1;
/// Exit code for bad input or usage errors.
pub const EXIT_INPUT: i32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A problem with one input file: `<path>: <message>`.
    #[error("{}: {message}", path.display())]
    Input { path: PathBuf, message: String },
    /// A usage problem not tied to a file (bad flag value, conflicting options).
    #[error("{0}")]
    Usage(String),
    /// An external tool failed (Trivy missing, Trivy exited non-zero).
    #[error("{0}")]
    Tool(String),
}

impl Error {
    pub fn input(path: &Path, message: impl fmt::Display) -> Self {
        Error::Input {
            path: path.to_path_buf(),
            message: message.to_string(),
        }
    }

    pub fn io(path: &Path, err: std::io::Error) -> Self {
        let msg = match err.kind() {
            std::io::ErrorKind::NotFound => "no such file".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            _ => err.to_string(),
        };
        Error::input(path, msg)
    }

    /// A JSON error with its line and column.
    pub fn json(path: &Path, err: &serde_json::Error) -> Self {
        let what = match err.classify() {
            serde_json::error::Category::Eof => "truncated JSON",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "unexpected JSON shape",
            serde_json::error::Category::Io => "read error",
        };
        // serde_json's Display already ends with "at line L column C".
        Error::Input {
            path: path.to_path_buf(),
            message: format!("{what}: {err}"),
        }
    }

    pub fn usage(message: impl fmt::Display) -> Self {
        Error::Usage(message.to_string())
    }

    pub fn exit_code(&self) -> i32 {
        EXIT_INPUT
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
