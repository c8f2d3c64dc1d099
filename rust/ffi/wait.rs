// SPDX-License-Identifier: GPL-2.0

//! A wait queue for `poll(2)` on `container.events` files.
//!
//! C header: [`include/linux/wait.h`](srctree/include/linux/wait.h)

use super::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

/// A `wait_queue_head` that pollers wait on and changes wake.
#[pin_data]
pub(crate) struct WaitQueue {
    /// The C wait queue.
    #[pin]
    wq: Opaque<bindings::wait_queue_head>,
}

// SAFETY: A `wait_queue_head` is used from any thread under its own lock.
unsafe impl Send for WaitQueue {}
// SAFETY: As above.
unsafe impl Sync for WaitQueue {}

impl WaitQueue {
    /// An initialiser for an empty wait queue.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `slot` is valid for writes.
            wq <- Opaque::ffi_init(|slot| unsafe { bindings::container_helper_init_waitqueue(slot) }),
        })
    }

    /// Wakes every waiter (`wake_up_all()`).
    pub(crate) fn wake_all(&self) {
        // SAFETY: `wq` was initialised by `new`.
        unsafe {
            bindings::__wake_up(
                self.wq.get(),
                bindings::TASK_NORMAL,
                0,
                core::ptr::null_mut(),
            )
        };
    }

    /// Registers a poller (`poll_wait()`).
    ///
    /// # Safety
    ///
    /// `file` and `pt` must be those of a running `poll` operation, and the
    /// wait queue must outlive the file.
    pub(crate) unsafe fn poll_wait(
        &self,
        file: *mut bindings::file,
        pt: *mut bindings::poll_table_struct,
    ) {
        // SAFETY: Per the function's safety requirements.
        unsafe { bindings::container_helper_poll_wait(file, self.wq.get(), pt) };
    }
}
