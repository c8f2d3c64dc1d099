// SPDX-License-Identifier: GPL-2.0

//! The abstraction layer: every `unsafe` block and every use of raw C
//! bindings in the module lives below this module, each with a `// SAFETY:`
//! comment. It exposes safe types and functions to the rest of the crate.

pub(crate) mod bindings;
pub(crate) mod dir;
pub(crate) mod fault;
pub(crate) mod file;
pub(crate) mod fs;
pub(crate) mod layout;
#[cfg(CONFIG_TASK_CONTAINERS_NET_FLOW)]
pub(crate) mod net;
pub(crate) mod notify;
pub(crate) mod opener;
#[cfg(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET))]
pub(crate) mod placement;
pub(crate) mod proc;
pub(crate) mod task;
pub(crate) mod tracepoint;
pub(crate) mod umh;
pub(crate) mod wait;
pub(crate) mod work;

/// Holds `T` in a `static` that C reads through a `const` pointer.
///
/// The C operation tables contain raw pointers (e.g. `owner`), which makes
/// them `!Sync` in Rust although C only ever reads them.
pub(crate) struct CTable<T>(pub(crate) T);

// SAFETY: The tables are never written after initialisation; C and Rust only
// read them, from any thread.
unsafe impl<T> Sync for CTable<T> {}

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
