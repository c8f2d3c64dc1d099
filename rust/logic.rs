// SPDX-License-Identifier: GPL-2.0

//! Pure logic of the task containers module: parsing, formatting and validation rules.
//!
//! Nothing here touches kernel state. The code uses only `core`, never allocates, never panics on
//! user input and contains no `unsafe`, so the same files are built into the module and, through
//! `#[path]`, into the host test crate in `tests/host/`, where they run under `cargo test`. Errors
//! are a [`error::LogicError`], which the FFI layer maps to an errno.
//!
//! - [`cpulist`]: CPU and node lists (`0-3,8`) on plain bitmaps, and set helpers.
//! - [`cpuset_rules`]: the v1 cpuset rules a `cpus`/`mems` or exclusive-flag write must pass.
//! - [`options`]: `mount -o` option parsing and the `/proc/mounts` form.
//! - [`parse`]: numbers, PIDs, class ids and container names written by user space.
//! - [`error`]: the error type.

pub(crate) mod cpulist;
pub(crate) mod cpuset_rules;
pub(crate) mod error;
pub(crate) mod options;
pub(crate) mod parse;
