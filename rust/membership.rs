// SPDX-License-Identifier: GPL-2.0

//! Which container each task is in, in every hierarchy.
//!
//! A module cannot add a field to `task_struct`, so membership is a map from
//! task to an [`Entry`] holding one container per hierarchy. A task without
//! an entry, or with `None` in a hierarchy's slot, is in that hierarchy's
//! root: tasks that existed before the module loaded, kernel threads and
//! everything never moved cost nothing.
//!
//! # Fork and exit
//!
//! The fork hook copies the parent's entry to the child before the child
//! first runs; the exit hook removes the entry. Both run in atomic context
//! under the membership spinlock, so the fork path never sleeps. Its node
//! comes from a pool refilled in process context, with a `GFP_ATOMIC`
//! allocation as fallback. If both fail the child is *deferred*: its
//! inherited containers wait in a small fixed array ([`DEFERRED_MAX`]),
//! where lookups and moves find them, and task work queued on the child
//! allocates its node in process context and settles it in the map
//! ([`Membership::settle`]) before the child first returns to user space.
//! So a new thread never runs user code outside its containers, and a
//! process under memory pressure is not killed for it. Only when that
//! array is full too (more than [`DEFERRED_MAX`] new tasks at once that got
//! no memory) is the child killed before it runs (fail closed), with a
//! `SIGKILL`, which is fatal to its whole thread group.
//!
//! # Races
//!
//! - A write to `tasks` or `container.procs` can find a new task (by pid,
//!   or in its thread list) before its fork hook ran: the task is hashed
//!   earlier in `copy_process()`, and stays `TASK_NEW` until after the
//!   hook. Such a move is recorded in the task's entry as *pinned* for the
//!   hierarchy it changed (a move to the root too, which then needs an
//!   entry). The fork hook, finding an entry, fills every slot that is not
//!   pinned from the parent, so the task still inherits its parent's
//!   containers in every other hierarchy.
//! - A move of the parent concurrent with its fork: the child gets whatever
//!   the parent's entry says when the fork hook takes the lock; subsystem
//!   fork hooks reconcile state the child copied from the parent earlier
//!   (e.g. CPU affinity).
//! - `container.procs` against thread creation: from its first commit to
//!   its end the write leaves a [`Moving`] mark; the fork hook puts a new
//!   thread of that process in the destination in that hierarchy, whatever
//!   its parent's container. Threads whose fork hook ran before the mark
//!   are all visible to the re-scan that follows it, so one re-scan after
//!   the first commit moves the whole process (see `attach`).
//! - Attach against exit: the exit hook runs after `PF_EXITING` is set and
//!   takes the same lock, and attach skips tasks with `PF_EXITING` under
//!   the lock, so an entry is never created after its task's exit hook.

use crate::container::Container;
use crate::ffi::task::{self, Task};
use crate::world::MAX_HIERARCHIES;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::Arc;
use kernel::types::ARef;

/// Nodes kept ready for the fork path.
pub(crate) const POOL_SIZE: usize = 64;
/// Refill the pool when it falls below this.
pub(crate) const POOL_LOW: usize = 48;
/// New tasks that can wait for their node at once (see the module docs).
pub(crate) const DEFERRED_MAX: usize = 32;

/// Containers of one task, by hierarchy slot (`None`: the root).
pub(crate) type Slots = [Option<Arc<Container>>; MAX_HIERARCHIES];

/// One task's membership.
pub(crate) struct Entry {
    /// The task, held so that a walk of the map can hand it out (its key
    /// is its address).
    task: ARef<Task>,
    /// The task's container in each hierarchy.
    pub(crate) slots: Slots,
    /// Slots set by a move while the task was new (its fork hook may not
    /// have run yet), one bit per slot: the fork hook keeps them and fills
    /// the others from the parent. Meaningless once the fork hook ran.
    pinned: u32,
}

/// A `container.procs` write in progress (see the module docs): new
/// threads of the thread group `group` go to `to` in hierarchy `slot`.
pub(crate) struct Moving {
    /// The thread group, by [`crate::ffi::task::group_key`].
    group: usize,
    /// The hierarchy.
    slot: usize,
    /// The destination (`None`: the root).
    to: Option<Arc<Container>>,
}

/// The bit of hierarchy slot `slot` in [`Entry::pinned`].
pub(crate) fn bit(slot: usize) -> u32 {
    1u32.checked_shl(slot as u32).unwrap_or(0)
}

/// Map entries a walk user space triggers (reading `tasks`, applying a
/// change to a container's tasks) looks at in one hold of the membership
/// lock, which fork, exit and the packet path take: the walk releases it
/// and yields the CPU between batches.
pub(crate) const SCAN_BATCH: usize = 64;

/// Where [`Membership::next_in`] stopped.
pub(crate) enum Next {
    /// A task and its container.
    Found(ARef<Task>, Arc<Container>),
    /// The batch ended first: go on after this key.
    Partial(usize),
    /// No more tasks.
    End,
}

/// What the fork hook did with a child ([`Membership::fork`]).
pub(crate) enum Forked<'a> {
    /// The child is in every root, or nothing is left to do.
    Root,
    /// The child's containers, and the slots whose subsystem fork hooks
    /// must run (a bit per slot).
    Tracked(&'a Slots, u32),
    /// No node: the child waits for its own (its fix-up must be queued),
    /// in these containers, whose subsystem fork hooks must run.
    Deferred(&'a Slots),
}

/// A free node for the map.
pub(crate) type Reservation = RBTreeNodeReservation<usize, Entry>;

/// Everything protected by the membership spinlock.
pub(crate) struct Membership {
    /// Tasks outside some root, keyed by `task_struct` address. A task is
    /// in the map from its fork hook (or first move) to its exit hook, and
    /// its entry holds a reference to it.
    tasks: RBTree<usize, Entry>,
    /// Free nodes for the fork path (a fixed array: giving and taking
    /// never allocate).
    pool: [Option<Reservation>; POOL_SIZE],
    /// New tasks whose fork hook could get no node, and their containers,
    /// until they settle (see the module docs). A fixed array: the fork
    /// path never allocates for it.
    deferred: [Option<(ARef<Task>, Slots)>; DEFERRED_MAX],
    /// How many of `deferred` are used: lookups of the many tasks that are
    /// not in the map (fork, exit, the packet path) skip the array when 0.
    deferred_len: usize,
    /// Children the fork hook could get no node for (deferred or killed).
    pub(crate) fork_failures: u64,
    /// A container's `populated` changed since the events work last ran.
    pub(crate) events_due: bool,
    /// The `container.procs` write in progress, if any (they are
    /// serialised by the registry mutex).
    moving: Option<Moving>,
    /// See [`Membership::max_scan`].
    max_scan: usize,
}

/// Adds (`add`) or removes a task to or from the containers in `slots`;
/// returns whether a `populated` state changed.
fn count(slots: &Slots, add: bool) -> bool {
    let mut changed = false;
    for c in slots.iter().flatten() {
        changed |= if add {
            c.task_added()
        } else {
            c.task_removed()
        };
    }
    changed
}

impl Membership {
    /// An empty map with a reserved pool.
    pub(crate) fn new() -> Result<Self> {
        let mut pool = [const { None }; POOL_SIZE];
        for slot in pool.iter_mut() {
            *slot = Some(RBTreeNodeReservation::new(GFP_KERNEL)?);
        }
        Ok(Self {
            tasks: RBTree::new(),
            pool,
            deferred: [const { None }; DEFERRED_MAX],
            deferred_len: 0,
            fork_failures: 0,
            events_due: false,
            moving: None,
            max_scan: 0,
        })
    }

    /// How many nodes the pool lacks.
    pub(crate) fn pool_deficit(&self) -> usize {
        self.pool.iter().filter(|r| r.is_none()).count()
    }

    /// Returns a node to the pool (or drops it when the pool is full).
    pub(crate) fn give(&mut self, r: Reservation) {
        if let Some(slot) = self.pool.iter_mut().find(|s| s.is_none()) {
            *slot = Some(r);
        }
    }

    /// Takes a node from the pool.
    fn take(&mut self) -> Option<Reservation> {
        self.pool.iter_mut().find_map(Option::take)
    }

    /// The container of task `key` in hierarchy `slot` (`None`: the root).
    pub(crate) fn get(&self, key: usize, slot: usize) -> Option<&Arc<Container>> {
        let slots = match self.tasks.get(&key) {
            Some(e) => &e.slots,
            None => self.deferred_slots(key)?,
        };
        slots.get(slot).and_then(Option::as_ref)
    }

    /// The containers of deferred task `key`, if it is one.
    fn deferred_slots(&self, key: usize) -> Option<&Slots> {
        self.deferred_iter()
            .find(|(t, _)| task::key(t) == key)
            .map(|(_, slots)| slots)
    }

    /// The deferred tasks and their containers (nothing to visit when
    /// none is deferred).
    fn deferred_iter(&self) -> impl Iterator<Item = &(ARef<Task>, Slots)> {
        let used = if self.deferred_len == 0 {
            0
        } else {
            DEFERRED_MAX
        };
        self.deferred.iter().take(used).flatten()
    }

    /// Removes deferred task `key`, returning it and its containers.
    fn take_deferred(&mut self, key: usize) -> Option<(ARef<Task>, Slots)> {
        if self.deferred_len == 0 {
            return None;
        }
        let taken = self
            .deferred
            .iter_mut()
            .find(|d| d.as_ref().is_some_and(|(t, _)| task::key(t) == key))
            .and_then(Option::take)?;
        self.deferred_len -= 1;
        Some(taken)
    }

    /// Whether task `key` waits for its node (see the module docs).
    #[cfg_attr(
        not(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET)),
        expect(dead_code)
    )]
    pub(crate) fn is_deferred(&self, key: usize) -> bool {
        self.deferred_slots(key).is_some()
    }

    /// Settles deferred task `key` in the map with `node` (the task's own
    /// fix-up, in process context). If the task is not deferred (any more)
    /// or its containers are all roots, the node goes to the pool; the
    /// references returned are for the caller to drop outside the lock.
    #[cfg_attr(
        not(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET)),
        expect(dead_code)
    )]
    pub(crate) fn settle(&mut self, key: usize, node: Reservation) -> Option<(ARef<Task>, Slots)> {
        match self.take_deferred(key) {
            Some((task, slots)) if slots.iter().any(Option::is_some) => {
                // Counted when deferred: it was in its containers all along.
                let entry = Entry {
                    task,
                    slots,
                    pinned: 0,
                };
                self.tasks.insert(node.into_node(key, entry));
                None
            }
            other => {
                self.give(node);
                other
            }
        }
    }

    /// Fork: `child`, of the thread group `group()` names, inherits
    /// `parent`'s entry (and the destination of a `container.procs` write
    /// moving that group; `group` is only called while a write is marked).
    /// If `child` was moved before this hook ran it already has an entry:
    /// its slots that are not pinned are filled from the parent.
    ///
    /// Returns the child's containers and the slots whose subsystem fork
    /// hooks must run (a bit per slot), or [`Forked::Root`] when the child
    /// ends up in every root or nothing is left to do. [`Forked::Deferred`]:
    /// no node could be had, and the child waits for its own (the caller
    /// must queue its fix-up). `Err`: not even that; the caller must kill
    /// the child.
    pub(crate) fn fork(
        &mut self,
        parent: usize,
        child_task: &Task,
        group: impl FnOnce() -> usize,
    ) -> Result<Forked<'_>> {
        let child = task::key(child_task);
        let mut inherited: Slots = match self.tasks.get(&parent) {
            Some(pe) => pe.slots.clone(),
            None => [const { None }; MAX_HIERARCHIES],
        };
        if let Some(mv) = self.moving.as_ref().filter(|mv| mv.group == group()) {
            if let Some(s) = inherited.get_mut(mv.slot) {
                *s = mv.to.clone();
            }
        }
        if let Some(ce) = self.tasks.get_mut(&child) {
            // Moved before this hook: merge.
            let mut hooks = 0u32;
            let mut changed = false;
            for (i, (s, from)) in ce.slots.iter_mut().zip(inherited).enumerate() {
                // A slot not pinned was never set (`None`).
                if ce.pinned & bit(i) != 0 || s.is_some() {
                    continue;
                }
                if let Some(c) = from {
                    changed |= c.task_added();
                    hooks |= bit(i);
                    *s = Some(c);
                }
            }
            ce.pinned = 0;
            self.events_due |= changed;
            if ce.slots.iter().all(Option::is_none) {
                let _ = self.take_entry(child);
                return Ok(Forked::Root);
            }
            return Ok(match self.tasks.get(&child) {
                Some(e) => Forked::Tracked(&e.slots, hooks),
                None => Forked::Root,
            });
        }
        if inherited.iter().all(Option::is_none) {
            return Ok(Forked::Root);
        }
        let node = if crate::ffi::fault::fork_should_fail() {
            None
        } else {
            self.take()
                .or_else(|| RBTreeNodeReservation::new(GFP_ATOMIC).ok())
        };
        let Some(node) = node else {
            self.fork_failures += 1;
            let free = self
                .deferred
                .iter_mut()
                .find(|d| d.is_none())
                .ok_or(ENOMEM)?;
            self.events_due |= count(&inherited, true);
            self.deferred_len += 1;
            let (_, slots) = free.insert((ARef::from(child_task), inherited));
            return Ok(Forked::Deferred(slots));
        };
        self.events_due |= count(&inherited, true);
        let entry = Entry {
            task: ARef::from(child_task),
            slots: inherited,
            pinned: 0,
        };
        self.tasks.insert(node.into_node(child, entry));
        Ok(match self.tasks.get(&child) {
            Some(e) => Forked::Tracked(&e.slots, u32::MAX),
            None => Forked::Root,
        })
    }

    /// Marks the start of a `container.procs` write moving thread group
    /// `group` to `to` (`None`: the root) in hierarchy `slot` (no-op if
    /// already marked).
    pub(crate) fn start_moving(&mut self, group: usize, slot: usize, to: Option<Arc<Container>>) {
        if self.moving.is_none() {
            self.moving = Some(Moving { group, slot, to });
        }
    }

    /// Ends the `container.procs` write in progress; returns its
    /// destination, to be dropped once the lock is released.
    pub(crate) fn stop_moving(&mut self) -> Option<Arc<Container>> {
        self.moving.take().and_then(|mv| mv.to)
    }

    /// Exit: removes task `key`'s entry, returning its containers (for the
    /// subsystem exit hooks) once the node is recycled.
    pub(crate) fn exit(&mut self, key: usize) -> Option<Slots> {
        let slots = match self.take_entry(key) {
            Some(slots) => slots,
            None => self.take_deferred(key)?.1,
        };
        self.events_due |= count(&slots, false);
        Some(slots)
    }

    /// Removes task `key`'s entry, returning its slots and putting the
    /// node's memory back in the pool.
    fn take_entry(&mut self, key: usize) -> Option<Slots> {
        let e = self.tasks.get_mut(&key)?;
        let slots = core::mem::replace(&mut e.slots, [const { None }; MAX_HIERARCHIES]);
        if let Some(node) = self.tasks.remove_node(&key) {
            self.give(node.into_reservation());
        }
        Some(slots)
    }

    /// Moves task `t` into `to` (`None`: the root) in hierarchy `slot`,
    /// using `spare` if the task needs a new entry. `new`: the task is
    /// still `TASK_NEW`, so its fork hook may not have run yet; the slot is
    /// then pinned (see the module docs), in an entry even for the root.
    /// Returns the container it left (`None`: the root) and the unused
    /// spare.
    pub(crate) fn set(
        &mut self,
        t: &Task,
        slot: usize,
        to: Option<Arc<Container>>,
        new: bool,
        spare: Option<Reservation>,
    ) -> (Option<Arc<Container>>, Option<Reservation>) {
        let key = task::key(t);
        if let Some(e) = self.tasks.get_mut(&key) {
            let Some(s) = e.slots.get_mut(slot) else {
                return (None, spare);
            };
            let mut changed = false;
            if let Some(c) = to.as_ref() {
                changed |= c.task_added();
            }
            let old = core::mem::replace(s, to);
            if let Some(c) = old.as_ref() {
                changed |= c.task_removed();
            }
            if new {
                e.pinned |= bit(slot);
            }
            self.events_due |= changed;
            if !new && e.slots.iter().all(Option::is_none) {
                // Back in every root: the entry is not needed any more.
                let _ = self.take_entry(key);
            }
            return (old, spare);
        }
        let deferred = if self.deferred_len == 0 {
            None
        } else {
            self.deferred
                .iter_mut()
                .flatten()
                .find(|(d, _)| task::key(d) == key)
        };
        if let Some((_, slots)) = deferred {
            // Waiting for its node: the move changes what it settles with.
            let Some(s) = slots.get_mut(slot) else {
                return (None, spare);
            };
            let mut changed = to.as_ref().is_some_and(|c| c.task_added());
            let old = core::mem::replace(s, to);
            changed |= old.as_ref().is_some_and(|c| c.task_removed());
            self.events_due |= changed;
            return (old, spare);
        }
        if to.is_none() && !new {
            return (None, spare);
        }
        if slot >= MAX_HIERARCHIES {
            return (None, spare);
        }
        let Some(node) = spare else {
            return (None, None);
        };
        let mut slots: Slots = [const { None }; MAX_HIERARCHIES];
        if let Some(c) = to.as_ref() {
            self.events_due |= c.task_added();
        }
        if let Some(s) = slots.get_mut(slot) {
            *s = to;
        }
        let pinned = if new { bit(slot) } else { 0 };
        let entry = Entry {
            task: ARef::from(t),
            slots,
            pinned,
        };
        self.tasks.insert(node.into_node(key, entry));
        (None, None)
    }

    /// The first task with a key above `after` (from the start if `None`)
    /// whose container in hierarchy `slot` is not the root and is accepted
    /// by `want`, looking at no more than [`SCAN_BATCH`] entries of the
    /// map. Does not allocate.
    pub(crate) fn next_in(
        &mut self,
        slot: usize,
        after: Option<usize>,
        mut want: impl FnMut(&Arc<Container>) -> bool,
    ) -> Next {
        let Some(start) = after.map_or(Some(0), |k| k.checked_add(1)) else {
            return Next::End;
        };
        // The deferred task with the lowest key from `start` on, if any.
        let mut deferred: Option<(usize, &ARef<Task>, &Arc<Container>)> = None;
        let used = if self.deferred_len == 0 {
            0
        } else {
            DEFERRED_MAX
        };
        for (t, slots) in self.deferred.iter().take(used).flatten() {
            let k = task::key(t);
            if let Some(Some(c)) = slots.get(slot) {
                if k >= start && deferred.map_or(true, |(d, _, _)| k < d) && want(c) {
                    deferred = Some((k, t, c));
                }
            }
        }
        let mut visited = 0usize;
        let mut found = Next::End;
        let mut cur = self.tasks.cursor_lower_bound(&start);
        while let Some(at) = cur {
            let (k, e) = at.current();
            if deferred.is_some_and(|(d, _, _)| d < *k) {
                break;
            }
            if visited == SCAN_BATCH {
                found = Next::Partial(*k - 1);
                break;
            }
            visited += 1;
            if let Some(Some(c)) = e.slots.get(slot) {
                if want(c) {
                    found = Next::Found(e.task.clone(), c.clone());
                    break;
                }
            }
            cur = at.move_next();
        }
        self.max_scan = self.max_scan.max(visited);
        match (found, deferred) {
            (Next::End, Some((_, t, c))) => Next::Found(t.clone(), c.clone()),
            (found, _) => found,
        }
    }

    /// Calls `f` with every task whose key is above `after` (from the start
    /// if `None`) and whose container in hierarchy `slot` is not the root,
    /// and that container, looking at no more than [`SCAN_BATCH`] entries of
    /// the map (and, on the first call, at the deferred tasks). Returns
    /// where to go on from (`Some`), or `None` at the end.
    pub(crate) fn visit(
        &mut self,
        slot: usize,
        after: Option<usize>,
        mut f: impl FnMut(&Task, &Arc<Container>),
    ) -> Option<usize> {
        let start = match after {
            None => {
                for (t, slots) in self.deferred_iter() {
                    if let Some(Some(c)) = slots.get(slot) {
                        f(t, c);
                    }
                }
                0
            }
            Some(k) => k.checked_add(1)?,
        };
        let mut visited = 0usize;
        let mut next = None;
        let mut cur = self.tasks.cursor_lower_bound(&start);
        while let Some(at) = cur {
            let (k, e) = at.current();
            if visited == SCAN_BATCH {
                next = Some(*k - 1);
                break;
            }
            visited += 1;
            if let Some(Some(c)) = e.slots.get(slot) {
                f(&e.task, c);
            }
            cur = at.move_next();
        }
        self.max_scan = self.max_scan.max(visited);
        next
    }

    /// The most map entries one walk of [`next_in`] or [`visit`], or one
    /// batch of a move ([`Membership::note_scan`]), looked at or changed in
    /// one hold of the lock since the module loaded (or the last
    /// [`Membership::reset_max_scan`]).
    ///
    /// [`next_in`]: Self::next_in
    /// [`visit`]: Self::visit
    #[cfg_attr(not(CONFIG_TASK_CONTAINERS_DEBUG), expect(dead_code))]
    pub(crate) fn max_scan(&self) -> usize {
        self.max_scan
    }

    /// Records that one hold of the lock looked at or changed `n` entries
    /// (see [`Membership::max_scan`]).
    pub(crate) fn note_scan(&mut self, n: usize) {
        self.max_scan = self.max_scan.max(n);
    }

    /// Starts [`Membership::max_scan`] over.
    pub(crate) fn reset_max_scan(&mut self) {
        self.max_scan = 0;
    }
}
