// SPDX-License-Identifier: GPL-2.0

//! Tasks: lookup by pid, iteration, credentials and flags.
//!
//! Extends [`kernel::task::Task`] with what 6.12 lacks. `Task` is
//! `#[repr(transparent)]` over `Opaque<task_struct>`, so `&Task` and
//! `*mut task_struct` convert into each other.
//!
//! The fields of `task_struct` are read by C helpers, never through the
//! Rust bindings: on Linux 6.12 with this configuration the bindings'
//! layout of `task_struct` disagrees with C's (`signal` is at offset 1696
//! in Rust, 1712 in C; `flags` agrees). Reading `signal` from Rust gave 0
//! for every task, which made a `container.procs` write's mark for new
//! threads of the moved group match every task forked meanwhile.
//!
//! C header: [`include/linux/sched.h`](srctree/include/linux/sched.h)

use super::bindings;
use core::ptr::NonNull;
use kernel::prelude::*;
use kernel::types::ARef;

pub(crate) use kernel::task::Task;

/// The raw pointer behind `task`.
pub(crate) fn as_raw(task: &Task) -> *mut bindings::task_struct {
    // CAST: `Task` is `#[repr(transparent)]` over `Opaque<task_struct>`,
    // itself a transparent wrapper of `task_struct`.
    (task as *const Task).cast_mut().cast()
}

/// Borrows the task behind a raw pointer.
///
/// # Safety
///
/// `ptr` must point to a valid task that stays alive for `'a`.
pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::task_struct) -> &'a Task {
    // SAFETY: Valid for `'a` per the caller; the cast is the inverse of
    // `as_raw`.
    unsafe { &*ptr.cast::<Task>() }
}

/// The task the current thread runs.
pub(crate) fn current() -> ARef<Task> {
    // SAFETY: `current` is always a valid task; the `From<&Task>`
    // conversion takes a reference on it before the borrow ends.
    let cur: &Task = unsafe { from_raw(bindings::get_current()) };
    ARef::from(cur)
}

/// The membership key ([`key`]) of the current task.
pub(crate) fn current_key() -> usize {
    // SAFETY: Reading `current` has no requirement; only its address is
    // used.
    let cur = unsafe { bindings::get_current() };
    cur as usize
}

/// The key of `task` in the membership map: its `task_struct` address,
/// unique while the task is alive.
pub(crate) fn key(task: &Task) -> usize {
    as_raw(task) as usize
}

/// Sends `SIGKILL` to `task` (used on a child that has not run yet).
pub(crate) fn kill(task: &Task) {
    // SAFETY: `task` is valid; `send_sig` takes the locks it needs and may
    // be called in atomic context.
    unsafe { bindings::send_sig(bindings::SIGKILL as _, as_raw(task), 1) };
}

/// Collects references to every thread of `leader`'s thread group (RCU
/// walk): every thread linked in before the call (and not yet unlinked) is
/// in the result; threads created meanwhile may be missed.
pub(crate) fn threads_of(leader: &Task) -> Result<KVec<ARef<Task>>> {
    let mut n = 0usize;
    for_each_thread_of(leader, |_| n += 1);
    let mut cap = n.saturating_add(16);
    loop {
        let mut v = KVec::with_capacity(cap, GFP_KERNEL)?;
        let mut missed = 0usize;
        for_each_thread_of(leader, |t| {
            // Cannot allocate while capacity lasts; past it, count.
            if v.push(ARef::from(t), GFP_NOWAIT).is_err() {
                missed += 1;
            }
        });
        if missed == 0 {
            return Ok(v);
        }
        // Threads arrived between the walks: walk again with room for
        // twice as many (the group cannot grow for ever).
        cap = v.len().saturating_add(missed).saturating_mul(2);
    }
}

/// Calls `f` for every thread of `leader`'s thread group, in an RCU
/// read-side critical section (`f` must not sleep).
fn for_each_thread_of<F: FnMut(&Task)>(leader: &Task, mut f: F) {
    // SAFETY: `visit::<F>` matches the callback type, `data` points to `f`,
    // which outlives the call, and `leader` is valid.
    unsafe {
        bindings::container_helper_for_each_thread_of(
            as_raw(leader),
            Some(visit::<F>),
            (&mut f as *mut F).cast(),
        )
    };
}

/// Trampoline from the C task walks to a closure.
///
/// # Safety
///
/// `data` must be the `&mut F` the walk was started with and `task` a task
/// valid for the walk's RCU read-side section.
unsafe extern "C" fn visit<F: FnMut(&Task)>(
    task: *mut bindings::task_struct,
    data: *mut core::ffi::c_void,
) {
    // SAFETY: Per the function's safety requirements.
    let (f, task) = unsafe { (&mut *data.cast::<F>(), from_raw(task)) };
    f(task);
}

/// Finds the thread with id `pid` in the caller's pid namespace, taking a
/// reference on it.
pub(crate) fn find_by_vpid(pid: i32) -> Option<ARef<Task>> {
    // SAFETY: `find_get_pid` returns a referenced `struct pid` or null.
    let p = unsafe { bindings::find_get_pid(pid) };
    if p.is_null() {
        return None;
    }
    // SAFETY: `p` is valid; `get_pid_task` returns a referenced task or null.
    let t = unsafe { bindings::get_pid_task(p, bindings::pid_type_PIDTYPE_PID) };
    // SAFETY: Drops the reference `find_get_pid` took.
    unsafe { bindings::put_pid(p) };
    let t = NonNull::new(t)?;
    // SAFETY: `get_pid_task` took the reference that the `ARef` now owns.
    Some(unsafe { ARef::from_raw(t.cast()) })
}

/// `task`'s thread id as seen from the current task's pid namespace (0 if
/// it is not visible there).
pub(crate) fn vpid(task: &Task) -> i32 {
    // SAFETY: `task` is valid; a null namespace means the caller's.
    unsafe {
        bindings::__task_pid_nr_ns(
            as_raw(task),
            bindings::pid_type_PIDTYPE_PID,
            core::ptr::null_mut(),
        )
    }
}

/// `task`'s process (thread group) id as seen from the current pid namespace.
pub(crate) fn vtgid(task: &Task) -> i32 {
    // SAFETY: As in `vpid`.
    unsafe {
        bindings::__task_pid_nr_ns(
            as_raw(task),
            bindings::pid_type_PIDTYPE_TGID,
            core::ptr::null_mut(),
        )
    }
}

/// Lets other tasks run if this one should yield (`cond_resched()`), in a
/// long walk that user space triggered. Process context, no spinlock or
/// RCU read lock held.
pub(crate) fn cond_resched() {
    // SAFETY: Callable in process context; the caller holds no spinlock.
    unsafe { bindings::container_helper_cond_resched() }
}

/// A key naming `task`'s thread group: the address of its shared
/// `signal_struct` (stable for the life of the group, even when `exec`
/// makes another thread the leader). Only compared, never dereferenced.
pub(crate) fn group_key(task: &Task) -> usize {
    // SAFETY: `task` is valid; `signal` is set before the task is visible
    // and not changed until the task is freed. (Read in C: see the module
    // docs on task_struct's layout.)
    unsafe { bindings::container_helper_task_group(as_raw(task)) as usize }
}

/// Whether `task` is new: forked but not yet woken up for the first time
/// (`TASK_NEW`, from `sched_fork()` until `wake_up_new_task()`). A task
/// that is visible but whose fork hook has not run yet is new.
pub(crate) fn is_new(task: &Task) -> bool {
    // SAFETY: `task` is valid; `__state` is read racily, with `READ_ONCE()`
    // as in `task_is_running()` and the like.
    let state = unsafe { bindings::container_helper_task_state(as_raw(task)) };
    state == bindings::TASK_NEW
}

/// `task`'s `PF_*` flags.
fn flags(task: &Task) -> u32 {
    // SAFETY: `task` is valid; `flags` is read racily as the C code does
    // (e.g. `PF_EXITING` checks in cgroup attach), with `READ_ONCE()`.
    unsafe { bindings::container_helper_task_flags(as_raw(task)) }
}

/// Whether `task` is exiting (`PF_EXITING`).
pub(crate) fn is_exiting(task: &Task) -> bool {
    flags(task) & bindings::PF_EXITING != 0
}

/// Whether `task` is a kernel thread (`PF_KTHREAD`).
pub(crate) fn is_kthread(task: &Task) -> bool {
    flags(task) & bindings::PF_KTHREAD != 0
}

/// Whether `task` is a user worker: an io_uring or vhost thread
/// (`PF_USER_WORKER`), which runs in the kernel and never returns to user
/// space.
#[cfg_attr(
    not(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET)),
    expect(dead_code, reason = "used by cpuset and memset")
)]
pub(crate) fn is_user_worker(task: &Task) -> bool {
    flags(task) & bindings::PF_USER_WORKER != 0
}

/// Whether `task`'s affinity may not be changed (`PF_NO_SETAFFINITY`).
pub(crate) fn no_setaffinity(task: &Task) -> bool {
    flags(task) & bindings::PF_NO_SETAFFINITY != 0
}

/// Whether the current task has `CAP_SYS_ADMIN` in the initial user
/// namespace. For `mount(2)` options only: control file writes are judged
/// by their opener ([`Opener`](super::opener::Opener)), never by `current`.
pub(crate) fn current_is_global_admin() -> bool {
    // SAFETY: `capable` only inspects the current task's credentials.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as _) }
}

/// Calls `f` for every thread in the system (RCU walk, so `f` runs in an
/// RCU read-side critical section and must not sleep). Threads forked
/// during the walk may be missed, as with `for_each_process_thread`.
pub(crate) fn for_each_thread<F: FnMut(&Task)>(mut f: F) {
    // SAFETY: `visit::<F>` matches the callback type and `data` points to
    // `f`, which outlives the call.
    unsafe {
        bindings::container_helper_for_each_thread(Some(visit::<F>), (&mut f as *mut F).cast())
    };
}
