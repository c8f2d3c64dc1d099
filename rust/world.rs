// SPDX-License-Identifier: GPL-2.0

//! The module's state: the registry of hierarchies and containers.
//!
//! There is one [`World`], created at module load and reachable from every
//! VFS object (superblock → hierarchy → world), so there are no globals.

use crate::container::{Container, Node};
use crate::hierarchy::Hierarchy;
use crate::subsys::NR_SUBSYS;
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::{Arc, Mutex};

/// Most hierarchies mounted at once (ids 1 to this).
pub(crate) const MAX_HIERARCHIES: usize = 16;

/// The module's state.
///
/// # Locking
///
/// `registry` is the master lock (cgroup's `cgroup_mutex`): every change to
/// a hierarchy or container tree and every attach happens under it. It is a
/// sleeping lock; subsystem `create`/`attach` hooks run under it.
#[pin_data]
pub(crate) struct World {
    /// Hierarchies, containers and subsystem bindings.
    #[pin]
    pub(crate) registry: Mutex<Registry>,
}

impl World {
    /// Creates the (empty) state.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                registry <- new_mutex!(Registry::new(), "container::registry"),
            }),
            GFP_KERNEL,
        )
    }
}

/// A mounted (or pinned) hierarchy's mutable state.
pub(crate) struct HierarchyEntry {
    /// The hierarchy.
    pub(crate) h: Arc<Hierarchy>,
    /// Its root container.
    pub(crate) root: Arc<Container>,
    /// `release_agent` path (empty: none).
    pub(crate) release_agent: KVec<u8>,
    /// Containers in the hierarchy, root included.
    pub(crate) nr_containers: u32,
}

/// Everything protected by the registry mutex.
pub(crate) struct Registry {
    /// Hierarchies by id - 1.
    pub(crate) hierarchies: [Option<HierarchyEntry>; MAX_HIERARCHIES],
    /// Mutable state of every container, by container id.
    pub(crate) nodes: RBTree<u64, Node>,
    /// Next container id (never reused).
    pub(crate) next_id: u64,
}

impl Registry {
    /// An empty registry.
    fn new() -> Self {
        Self {
            hierarchies: [const { None }; MAX_HIERARCHIES],
            nodes: RBTree::new(),
            next_id: 1,
        }
    }

    /// The hierarchy that subsystem bit `bit` is bound to, if any.
    pub(crate) fn bound_to(&self, mask: u32) -> Option<&HierarchyEntry> {
        self.hierarchies
            .iter()
            .flatten()
            .find(|e| e.h.subsys_mask() & mask != 0)
    }

    /// The entry of hierarchy `h`, if it is registered.
    pub(crate) fn entry(&self, h: &Hierarchy) -> Option<&HierarchyEntry> {
        self.hierarchies
            .get(h.slot())
            .and_then(Option::as_ref)
            .filter(|e| core::ptr::eq(&*e.h, h))
    }

    /// Mutable entry of hierarchy `h`.
    pub(crate) fn entry_mut(&mut self, h: &Hierarchy) -> Option<&mut HierarchyEntry> {
        self.hierarchies
            .get_mut(h.slot())
            .and_then(Option::as_mut)
            .filter(|e| core::ptr::eq(&*e.h, h))
    }

    /// Number of subsystem slots (for `/proc/containers`).
    pub(crate) const fn nr_subsys() -> usize {
        NR_SUBSYS
    }
}
