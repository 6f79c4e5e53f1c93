//! Settings: flag > env (VEXGATE_*) > vexgate.toml > default.
