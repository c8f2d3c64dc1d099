// SPDX-License-Identifier: GPL-2.0

//! Tasks: lookup by pid, iteration, credentials and flags.
//!
//! Extends [`kernel::task::Task`] with what 6.12 lacks. `Task` is
//! `#[repr(transparent)]` over `Opaque<task_struct>`, so `&Task` and
//! `*mut task_struct` convert into each other.
//!
//! C header: [`include/linux/sched.h`](srctree/include/linux/sched.h)

use super::bindings;
use core::ptr::NonNull;
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

/// `task`'s `PF_*` flags.
fn flags(task: &Task) -> u32 {
    // SAFETY: `task` is valid; `flags` is read racily as the C code does
    // (e.g. `PF_EXITING` checks in cgroup attach).
    unsafe { core::ptr::read_volatile(&(*as_raw(task)).flags) }
}

/// Whether `task` is exiting (`PF_EXITING`).
pub(crate) fn is_exiting(task: &Task) -> bool {
    flags(task) & bindings::PF_EXITING != 0
}

/// Whether `task` is a kernel thread (`PF_KTHREAD`).
pub(crate) fn is_kthread(task: &Task) -> bool {
    flags(task) & bindings::PF_KTHREAD != 0
}

/// Whether `task`'s affinity may not be changed (`PF_NO_SETAFFINITY`).
pub(crate) fn no_setaffinity(task: &Task) -> bool {
    flags(task) & bindings::PF_NO_SETAFFINITY != 0
}

/// Whether `task` is a thread group leader.
pub(crate) fn is_group_leader(task: &Task) -> bool {
    core::ptr::eq(task.group_leader(), task)
}

/// Whether the current task may move `target` between containers, as
/// cgroup v1 decides: its effective uid is root, or the target's real or
/// saved uid.
pub(crate) fn current_may_move(target: &Task) -> bool {
    // SAFETY: `container_helper_may_move` reads both tasks' credentials
    // under RCU; `target` is valid.
    unsafe { bindings::container_helper_may_move(as_raw(target)) }
}

/// Whether the current task has `CAP_SYS_ADMIN` in the initial user
/// namespace.
pub(crate) fn current_is_global_admin() -> bool {
    // SAFETY: `capable` only inspects the current task's credentials.
    unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as _) }
}

/// Calls `f` for every thread in the system (RCU walk, so `f` runs in an
/// RCU read-side critical section and must not sleep). Threads forked
/// during the walk may be missed, as with `for_each_process_thread`.
pub(crate) fn for_each_thread<F: FnMut(&Task)>(mut f: F) {
    /// Trampoline from C to the closure.
    ///
    /// # Safety
    ///
    /// `data` is the `&mut F` passed below and `task` a valid task.
    unsafe extern "C" fn visit<F: FnMut(&Task)>(
        task: *mut bindings::task_struct,
        data: *mut core::ffi::c_void,
    ) {
        // SAFETY: Per the function's safety requirements; the task stays
        // valid for the RCU read-side section the walk runs in.
        let (f, task) = unsafe { (&mut *data.cast::<F>(), from_raw(task)) };
        f(task);
    }
    // SAFETY: `visit::<F>` matches the callback type and `data` points to
    // `f`, which outlives the call.
    unsafe {
        bindings::container_helper_for_each_thread(Some(visit::<F>), (&mut f as *mut F).cast())
    };
}
