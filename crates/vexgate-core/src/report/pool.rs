//! The bounded thread pool that reads and decodes reports: at most [`parse_threads`]
//! threads for the whole process, however many reports there are. A pool that cannot be
//! started (a process or memory limit) is an input-run error (exit 2), not a panic.

use std::sync::OnceLock;

use rayon::{ThreadPool, ThreadPoolBuildError, ThreadPoolBuilder};

use crate::error::{Error, Result};

/// The threads report reading may use: the CPUs this process may run on, at most 8.
pub fn parse_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// The process's report pool, started on first use.
pub fn pool() -> Result<&'static ThreadPool> {
    static POOL: OnceLock<std::result::Result<ThreadPool, String>> = OnceLock::new();
    POOL.get_or_init(|| start(parse_threads(), ThreadPoolBuilder::build).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Error::usage)
}

/// Start a pool of `threads` threads (`build` finishes the builder).
fn start(
    threads: usize,
    build: impl FnOnce(ThreadPoolBuilder) -> std::result::Result<ThreadPool, ThreadPoolBuildError>,
) -> Result<ThreadPool> {
    build(
        ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("vexgate-read-{i}")),
    )
    .map_err(|e| {
        Error::usage(format!(
            "cannot start {threads} threads to read reports: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    /// A thread that cannot be spawned (as under a process limit) is an error, one line.
    #[test]
    fn spawn_failure_is_an_error() {
        let e = super::start(4, |b| {
            b.spawn_handler(|_| {
                Err(std::io::Error::new(
                    std::io::ErrorKind::WouldBlock,
                    "Resource temporarily unavailable",
                ))
            })
            .build()
        })
        .unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(
            msg.starts_with("cannot start 4 threads to read reports: "),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "{msg}");
    }
}
