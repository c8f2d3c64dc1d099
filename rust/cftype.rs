// SPDX-License-Identifier: GPL-2.0

//! Control files: the declarative table of a container directory's files.
//!
//! Each file is a [`CfType`] (named after cgroup's `struct cftype`): a name,
//! a mode and typed read/write handlers. The core files are in
//! [`CORE_FILES`]; each subsystem lists its own in
//! [`Subsys::FILES`](crate::subsys::Subsys::FILES), which get the
//! `<subsys>.` prefix unless the hierarchy was mounted with `noprefix`.

use crate::container::Container;
use crate::ffi::opener::Opener;
use crate::hierarchy::Hierarchy;
use crate::logic::error::LogicError;
use crate::subsys::SubsysId;
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

/// Produces the contents of a control file when it is read.
pub(crate) type ReadFn = fn(&Arc<Container>, &mut Buf) -> Result;
/// Applies one `write(2)` to a control file. Permission decisions use the
/// [`Opener`] (the credentials the file was opened with), never `current`.
pub(crate) type WriteFn = fn(&Arc<Container>, &Opener<'_>, &[u8]) -> Result;

/// One control file.
pub(crate) struct CfType {
    /// Name, without the subsystem prefix.
    pub(crate) name: &'static CStr,
    /// Permission bits (`0o644`, `0o444`).
    pub(crate) mode: u16,
    /// Which containers have it.
    pub(crate) placement: Placement,
    /// Read handler; `None` for write-only files.
    pub(crate) read: Option<ReadFn>,
    /// Write handler; `None` for read-only files.
    pub(crate) write: Option<WriteFn>,
    /// Longest accepted write, in bytes (longer writes get `E2BIG`).
    pub(crate) max_write: usize,
    /// Whether `poll(2)` reports changes of the container's `populated`
    /// state (`container.events`).
    pub(crate) poll: bool,
}

impl CfType {
    /// A read-write file in every container, writes up to 64 bytes.
    pub(crate) const fn rw(name: &'static CStr, read: ReadFn, write: WriteFn) -> Self {
        Self {
            name,
            mode: 0o644,
            placement: Placement::All,
            read: Some(read),
            write: Some(write),
            max_write: 64,
            poll: false,
        }
    }

    /// A read-only file in every container.
    #[cfg_attr(
        not(any(
            CONFIG_TASK_CONTAINERS_CPUSET,
            CONFIG_TASK_CONTAINERS_MEMSET,
            CONFIG_TASK_CONTAINERS_DEBUG,
            CONFIG_TASK_CONTAINERS_SAMPLE
        )),
        expect(dead_code, reason = "no read-only subsystem file is built")
    )]
    pub(crate) const fn ro(name: &'static CStr, read: ReadFn) -> Self {
        Self {
            name,
            mode: 0o444,
            placement: Placement::All,
            read: Some(read),
            write: None,
            max_write: 0,
            poll: false,
        }
    }

    /// The same file accepting writes up to `max` bytes.
    #[cfg_attr(
        not(any(
            CONFIG_TASK_CONTAINERS_CPUSET,
            CONFIG_TASK_CONTAINERS_MEMSET,
            CONFIG_TASK_CONTAINERS_NET_FLOW
        )),
        expect(dead_code, reason = "used by cpuset, memset and net_flow")
    )]
    pub(crate) const fn max(mut self, max: usize) -> Self {
        self.max_write = max;
        self
    }

    /// The same file, only in the containers `placement` says.
    #[cfg_attr(
        not(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET)),
        expect(dead_code, reason = "used by cpuset and memset")
    )]
    pub(crate) const fn placed(mut self, placement: Placement) -> Self {
        self.placement = placement;
        self
    }

    /// Whether the file exists in a root (`is_root`) or other container.
    pub(crate) fn present(&self, is_root: bool) -> bool {
        match self.placement {
            Placement::All => true,
            Placement::RootOnly => is_root,
        }
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
    pub(crate) fn new(subsys: Option<SubsysId>, cft: &CfType) -> Result<Self> {
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

/// Calls `f` with the name and type of every control file of a container
/// of `h` (the root one when `is_root`), core files first.
pub(crate) fn for_each_file(
    h: &Hierarchy,
    is_root: bool,
    mut f: impl FnMut(&FileName, &'static CfType) -> Result,
) -> Result {
    for cft in crate::container::CORE_FILES.iter() {
        if cft.present(is_root) {
            f(&FileName::new(None, cft)?, cft)?;
        }
    }
    for id in h.subsystems() {
        let prefix = if h.noprefix() { None } else { Some(id) };
        for cft in id.ops().files().iter() {
            if cft.present(is_root) {
                f(&FileName::new(prefix, cft)?, cft)?;
            }
        }
    }
    Ok(())
}
