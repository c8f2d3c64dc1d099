// SPDX-License-Identifier: GPL-2.0

//! What the cpuset and memset subsystems share: a requested and an
//! effective mask per container, the cgroup-v1 cpuset rules, and applying
//! the effective mask to the member tasks.
//!
//! - *requested* (`cpus`, `mems`) is what the administrator wrote. A new
//!   container starts empty, or with its parent's mask when the parent has
//!   `container.clone_children` set. The root's is every usable CPU or node.
//! - *effective* (`effective_cpus`, `effective_mems`) is what applies:
//!   requested ∩ parent's effective ∩ usable. When hotplug leaves a
//!   non-empty request with nothing, the container falls back to its
//!   parent's effective mask (so to its nearest ancestor with something),
//!   and gets its own back when the CPUs return. An empty request gives an
//!   empty effective mask: tasks cannot be attached (`ENOSPC`).
//!
//! # Fork
//!
//! A child copies its parent's CPU and node masks early in `fork()`, before
//! the fork hook gives it the parent's containers. If the parent was moved
//! in between, the child's container may not allow the copied mask; the
//! fork hook then queues task work that re-applies the container's
//! placement before the child first returns to user space
//! ([`fixup_current`]), so it never runs user code outside its container.
//! A child whose mask is inside its container is left alone, even if the
//! container (after the parent's move) allows more.
//!
//! # Locking
//!
//! Masks change only under the registry mutex (writes to the files, attach,
//! the hotplug work), which also serialises applying them to tasks. Readers
//! (file reads, the setaffinity hook under RCU) load the words atomically;
//! a reader racing with a change of a multi-word mask may see a mix of the
//! two, which the setaffinity path re-checks after applying.

use crate::cftype::{errno, Buf};
use crate::container::Container;
use crate::ffi::opener::Opener;
use crate::ffi::placement::{Bits, Placed, MAX_WORDS};
use crate::ffi::task::{self, Task};
use crate::logic::cpulist;
use crate::logic::cpuset_rules::{self, AsPeer, Change};
use crate::logic::parse::parse_bool_u64;
use crate::subsys::{CreateCtx, SubsysId};
use crate::world::{Registry, World};
use core::cell::Cell;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// What a placement subsystem places tasks on: CPUs or memory nodes.
pub(crate) trait Resource: Sync + 'static {
    /// The subsystem.
    const ID: SubsysId;
    /// Number of CPUs or nodes (bits that can be set).
    fn nbits() -> usize;
    /// The CPUs or nodes usable now.
    fn usable() -> Bits;
    /// What a task moved to the root is confined to.
    fn root_mask() -> Bits {
        Self::usable()
    }
    /// Confines `task` to `mask` (process context, may sleep).
    fn apply(task: &Task, mask: &Bits);
    /// What `task` is confined to now (atomic context).
    fn task_mask(task: &Task) -> Bits;
    /// Whether confining `task` to `mask` would conflict with another
    /// confinement of the task that the module must not widen (process
    /// context, may sleep). Such attaches and changes fail with `EBUSY`.
    fn conflicts(_task: &Task, _mask: &Bits) -> bool {
        false
    }
}

/// A mask whose words are loaded and stored atomically.
pub(crate) struct Mask([AtomicU64; MAX_WORDS]);

impl Mask {
    /// A mask holding `bits`.
    fn new(bits: &Bits) -> Self {
        Self(bits.map(AtomicU64::new))
    }

    /// The current value.
    pub(crate) fn get(&self) -> Bits {
        let mut out: Bits = [0; MAX_WORDS];
        for (o, w) in out.iter_mut().zip(self.0.iter()) {
            *o = w.load(Ordering::Relaxed);
        }
        out
    }

    /// Stores `bits` (registry mutex held).
    fn set(&self, bits: &Bits) {
        for (w, b) in self.0.iter().zip(bits.iter()) {
            w.store(*b, Ordering::Relaxed);
        }
    }
}

/// The per-container state of cpuset and memset.
pub(crate) struct Place {
    /// What was written to `cpus`/`mems`.
    requested: Mask,
    /// What applies to the tasks.
    pub(crate) effective: Mask,
    /// `cpu_exclusive`/`mem_exclusive`.
    exclusive: AtomicBool,
    /// Whether this is a hierarchy's root.
    root: bool,
    /// The effective mask a run of [`update`] computed, before it commits
    /// it (registry mutex).
    trial: Mask,
    /// The last run of [`update`] that changed `effective` (registry
    /// mutex).
    changed_in: AtomicU64,
}

/// The empty mask.
const EMPTY: Bits = [0; MAX_WORDS];

/// The effective mask of a container requesting `req` under a parent whose
/// effective mask is `parent`, with `usable` CPUs or nodes.
fn effective_of(req: &Bits, parent: &Bits, usable: &Bits) -> Bits {
    if cpulist::is_empty(req) {
        return EMPTY;
    }
    let mut both = EMPTY;
    cpulist::and_into(&mut both, req, parent);
    let mut out = EMPTY;
    cpulist::and_into(&mut out, &both, usable);
    if cpulist::is_empty(&out) {
        *parent
    } else {
        out
    }
}

/// `create`: the root spans everything usable; a child starts empty or,
/// with `clone_children` and no exclusive sibling, with its parent's
/// request.
pub(crate) fn create<R: Resource>(ctx: &CreateCtx<'_, Place>) -> Result<Place> {
    let usable = R::usable();
    let (req, eff) = match ctx.parent {
        None => (usable, usable),
        Some(p) => {
            // As the cgroup cpuset: no copy next to an exclusive sibling,
            // which the copy would overlap.
            let req = if ctx.clone_children
                && !ctx.any_sibling(|s| s.exclusive.load(Ordering::Relaxed))
            {
                p.requested.get()
            } else {
                EMPTY
            };
            (req, effective_of(&req, &p.effective.get(), &usable))
        }
    };
    Ok(Place {
        requested: Mask::new(&req),
        effective: Mask::new(&eff),
        exclusive: AtomicBool::new(false),
        root: ctx.parent.is_none(),
        trial: Mask::new(&eff),
        changed_in: AtomicU64::new(0),
    })
}

/// `can_attach`: a task needs somewhere to run or allocate (`ENOSPC`), and
/// the container may not widen it beyond another confinement (`EBUSY`,
/// [`Resource::conflicts`]). Registry mutex held.
pub(crate) fn can_attach<R: Resource>(state: &Place, task: &Task) -> Result {
    let mask = state.effective.get();
    cpuset_rules::validate_attach(&mask).map_err(errno)?;
    if !state.root && R::conflicts(task, &mask) {
        return Err(EBUSY);
    }
    Ok(())
}

/// `attach`: confines the task to the container's effective mask (the
/// root: to [`Resource::root_mask`]).
pub(crate) fn attach<R: Resource>(state: &Place, task: &Task) {
    let mask = if state.root {
        R::root_mask()
    } else {
        state.effective.get()
    };
    R::apply(task, &mask);
}

/// `fork`: the child copied its parent's mask early in `fork()`. If the
/// parent was moved meanwhile, the child's container (the parent's new one)
/// may not allow that mask: have the child re-apply its placement before it
/// first returns to user space. Atomic context.
pub(crate) fn fork<R: Resource>(state: &Place, child: &Task) {
    // Kernel threads and user workers (io_uring, vhost) never run the task
    // work on their way to user space; they are not moved anyway.
    if task::is_kthread(child) || task::is_user_worker(child) {
        return;
    }
    if cpulist::is_subset(&R::task_mask(child), &state.effective.get()) {
        return;
    }
    if let Err(e) = crate::ffi::placement::queue_fixup(child) {
        // Fail closed: a child that could run outside its container never
        // runs at all.
        task::kill(child);
        report_fixup_failure(e);
    }
}

/// Reports a failed fork fix-up (rarely: only on allocation failure).
fn report_fixup_failure(e: Error) {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.swap(true, Ordering::Relaxed) {
        pr_warn!(
            "cannot queue a placement fix-up for a new task ({:?}); killed it (reported once)\n",
            e
        );
    }
}

/// The fork fix-up, in the new task's context before it first returns to
/// user space: re-applies the placement of its containers.
pub(crate) fn fixup_current(world: &World) {
    let me = task::current();
    if task::is_exiting(&me) {
        return;
    }
    // Serialised with attach and mask changes, which apply under it too.
    let _reg = world.registry.lock();
    #[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
    reapply::<super::cpuset::Cpuset>(world, &me);
    #[cfg(CONFIG_TASK_CONTAINERS_MEMSET)]
    reapply::<super::memset::Memset>(world, &me);
}

/// Applies the effective mask of `R` of `t`'s container to `t`. Registry
/// mutex held.
fn reapply<R: Resource>(world: &World, t: &Task) {
    let Some(slot) = world.bound_slot(R::ID) else {
        return;
    };
    let owner = world.members.lock().get(task::key(t), slot).cloned();
    if let Some(c) = owner {
        if let Ok(st) = place::<R>(&c) {
            R::apply(t, &st.effective.get());
        }
    }
}

/// The state of `R` in `c`.
fn place<R: Resource>(c: &Container) -> Result<&Place> {
    c.css(R::ID)
        .and_then(|css| css.get::<Place>())
        .ok_or(ENODEV)
}

/// Writes `mask` in list form and a newline.
fn show(mask: &Bits, nbits: usize, out: &mut Buf) -> Result {
    cpulist::format_list(mask, nbits, out).map_err(|_| ENOMEM)?;
    out.push(b"\n")
}

/// Reads `cpus`/`mems`.
pub(crate) fn read_requested<R: Resource>(
    st: &Place,
    _c: &Arc<Container>,
    out: &mut Buf,
) -> Result {
    show(&st.requested.get(), R::nbits(), out)
}

/// Reads `effective_cpus`/`effective_mems`.
pub(crate) fn read_effective<R: Resource>(
    st: &Place,
    _c: &Arc<Container>,
    out: &mut Buf,
) -> Result {
    show(&st.effective.get(), R::nbits(), out)
}

/// Reads `cpu_exclusive`/`mem_exclusive`.
pub(crate) fn read_exclusive<R: Resource>(
    st: &Place,
    _c: &Arc<Container>,
    out: &mut Buf,
) -> Result {
    let v = st.exclusive.load(Ordering::Relaxed);
    out.fmt(format_args!("{}\n", u8::from(v)))
}

/// Writes `cpus`/`mems`: parse, check against the v1 rules, commit, and
/// re-apply to the tasks of the container and its descendants.
pub(crate) fn write_requested<R: Resource>(
    st: &Place,
    c: &Arc<Container>,
    _opener: &Opener<'_>,
    buf: &[u8],
) -> Result {
    let mut trial = EMPTY;
    // Out-of-range CPUs are "outside the online set" too: EINVAL.
    cpulist::parse_list(buf, R::nbits(), &mut trial).map_err(|_| EINVAL)?;
    let world = c.hierarchy().world().clone();
    let mut reg = world.registry.lock();
    let exclusive = st.exclusive.load(Ordering::Relaxed);
    change::<R>(&world, &mut reg, c, st, &trial, exclusive)
}

/// Writes `cpu_exclusive`/`mem_exclusive`.
pub(crate) fn write_exclusive<R: Resource>(
    st: &Place,
    c: &Arc<Container>,
    _opener: &Opener<'_>,
    buf: &[u8],
) -> Result {
    let v = parse_bool_u64(buf).map_err(errno)?;
    let world = c.hierarchy().world().clone();
    let mut reg = world.registry.lock();
    let trial = st.requested.get();
    change::<R>(&world, &mut reg, c, st, &trial, v)
}

/// The requested mask and exclusive flag of `c`, as the rules see it. A
/// container without the state (which cannot happen: every container of
/// the hierarchy has it) counts as exclusive and using everything, so that
/// a change next to it is refused rather than wrongly allowed.
fn peer_of<R: Resource>(c: &Container) -> (Bits, bool) {
    match place::<R>(c) {
        Ok(st) => (st.requested.get(), st.exclusive.load(Ordering::Relaxed)),
        Err(_) => ([u64::MAX; MAX_WORDS], true),
    }
}

/// Validates and commits a new request and exclusive flag for `c`, whose
/// state is `st`. Registry mutex held.
fn change<R: Resource>(
    world: &World,
    reg: &mut Registry,
    c: &Arc<Container>,
    st: &Place,
    trial: &Bits,
    exclusive: bool,
) -> Result {
    if c.is_removed() {
        return Err(ENODEV);
    }
    let usable = R::usable();
    let old = st.requested.get();
    let parent = match c.parent() {
        None => None,
        Some(p) => {
            let ps = place::<R>(p)?;
            // The root counts as exclusive, like the kernel's top_cpuset.
            let excl = p.is_root() || ps.exclusive.load(Ordering::Relaxed);
            Some((ps.requested.get(), excl))
        }
    };
    // The children and siblings are read in place, one at a time: their
    // number is up to user space, so nothing is collected.
    let children = &reg.nodes.get(&c.id()).ok_or(ENODEV)?.children;
    let siblings = match c.parent() {
        Some(p) => Some(&reg.nodes.get(&p.id()).ok_or(ENODEV)?.children),
        None => None,
    };
    cpuset_rules::validate_change(Change {
        parent: parent.as_ref().map(AsPeer::as_peer),
        online: &usable,
        old: &old,
        trial,
        trial_exclusive: exclusive,
        children: children.iter().map(|(_, ch)| peer_of::<R>(ch)),
        siblings: siblings
            .into_iter()
            .flat_map(|s| s.iter())
            .filter(|(id, _)| **id != c.id())
            .map(|(_, s)| peer_of::<R>(s)),
        populated: c.populated(),
    })
    .map_err(errno)?;
    update::<R>(world, reg, c, trial, Some(exclusive))
}

/// The child of container `parent` that follows child `after` in id order
/// (`None`: the first child), if any. Registry mutex held.
fn next_child(reg: &mut Registry, parent: u64, after: Option<u64>) -> Option<Arc<Container>> {
    let children = &mut reg.nodes.get_mut(&parent)?.children;
    let cursor = match after {
        None => children.cursor_front(),
        Some(id) => children.cursor_lower_bound(&id.checked_add(1)?),
    };
    cursor.map(|cur| cur.current().1.clone())
}

/// The next container after `c` in a pre-order walk of the subtree of
/// `top` (parents before their children), if any. Registry mutex held. It
/// keeps no state besides `c`, so the walk needs no memory however deep or
/// wide the tree is.
fn next_in_subtree(
    reg: &mut Registry,
    top: &Arc<Container>,
    c: &Arc<Container>,
) -> Option<Arc<Container>> {
    if let Some(first) = next_child(reg, c.id(), None) {
        return Some(first);
    }
    let mut cur = c.clone();
    while !Arc::ptr_eq(&cur, top) {
        let parent = cur.parent()?.clone();
        if let Some(next) = next_child(reg, parent.id(), Some(cur.id())) {
            return Some(next);
        }
        cur = parent;
    }
    None
}

/// Numbers the runs of [`update`], to mark the containers each changed.
static UPDATES: AtomicU64 = AtomicU64::new(0);

/// Sets the request of `from` to `req` (and its exclusive flag, if given),
/// recomputes the effective masks of `from` and its descendants (parents
/// first) and re-applies them to the tasks of those that changed. Registry
/// mutex held.
///
/// It works in three passes over the subtree, none of which allocates:
/// 1. compute every would-be effective mask into `trial`, and mark the
///    containers whose mask changes with this run's number;
/// 2. (for a write, `exclusive` given) refuse with `EBUSY` if a task of a
///    marked container would conflict with another confinement
///    ([`Resource::conflicts`]): nothing has changed yet;
/// 3. commit the masks, then apply them to the tasks. The hotplug rebuild
///    skips pass 2 (it cannot be refused) and always completes.
fn update<R: Resource>(
    world: &World,
    reg: &mut Registry,
    from: &Arc<Container>,
    req: &Bits,
    exclusive: Option<bool>,
) -> Result {
    let usable = R::usable();
    // Containers whose mask changes get this run's number (the registry
    // mutex serialises the runs).
    let run = UPDATES.fetch_add(1, Ordering::Relaxed) + 1;
    let mut any = false;
    let mut next = Some(from.clone());
    while let Some(c) = next {
        // Every container of the hierarchy has the state: the lookups
        // cannot fail, and must not stop the walk half done.
        if let Ok(st) = place::<R>(&c) {
            let new = match c.parent() {
                None => Some(usable),
                Some(p) => place::<R>(p).ok().map(|ps| {
                    // The parent's new mask: its trial if this run marked
                    // it (it is in the subtree, and was computed first).
                    let parent =
                        if Arc::ptr_eq(&c, from) || ps.changed_in.load(Ordering::Relaxed) != run {
                            ps.effective.get()
                        } else {
                            ps.trial.get()
                        };
                    let own = if Arc::ptr_eq(&c, from) {
                        *req
                    } else {
                        st.requested.get()
                    };
                    effective_of(&own, &parent, &usable)
                }),
            };
            if let Some(new) = new.filter(|new| *new != st.effective.get()) {
                st.trial.set(&new);
                st.changed_in.store(run, Ordering::Relaxed);
                any = true;
            }
        }
        next = next_in_subtree(reg, from, &c);
    }
    let slot = from.hierarchy().slot();
    let marked = |owner: &Arc<Container>| {
        place::<R>(owner).is_ok_and(|st| st.changed_in.load(Ordering::Relaxed) == run)
    };
    if any && exclusive.is_some() {
        // The marks of a refused run are never looked at again: run
        // numbers are not reused.
        let refused = Cell::new(false);
        crate::files::for_each_member(
            world,
            slot,
            |owner| !refused.get() && marked(owner),
            |t, owner| {
                if place::<R>(owner).is_ok_and(|st| R::conflicts(t, &st.trial.get())) {
                    refused.set(true);
                }
            },
        );
        if refused.get() {
            return Err(EBUSY);
        }
    }
    // Committed: from here nothing may fail, or tasks would be left
    // outside their container's new mask.
    if let Ok(st) = place::<R>(from) {
        st.requested.set(req);
        if let Some(excl) = exclusive {
            st.exclusive.store(excl, Ordering::Relaxed);
        }
    }
    if !any {
        return Ok(());
    }
    let mut next = Some(from.clone());
    while let Some(c) = next {
        if let Ok(st) = place::<R>(&c) {
            if st.changed_in.load(Ordering::Relaxed) == run {
                st.effective.set(&st.trial.get());
            }
        }
        next = next_in_subtree(reg, from, &c);
    }
    crate::files::for_each_member(world, slot, marked, |t, owner| {
        if let Ok(st) = place::<R>(owner) {
            R::apply(t, &st.effective.get());
        }
    });
    Ok(())
}

/// Recomputes and re-applies every container's masks of `R` (CPU hotplug).
#[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
fn rebuild<R: Resource>(world: &World) {
    let mut reg = world.registry.lock();
    // The hotplug callbacks queue this work mid-transition; waiting for the
    // transition to end here makes the masks read below final.
    let _cpus = crate::ffi::placement::cpus_read_lock();
    let Some(slot) = world.bound_slot(R::ID) else {
        return;
    };
    let Some(root) = reg
        .hierarchies
        .get(slot)
        .and_then(Option::as_ref)
        .map(|e| e.root.clone())
    else {
        return;
    };
    // Cannot fail without a conflict check.
    let _ = update::<R>(world, &mut reg, &root, &R::usable(), None);
}

/// The hotplug work: CPUs came or went.
#[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
pub(crate) fn rebuild_all(world: &World) {
    rebuild::<super::cpuset::Cpuset>(world);
}

/// The CPUs `task` may use, if its container in the cpuset hierarchy
/// restricts them (atomic context: the restrict hook, under RCU).
#[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
pub(crate) fn cpus_allowed(world: &World, task: &Task, out: &mut Bits) -> bool {
    let Some(slot) = world.bound_slot(SubsysId::Cpuset) else {
        return false;
    };
    let m = world.members.lock();
    let st = m
        .get(task::key(task), slot)
        .and_then(|c| c.css(SubsysId::Cpuset))
        .and_then(|css| css.get::<Place>());
    match st {
        Some(st) => {
            *out = st.effective.get();
            true
        }
        None => false,
    }
}

/// The world is what the placement callbacks report to
/// ([`Placement::new`](crate::ffi::placement::Placement::new)).
impl Placed for World {
    #[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
    fn restrict_cpus(&self, task: &Task, mask: &mut Bits) -> bool {
        crate::subsys::cpuset::restrict(self, task, mask)
    }

    fn first_run(&self) {
        World::first_run(self)
    }

    #[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
    fn cpus_changed(this: kernel::sync::ArcBorrow<'_, Self>) {
        World::placement_changed(this);
    }

    /// A callback may have queued work holding the world.
    fn quiesce(&self) {
        self.flush()
    }
}
