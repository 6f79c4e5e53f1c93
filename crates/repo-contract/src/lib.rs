//! Contract tests over the repository files live in tests/.
