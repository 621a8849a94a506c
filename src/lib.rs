//! Workspace root package: it owns the workspace-level `examples/` and `tests/`.
