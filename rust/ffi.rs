// SPDX-License-Identifier: GPL-2.0

//! The abstraction layer's lower half: safe types and functions over the
//! kernel's C API that 6.12's kernel crate lacks. It names nothing of the domain
//! (callbacks reach it through traits the domain implements). Apart from
//! the C entry points of [`crate::vfs`], every `unsafe` block and every
//! use of raw C bindings in the module lives below this module, each with
//! a `// SAFETY:` comment.

pub(crate) mod bindings;
pub(crate) mod fault;
pub(crate) mod layout;
#[cfg(CONFIG_TASK_CONTAINERS_NET_FLOW)]
pub(crate) mod net;
pub(crate) mod notify;
pub(crate) mod opener;
#[cfg(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET))]
pub(crate) mod placement;
pub(crate) mod task;
pub(crate) mod tracepoint;
pub(crate) mod umh;
pub(crate) mod wait;
pub(crate) mod work;

/// `ENAMETOOLONG`, which 6.12's `kernel::error::code` lacks.
pub(crate) fn enametoolong() -> kernel::error::Error {
    kernel::error::Error::from_errno(-(kernel::bindings::ENAMETOOLONG as i32))
}

/// Holds a C operation table in a `static` that C reads through a `const`
/// pointer.
///
/// The C operation tables contain raw pointers (e.g. `owner`), which makes
/// them `!Sync` in Rust although C only ever reads them.
pub(crate) struct CTable<T: OpTable>(pub(crate) T);

/// A C operation table: function pointers, integers and raw pointers, with
/// no interior mutability.
///
/// # Safety
///
/// Implementors must be plain data that neither C nor Rust writes once it
/// is in a [`CTable`], so that sharing it between threads is sound.
pub(crate) unsafe trait OpTable {}

// SAFETY: Function pointers and `owner`; C only reads the table.
unsafe impl OpTable for bindings::file_operations {}
// SAFETY: Function pointers; C only reads the table.
unsafe impl OpTable for bindings::fs_context_operations {}
// SAFETY: Function pointers; C only reads the table.
unsafe impl OpTable for bindings::inode_operations {}
// SAFETY: Function pointers and flags; C only reads the table.
unsafe impl OpTable for bindings::proc_ops {}
// SAFETY: Function pointers; C only reads the table.
unsafe impl OpTable for bindings::super_operations {}

// SAFETY: `T` is an [`OpTable`]: plain data nobody writes after
// initialisation, read by C and Rust from any thread.
unsafe impl<T: OpTable> Sync for CTable<T> {}

/// Returns an all-zero C structure, the usual C initialiser for op tables.
///
/// # Safety
///
/// All-zero must be a valid value of `T` (true of C structs of pointers,
/// integers and `Option<fn>`).
pub(crate) const unsafe fn zeroed<T>() -> T {
    // SAFETY: Guaranteed by the caller.
    unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
}
