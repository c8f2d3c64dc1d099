// SPDX-License-Identifier: GPL-2.0

//! Containers: the directories of a hierarchy.
//!
//! # Life cycle
//!
//! `mkdir` → [`Container::create`] (every bound subsystem's `create`, undone
//! in reverse if one fails) → directory and files appear → `populate` hooks
//! → tasks come and go → `rmdir` → [`Container::remove`] (`EBUSY` while it has
//! tasks or children; `destroy` hooks) → freed when the last reference
//! (an open file, a task's membership) goes away.

use crate::cftype::errno;
use crate::ffi::notify::EventsInode;
use crate::ffi::wait::WaitQueue;
use crate::hierarchy::Hierarchy;
use crate::logic::parse::validate_container_name;
use crate::subsys::{Css, Siblings, NR_SUBSYS};
use crate::world::Registry;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::{Arc, UniqueArc};

/// A container. Fields are immutable after creation unless noted; the
/// mutable tree state is the container's [`Node`] in the registry.
pub(crate) struct Container {
    /// Unique id, key of the container's [`Node`].
    id: u64,
    /// The hierarchy it belongs to.
    hierarchy: Arc<Hierarchy>,
    /// The parent; `None` for a hierarchy's root.
    parent: Option<Arc<Container>>,
    /// Subsystem states, by subsystem index (bound subsystems only).
    css: [Option<Css>; NR_SUBSYS],
    /// Set (under the registry mutex) when removed by `rmdir`.
    removed: AtomicBool,
    /// Tasks directly in this container (membership spinlock).
    pub(crate) nr_tasks: AtomicU32,
    /// Children that are populated (membership spinlock).
    populated_children: AtomicU32,
    /// Set when `populated` changed and the events work has not seen it.
    pub(crate) event_pending: AtomicBool,
    /// Counts `populated` changes (what `poll` on `container.events`
    /// compares).
    pub(crate) event_gen: AtomicU32,
    /// Released (emptied with `notify_on_release` set) and waiting for a
    /// place to run its release agent (the events work).
    pub(crate) release_due: AtomicBool,
    /// What `poll` on this container's `container.events` waits on: woken
    /// by the events work when this container has an event.
    pub(crate) events_wq: Pin<KBox<WaitQueue>>,
    /// The `container.events` file, for inotify.
    pub(crate) events_inode: EventsInode,
    /// Control files of this container open now (`debug.refcount`).
    pub(crate) open_files: AtomicU32,
    /// `container.max.depth`: how many levels of containers may exist
    /// below it ([`LIMIT_MAX`]: no limit). Changed under the registry
    /// mutex.
    pub(crate) max_depth: AtomicU32,
    /// `container.max.descendants`: how many containers may exist below it
    /// ([`LIMIT_MAX`]: no limit). Changed under the registry mutex.
    pub(crate) max_descendants: AtomicU32,
    /// Containers below it now (registry mutex).
    nr_descendants: AtomicU32,
}

impl Drop for Container {
    /// Drops the parent chain iteratively: a container holds its parent, so
    /// leaving it to the drop glue would recurse once per level, and a deep
    /// enough chain (all removed but the deepest, still referenced) would
    /// overflow the kernel stack. For each ancestor this reference was the
    /// last one to, the loop holds the ancestor's own parent before freeing
    /// it, so that its drop only decrements that parent and returns.
    fn drop(&mut self) {
        let mut next = self.parent.take();
        while let Some(p) = next {
            next = match p.into_unique_or_drop() {
                Some(last) => {
                    let grandparent = last.parent.clone();
                    drop(last);
                    grandparent
                }
                None => None,
            };
        }
    }
}

/// `max` in `container.max.depth` and `container.max.descendants`, as
/// cgroup's `INT_MAX`. As no container can have more descendants or levels
/// below it, this also bounds every hierarchy.
pub(crate) const LIMIT_MAX: u32 = i32::MAX as u32;

/// Longest path [`Container::path`] gives: as cgroup's paths, it must fit
/// in `PATH_MAX` bytes with a terminating NUL.
const PATH_MAX_LEN: usize = 4095;

/// The mutable state of a container, protected by the registry mutex.
pub(crate) struct Node {
    /// The container.
    pub(crate) container: Arc<Container>,
    /// Directory name (empty for a root).
    pub(crate) name: KVec<u8>,
    /// Child containers, by id.
    pub(crate) children: Siblings,
    /// `notify_on_release`.
    pub(crate) notify_on_release: bool,
    /// `container.clone_children`.
    pub(crate) clone_children: bool,
}

impl Container {
    /// The container's id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The hierarchy.
    pub(crate) fn hierarchy(&self) -> &Arc<Hierarchy> {
        &self.hierarchy
    }

    /// The parent container; `None` for a root.
    pub(crate) fn parent(&self) -> Option<&Arc<Container>> {
        self.parent.as_ref()
    }

    /// Whether this is a hierarchy's root container.
    pub(crate) fn is_root(&self) -> bool {
        self.parent.is_none()
    }

    /// Whether `rmdir` removed it.
    pub(crate) fn is_removed(&self) -> bool {
        self.removed.load(Ordering::Acquire)
    }

    /// The state of subsystem `id`, if bound to this hierarchy.
    pub(crate) fn css(&self, id: crate::subsys::SubsysId) -> Option<&Css> {
        self.css.get(id.index()).and_then(Option::as_ref)
    }

    /// Whether the container or a descendant has a task.
    pub(crate) fn populated(&self) -> bool {
        self.nr_tasks.load(Ordering::Relaxed) > 0
            || self.populated_children.load(Ordering::Relaxed) > 0
    }

    /// A task entered the container. Membership spinlock held. Returns
    /// whether some container's `populated` changed (events to deliver).
    pub(crate) fn task_added(&self) -> bool {
        let was = self.populated();
        self.nr_tasks.fetch_add(1, Ordering::Relaxed);
        !was && self.populated_changed(true)
    }

    /// A task left the container. Membership spinlock held. Returns
    /// whether some container's `populated` changed.
    pub(crate) fn task_removed(&self) -> bool {
        self.nr_tasks.fetch_sub(1, Ordering::Relaxed);
        !self.populated() && self.populated_changed(false)
    }

    /// Records that this container's `populated` became `now`, and carries
    /// the change up to the ancestors it changes too. Always returns true.
    fn populated_changed(&self, now: bool) -> bool {
        // Queued by the bottom of the path it marks (see `crate::events`);
        // already marked, it is queued or being delivered.
        if !self.event_pending.swap(true, Ordering::Relaxed) {
            self.hierarchy.world().note_event(self.id);
        }
        let mut cur = self;
        loop {
            cur.event_pending.store(true, Ordering::Relaxed);
            let Some(p) = cur.parent.as_deref() else {
                return true;
            };
            let was = p.populated();
            if now {
                p.populated_children.fetch_add(1, Ordering::Relaxed);
            } else {
                p.populated_children.fetch_sub(1, Ordering::Relaxed);
            }
            if was == p.populated() {
                return true;
            }
            cur = p;
        }
    }

    /// The states of the bound subsystems.
    pub(crate) fn css_iter(&self) -> impl Iterator<Item = &Css> {
        self.css.iter().flatten()
    }

    /// Runs the subsystems' fork hooks for `child`. Atomic context.
    pub(crate) fn fork_hooks(&self, child: &crate::ffi::task::Task) {
        for c in self.css_iter().filter(|c| c.id().has_fork()) {
            c.id().ops().fork(c, child);
        }
    }

    /// Runs the subsystems' exit hooks for `task`. Atomic context.
    pub(crate) fn exit_hooks(&self, task: &crate::ffi::task::Task) {
        for c in self.css_iter().filter(|c| c.id().has_exit()) {
            c.id().ops().exit(c, task);
        }
    }

    /// Creates every bound subsystem's state for a new container under
    /// `parent` (`None`: a root), undoing on failure.
    fn create_css(
        h: &Hierarchy,
        parent: Option<&Container>,
        clone_children: bool,
        siblings: Option<&Siblings>,
    ) -> Result<[Option<Css>; NR_SUBSYS]> {
        let mut css: [Option<Css>; NR_SUBSYS] = [const { None }; NR_SUBSYS];
        for id in h.subsystems() {
            let parent_css = parent.and_then(|p| p.css(id));
            match id.ops().create(parent_css, clone_children, siblings) {
                Ok(c) => {
                    if let Some(slot) = css.get_mut(id.index()) {
                        *slot = Some(c);
                    }
                }
                Err(e) => {
                    Self::destroy_css(&css);
                    return Err(e);
                }
            }
        }
        Ok(css)
    }

    /// Creates the root container of a new hierarchy.
    pub(crate) fn new_root(reg: &mut Registry, h: &Arc<Hierarchy>) -> Result<Arc<Self>> {
        let css = Self::create_css(h, None, false, None)?;
        // The `clone_children` mount option sets the root's flag, which
        // children then inherit (cgroup v1).
        Self::insert(reg, h, None, KVec::new(), css, false, h.clone_children())
    }

    /// Builds the container and registers its node (and its link in the
    /// parent). On failure the subsystem states are destroyed and the
    /// registry is unchanged.
    fn insert(
        reg: &mut Registry,
        h: &Arc<Hierarchy>,
        parent: Option<Arc<Container>>,
        name: KVec<u8>,
        css: [Option<Css>; NR_SUBSYS],
        notify_on_release: bool,
        clone_children: bool,
    ) -> Result<Arc<Self>> {
        let id = reg.next_id;
        // Allocate everything first, so that nothing can fail once the
        // registry is modified.
        let prepared = (|| -> Result<_> {
            let node = RBTreeNodeReservation::new(GFP_KERNEL)?;
            let link = RBTreeNodeReservation::new(GFP_KERNEL)?;
            let slot = UniqueArc::new_uninit(GFP_KERNEL)?;
            let wq = KBox::pin_init(WaitQueue::new(), GFP_KERNEL)?;
            Ok((node, link, slot, wq))
        })();
        let parent_ok = parent
            .as_ref()
            .map_or(true, |p| reg.nodes.get(&p.id).is_some());
        let (node, link, slot, events_wq) = match prepared {
            Ok(v) if parent_ok => v,
            Ok(_) => {
                Self::destroy_css(&css);
                return Err(ENODEV);
            }
            Err(e) => {
                Self::destroy_css(&css);
                return Err(e);
            }
        };
        let c: Arc<Self> = slot
            .write(Container {
                id,
                hierarchy: h.clone(),
                parent,
                css,
                removed: AtomicBool::new(false),
                nr_tasks: AtomicU32::new(0),
                populated_children: AtomicU32::new(0),
                event_pending: AtomicBool::new(false),
                event_gen: AtomicU32::new(0),
                release_due: AtomicBool::new(false),
                events_wq,
                events_inode: EventsInode::new(),
                open_files: AtomicU32::new(0),
                max_depth: AtomicU32::new(LIMIT_MAX),
                max_descendants: AtomicU32::new(LIMIT_MAX),
                nr_descendants: AtomicU32::new(0),
            })
            .into();
        if let Some(pn) = c.parent.as_ref().and_then(|p| reg.nodes.get_mut(&p.id)) {
            pn.children.insert(link.into_node(id, c.clone()));
        }
        reg.nodes.insert(node.into_node(
            id,
            Node {
                container: c.clone(),
                name,
                children: RBTree::new(),
                notify_on_release,
                clone_children,
            },
        ));
        reg.next_id += 1;
        Ok(c)
    }

    /// Runs the `destroy` hooks of `css`, last created first.
    fn destroy_css(css: &[Option<Css>; NR_SUBSYS]) {
        for c in css.iter().rev().flatten() {
            c.id().ops().destroy(c);
        }
    }

    /// Whether a new child of `self` keeps every ancestor within its
    /// `container.max.depth` and `container.max.descendants`, the parent
    /// itself included (cgroup's `cgroup_check_hierarchy_limits()`).
    /// Registry mutex held.
    fn child_within_limits(&self) -> bool {
        // Levels below `cur` the new child would be at.
        let mut level: u32 = 1;
        let mut cur = Some(self);
        while let Some(c) = cur {
            if c.nr_descendants.load(Ordering::Relaxed) >= c.max_descendants.load(Ordering::Relaxed)
                || level > c.max_depth.load(Ordering::Relaxed)
            {
                return false;
            }
            level = level.saturating_add(1);
            cur = c.parent.as_deref();
        }
        true
    }

    /// A descendant of `self` was created (`added`) or removed: updates the
    /// descendant counts of `self` and its ancestors. Registry mutex held.
    fn count_descendant(&self, added: bool) {
        let mut cur = Some(self);
        while let Some(c) = cur {
            if added {
                c.nr_descendants.fetch_add(1, Ordering::Relaxed);
            } else {
                c.nr_descendants.fetch_sub(1, Ordering::Relaxed);
            }
            cur = c.parent.as_deref();
        }
    }

    /// `mkdir`: creates container `name` under `parent`; `EAGAIN` if that
    /// would exceed an ancestor's `container.max.depth` or
    /// `container.max.descendants`.
    pub(crate) fn create(parent: &Arc<Container>, name: &[u8]) -> Result<Arc<Self>> {
        validate_container_name(name, &[]).map_err(errno)?;
        let h = parent.hierarchy.clone();
        let world = h.world().clone();
        let mut reg = world.registry.lock();
        let (notify, clone) = match reg.nodes.get(&parent.id) {
            Some(n) if !parent.is_removed() => (n.notify_on_release, n.clone_children),
            _ => return Err(ENODEV),
        };
        if !parent.child_within_limits() {
            return Err(EAGAIN);
        }
        let mut owned = KVec::new();
        owned.extend_from_slice(name, GFP_KERNEL)?;
        let siblings = reg.nodes.get(&parent.id).map(|n| &n.children);
        let css = Self::create_css(&h, Some(parent), clone, siblings)?;
        let c = Self::insert(
            &mut reg,
            &h,
            Some(parent.clone()),
            owned,
            css,
            notify,
            clone,
        )?;
        if let Some(e) = reg.entry_mut(&h) {
            e.nr_containers += 1;
        }
        parent.count_descendant(true);
        Ok(c)
    }

    /// Runs the `populate` hooks once the directory and files exist.
    pub(crate) fn populate(&self) -> Result {
        for c in self.css.iter().flatten() {
            c.id().ops().populate(c)?;
        }
        Ok(())
    }

    /// `rmdir`: removes the container; `EBUSY` while it has tasks or
    /// children.
    pub(crate) fn remove(self: &Arc<Self>) -> Result {
        let world = self.hierarchy.world().clone();
        let mut reg = world.registry.lock();
        match reg.nodes.get(&self.id) {
            Some(n) if n.children.iter().next().is_none() => {}
            Some(_) => return Err(EBUSY),
            None => return Err(ENODEV),
        }
        if self.nr_tasks.load(Ordering::Acquire) != 0 || self.is_root() {
            return Err(EBUSY);
        }
        self.removed.store(true, Ordering::Release);
        let node = reg.nodes.remove(&self.id);
        let link = self
            .parent
            .as_ref()
            .and_then(|p| reg.nodes.get_mut(&p.id))
            .and_then(|pn| pn.children.remove(&self.id));
        if let Some(e) = reg.entry_mut(&self.hierarchy) {
            e.nr_containers -= 1;
        }
        if let Some(p) = self.parent.as_ref() {
            p.count_descendant(false);
        }
        Self::destroy_css(&self.css);
        // Removing the last child may make the parent releasable.
        if let Some(p) = self.parent.as_ref() {
            if !p.event_pending.swap(true, Ordering::Relaxed) {
                world.note_event(p.id);
            }
        }
        drop(reg);
        world.queue_events();
        // Dropped outside the lock: they may free containers.
        drop(link);
        drop(node);
        Ok(())
    }

    /// Tears down a hierarchy's root (the hierarchy is being destroyed).
    pub(crate) fn destroy_root(reg: &mut Registry, root: &Arc<Self>) {
        root.removed.store(true, Ordering::Release);
        drop(reg.nodes.remove(&root.id));
        Self::destroy_css(&root.css);
    }

    /// `rename`: renames the container within its parent.
    pub(crate) fn rename(&self, name: &[u8]) -> Result {
        validate_container_name(name, &[]).map_err(errno)?;
        let mut owned = KVec::new();
        owned.extend_from_slice(name, GFP_KERNEL)?;
        let world = self.hierarchy.world().clone();
        let mut reg = world.registry.lock();
        match reg.nodes.get_mut(&self.id) {
            Some(n) if !self.is_root() => {
                n.name = owned;
                Ok(())
            }
            _ => Err(ENODEV),
        }
    }

    /// Appends the container's path relative to its hierarchy root (`/` for
    /// the root, `/a/b` otherwise) to `out`. As cgroup's paths, it must fit
    /// in `PATH_MAX` with a NUL (`ENAMETOOLONG`), so what is allocated stays
    /// small however deep the container is.
    pub(crate) fn path(&self, reg: &Registry, out: &mut KVec<u8>) -> Result {
        if self.is_root() {
            out.push(b'/', GFP_KERNEL)?;
            return Ok(());
        }
        let name_of = |c: &Container| reg.nodes.get(&c.id).map_or(&[][..], |n| n.name.as_slice());
        let below_root = || {
            let mut cur = Some(self);
            core::iter::from_fn(move || {
                let c = cur.filter(|c| !c.is_root())?;
                cur = c.parent.as_deref();
                Some(c)
            })
        };
        // Measure from here up, stopping as soon as it is too long.
        let mut len = 0usize;
        for c in below_root() {
            len += 1 + name_of(c).len();
            if len > PATH_MAX_LEN {
                return Err(crate::ffi::enametoolong());
            }
        }
        // Then fill it in from the end, the same way up.
        let start = out.len();
        out.extend_with(len, b'/', GFP_KERNEL)?;
        let mut end = out.len();
        for c in below_root() {
            let name = name_of(c);
            let from = end.checked_sub(name.len()).ok_or(EINVAL)?;
            out.get_mut(from..end).ok_or(EINVAL)?.copy_from_slice(name);
            // The byte before is the `/` written above.
            end = from.checked_sub(1).ok_or(EINVAL)?;
        }
        if end != start {
            return Err(EINVAL);
        }
        Ok(())
    }
}
