// SPDX-License-Identifier: GPL-2.0

//! inotify (fsnotify) events on a container's `container.events` file.
//!
//! A container keeps a pointer to its events file's inode, without a
//! reference (the inode's file node owns a reference on the container, so
//! a reference back would be a cycle). The pointer is set when the file is
//! created and cleared by `evict_inode`, before the inode is freed (and, for
//! the root, by unmount before the inodes are evicted); inodes
//! are freed after an RCU grace period, so a reader that loads the pointer
//! under RCU can `igrab()` the inode (which fails once eviction started)
//! and then notify with a reference of its own.
//!
//! C header: [`include/linux/fsnotify.h`](srctree/include/linux/fsnotify.h)

use super::bindings;
use core::sync::atomic::{AtomicPtr, Ordering};

/// Where a container's `container.events` inode is, if it exists.
pub(crate) struct EventsInode(AtomicPtr<bindings::inode>);

impl EventsInode {
    /// No file yet.
    pub(crate) const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Records `inode` as the events file.
    ///
    /// # Safety
    ///
    /// `inode` is the container's `container.events` inode, whose
    /// `evict_inode` calls [`EventsInode::clear`].
    pub(crate) unsafe fn set(&self, inode: *mut bindings::inode) {
        self.0.store(inode, Ordering::Release);
    }

    /// Forgets the inode, whichever it is (the superblock is going away).
    pub(crate) fn forget(&self) {
        self.0.store(core::ptr::null_mut(), Ordering::Release);
    }

    /// Forgets `inode` if it is the one recorded (its eviction).
    pub(crate) fn clear(&self, inode: *mut bindings::inode) {
        let _ = self.0.compare_exchange(
            inode,
            core::ptr::null_mut(),
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }

    /// Tells inotify (and fanotify) watchers of the file that it changed
    /// (`IN_MODIFY`). Process context; may sleep.
    pub(crate) fn notify_modify(&self) {
        // The slot holds null or an inode whose memory is freed only after
        // an RCU grace period following `clear` (see the module docs).
        // SAFETY: The helper loads the slot under RCU and takes a reference
        // with `igrab()` before using the inode.
        unsafe { bindings::container_helper_notify_modify(self.0.as_ptr()) };
    }
}
