// SPDX-License-Identifier: GPL-2.0

//! The module's state: the registry of hierarchies and containers.
//!
//! There is one [`World`], created at module load and reachable from every
//! VFS object (superblock → hierarchy → world): hierarchies, containers and
//! membership live in it, not in globals. Module-wide statics remain,
//! still to move into their owners: the placement hooks and symbols
//! (`ffi/placement.rs`), the run counter of placement updates
//! (`subsys/placement.rs`), the packet hook (`ffi/net.rs`), the
//! release-agent slots (`ffi/umh.rs`), and net_flow's count of tagged
//! containers and root class id (`subsys/net_flow.rs`).

use crate::container::{Container, Node};
use crate::events::{Due, Pending, ReleaseQueue};
use crate::ffi::task::{self, Task};
use crate::ffi::tracepoint::{Hooks, TaskHooks, TaskTracepoints};
use crate::ffi::umh;
use crate::hierarchy::Hierarchy;
use crate::membership::{self, Forked, Membership, Reservation, POOL_LOW, POOL_SIZE};
use crate::subsys::{SubsysId, NR_SUBSYS};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::{Arc, ArcBorrow, Mutex, SpinLock};
use kernel::workqueue::{self, impl_has_work, new_work, Work, WorkItem};
use kernel::{new_mutex, new_spinlock};

/// Most hierarchies mounted at once (ids 1 to this).
pub(crate) const MAX_HIERARCHIES: usize = 16;

/// The module's state.
///
/// # Locking
///
/// Locks are taken in this order:
///
/// 1. `registry` is the master lock (cgroup's `cgroup_mutex`): every change
///    to a hierarchy or container tree and every attach happens under it.
///    It is a sleeping lock; subsystem `create`/`attach` hooks run under it.
/// 2. `members` (spinlock) protects task membership and the per-container
///    task counts. It is taken by the fork and exit hooks in atomic context,
///    never in interrupt context; nothing that sleeps or allocates with
///    `GFP_KERNEL` runs under it.
///
/// `hooks` (mutex) is never nested with either: a mount takes it, and
/// releases it, before the registry mutex.
#[pin_data]
pub(crate) struct World {
    /// Hierarchies, containers and subsystem bindings.
    #[pin]
    pub(crate) registry: Mutex<Registry>,
    /// Which container each task is in.
    #[pin]
    pub(crate) members: SpinLock<Membership>,
    /// Refills the fork path's node pool in process context.
    #[pin]
    refill: Work<World>,
    /// Delivers `populated` changes: wakes pollers, runs release agents.
    #[pin]
    events: Work<World, EVENTS_WORK>,
    /// Containers with an event to deliver (taken under the membership
    /// lock, never the other way round).
    #[pin]
    pending: SpinLock<Pending>,
    /// See [`World::events_wasted`].
    events_wasted: AtomicUsize,
    /// Re-applies CPU and node placement after CPU hotplug.
    #[pin]
    placement: Work<World, PLACEMENT_WORK>,
    /// For each subsystem, 1 + the slot of the hierarchy it is bound to, or
    /// 0 (written under `registry`, read by the setaffinity hook).
    bound: [AtomicUsize; NR_SUBSYS],
    /// The fork and exit hooks, registered by the first mount
    /// ([`World::start_hooks`]) until module unload ([`HooksGuard`]). While
    /// registered they hold a reference to the world. Taken before the
    /// registry mutex, never under it.
    #[pin]
    hooks: Mutex<Option<Hooks<World>>>,
    /// The tracepoints the hooks are probes on, found at load.
    tracepoints: TaskTracepoints,
}

/// Unregisters the fork and exit hooks when dropped (module unload),
/// which also drops the reference to the world they hold.
pub(crate) struct HooksGuard(Arc<World>);

impl HooksGuard {
    /// Guards the hooks of `world`.
    pub(crate) fn new(world: Arc<World>) -> Self {
        Self(world)
    }
}

impl Drop for HooksGuard {
    fn drop(&mut self) {
        let hooks = self.0.hooks.lock().take();
        // Unregistered (and running probes waited for) outside the lock.
        drop(hooks);
    }
}

/// Id of the events work item (the refill work is id 0).
const EVENTS_WORK: u64 = 1;
/// Id of the placement work item.
const PLACEMENT_WORK: u64 = 2;

impl_has_work! {
    impl HasWork<Self> for World { self.refill }
    impl HasWork<Self, EVENTS_WORK> for World { self.events }
    impl HasWork<Self, PLACEMENT_WORK> for World { self.placement }
}

impl WorkItem<PLACEMENT_WORK> for World {
    type Pointer = Arc<World>;

    fn run(this: Arc<World>) {
        #[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
        crate::subsys::placement::rebuild_all(&this);
        #[cfg(not(CONFIG_TASK_CONTAINERS_CPUSET))]
        drop(this);
    }
}

impl WorkItem<EVENTS_WORK> for World {
    type Pointer = Arc<World>;

    fn run(this: Arc<World>) {
        this.deliver_events();
    }
}

impl WorkItem for World {
    type Pointer = Arc<World>;

    fn run(this: Arc<World>) {
        this.refill_pool();
    }
}

impl World {
    /// Creates the (empty) state; `ENOENT` if the kernel lacks a
    /// tracepoint the fork and exit hooks need.
    pub(crate) fn new() -> Result<Arc<Self>> {
        let tracepoints = TaskTracepoints::find()?;
        let members = Membership::new()?;
        Arc::pin_init(
            pin_init!(Self {
                registry <- new_mutex!(Registry::new(), "container::registry"),
                members <- new_spinlock!(members, "container::members"),
                refill <- new_work!("container::refill"),
                events <- new_work!("container::events"),
                pending <- new_spinlock!(Pending::new(), "container::pending"),
                events_wasted: AtomicUsize::new(0),
                placement <- new_work!("container::placement"),
                bound: [const { AtomicUsize::new(0) }; NR_SUBSYS],
                hooks <- new_mutex!(None, "container::hooks"),
                tracepoints,
            }),
            GFP_KERNEL,
        )
    }

    /// Registers the fork and exit hooks if no mount did yet, so that a
    /// loaded module that was never mounted costs forks and exits nothing.
    /// Called by every mount before it looks for or creates its hierarchy:
    /// until one exists every task is in every root, so the tasks forked
    /// before the hooks needed nothing. For the same reason, forks seen by
    /// the fork probe of a registration that then fails (the exit probe's)
    /// queue no work, so nothing needs [`TaskHooks::quiesce`] then.
    /// Process context, no lock held.
    pub(crate) fn start_hooks(self: &Arc<Self>) -> Result {
        let mut hooks = self.hooks.lock();
        if hooks.is_none() {
            *hooks = Some(Hooks::new(&self.tracepoints, self.clone())?);
        }
        Ok(())
    }

    /// Schedules delivery of pending `populated` changes.
    pub(crate) fn queue_events(self: &Arc<Self>) {
        let _ = workqueue::system().enqueue::<Arc<World>, EVENTS_WORK>(self.clone());
    }

    /// Queues container `id`, whose `populated` changed (and marked the
    /// path up from it), for the events work. Atomic context.
    pub(crate) fn note_event(&self, id: u64) {
        self.pending.lock().push(id);
    }

    /// The events work: delivers the event of every marked container (see
    /// [`crate::events`]): bumps its event generation, notifies inotify,
    /// wakes its pollers, and queues it for its release agent if it has
    /// `notify_on_release`; then starts the agents of queued containers
    /// that are still empty while fewer than [`umh::MAX_RUNNING`] run (an
    /// agent's exit runs this work again).
    fn deliver_events(&self) {
        let due = self.pending.lock().take();
        let mut agents: KVec<(KVec<u8>, KVec<u8>)> = KVec::new();
        {
            let mut guard = self.registry.lock();
            let reg = &mut *guard;
            let (mut visited, mut delivered) = (0usize, 0usize);
            match due {
                Due { all: true, .. } => {
                    for (_, node) in reg.nodes.iter() {
                        visited += 1;
                        if deliver(node, &mut reg.release_queue) {
                            delivered += 1;
                        }
                    }
                }
                Due { ids, len, .. } => {
                    for &bottom in ids.iter().take(len) {
                        // Up from the bottom of the marked path.
                        let mut next = Some(bottom);
                        while let Some(node) = next.and_then(|id| reg.nodes.get(&id)) {
                            visited += 1;
                            if !deliver(node, &mut reg.release_queue) {
                                break;
                            }
                            delivered += 1;
                            next = node.container.parent().map(|p| p.id());
                        }
                    }
                }
            }
            self.events_wasted
                .fetch_max(visited - delivered, Ordering::Relaxed);
            let mut room = umh::free_places();
            while room > 0 {
                let Some(id) = reg.release_queue.pop() else {
                    break;
                };
                let Some(node) = reg.nodes.get(&id) else {
                    // Removed meanwhile.
                    continue;
                };
                let c = &node.container;
                c.release_due.store(false, Ordering::Relaxed);
                // Still empty (it may have been used again meanwhile, and
                // will then be released again)?
                if c.populated() || node.children.iter().next().is_some() {
                    continue;
                }
                let Some(e) = reg.entry(c.hierarchy()) else {
                    continue;
                };
                if e.release_agent.is_empty() {
                    continue;
                }
                let mut agent = KVec::new();
                let mut path = KVec::new();
                if agent
                    .extend_from_slice(&e.release_agent, GFP_KERNEL)
                    .is_err()
                    || c.path(reg, &mut path).is_err()
                    || agents.push((agent, path), GFP_KERNEL).is_err()
                {
                    pr_warn!("no memory to run a release agent\n");
                    continue;
                }
                room -= 1;
            }
        }
        for (agent, path) in agents.iter() {
            // The places only free up meanwhile: `EBUSY` cannot happen.
            if let Err(e) = umh::run(agent, path) {
                pr_warn!("release agent failed to start: {:?}\n", e);
            }
        }
    }

    /// The most containers one run of the events work visited without an
    /// event to deliver since [`World::reset_scan_counts`] (or the load):
    /// at most one per queued change, unless the queue overflowed.
    #[cfg_attr(not(CONFIG_TASK_CONTAINERS_DEBUG), expect(dead_code))]
    pub(crate) fn events_wasted(&self) -> usize {
        self.events_wasted.load(Ordering::Relaxed)
    }

    /// Resets the counts `debug.lock_scan` reports.
    #[cfg_attr(not(CONFIG_TASK_CONTAINERS_DEBUG), expect(dead_code))]
    pub(crate) fn reset_scan_counts(&self) {
        self.events_wasted.store(0, Ordering::Relaxed);
        self.members.lock().reset_max_scan();
    }

    /// Tops up the fork path's node pool (process context).
    fn refill_pool(&self) {
        loop {
            let deficit = self.members.lock().pool_deficit();
            if deficit == 0 {
                return;
            }
            let Ok(r): Result<Reservation> = RBTreeNodeReservation::new(GFP_KERNEL) else {
                return;
            };
            self.members.lock().give(r);
        }
    }

    /// Fork hook: `child` (not yet running) joins the containers of the
    /// forking task. Atomic context.
    fn fork_task(this: ArcBorrow<'_, World>, child: &Task) {
        let parent = task::current_key();
        let mut m = this.members.lock();
        let deferred = match m.fork(parent, child, || task::group_key(child)) {
            Ok(Forked::Tracked(slots, hooks)) => {
                for (i, c) in slots.iter().enumerate() {
                    if let (Some(c), true) = (c, hooks & membership::bit(i) != 0) {
                        c.fork_hooks(child);
                    }
                }
                false
            }
            Ok(Forked::Deferred(slots)) => {
                for c in slots.iter().flatten() {
                    c.fork_hooks(child);
                }
                true
            }
            Ok(Forked::Root) => false,
            Err(_) => {
                drop(m);
                Self::kill_unaccounted(child);
                return;
            }
        };
        if deferred {
            let first = m.fork_failures == 1;
            drop(m);
            // The child settles its own node before it runs user code.
            if !Self::queue_settle(child) {
                let slots = this.members.lock().exit(task::key(child));
                drop(slots);
                Self::kill_unaccounted(child);
                return;
            }
            if first {
                pr_notice!("no memory to track a forked task at fork; it gets it before it runs (reported once)\n");
            }
            m = this.members.lock();
        }
        let low = m.pool_deficit() > POOL_SIZE - POOL_LOW;
        let events = core::mem::take(&mut m.events_due);
        drop(m);
        if low {
            let _ = workqueue::system().enqueue::<Arc<World>, 0>(Arc::from(this));
        }
        if events {
            Arc::from(this).queue_events();
        }
    }

    /// Fail closed: a child the fork hook could not account for, even by
    /// deferring it, never runs. The `SIGKILL` is fatal to its whole
    /// thread group.
    fn kill_unaccounted(child: &Task) {
        static REPORTED: AtomicBool = AtomicBool::new(false);
        task::kill(child);
        if !REPORTED.swap(true, Ordering::Relaxed) {
            pr_warn!("no memory to track a forked task; killed it (reported once)\n");
        }
    }

    /// Queues the fix-up that settles deferred `child` before it runs user
    /// code ([`World::first_run`]); false if it cannot be queued. Without
    /// cpuset and memset there is no fix-up work: the child stays
    /// deferred, which is correct, until it exits.
    fn queue_settle(child: &Task) -> bool {
        #[cfg(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET))]
        return crate::ffi::placement::queue_fixup(child).is_ok();
        #[cfg(not(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET)))]
        {
            let _ = child;
            true
        }
    }

    /// A new task's fix-up, in its own context before it first returns to
    /// user space (or as it exits; process context, no locks held): gives
    /// it its node if the fork hook had to defer it, then re-applies its
    /// placement. If the allocation fails the task stays deferred, which
    /// is correct but uses one of the few deferred places.
    #[cfg(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET))]
    pub(crate) fn first_run(&self) {
        let me = task::current();
        let key = task::key(&me);
        if !task::is_exiting(&me) && self.members.lock().is_deferred(key) {
            if let Ok(node) = RBTreeNodeReservation::new(GFP_KERNEL) {
                let unused = self.members.lock().settle(key, node);
                // Freed, and references dropped, outside the lock.
                drop(unused);
            }
        }
        crate::subsys::placement::fixup_current(self);
    }

    /// Exit hook: `task` (the current task) leaves its containers. Atomic
    /// context.
    fn exit_task(this: ArcBorrow<'_, World>, task: &Task) {
        if umh::exited(task::key(task)) {
            // A release agent ended: another may start.
            Arc::from(this).queue_events();
        }
        let mut m = this.members.lock();
        let slots = m.exit(task::key(task));
        if let Some(s) = slots.as_ref() {
            for c in s.iter().flatten() {
                c.exit_hooks(task);
            }
        }
        let events = core::mem::take(&mut m.events_due);
        drop(m);
        if events {
            Arc::from(this).queue_events();
        }
        // Container references are dropped outside the lock.
        drop(slots);
    }

    /// Waits until no work item is queued or running (module exit, after
    /// the hooks that queue them are gone).
    pub(crate) fn flush(&self) {
        crate::ffi::work::flush(&self.refill);
        crate::ffi::work::flush(&self.events);
        crate::ffi::work::flush(&self.placement);
    }

    /// CPUs came or went: re-applies placement from process context.
    #[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
    pub(crate) fn placement_changed(this: ArcBorrow<'_, World>) {
        let _ = workqueue::system().enqueue::<Arc<World>, PLACEMENT_WORK>(Arc::from(this));
    }

    /// Records that the subsystems of `mask` are bound to hierarchy `slot`
    /// (`None`: unbound). Registry mutex held.
    pub(crate) fn set_bound(&self, mask: u32, slot: Option<usize>) {
        for &id in SubsysId::ALL {
            if mask & id.bit() != 0 {
                if let Some(b) = self.bound.get(id.index()) {
                    b.store(slot.map_or(0, |s| s + 1), Ordering::Release);
                }
            }
        }
    }

    /// The slot of the hierarchy `id` is bound to, if any.
    #[cfg_attr(
        not(any(
            CONFIG_TASK_CONTAINERS_CPUSET,
            CONFIG_TASK_CONTAINERS_MEMSET,
            CONFIG_TASK_CONTAINERS_NET_FLOW
        )),
        expect(dead_code, reason = "used by cpuset, memset and net_flow")
    )]
    pub(crate) fn bound_slot(&self, id: SubsysId) -> Option<usize> {
        let v = self.bound.get(id.index())?.load(Ordering::Acquire);
        v.checked_sub(1)
    }
}

impl TaskHooks for World {
    fn on_fork(this: ArcBorrow<'_, Self>, child: &Task) {
        World::fork_task(this, child)
    }

    fn on_exit(this: ArcBorrow<'_, Self>, task: &Task) {
        World::exit_task(this, task)
    }

    /// A fork may have queued a pool refill holding the world.
    fn quiesce(&self) {
        self.flush()
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
    /// Mounts in progress that found or created the hierarchy (they keep
    /// it alive until their `get_tree` ends).
    pub(crate) mounting: u32,
    /// Superblocks filled for the hierarchy and not yet killed.
    pub(crate) superblocks: u32,
}

/// Everything protected by the registry mutex.
pub(crate) struct Registry {
    /// Hierarchies by id - 1.
    pub(crate) hierarchies: [Option<HierarchyEntry>; MAX_HIERARCHIES],
    /// Mutable state of every container, by container id.
    pub(crate) nodes: RBTree<u64, Node>,
    /// Next container id (never reused).
    pub(crate) next_id: u64,
    /// Released containers waiting for their release agent.
    pub(crate) release_queue: ReleaseQueue,
}

impl Registry {
    /// An empty registry.
    fn new() -> Self {
        Self {
            hierarchies: [const { None }; MAX_HIERARCHIES],
            nodes: RBTree::new(),
            next_id: 1,
            release_queue: ReleaseQueue::new(),
        }
    }

    /// The hierarchy bound to any subsystem in `mask`, if any.
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
}

/// Delivers the event of `node`'s container if it has one (registry mutex
/// held), queuing it in `release` for its release agent; returns whether
/// it had one.
fn deliver(node: &Node, release: &mut ReleaseQueue) -> bool {
    let c = &node.container;
    if !c.event_pending.swap(false, Ordering::Relaxed) {
        return false;
    }
    c.event_gen.fetch_add(1, Ordering::Relaxed);
    c.events_inode.notify_modify();
    c.events_wq.wake_all();
    if !c.is_root() && node.notify_on_release && !c.release_due.swap(true, Ordering::Relaxed) {
        if release.push(c.id()).is_err() {
            c.release_due.store(false, Ordering::Relaxed);
            pr_warn!("no memory to queue a release agent\n");
        }
    }
    true
}
