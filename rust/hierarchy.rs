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
//! A hierarchy lives while it has a superblock or a mount of it is in
//! progress (between finding it and the end of `get_tree`). Each non-root
//! container pins the superblock, so a hierarchy with children outlives its
//! last umount and a later mount with the same options gets it back. It is
//! destroyed by whichever of `kill_sb` and the end of a mount leaves it with
//! neither, exactly once: so a mount racing the final umount of the same
//! options keeps the hierarchy alive instead of failing, and a mount whose
//! `fill_super` fails destroys a hierarchy only if nothing else uses it.

use crate::cftype::errno;
use crate::container::Container;
use crate::ffi::task;
use crate::logic::options::{Accepted, MountOptions, Resolved};
use crate::subsys::{self, SubsysId, ALL_MASK};
use crate::world::{HierarchyEntry, Registry, World, MAX_HIERARCHIES};
use core::fmt;
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
    /// Finds or creates the hierarchy for `req` (`mount(2)`). The mount
    /// counts as a user of the hierarchy until [`World::mount_done`].
    pub(crate) fn find_or_create_hierarchy(
        self: &Arc<Self>,
        req: &mut MountRequest,
    ) -> Result<Arc<Hierarchy>> {
        let opts = req.opts.finish(ALL_MASK).map_err(errno)?;
        self.start_hooks()?;
        let mut reg = self.registry.lock();
        if let Some(e) = reg
            .hierarchies
            .iter_mut()
            .flatten()
            .find(|e| crate::logic::options::same_hierarchy(&e.h.opts, &opts))
        {
            // As cgroup v1, a different release_agent= on a re-mount is
            // ignored: the hierarchy keeps its own.
            e.mounting += 1;
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
                mounting: 1,
                superblocks: 0,
            });
        }
        Ok(h)
    }

    /// A mount of `h` (counted by [`World::find_or_create_hierarchy`]) is
    /// over, whether it succeeded or not. Destroys `h` if that leaves it
    /// unused.
    pub(crate) fn mount_done(&self, h: &Hierarchy) {
        let mut reg = self.registry.lock();
        if let Some(e) = reg.entry_mut(h) {
            e.mounting = e.mounting.saturating_sub(1);
        }
        let dead = self.take_if_unused(&mut reg, h);
        // Dropped outside the lock: it may free containers.
        drop(reg);
        drop(dead);
    }

    /// `fill_super`: records a superblock for `h` and returns its root
    /// container. `ENODEV` if `h` was destroyed (which cannot happen while
    /// the mount filling the superblock is in progress); a superblock
    /// counted here is uncounted by [`World::superblock_gone`].
    pub(crate) fn superblock_filled(&self, h: &Hierarchy) -> Result<Arc<Container>> {
        let mut reg = self.registry.lock();
        let e = reg.entry_mut(h).ok_or(ENODEV)?;
        e.superblocks += 1;
        Ok(e.root.clone())
    }

    /// `kill_sb`: a superblock of `h` is gone (every superblock passed to
    /// `fill_super` gets here). Destroys `h` if that leaves it unused.
    pub(crate) fn superblock_gone(&self, h: &Hierarchy) {
        let mut reg = self.registry.lock();
        // No entry: `fill_super` did not count this superblock either, as
        // a destroyed hierarchy never comes back.
        if let Some(e) = reg.entry_mut(h) {
            e.superblocks = e.superblocks.saturating_sub(1);
        }
        let dead = self.take_if_unused(&mut reg, h);
        // Dropped outside the lock: it may free containers.
        drop(reg);
        drop(dead);
    }

    /// Destroys hierarchy `h` if it is still registered (identity, not just
    /// its slot) and has neither a superblock nor a mount in progress, and
    /// returns its entry for the caller to drop once the registry mutex is
    /// released. Its root is then the only container left, since every
    /// other one pins the superblock.
    fn take_if_unused(&self, reg: &mut Registry, h: &Hierarchy) -> Option<HierarchyEntry> {
        match reg.entry(h) {
            Some(e) if e.mounting == 0 && e.superblocks == 0 => {}
            _ => return None,
        }
        let e = reg.hierarchies.get_mut(h.slot()).and_then(Option::take)?;
        self.set_bound(h.subsys_mask(), None);
        Container::destroy_root(reg, &e.root);
        Some(e)
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
}

/// Keeps `MAX_HIERARCHIES` within the id type.
const _: () = assert!(MAX_HIERARCHIES < u32::MAX as usize);
