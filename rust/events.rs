// SPDX-License-Identifier: GPL-2.0

//! Which containers have an event to deliver: a `populated` change, seen by
//! `poll` and inotify on `container.events` and by the release agent.
//!
//! A change of a container's `populated` marks it and the ancestors whose
//! `populated` it changes too (a path up the tree, see
//! [`crate::container`]), in atomic context under the membership lock. The
//! container at the bottom of the path is queued here by id ([`Pending`]),
//! so that the events work visits the marked containers, walking up from
//! each queued one while they are marked, instead of every container of
//! every hierarchy. The queue is a fixed array (queuing never allocates);
//! when more changes come between two runs than it holds, the run visits
//! every container, as it would without the queue.
//!
//! Released containers wait for their release agent in a FIFO of ids
//! ([`ReleaseQueue`], registry mutex), since at most
//! [`crate::ffi::umh::MAX_RUNNING`] agents run at once.

use kernel::prelude::*;

/// Changes the queue holds between two runs of the events work.
pub(crate) const PENDING_MAX: usize = 64;

/// Ids of containers at the bottom of a marked path (membership-side
/// spinlock).
pub(crate) struct Pending {
    /// The ids; the first `len` are valid.
    ids: [u64; PENDING_MAX],
    /// How many ids are queued.
    len: usize,
    /// More changes came than the array holds: visit every container.
    overflow: bool,
}

/// What the events work takes from [`Pending`] in one go.
pub(crate) struct Due {
    /// Visit every container (the queue overflowed).
    pub(crate) all: bool,
    /// Otherwise: the first `len` of these containers, and the marked
    /// ancestors above each.
    pub(crate) ids: [u64; PENDING_MAX],
    /// See `ids`.
    pub(crate) len: usize,
}

impl Pending {
    /// An empty queue.
    pub(crate) const fn new() -> Self {
        Self {
            ids: [0; PENDING_MAX],
            len: 0,
            overflow: false,
        }
    }

    /// Queues container `id` (atomic context; never allocates).
    pub(crate) fn push(&mut self, id: u64) {
        match self.ids.get_mut(self.len) {
            Some(slot) => {
                *slot = id;
                self.len += 1;
            }
            None => self.overflow = true,
        }
    }

    /// Takes everything queued.
    pub(crate) fn take(&mut self) -> Due {
        let due = Due {
            all: self.overflow,
            ids: self.ids,
            len: self.len,
        };
        self.len = 0;
        self.overflow = false;
        due
    }
}

/// Released containers waiting for a place to run their release agent, by
/// id, oldest first (registry mutex). Each container is in it at most once
/// (its `release_due` flag).
pub(crate) struct ReleaseQueue {
    /// The ids; those before `head` were taken.
    ids: KVVec<u64>,
    /// The oldest id not taken yet.
    head: usize,
}

impl ReleaseQueue {
    /// An empty queue.
    pub(crate) fn new() -> Self {
        Self {
            ids: KVVec::new(),
            head: 0,
        }
    }

    /// Appends container `id`.
    pub(crate) fn push(&mut self, id: u64) -> Result {
        self.ids.push(id, GFP_KERNEL)?;
        Ok(())
    }

    /// Takes the oldest id, if any.
    pub(crate) fn pop(&mut self) -> Option<u64> {
        let id = self.ids.get(self.head).copied();
        match id {
            Some(_) => self.head += 1,
            None => {
                // Everything was taken: start over.
                self.ids = KVVec::new();
                self.head = 0;
            }
        }
        id
    }
}
