// SPDX-License-Identifier: GPL-2.0

//! Hierarchies: one per distinct set of mount options.
//!
//! Mounting resolves the options ([`MountRequest`]) and either finds the
//! hierarchy with exactly those options (so the new mount shows the same
//! tree) or creates one, binding its subsystems. A subsystem bound to
//! another hierarchy makes the mount fail with `EBUSY`.
//!
//! # Lifetime
//!
//! A hierarchy lives as long as its superblock. Each non-root container pins
//! the superblock, so a hierarchy with children outlives its last umount and
//! a later mount with the same options gets it back; it is destroyed when it
//! is unmounted and childless (`kill_sb`).

use crate::cftype::errno;
use crate::container::Container;
use crate::ffi::task;
use crate::logic::options::{Accepted, MountOptions, Resolved};
use crate::subsys::{self, SubsysId, ALL_MASK};
use crate::world::{HierarchyEntry, Registry, World, MAX_HIERARCHIES};
use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A hierarchy: a mounted tree of containers with subsystems bound to it.
///
/// All fields are immutable after creation; the mutable state is in the
/// registry ([`HierarchyEntry`]).
pub(crate) struct Hierarchy {
    /// The module state.
    world: Arc<World>,
    /// Id, 1 to [`MAX_HIERARCHIES`], shown in `/proc/containers`.
    id: u32,
    /// The options it was created with.
    opts: Resolved,
    /// Set once a superblock was filled for it.
    has_sb: AtomicBool,
}

impl Hierarchy {
    /// The module state.
    pub(crate) fn world(&self) -> &Arc<World> {
        &self.world
    }

    /// The hierarchy id (1 to [`MAX_HIERARCHIES`]).
    pub(crate) fn id(&self) -> u32 {
        self.id
    }

    /// Index into per-hierarchy arrays.
    pub(crate) fn slot(&self) -> usize {
        self.id as usize - 1
    }

    /// Whether a superblock was ever set up for the hierarchy.
    pub(crate) fn has_superblock(&self) -> bool {
        self.has_sb.load(Ordering::Acquire)
    }

    /// Records that the hierarchy's superblock is set up.
    pub(crate) fn set_has_superblock(&self) {
        self.has_sb.store(true, Ordering::Release);
    }

    /// Bits of the bound subsystems.
    pub(crate) fn subsys_mask(&self) -> u32 {
        self.opts.subsys_mask
    }

    /// The `clone_children` mount option.
    pub(crate) fn clone_children(&self) -> bool {
        self.opts.clone_children
    }

    /// Whether control files have no subsystem prefix.
    pub(crate) fn noprefix(&self) -> bool {
        self.opts.noprefix
    }

    /// The bound subsystems, in registry order.
    pub(crate) fn subsystems(&self) -> impl Iterator<Item = SubsysId> {
        let mask = self.opts.subsys_mask;
        SubsysId::ALL
            .iter()
            .copied()
            .filter(move |id| mask & id.bit() != 0)
    }

    /// Writes the subsystem list as `/proc/container_membership` shows it
    /// (`cpuset,memset`, plus `name=NAME` for a named hierarchy).
    pub(crate) fn show_subsys(&self, w: &mut impl fmt::Write) -> fmt::Result {
        let mut sep = "";
        for id in self.subsystems() {
            w.write_str(sep)?;
            w.write_str(id.name())?;
            sep = ",";
        }
        if let Some(n) = self.opts.name.as_ref() {
            write!(w, "{sep}name={}", n.as_str())?;
        }
        Ok(())
    }

    /// Writes the mount options as `/proc/mounts` shows them.
    pub(crate) fn show_options(&self, reg: &Registry, w: &mut impl fmt::Write) -> fmt::Result {
        let agent = reg
            .entry(self)
            .map_or(&[][..], |e| e.release_agent.as_slice());
        crate::logic::options::format_mount_options(&self.opts, agent, &subsys::name_of, w)
    }
}

/// The options of one mount attempt, filled in option by option.
pub(crate) struct MountRequest {
    /// Options seen so far.
    opts: MountOptions,
    /// The `release_agent=` path, if given.
    release_agent: Option<KVec<u8>>,
}

impl MountRequest {
    /// An empty request.
    pub(crate) fn new() -> Self {
        Self {
            opts: MountOptions::new(),
            release_agent: None,
        }
    }

    /// Takes one mount option. Errors are `EINVAL` (as cgroup v1), including
    /// `release_agent=` without `CAP_SYS_ADMIN` in the initial namespace.
    pub(crate) fn parse_param(&mut self, key: &[u8], value: Option<&[u8]>) -> Result {
        match self.opts.parse_param(key, value, &subsys::lookup) {
            Ok(Accepted::Recorded) => Ok(()),
            Ok(Accepted::ReleaseAgent(path)) => {
                if !task::current_is_global_admin() {
                    return Err(EINVAL);
                }
                let mut copy = KVec::new();
                copy.extend_from_slice(path, GFP_KERNEL)?;
                self.release_agent = Some(copy);
                Ok(())
            }
            Err(e) => Err(errno(e)),
        }
    }
}

impl World {
    /// Finds or creates the hierarchy for `req` (`mount(2)`).
    pub(crate) fn find_or_create_hierarchy(
        self: &Arc<Self>,
        req: &mut MountRequest,
    ) -> Result<Arc<Hierarchy>> {
        let opts = req.opts.finish(ALL_MASK).map_err(errno)?;
        let mut reg = self.registry.lock();
        if let Some(e) = reg
            .hierarchies
            .iter()
            .flatten()
            .find(|e| crate::logic::options::same_hierarchy(&e.h.opts, &opts))
        {
            // As cgroup v1, a different release_agent= on a re-mount is
            // ignored: the hierarchy keeps its own.
            return Ok(e.h.clone());
        }
        if reg.bound_to(opts.subsys_mask).is_some() {
            return Err(EBUSY);
        }
        if opts.name.is_some()
            && reg
                .hierarchies
                .iter()
                .flatten()
                .any(|e| e.h.opts.name == opts.name)
        {
            return Err(EBUSY);
        }
        let slot = reg
            .hierarchies
            .iter()
            .position(Option::is_none)
            .ok_or(EBUSY)?;
        let h = Arc::new(
            Hierarchy {
                world: self.clone(),
                id: slot as u32 + 1,
                opts,
                has_sb: AtomicBool::new(false),
            },
            GFP_KERNEL,
        )?;
        let root = Container::new_root(&mut reg, &h)?;
        self.set_bound(h.subsys_mask(), Some(slot));
        let release_agent = req.release_agent.take().unwrap_or_default();
        if let Some(s) = reg.hierarchies.get_mut(slot) {
            *s = Some(HierarchyEntry {
                h: h.clone(),
                root,
                release_agent,
                nr_containers: 1,
            });
        }
        Ok(h)
    }

    /// Destroys hierarchy `h` (its superblock is going away). Its root is
    /// the only container left, since every other one pins the superblock.
    pub(crate) fn destroy_hierarchy(&self, h: &Hierarchy) {
        let mut reg = self.registry.lock();
        let entry = reg.hierarchies.get_mut(h.slot()).and_then(Option::take);
        if let Some(e) = entry {
            self.set_bound(h.subsys_mask(), None);
            Container::destroy_root(&mut reg, &e.root);
            drop(reg);
            drop(e);
        }
    }

    /// Unmount, before the inodes are evicted: forgets the root's
    /// `container.events` inode. The events work notifies it with a
    /// reference of its own under the registry mutex; once this has taken
    /// that mutex no notification is running or can start, so none can
    /// keep the inode busy while the superblock goes away. (Every other
    /// container is gone: the superblock lives while it has children.)
    pub(crate) fn forget_root_events(&self, h: &Hierarchy) {
        let reg = self.registry.lock();
        if let Some(e) = reg.entry(h) {
            e.root.events_inode.forget();
        }
    }

    /// The root container of `h`.
    pub(crate) fn root_of(&self, h: &Hierarchy) -> Result<Arc<Container>> {
        let reg = self.registry.lock();
        reg.entry(h).map(|e| e.root.clone()).ok_or(ENODEV)
    }
}

/// Keeps `MAX_HIERARCHIES` within the id type.
const _: () = assert!(MAX_HIERARCHIES < u32::MAX as usize);
