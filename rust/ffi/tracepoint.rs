// SPDX-License-Identifier: GPL-2.0

//! The fork and exit hooks: probes on the `task_newtask` and
//! `sched_process_exit` tracepoints.
//!
//! The tracepoints are not exported to modules, so they are found by name
//! (`for_each_kernel_tracepoint()`, as `samples/trace_events` does), once,
//! when the module loads ([`TaskTracepoints::find`]): a kernel without them
//! refuses the module at `insmod` rather than every mount later.
//! `task_newtask` fires in `copy_process()` for every new task (threads,
//! io_uring and vhost workers included), in the parent's context, before
//! the child first runs; `sched_process_exit` fires in `do_exit()` after
//! `PF_EXITING` is set. Probes run with preemption disabled: they must not
//! sleep. The probe prototypes are those of Linux 6.12.
//!
//! C header: [`include/trace/events/task.h`](srctree/include/trace/events/task.h)

use super::bindings;
use super::task::{self, Task};
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::c_str;
use kernel::ffi::{c_ulong, c_void};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, ArcBorrow};
use kernel::types::ForeignOwnable;

/// What the probes call, on the value [`Hooks::new`] registered them with.
pub(crate) trait TaskHooks: Send + Sync + 'static {
    /// `child` is a new task, not yet run, seen from its parent's context.
    /// Atomic context (preemption off): must not sleep.
    fn on_fork(this: ArcBorrow<'_, Self>, child: &Task);
    /// `task` (current) is exiting. Atomic context: must not sleep.
    fn on_exit(this: ArcBorrow<'_, Self>, task: &Task);
    /// Called when the probes are gone and none runs any more, before the
    /// last reference is dropped: e.g. waits for work a probe queued. Not
    /// called when [`Hooks::new`] fails after registering the fork probe,
    /// which may have run meanwhile: the implementor must be in a state
    /// where its fork hook queues nothing when it registers the hooks.
    fn quiesce(&self);
}

/// Probe on `task_newtask(task, clone_flags)`.
///
/// # Safety
///
/// Called by the tracepoint with `data` as registered (an `Arc<T>` in
/// foreign form, alive while registered) and a valid new task.
unsafe extern "C" fn fork_probe<T: TaskHooks>(
    data: *mut c_void,
    child: *mut bindings::task_struct,
    _flags: c_ulong,
) {
    // SAFETY: Per the function's safety requirements.
    let (this, child) = unsafe { (Arc::<T>::borrow(data), task::from_raw(child)) };
    T::on_fork(this, child);
}

/// Probe on `sched_process_exit(task)`.
///
/// # Safety
///
/// As for [`fork_probe`]; `p` is the exiting (current) task.
unsafe extern "C" fn exit_probe<T: TaskHooks>(data: *mut c_void, p: *mut bindings::task_struct) {
    // SAFETY: Per the function's safety requirements.
    let (this, p) = unsafe { (Arc::<T>::borrow(data), task::from_raw(p)) };
    T::on_exit(this, p);
}

/// The tracepoints the hooks are probes on.
///
/// # Invariants
///
/// Both point to tracepoints of the kernel image (static: they live as long
/// as the kernel).
pub(crate) struct TaskTracepoints {
    /// `task_newtask`.
    fork: NonNull<bindings::tracepoint>,
    /// `sched_process_exit`.
    exit: NonNull<bindings::tracepoint>,
}

// SAFETY: Only the tracepoints' addresses are kept; registering a probe on
// one is allowed from any thread.
unsafe impl Send for TaskTracepoints {}
// SAFETY: As above; there are no methods that mutate through `&self`.
unsafe impl Sync for TaskTracepoints {}

impl TaskTracepoints {
    /// Finds both tracepoints; `ENOENT` (and a message) if the kernel lacks
    /// one.
    pub(crate) fn find() -> Result<Self> {
        // INVARIANT: The helper returns a tracepoint of the kernel image.
        Ok(Self {
            fork: find(c_str!("task_newtask"))?,
            exit: find(c_str!("sched_process_exit"))?,
        })
    }
}

/// The kernel's tracepoint `name`.
fn find(name: &CStr) -> Result<NonNull<bindings::tracepoint>> {
    // SAFETY: `name` is a valid C string.
    let tp = unsafe { bindings::container_helper_find_tracepoint(name.as_char_ptr()) };
    NonNull::new(tp).ok_or_else(|| {
        pr_err!("tracepoint {} not found\n", name);
        ENOENT
    })
}

/// One registered probe.
struct Probe {
    /// The tracepoint.
    tp: *mut bindings::tracepoint,
    /// The probe function, as registered.
    func: *mut c_void,
}

impl Probe {
    /// Registers `func` on tracepoint `tp` with `data`.
    fn register(
        tp: NonNull<bindings::tracepoint>,
        func: *mut c_void,
        data: *mut c_void,
    ) -> Result<Self> {
        let tp = tp.as_ptr();
        // SAFETY: `tp` is a kernel tracepoint (`TaskTracepoints`
        // invariant); `func` has its probe prototype; `data` outlives the
        // registration.
        let ret = unsafe { bindings::tracepoint_probe_register(tp, func, data) };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(Self { tp, func })
    }

    /// Unregisters the probe (callers must then wait for running probes).
    fn unregister(&self, data: *mut c_void) {
        // SAFETY: Registered in `register` with the same arguments.
        unsafe { bindings::tracepoint_probe_unregister(self.tp, self.func, data) };
    }
}

/// The fork and exit hooks, registered for the life of the value (the
/// world registers them at its first mount).
///
/// # Invariants
///
/// `data` owns an `Arc<T>` reference; both probes are registered with it
/// until [`Drop`], which unregisters them, waits for running probes and
/// then releases `data`.
pub(crate) struct Hooks<T: TaskHooks> {
    /// The `Arc<T>` passed to the probes.
    data: *mut c_void,
    /// The fork probe.
    fork: Probe,
    /// The exit probe.
    exit: Probe,
    /// The type `data` points to.
    _hooks: PhantomData<Arc<T>>,
}

// SAFETY: The probes may run on any CPU (`T` is `Send + Sync`); `Hooks`
// only (un)registers them.
unsafe impl<T: TaskHooks> Send for Hooks<T> {}
// SAFETY: `Hooks` has no methods taking `&self`.
unsafe impl<T: TaskHooks> Sync for Hooks<T> {}

impl<T: TaskHooks> Hooks<T> {
    /// Registers the fork and exit probes on `tps`, which call `hooks`.
    pub(crate) fn new(tps: &TaskTracepoints, hooks: Arc<T>) -> Result<Self> {
        let data = hooks.into_foreign().cast_mut();
        let fork = match Probe::register(tps.fork, fork_probe::<T> as *mut c_void, data) {
            Ok(p) => p,
            Err(e) => {
                // SAFETY: `data` came from `into_foreign` and is unused.
                drop(unsafe { Arc::<T>::from_foreign(data) });
                return Err(e);
            }
        };
        let exit = if super::fault::hooks_should_fail() {
            Err(ENOMEM)
        } else {
            Probe::register(tps.exit, exit_probe::<T> as *mut c_void, data)
        };
        let exit = match exit {
            Ok(p) => p,
            Err(e) => {
                fork.unregister(data);
                // SAFETY: No probe can run any more once this returns.
                unsafe { bindings::container_helper_tracepoint_sync() };
                // SAFETY: `data` came from `into_foreign` and is unused now.
                drop(unsafe { Arc::<T>::from_foreign(data) });
                return Err(e);
            }
        };
        // INVARIANT: Both probes are registered with `data`.
        Ok(Self {
            data,
            fork,
            exit,
            _hooks: PhantomData,
        })
    }
}

impl<T: TaskHooks> Drop for Hooks<T> {
    fn drop(&mut self) {
        self.fork.unregister(self.data);
        self.exit.unregister(self.data);
        // SAFETY: Waits for probes still running on other CPUs.
        unsafe { bindings::container_helper_tracepoint_sync() };
        // SAFETY: `data` owns an `Arc<T>` (type invariant) and no probe
        // uses it any more.
        let hooks = unsafe { Arc::<T>::from_foreign(self.data) };
        hooks.quiesce();
    }
}
