// SPDX-License-Identifier: GPL-2.0

//! The top layer, the upper half of the abstraction layer: the entry
//! points C calls for the `container` pseudo-filesystem (mount,
//! directories, control files) and the `/proc` views. They turn the VFS's calls into calls of the domain (world,
//! hierarchies, containers, control-file handlers) and use the
//! abstraction layer ([`crate::ffi`]) and the raw bindings below them;
//! nothing below calls up into this layer. Every `unsafe` block here has a
//! `// SAFETY:` comment, as in [`crate::ffi`].

pub(crate) mod dir;
pub(crate) mod file;
pub(crate) mod fs;
pub(crate) mod proc;
