// SPDX-License-Identifier: GPL-2.0

//! What 6.12's `kernel::workqueue` lacks: waiting for a work item.
//!
//! C header: [`include/linux/workqueue.h`](srctree/include/linux/workqueue.h)

use super::bindings;
use kernel::workqueue::Work;

/// Waits until `work` is neither queued nor running (`flush_work()`).
pub(crate) fn flush<T: ?Sized, const ID: u64>(work: &Work<T, ID>) {
    // SAFETY: `work` is a valid, initialised `Work`; `raw_get` only computes
    // the address of its `work_struct`, which `flush_work` may wait on.
    unsafe { bindings::flush_work(Work::raw_get(work)) };
}
