//! The bounded thread pool that reads and decodes reports: at most [`parse_threads`]
//! threads for the whole process, however many reports there are. A pool that cannot be
//! started (a process limit) is an error, not a panic.

use std::sync::OnceLock;

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::{Error, Result};

/// The threads report reading may use: the CPUs this process may run on, at most 8.
pub fn parse_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// The process's report pool, started on first use.
pub fn pool() -> Result<&'static ThreadPool> {
    static POOL: OnceLock<std::result::Result<ThreadPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        ThreadPoolBuilder::new()
            .num_threads(parse_threads())
            .thread_name(|i| format!("vexgate-read-{i}"))
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| {
        Error::usage(format!(
            "cannot start {} threads to read reports: {e}",
            parse_threads()
        ))
    })
}
