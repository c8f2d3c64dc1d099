// SPDX-License-Identifier: GPL-2.0

//! Moving tasks between containers: writes to `tasks` and
//! `container.procs`.
//!
//! All bound subsystems' `can_attach` run first, for every thread moved;
//! if one refuses, the ones that agreed get `cancel_attach` and nothing
//! moves. Then the membership changes under the membership lock, and the
//! subsystems' `attach` hooks run. Everything happens under the registry
//! mutex, so moves and tree changes are serialised. Nothing can fail once
//! a commit has begun (the map's nodes are allocated before), so a commit
//! moves all of its threads or none. It holds the membership lock, which
//! fork, exit and the packet path take, for at most [`SCAN_BATCH`] threads
//! at a time: a reader of `tasks` may see a thread group partly moved
//! while a `container.procs` write is in progress, as it may see the group
//! change by fork and exit.
//!
//! `container.procs` moves a thread group that may be creating threads.
//! Its first commit also leaves a mark (see [`crate::membership`]) under
//! which the fork hook puts every new thread of the group in the
//! destination. The threads that missed both the first scan and the mark
//! had their fork hook run before the mark, so they are linked in the
//! group by then: a second scan, after the first commit, finds them all.
//! After it every thread is in the destination, and threads created
//! since inherit it. If the second scan's commit fails (a subsystem
//! refuses a thread, or memory runs out), the write fails with that errno
//! and the threads the first commit moved stay moved, as with cgroup v1's
//! `cgroup.procs` when a migration fails part way.

use crate::cftype::errno;
use crate::container::Container;
use crate::ffi::opener::Opener;
use crate::ffi::task::{self, Task};
use crate::logic::parse::parse_pid;
use crate::membership::{Reservation, SCAN_BATCH};
use crate::subsys::{Css, SubsysId};
use kernel::prelude::*;
use kernel::rbtree::RBTreeNodeReservation;
use kernel::sync::Arc;
use kernel::types::ARef;

/// Handles a write of a pid to `tasks` (`threadgroup` false) or
/// `container.procs` (true) of `c`. `0` names the writing task; whether the
/// target may be moved is decided with the credentials of the file's
/// `opener` (as cgroup v1 since 2022), so a privileged program writing to
/// an fd an unprivileged user opened cannot be used to move other users'
/// tasks.
pub(crate) fn write_pid(
    c: &Arc<Container>,
    opener: &Opener<'_>,
    buf: &[u8],
    threadgroup: bool,
) -> Result {
    let pid = parse_pid(buf).map_err(errno)?;
    let world = c.hierarchy().world().clone();
    let reg = world.registry.lock();
    if c.is_removed() {
        return Err(ENODEV);
    }
    let root = reg
        .entry(c.hierarchy())
        .map(|e| e.root.clone())
        .ok_or(ENODEV)?;
    let target = if pid == 0 {
        task::current()
    } else {
        task::find_by_vpid(pid).ok_or(ESRCH)?
    };
    // Kernel threads stay in the root (cgroup v1 refuses the ones that may
    // not migrate; here none may).
    if task::is_kthread(&target) || task::no_setaffinity(&target) {
        return Err(EINVAL);
    }
    if !opener.may_move(&target) {
        return Err(EACCES);
    }
    if !threadgroup {
        if task::is_exiting(&target) {
            return Err(ESRCH);
        }
        let one = [target];
        return move_threads(c, &root, &one, None).map(|_| ());
    }
    // Any thread names the thread group.
    let leader = target;
    let group = task::group_key(&leader);
    let moving = MovingMark { c };
    let mut moved_any = false;
    // Two scans (see the module docs): the first commit leaves the mark,
    // the second scan catches the threads forked before it.
    for _ in 0..2 {
        let threads = task::threads_of(&leader)?;
        let pending: KVec<ARef<Task>> = filter_not_in(c, threads)?;
        if pending.is_empty() {
            break;
        }
        moved_any |= move_threads(c, &root, &pending, Some(group))? > 0;
    }
    drop(moving);
    if !moved_any && task::is_exiting(&leader) {
        return Err(ESRCH);
    }
    Ok(())
}

/// Clears the mark of a `container.procs` write in progress when the
/// write ends, however it ends.
struct MovingMark<'a> {
    /// The destination.
    c: &'a Arc<Container>,
}

impl Drop for MovingMark<'_> {
    fn drop(&mut self) {
        let world = self.c.hierarchy().world();
        let to = world.members.lock().stop_moving();
        // The reference is dropped outside the lock.
        drop(to);
    }
}

/// Keeps the threads that are not in `c` yet. Looks them up
/// [`SCAN_BATCH`] at a time, one hold of the membership lock each.
fn filter_not_in(c: &Arc<Container>, threads: KVec<ARef<Task>>) -> Result<KVec<ARef<Task>>> {
    let slot = c.hierarchy().slot();
    let world = c.hierarchy().world().clone();
    let mut out = KVec::with_capacity(threads.len(), GFP_KERNEL)?;
    let mut threads = threads.into_iter();
    loop {
        let mut m = world.members.lock();
        let mut looked = 0usize;
        for t in threads.by_ref() {
            let cur = m.get(task::key(&t), slot);
            let here = match cur {
                Some(cur) => Arc::ptr_eq(cur, c),
                None => c.is_root(),
            };
            if !here && !task::is_exiting(&t) {
                // Cannot allocate: the capacity covers every thread.
                let _ = out.push(t, GFP_NOWAIT);
            }
            looked += 1;
            if looked == SCAN_BATCH {
                break;
            }
        }
        m.note_scan(looked);
        drop(m);
        if looked < SCAN_BATCH {
            return Ok(out);
        }
        task::cond_resched();
    }
}

/// Moves `threads` into `c`, whose hierarchy's root is `root`; returns how
/// many moved. `group`: the thread group a `container.procs` write moves,
/// marked (if not yet) in the commit's first hold of the membership lock.
/// Registry mutex held.
fn move_threads(
    c: &Arc<Container>,
    root: &Arc<Container>,
    threads: &[ARef<Task>],
    group: Option<usize>,
) -> Result<usize> {
    let h = c.hierarchy();
    if threads.is_empty() {
        return Ok(0);
    }
    // 1. Every subsystem may veto; undo the agreements on a veto.
    let mut agreed: KVec<(SubsysId, usize)> = KVec::new();
    for css in c.css_iter() {
        for (i, t) in threads.iter().enumerate() {
            if let Err(e) = css.id().ops().can_attach(css, t) {
                cancel(c, threads, &agreed);
                return Err(e);
            }
            if let Err(e) = agreed.push((css.id(), i), GFP_KERNEL) {
                css.id().ops().cancel_attach(css, t);
                cancel(c, threads, &agreed);
                return Err(e.into());
            }
        }
    }
    // 2. Memory for the map before the spinlock, and for the list of
    // moves: nothing can fail after the first commit.
    let mut spares: KVec<Reservation> = KVec::with_capacity(threads.len(), GFP_KERNEL)?;
    // The threads that moved, by index in `threads` (ascending), with the
    // container each left (`None`: root).
    let mut moved: KVec<(usize, Option<Arc<Container>>)> =
        KVec::with_capacity(threads.len(), GFP_KERNEL)?;
    for _ in threads {
        match RBTreeNodeReservation::new(GFP_KERNEL) {
            Ok(r) => {
                // Cannot allocate: the capacity covers every thread.
                let _ = spares.push(r, GFP_NOWAIT);
            }
            Err(e) => {
                cancel(c, threads, &agreed);
                return Err(e);
            }
        }
    }
    // 3. Commit, `SCAN_BATCH` threads per hold of the membership lock. The
    // mark of a `container.procs` write is left in the first hold, so
    // threads forked from then on go to `c` too.
    let to = if c.is_root() { None } else { Some(c.clone()) };
    let world = h.world();
    let mut events = false;
    let mut spares = spares.into_iter();
    // A spare the last move did not use.
    let mut unused: Option<Reservation> = None;
    for (n, batch) in threads.chunks(SCAN_BATCH).enumerate() {
        if n > 0 {
            task::cond_resched();
        }
        let mut m = world.members.lock();
        if let (Some(group), 0) = (group, n) {
            m.start_moving(group, h.slot(), to.clone());
        }
        for (j, t) in batch.iter().enumerate() {
            // An exiting task's exit hook may already have run: adding an
            // entry now would outlive the task.
            if task::is_exiting(t) {
                continue;
            }
            let new = task::is_new(t);
            let spare = unused.take().or_else(|| spares.next());
            let (old, spare) = m.set(t, h.slot(), to.clone(), new, spare);
            unused = spare;
            let same = match (&old, &to) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            };
            if !same {
                // Cannot allocate: capacity covers every thread. The old
                // container's reference is dropped with `moved`, outside
                // the lock (when `same`, `to` keeps it alive).
                let _ = moved.push((n * SCAN_BATCH + j, old), GFP_NOWAIT);
            }
        }
        m.note_scan(batch.len());
        events |= core::mem::take(&mut m.events_due);
    }
    if events {
        world.queue_events();
    }
    // 4. Tell the subsystems (may sleep).
    for css in c.css_iter() {
        for (i, old) in moved.iter() {
            let from = old.as_ref().unwrap_or(root);
            if let (Some(t), Some(old_css)) = (threads.get(*i), from.css(css.id())) {
                css.id().ops().attach(css, old_css, t);
            }
        }
    }
    // Subsystems that agreed for threads that did not move (exiting, or
    // already there) are told to forget it.
    for &(id, i) in agreed.iter() {
        if moved.binary_search_by_key(&i, |(m, _)| *m).is_err() {
            if let (Some(css), Some(t)) = (c.css(id), threads.get(i)) {
                css.id().ops().cancel_attach(css, t);
            }
        }
    }
    Ok(moved.len())
}

/// Runs `cancel_attach` for every (subsystem, thread) that agreed.
fn cancel(c: &Container, threads: &[ARef<Task>], agreed: &[(SubsysId, usize)]) {
    for &(id, i) in agreed.iter().rev() {
        let css: Option<&Css> = c.css(id);
        if let (Some(css), Some(t)) = (css, threads.get(i)) {
            css.id().ops().cancel_attach(css, t);
        }
    }
}
