// SPDX-License-Identifier: GPL-2.0

//! Control files: the declarative table of a container directory's files.
//!
//! Each file is a [`CfType`] (named after cgroup's `struct cftype`): a name,
//! a mode and typed read/write handlers. The core files are in
//! [`CORE_FILES`](crate::files::CORE_FILES); each subsystem lists its own in
//! [`Subsys::FILES`](crate::subsys::Subsys::FILES), which get the
//! `<subsys>.` prefix unless the hierarchy was mounted with `noprefix`.
//!
//! A handler receives the state of the file's owner in the container (a
//! subsystem's file: that subsystem's state, its css; a core file:
//! [`Core`], which has none) and the container itself. The file
//! operations find the container's css of the file's subsystem, and
//! [`ControlFile::read`] and [`ControlFile::write`] (which they call
//! through `dyn ControlFile`) turn it into the owner's type: no handler
//! looks its state up.

use crate::container::Container;
use crate::ffi::opener::Opener;
use crate::hierarchy::Hierarchy;
use crate::logic::error::LogicError;
use crate::subsys::{Css, SubsysId};
use core::fmt;
use kernel::alloc::KVVec;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// Where in a hierarchy a control file exists.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// In every container.
    All,
    /// Only in the hierarchy's root container.
    RootOnly,
}

/// The owner of the core files: the core keeps no per-container state
/// apart from the container, which every handler receives.
pub(crate) struct Core;

/// Produces the contents of a control file when it is read, from the
/// owner's state `S` in the container.
pub(crate) type ReadFn<S> = fn(&S, &Arc<Container>, &mut Buf) -> Result;
/// Applies one `write(2)` to a control file. Permission decisions use the
/// [`Opener`] (the credentials the file was opened with), never `current`.
pub(crate) type WriteFn<S> = fn(&S, &Arc<Container>, &Opener<'_>, &[u8]) -> Result;

/// What the core needs to know of a control file besides its handlers.
pub(crate) struct CfInfo {
    /// Name, without the subsystem prefix.
    pub(crate) name: &'static CStr,
    /// Permission bits (`0o644`, `0o444`).
    pub(crate) mode: u16,
    /// Which containers have it.
    pub(crate) placement: Placement,
    /// Longest accepted write, in bytes (longer writes get `E2BIG`).
    pub(crate) max_write: usize,
    /// Whether `poll(2)` reports changes of the container's `populated`
    /// state (`container.events`).
    pub(crate) poll: bool,
}

impl CfInfo {
    /// Whether the file exists in a root (`is_root`) or other container.
    pub(crate) fn present(&self, is_root: bool) -> bool {
        match self.placement {
            Placement::All => true,
            Placement::RootOnly => is_root,
        }
    }
}

/// One control file of an owner with per-container state `S`.
pub(crate) struct CfType<S: 'static> {
    /// Name, mode, placement, limits.
    pub(crate) info: CfInfo,
    /// Finds `S` in a container's state of the file's subsystem (`None`
    /// for a core file).
    state: for<'a> fn(Option<&'a Css>) -> Option<&'a S>,
    /// Read handler (every file can be read).
    read: ReadFn<S>,
    /// Write handler; `None` for read-only files.
    write: Option<WriteFn<S>>,
}

/// A subsystem's state `S` in its css.
fn css_state<S: 'static>(css: Option<&Css>) -> Option<&S> {
    css.and_then(|c| c.get::<S>())
}

/// The core's (empty) state.
fn core_state(_css: Option<&Css>) -> Option<&'static Core> {
    Some(&Core)
}

impl<S: 'static> CfType<S> {
    /// A file in every container.
    const fn new(
        name: &'static CStr,
        mode: u16,
        read: ReadFn<S>,
        write: Option<WriteFn<S>>,
        max_write: usize,
    ) -> Self {
        Self {
            info: CfInfo {
                name,
                mode,
                placement: Placement::All,
                max_write,
                poll: false,
            },
            state: css_state::<S>,
            read,
            write,
        }
    }

    /// A read-write file in every container, writes up to 64 bytes.
    pub(crate) const fn rw(name: &'static CStr, read: ReadFn<S>, write: WriteFn<S>) -> Self {
        Self::new(name, 0o644, read, Some(write), 64)
    }

    /// A read-only file in every container.
    pub(crate) const fn ro(name: &'static CStr, read: ReadFn<S>) -> Self {
        Self::new(name, 0o444, read, None, 0)
    }

    /// The same file accepting writes up to `max` bytes.
    pub(crate) const fn max(mut self, max: usize) -> Self {
        self.info.max_write = max;
        self
    }

    /// The same file, only in the containers `placement` says.
    pub(crate) const fn placed(mut self, placement: Placement) -> Self {
        self.info.placement = placement;
        self
    }
}

impl CfType<Core> {
    /// The same file as a core file (its handlers get [`Core`]). Every core
    /// file needs it: without it, reading or writing the file fails with
    /// `ENODEV` (there is no css to find its state in).
    pub(crate) const fn core(mut self) -> Self {
        self.state = core_state;
        self
    }

    /// The same file, with `poll(2)` reporting changes of the
    /// container's `populated` state.
    pub(crate) const fn polled(mut self) -> Self {
        self.info.poll = true;
        self
    }
}

/// A control file, whatever its owner's state: what the file operations
/// hold and call.
pub(crate) trait ControlFile: Sync {
    /// Name, mode, placement, limits.
    fn info(&self) -> &CfInfo;

    /// Whether the file has a write handler.
    fn writable(&self) -> bool;

    /// Reads the file of container `c`, whose state of the file's
    /// subsystem is `css` (`None` for a core file); `ENODEV` if `css` is
    /// not the owner's.
    fn read(&self, c: &Arc<Container>, css: Option<&Css>, out: &mut Buf) -> Result;

    /// Writes the file (see [`ControlFile::read`]); `EINVAL` for a
    /// read-only file.
    fn write(
        &self,
        c: &Arc<Container>,
        css: Option<&Css>,
        opener: &Opener<'_>,
        data: &[u8],
    ) -> Result;
}

impl<S: Sync + 'static> ControlFile for CfType<S> {
    fn info(&self) -> &CfInfo {
        &self.info
    }

    fn writable(&self) -> bool {
        self.write.is_some()
    }

    fn read(&self, c: &Arc<Container>, css: Option<&Css>, out: &mut Buf) -> Result {
        (self.read)((self.state)(css).ok_or(ENODEV)?, c, out)
    }

    fn write(
        &self,
        c: &Arc<Container>,
        css: Option<&Css>,
        opener: &Opener<'_>,
        data: &[u8],
    ) -> Result {
        let write = self.write.ok_or(EINVAL)?;
        write((self.state)(css).ok_or(ENODEV)?, c, opener, data)
    }
}

/// The output buffer of a read handler (vmalloc-backed when large, so a
/// `tasks` file with 100k pids works).
pub(crate) struct Buf(pub(crate) KVVec<u8>);

impl Buf {
    /// An empty buffer.
    pub(crate) fn new() -> Self {
        Self(KVVec::new())
    }

    /// Appends raw bytes.
    pub(crate) fn push(&mut self, bytes: &[u8]) -> Result {
        self.0.extend_from_slice(bytes, GFP_KERNEL)?;
        Ok(())
    }

    /// Appends formatted text; allocation failure becomes `ENOMEM`.
    pub(crate) fn fmt(&mut self, args: fmt::Arguments<'_>) -> Result {
        fmt::Write::write_fmt(self, args).map_err(|_| ENOMEM)
    }
}

impl fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| fmt::Error)
    }
}

/// Maps a logic-layer error to its errno (the table is in `Documentation/`).
pub(crate) fn errno(e: LogicError) -> Error {
    match e {
        LogicError::Invalid => EINVAL,
        LogicError::Range => ERANGE,
        LogicError::Access => EACCES,
        LogicError::Busy => EBUSY,
        LogicError::NoSpace => ENOSPC,
        LogicError::Exist => EEXIST,
        LogicError::TooBig => E2BIG,
    }
}

/// Longest control file name with its prefix (`net_flow.classid`, ...).
pub(crate) const NAME_LEN: usize = 48;

/// A control file name built on the stack: `<subsys>.<name>` or `<name>`.
pub(crate) struct FileName {
    /// The name and its NUL terminator.
    buf: [u8; NAME_LEN],
    /// Length without the NUL.
    len: usize,
}

impl FileName {
    /// Builds the name of `cft`, prefixed by `subsys` unless `None`.
    pub(crate) fn new(subsys: Option<SubsysId>, cft: &CfInfo) -> Result<Self> {
        let mut buf = [0u8; NAME_LEN];
        let mut len = 0;
        let prefix = subsys.map(SubsysId::name).unwrap_or("");
        for part in [
            prefix.as_bytes(),
            if subsys.is_some() { b"." } else { b"" },
            cft.name.as_bytes(),
        ] {
            let dst = buf.get_mut(len..len + part.len()).ok_or(EINVAL)?;
            dst.copy_from_slice(part);
            len += part.len();
        }
        if len >= NAME_LEN {
            return Err(EINVAL);
        }
        Ok(Self { buf, len })
    }

    /// The name without the NUL.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The name as a C string.
    pub(crate) fn as_cstr(&self) -> Result<&CStr> {
        let with_nul = self.buf.get(..=self.len).ok_or(EINVAL)?;
        CStr::from_bytes_with_nul(with_nul).map_err(|_| EINVAL)
    }
}

/// Calls `f` with the name, owner (`None`: the core) and type of every
/// control file of a container of `h` (the root one when `is_root`), core
/// files first.
pub(crate) fn for_each_file(
    h: &Hierarchy,
    is_root: bool,
    mut f: impl FnMut(&FileName, Option<SubsysId>, &'static dyn ControlFile) -> Result,
) -> Result {
    for cft in crate::files::CORE_FILES.iter() {
        if cft.info.present(is_root) {
            f(&FileName::new(None, &cft.info)?, None, cft)?;
        }
    }
    for id in h.subsystems() {
        let prefix = if h.noprefix() { None } else { Some(id) };
        let ops = id.ops();
        let mut i = 0;
        while let Some(cft) = ops.file(i) {
            i += 1;
            if cft.info().present(is_root) {
                f(&FileName::new(prefix, cft.info())?, Some(id), cft)?;
            }
        }
    }
    Ok(())
}
