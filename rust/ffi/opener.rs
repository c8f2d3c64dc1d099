// SPDX-License-Identifier: GPL-2.0

//! The opener of a control file: whose authority a write carries.
//!
//! A write to a control file is judged by the credentials the file was
//! opened with (`file->f_cred`), never by those of the task that happens
//! to write: an fd opened by an unprivileged user and handed to a
//! privileged program (as the stdout of a setuid binary, over
//! `SCM_RIGHTS`) must not let the user borrow that program's privileges.
//! This is what cgroup v1 does since 2022 (`__cgroup1_procs_write`,
//! `cgroup1_release_agent_write`; CVE-2021-4197, CVE-2022-0492). The
//! converse holds as well: an fd carries its opener's authority to
//! whoever it is handed to.

use super::bindings;
use super::task::{self, Task};
use core::marker::PhantomData;
use core::ptr::NonNull;

/// A capability checked in the initial user namespace.
#[derive(Clone, Copy)]
pub(crate) enum Cap {
    /// `CAP_SYS_ADMIN`.
    SysAdmin,
    /// `CAP_NET_ADMIN`.
    #[cfg_attr(
        not(CONFIG_TASK_CONTAINERS_NET_FLOW),
        expect(dead_code, reason = "used by net_flow")
    )]
    NetAdmin,
}

impl Cap {
    /// The `CAP_*` number.
    fn raw(self) -> kernel::ffi::c_int {
        match self {
            Cap::SysAdmin => bindings::CAP_SYS_ADMIN as _,
            Cap::NetAdmin => bindings::CAP_NET_ADMIN as _,
        }
    }
}

/// The opener of the control file a write goes to: the file and the
/// credentials it was opened with, for the duration of one file
/// operation.
pub(crate) struct Opener<'a> {
    /// The open file.
    file: NonNull<bindings::file>,
    /// The file is borrowed from the running file operation.
    _file: PhantomData<&'a bindings::file>,
}

impl Opener<'_> {
    /// The opener of `file`.
    ///
    /// # Safety
    ///
    /// `file` must be an open file that stays open for the returned
    /// value's lifetime (e.g. the `file` argument of a running file
    /// operation, used only within it).
    pub(crate) unsafe fn new(file: NonNull<bindings::file>) -> Self {
        Self {
            file,
            _file: PhantomData,
        }
    }

    /// Whether the opener may move `target` between containers, as cgroup
    /// v1 decides: the opener's effective uid is root, or the target's real
    /// or saved uid.
    pub(crate) fn may_move(&self, target: &Task) -> bool {
        // SAFETY: `self.file` is open (type invariant), so its `f_cred`
        // is pinned; the helper reads `target`'s credentials under RCU and
        // `target` is valid.
        unsafe { bindings::container_helper_may_move(self.file.as_ptr(), task::as_raw(target)) }
    }

    /// Whether the opener had `cap` in the initial user namespace
    /// (`file_ns_capable()`).
    pub(crate) fn capable(&self, cap: Cap) -> bool {
        // SAFETY: `self.file` is open (type invariant); `file_ns_capable`
        // only reads its `f_cred`.
        unsafe { bindings::container_helper_opener_capable(self.file.as_ptr(), cap.raw()) }
    }
}
