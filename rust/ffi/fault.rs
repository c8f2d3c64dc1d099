// SPDX-License-Identifier: GPL-2.0

//! Fault injection: the kernel's standard fault attributes
//! (`Documentation/fault-injection/`) for the module's own failure paths
//! that ordinary allocation failures rarely reach.
//!
//! `/sys/kernel/debug/fail_container_fork` fails the fork hook's
//! bookkeeping allocation (the pool and the `GFP_ATOMIC` fallback), to test
//! that such a child is killed before it runs. Without
//! `CONFIG_FAULT_INJECTION` nothing is created and nothing fails.
//!
//! C header: [`include/linux/fault-inject.h`](srctree/include/linux/fault-inject.h)

use super::bindings;

/// Whether the fork hook should act as if it had no memory (atomic
/// context).
pub(crate) fn fork_should_fail() -> bool {
    // SAFETY: `should_fail()` on a static attribute; callable in atomic
    // context.
    unsafe { bindings::container_helper_should_fail_fork() }
}

/// The debugfs attribute, present for the life of the value.
pub(crate) struct FaultAttrs;

impl FaultAttrs {
    /// Creates `/sys/kernel/debug/fail_container_fork` (best effort: the
    /// module works without it).
    pub(crate) fn new() -> Self {
        // SAFETY: Called once, at load; `Drop` removes it.
        unsafe { bindings::container_helper_fault_init() };
        Self
    }
}

impl Drop for FaultAttrs {
    fn drop(&mut self) {
        // SAFETY: Created in `new`.
        unsafe { bindings::container_helper_fault_exit() };
    }
}
