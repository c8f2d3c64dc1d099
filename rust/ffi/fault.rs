// SPDX-License-Identifier: GPL-2.0

//! Fault injection: the kernel's standard fault attributes
//! (`Documentation/fault-injection/`) for the module's own failure paths
//! that ordinary allocation failures rarely reach.
//!
//! `/sys/kernel/debug/fail_container_fork` fails the fork hook's
//! bookkeeping allocation (the pool and the `GFP_ATOMIC` fallback), to test
//! that such a child still gets its containers before it runs.
//! `/sys/kernel/debug/fail_container_hooks` fails registering the exit
//! probe (with `ENOMEM`) once the fork probe is registered, at the first
//! mount, to test that such a mount fails and leaves no probe behind.
//! Without `CONFIG_FAULT_INJECTION` nothing is created and nothing fails.
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

/// Whether registering the exit probe should fail (process context).
pub(crate) fn hooks_should_fail() -> bool {
    // SAFETY: `should_fail()` on a static attribute.
    unsafe { bindings::container_helper_should_fail_hooks() }
}

/// The debugfs attributes, present for the life of the value.
pub(crate) struct FaultAttrs;

impl FaultAttrs {
    /// Creates `/sys/kernel/debug/fail_container_fork` and
    /// `fail_container_hooks` (best effort: the module works without
    /// them).
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
