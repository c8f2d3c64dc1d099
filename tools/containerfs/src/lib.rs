//! Task containers as user space sees them: the hierarchies mounted with
//! `mount -t container`, their containers (directories) and control files,
//! the subsystems of `/proc/containers`, a task's containers from
//! `/proc/container_membership`, and declarative setups in TOML.
//!
//! Everything here goes through the kernel interface documented in
//! `Documentation/container.rst`; nothing is cached, so every answer is
//! what the kernel says at the time of the call.

pub mod container;
pub mod error;
pub mod explain;
pub mod hierarchy;
pub mod idlist;
pub mod membership;
pub mod proc;
pub mod setup;
pub mod subsys;
pub mod sys;
pub mod users;

pub use container::Container;
pub use error::{Error, Result};
pub use hierarchy::{Hierarchy, MountOptions};
