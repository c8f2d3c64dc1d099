// SPDX-License-Identifier: GPL-2.0

//! CPU and memory-node placement of tasks, for the cpuset and memset
//! subsystems.
//!
//! Masks cross this boundary as `u64` words (bit `n` of word `n / 64` is CPU
//! or node `n`), covering the first [`MAX_BITS`] CPUs or nodes.
//!
//! Five kernel facilities are optional. They come from
//! `scripts/patches/0001` and are looked up by name with `symbol_get()` at
//! load time, so the module loads on an unpatched kernel and reports what is
//! missing ([`Features`]):
//! - `sched_cpus_restrict_register()`: lets the module confine the masks
//!   `sched_setaffinity()` and the cgroup cpuset compute for a task to the
//!   task's container;
//! - `cpuset_cpus_allowed()`: the task's cgroup cpuset, which the module
//!   intersects with the container when it sets a task's affinity, under
//!   `cpuset_lock()` when exported, so that the cgroup cpuset cannot apply
//!   a stale container mask in between;
//! - `cpusets_pre_enable_key`, `cpusets_enabled_key`: while the module holds
//!   them, the page allocator honours `task->mems_allowed`;
//! - `mpol_rebind_task()`: rebinds a task's mempolicy to its new nodes.
//!
//! It also queues the fork fix-up: task work that re-applies a new task's
//! placement before it first returns to user space, when it inherited a
//! mask its container no longer allows (see [`queue_fixup`]).
//!
//! C headers: [`include/linux/cpumask.h`](srctree/include/linux/cpumask.h),
//! [`include/linux/cpuset.h`](srctree/include/linux/cpuset.h),
//! [`include/linux/task_work.h`](srctree/include/linux/task_work.h)

// With only one of cpuset and memset built, the other's half is unused.
#![cfg_attr(
    not(all(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET)),
    expect(dead_code)
)]

use super::bindings;
use super::task::{self, Task};
use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use kernel::c_str;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_uint};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, ArcBorrow};
use kernel::types::ForeignOwnable;

/// What the placement callbacks call, on the value [`Placement::new`] was
/// given.
pub(crate) trait Placed: Send + Sync + 'static {
    /// Confines `mask`, the CPUs the kernel computed for `task`
    /// (`sched_setaffinity()`, the cgroup cpuset), to where `task` may run;
    /// returns whether it changed `mask`. Under `rcu_read_lock()`: must not
    /// sleep. Called only with cpuset built; by default it changes nothing.
    fn restrict_cpus(&self, _task: &Task, _mask: &mut Bits) -> bool {
        false
    }
    /// The current task, new, is about to run for the first time (see
    /// [`queue_fixup`]). Process context, may sleep.
    fn first_run(&self);
    /// CPUs came or went (hotplug callback: process context, may sleep,
    /// but the transition waits for it). Called only with cpuset built; by
    /// default nothing happens.
    fn cpus_changed(_this: ArcBorrow<'_, Self>) {}
    /// Called when no callback runs any more, before the last reference is
    /// dropped: e.g. waits for work a callback queued.
    fn quiesce(&self);
}

/// The value the callbacks report to, and its [`Placed`] functions,
/// instantiated for its type by [`Placement::new`].
struct Target {
    /// An `Arc<T>` in foreign form.
    data: *mut c_void,
    /// [`Placed::restrict_cpus`] of `T`.
    restrict: unsafe fn(*mut c_void, &Task, &mut Bits) -> bool,
    /// [`Placed::first_run`] of `T`.
    first_run: unsafe fn(*mut c_void),
    /// [`Placed::cpus_changed`] of `T`.
    cpus_changed: unsafe fn(*mut c_void),
    /// [`Placed::quiesce`] of `T`, then releases `data`.
    release: unsafe fn(*mut c_void),
}

impl Target {
    /// The functions for `T`, without data yet.
    fn new<T: Placed>() -> Self {
        /// # Safety
        ///
        /// `data` is a live `Arc<T>` in foreign form.
        unsafe fn restrict<T: Placed>(data: *mut c_void, task: &Task, mask: &mut Bits) -> bool {
            // SAFETY: Per the function's safety requirements.
            unsafe { Arc::<T>::borrow(data) }.restrict_cpus(task, mask)
        }
        /// # Safety
        ///
        /// As for `restrict`.
        unsafe fn first_run<T: Placed>(data: *mut c_void) {
            // SAFETY: Per the function's safety requirements.
            unsafe { Arc::<T>::borrow(data) }.first_run()
        }
        /// # Safety
        ///
        /// As for `restrict`.
        unsafe fn cpus_changed<T: Placed>(data: *mut c_void) {
            // SAFETY: Per the function's safety requirements.
            T::cpus_changed(unsafe { Arc::<T>::borrow(data) })
        }
        /// # Safety
        ///
        /// `data` came from `Arc::<T>::into_foreign` and no callback uses
        /// it any more.
        unsafe fn release<T: Placed>(data: *mut c_void) {
            // SAFETY: Per the function's safety requirements.
            let this = unsafe { Arc::<T>::from_foreign(data) };
            this.quiesce();
        }
        Self {
            data: core::ptr::null_mut(),
            restrict: restrict::<T>,
            first_run: first_run::<T>,
            cpus_changed: cpus_changed::<T>,
            release: release::<T>,
        }
    }
}

/// Words in a [`Bits`] mask.
pub(crate) const MAX_WORDS: usize = 16;
/// CPUs or nodes a mask covers.
pub(crate) const MAX_BITS: usize = MAX_WORDS * 64;
/// A CPU or node mask.
pub(crate) type Bits = [u64; MAX_WORDS];

/// `nr_cpu_ids`, capped at [`MAX_BITS`].
pub(crate) fn nr_cpus() -> usize {
    // SAFETY: Reads a variable set at boot.
    let n = unsafe { bindings::container_helper_nr_cpu_ids() };
    (n as usize).min(MAX_BITS)
}

/// `nr_node_ids`, capped at [`MAX_BITS`].
pub(crate) fn nr_nodes() -> usize {
    // SAFETY: Reads a variable set at boot.
    let n = unsafe { bindings::container_helper_nr_node_ids() };
    (n as usize).min(MAX_BITS)
}

/// The active CPUs (`cpu_active_mask`): those the scheduler places tasks
/// on. A CPU being brought up is online before it is active, and one being
/// taken down inactive before it is offline; the hotplug work runs under
/// [`cpus_read_lock`], after the whole transition.
pub(crate) fn active_cpus() -> Bits {
    let mut out: Bits = [0; MAX_WORDS];
    // SAFETY: `out` has room for `MAX_BITS` bits.
    unsafe { bindings::container_helper_active_cpus(out.as_mut_ptr(), MAX_BITS as c_uint) };
    out
}

/// Every CPU there can be (`cpu_possible_mask`).
pub(crate) fn possible_cpus() -> Bits {
    let mut out: Bits = [0; MAX_WORDS];
    // SAFETY: `out` has room for `MAX_BITS` bits.
    unsafe { bindings::container_helper_possible_cpus(out.as_mut_ptr(), MAX_BITS as c_uint) };
    out
}

/// Holds `cpus_read_lock()`: no CPU comes or goes until it is dropped.
pub(crate) struct CpusReadLock(());

/// Takes `cpus_read_lock()` (process context, may sleep). Not while holding
/// it already: a hotplug writer waiting in between would deadlock.
pub(crate) fn cpus_read_lock() -> CpusReadLock {
    // SAFETY: Process context; released by `Drop`.
    unsafe { bindings::container_helper_cpus_read_lock() };
    CpusReadLock(())
}

impl Drop for CpusReadLock {
    fn drop(&mut self) {
        // SAFETY: Taken by `cpus_read_lock`.
        unsafe { bindings::container_helper_cpus_read_unlock() };
    }
}

/// Prototype of `cpuset_lock()` / `cpuset_unlock()`.
type CpusetLockFn = unsafe extern "C" fn();

/// Holds the cgroup cpuset's mutex, when the kernel exports it.
pub(crate) struct CgroupCpusetLock(Option<CpusetLockFn>);

/// Takes the cgroup cpuset's mutex (`cpuset_lock()`), under which the
/// cgroup cpuset sets tasks' affinity (and calls the restrict hook), if the
/// kernel exports it; else nothing. Process context, may sleep. Lock order:
/// registry mutex, `cpus_read_lock()`, then this.
pub(crate) fn lock_cgroup_cpuset() -> CgroupCpusetLock {
    let lock = CPUSET_LOCK.load(Ordering::Acquire);
    let unlock = CPUSET_UNLOCK.load(Ordering::Acquire);
    if lock.is_null() || unlock.is_null() {
        return CgroupCpusetLock(None);
    }
    // `CPUSET_LOCK` and `CPUSET_UNLOCK` are null or `cpuset_lock` and
    // `cpuset_unlock` (vmlinux symbols, never unloaded), both `void (void)`.
    // SAFETY: See above.
    let (lock, unlock) = unsafe {
        (
            core::mem::transmute::<*mut c_void, CpusetLockFn>(lock),
            core::mem::transmute::<*mut c_void, CpusetLockFn>(unlock),
        )
    };
    // SAFETY: Process context; `Drop` unlocks.
    unsafe { lock() };
    CgroupCpusetLock(Some(unlock))
}

impl Drop for CgroupCpusetLock {
    fn drop(&mut self) {
        if let Some(unlock) = self.0 {
            // SAFETY: Locked by `lock_cgroup_cpuset`.
            unsafe { unlock() };
        }
    }
}

/// The nodes with memory (`node_states[N_MEMORY]`).
pub(crate) fn memory_nodes() -> Bits {
    let mut out: Bits = [0; MAX_WORDS];
    // SAFETY: `out` has room for `MAX_BITS` bits.
    unsafe { bindings::container_helper_memory_nodes(out.as_mut_ptr(), MAX_BITS as c_uint) };
    out
}

/// Sets `task`'s CPU affinity (`set_cpus_allowed_ptr()`; may sleep). The
/// kernel keeps it within the CPUs the task itself asked for with
/// `sched_setaffinity()`, if it did.
pub(crate) fn set_cpus_allowed(task: &Task, mask: &Bits) -> Result {
    // SAFETY: `task` is valid; `mask` holds `MAX_BITS` bits.
    let ret = unsafe {
        bindings::container_helper_set_cpus_allowed(
            task::as_raw(task),
            mask.as_ptr(),
            MAX_BITS as c_uint,
        )
    };
    kernel::error::to_result(ret)
}

/// The CPUs `task` may run on now (`p->cpus_ptr`).
pub(crate) fn task_cpus(task: &Task) -> Bits {
    let mut out: Bits = [0; MAX_WORDS];
    // SAFETY: `task` is valid; `out` has room for `MAX_BITS` bits.
    unsafe {
        bindings::container_helper_task_cpus(
            task::as_raw(task),
            out.as_mut_ptr(),
            MAX_BITS as c_uint,
        )
    };
    out
}

/// The memory nodes `task` may allocate from now (`p->mems_allowed`, read
/// racily: callers only compare it).
pub(crate) fn task_mems(task: &Task) -> Bits {
    let mut out: Bits = [0; MAX_WORDS];
    // SAFETY: `task` is valid; `out` has room for `MAX_BITS` bits.
    unsafe {
        bindings::container_helper_task_mems(
            task::as_raw(task),
            out.as_mut_ptr(),
            MAX_BITS as c_uint,
        )
    };
    out
}

/// The CPUs `task`'s cgroup cpuset allows (`cpuset_cpus_allowed()`), if the
/// kernel exports it. Process context; may sleep.
pub(crate) fn cgroup_cpus(task: &Task) -> Option<Bits> {
    let f = CPUSET_CPUS.load(Ordering::Acquire);
    if f.is_null() {
        return None;
    }
    // SAFETY: `CPUSET_CPUS` is null or `cpuset_cpus_allowed` (a vmlinux
    // symbol, never unloaded), whose prototype is `container_cpuset_cpus_t`.
    let f = unsafe { core::mem::transmute::<*mut c_void, bindings::container_cpuset_cpus_t>(f) };
    let mut out: Bits = [0; MAX_WORDS];
    // SAFETY: `task` is valid; `out` has room for `MAX_BITS` bits; `f` is
    // the kernel function; the scratch mask exists while `Placement` does.
    unsafe {
        bindings::container_helper_cpuset_cpus(
            task::as_raw(task),
            out.as_mut_ptr(),
            MAX_BITS as c_uint,
            f,
        )
    };
    Some(out)
}

/// Whether the kernel's cgroup cpusets are in use besides this module
/// (some cgroup has its own cpuset), as far as the module can tell: only
/// while it holds the cpuset static keys, whose count is one per cgroup
/// cpuset plus the module's own reference.
pub(crate) fn cgroup_cpusets_in_use() -> bool {
    let enabled = ENABLED_KEY.load(Ordering::Acquire);
    if enabled.is_null() {
        return false;
    }
    // SAFETY: `ENABLED_KEY` is non-null only while `Placement` holds a
    // reference on that `struct static_key_false` (a vmlinux symbol).
    unsafe { bindings::container_helper_static_key_count(enabled) > 1 }
}

/// Sets `task`'s allowed memory nodes, as `cpuset_change_task_nodemask()`
/// does (task lock, `mems_allowed_seq`), rebinding its mempolicy when the
/// kernel exports `mpol_rebind_task()`.
pub(crate) fn set_mems_allowed(task: &Task, mask: &Bits) {
    type Rebind = bindings::container_mpol_rebind_t;
    let rebind = REBIND.load(Ordering::Acquire);
    // `REBIND` is null or `mpol_rebind_task` (a vmlinux symbol, never
    // unloaded), whose prototype matches `container_mpol_rebind_t` (a
    // `const nodemask_t *` passed as `const void *`).
    // SAFETY: See above; a null pointer becomes `None`.
    let rebind = unsafe { core::mem::transmute::<*mut c_void, Rebind>(rebind) };
    // SAFETY: `task` is valid; `mask` holds `MAX_BITS` bits.
    unsafe {
        bindings::container_helper_set_mems_allowed(
            task::as_raw(task),
            mask.as_ptr(),
            MAX_BITS as c_uint,
            rebind,
        )
    };
}

/// The optional kernel facilities found at load time.
#[derive(Clone, Copy)]
pub(crate) struct Features {
    /// `sched_setaffinity()` and the cgroup cpuset are confined to the
    /// container's CPUs.
    pub(crate) setaffinity_clamp: bool,
    /// The module intersects a task's container with its cgroup cpuset.
    pub(crate) cgroup_intersect: bool,
    /// The page allocator honours `mems_allowed` (cpuset static keys held).
    pub(crate) page_allocator: bool,
    /// Mempolicies are rebound when a task's nodes change.
    pub(crate) mpol_rebind: bool,
}

/// What [`Placement::new`] found.
static CLAMP: AtomicBool = AtomicBool::new(false);
/// See [`CLAMP`].
static KEYS: AtomicBool = AtomicBool::new(false);
/// `mpol_rebind_task`, or null.
static REBIND: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());
/// `cpuset_cpus_allowed`, or null.
static CPUSET_CPUS: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());
/// `cpuset_lock`, or null.
static CPUSET_LOCK: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());
/// `cpuset_unlock`, or null.
static CPUSET_UNLOCK: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());
/// `cpusets_enabled_key` while the module holds it, or null.
static ENABLED_KEY: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());
/// Fork fix-ups queued and not finished (see [`queue_fixup`]).
static PENDING: AtomicUsize = AtomicUsize::new(0);
/// What the restrict, fix-up and hotplug callbacks report to (a
/// `KBox<Target>` in raw form), or null.
static TARGET: AtomicPtr<Target> = AtomicPtr::new(core::ptr::null_mut());

/// The optional facilities in use.
pub(crate) fn features() -> Features {
    Features {
        setaffinity_clamp: CLAMP.load(Ordering::Relaxed),
        cgroup_intersect: !CPUSET_CPUS.load(Ordering::Relaxed).is_null(),
        page_allocator: KEYS.load(Ordering::Relaxed),
        mpol_rebind: !REBIND.load(Ordering::Relaxed).is_null(),
    }
}

/// Prototype of `sched_cpus_restrict_register()` / `_unregister()`.
type RestrictFn = unsafe extern "C" fn(*mut bindings::task_struct, *mut bindings::cpumask);
/// See [`RestrictFn`].
type RegisterFn = unsafe extern "C" fn(RestrictFn) -> c_int;
/// See [`RestrictFn`].
type UnregisterFn = unsafe extern "C" fn(RestrictFn);

/// Called by `__sched_setaffinity()`, `cpuset_attach_task()` and
/// `cpuset_update_tasks_cpumask()` under `rcu_read_lock()` with the mask
/// the kernel computed for `p`; confines it to `p`'s container.
///
/// # Safety
///
/// `p` is a valid task and `mask` a valid, writable cpumask (the patched
/// kernel's contract).
#[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
unsafe extern "C" fn restrict_cpus(p: *mut bindings::task_struct, mask: *mut bindings::cpumask) {
    let target = TARGET.load(Ordering::Acquire);
    if target.is_null() {
        return;
    }
    // SAFETY: `TARGET` holds its target until the hook is unregistered
    // (which waits for RCU readers like this one); `p` is valid.
    let (target, p) = unsafe { (&*target, task::from_raw(p)) };
    let mut bits: Bits = [0; MAX_WORDS];
    // SAFETY: `mask` is valid; `bits` has room for `MAX_BITS` bits.
    unsafe { bindings::container_helper_cpumask_get(mask, bits.as_mut_ptr(), MAX_BITS as c_uint) };
    // SAFETY: `target.data` is live while the target is (see above).
    if unsafe { (target.restrict)(target.data, p, &mut bits) } {
        // SAFETY: `mask` is valid and writable; `bits` holds `MAX_BITS`
        // bits.
        unsafe { bindings::container_helper_cpumask_set(mask, bits.as_ptr(), MAX_BITS as c_uint) };
    }
}

/// The task work of a fork fix-up; the first field, so that the
/// `callback_head` the kernel hands back is the allocation.
#[repr(C)]
struct Fixup {
    /// Linked into the task's work list by `task_work_add()`.
    head: bindings::callback_head,
}

/// Fix-ups for when a `GFP_ATOMIC` allocation fails: enough for as many
/// new tasks at once as the fork path can defer (see
/// [`crate::membership`]).
const RESERVE: usize = 32;

/// The reserved fix-ups, and which are queued.
struct Reserve {
    /// The works; `busy[i]` says whether `works[i]` belongs to a task.
    works: UnsafeCell<[Fixup; RESERVE]>,
    busy: [AtomicBool; RESERVE],
}

// SAFETY: `works[i]` is only touched by whoever set `busy[i]` (then the
// kernel's task work list, then `run_fixup`, which clears it last).
unsafe impl Sync for Reserve {}

static RESERVED: Reserve = Reserve {
    // SAFETY: All-zero is a valid `callback_head`; `init_task_work` sets it
    // before each use.
    works: UnsafeCell::new(unsafe { core::mem::zeroed() }),
    busy: [const { AtomicBool::new(false) }; RESERVE],
};

/// A fix-up for one task: allocated, or from the reserve.
fn new_fixup() -> Result<*mut Fixup> {
    // SAFETY: All-zero is a valid `callback_head`; `init_task_work` sets it.
    let head = unsafe { super::zeroed() };
    if let Ok(fixup) = KBox::new(Fixup { head }, GFP_ATOMIC) {
        return Ok(KBox::into_raw(fixup));
    }
    for (i, busy) in RESERVED.busy.iter().enumerate() {
        if !busy.swap(true, Ordering::AcqRel) {
            // SAFETY: `i < RESERVE`; setting `busy[i]` made `works[i]` ours.
            return Ok(unsafe { RESERVED.works.get().cast::<Fixup>().add(i) });
        }
    }
    Err(ENOMEM)
}

/// Frees a fix-up from [`new_fixup`].
///
/// # Safety
///
/// `fixup` came from [`new_fixup`], is not queued, and is not used again.
unsafe fn free_fixup(fixup: *mut Fixup) {
    let base = RESERVED.works.get().cast::<Fixup>();
    // Pointers compared as addresses: `fixup` is in the reserve or not.
    let off = (fixup as usize).wrapping_sub(base as usize) / core::mem::size_of::<Fixup>();
    if (fixup as usize) >= (base as usize) && off < RESERVE {
        if let Some(busy) = RESERVED.busy.get(off) {
            busy.store(false, Ordering::Release);
        }
    } else {
        // SAFETY: Not in the reserve: allocated by `new_fixup` as a `KBox`,
        // whose ownership the caller passes back.
        drop(unsafe { KBox::from_raw(fixup) });
    }
}

/// Queues, on a new task that has not run yet, work that runs before it
/// first returns to user space (or as it exits): it accounts for the task
/// if the fork hook could not, and re-applies its container placement. For
/// the fork hooks: atomic context.
///
/// It allocates, or takes one of a few reserved works when allocation
/// fails; it fails with `ENOMEM` only when neither is possible, and the
/// caller must then not let the task run.
pub(crate) fn queue_fixup(task: &Task) -> Result {
    let raw = new_fixup()?;
    PENDING.fetch_add(1, Ordering::AcqRel);
    // SAFETY: `task` is valid; `raw` is a fix-up whose ownership passes to
    // the task work until `run_fixup`, which has the callback prototype;
    // `head` is its first field.
    let ret = unsafe {
        bindings::container_helper_task_work_add(
            task::as_raw(task),
            core::ptr::addr_of_mut!((*raw).head),
            Some(run_fixup),
        )
    };
    if ret != 0 {
        // SAFETY: Not queued: the fix-up is still ours.
        unsafe { free_fixup(raw) };
        PENDING.fetch_sub(1, Ordering::AcqRel);
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// Runs a fork fix-up in the new task's context (process context, may
/// sleep, no locks held).
///
/// # Safety
///
/// `head` is the `head` of a `Fixup` queued by [`queue_fixup`].
unsafe extern "C" fn run_fixup(head: *mut bindings::callback_head) {
    // SAFETY: `head` is the first field of a `#[repr(C)]` `Fixup` from
    // `new_fixup`, which `queue_fixup` gave to the task work, now done.
    unsafe { free_fixup(head.cast::<Fixup>()) };
    let target = TARGET.load(Ordering::Acquire);
    if !target.is_null() {
        // SAFETY: `TARGET` holds its target until `Placement` is dropped,
        // which first waits for `PENDING` to drop to zero.
        unsafe { ((*target).first_run)((*target).data) };
    }
    PENDING.fetch_sub(1, Ordering::AcqRel);
}

/// Waits until every queued fork fix-up has run and returned (module
/// unload, after the fork hook is gone).
fn wait_for_fixups() {
    let mut waited = 0u32;
    while PENDING.load(Ordering::Acquire) != 0 {
        // SAFETY: Process context (module unload).
        unsafe { bindings::container_helper_msleep(10) };
        waited += 1;
        if waited == 1000 {
            pr_info!("waiting for new tasks to run their placement fix-up\n");
        }
    }
    // `run_fixup` decrements `PENDING` before it returns: make sure no task
    // is still executing its last instructions (module text).
    // SAFETY: Process context.
    unsafe { bindings::container_helper_synchronize_rcu_tasks() };
}

/// Tells the target that CPUs come or go (the world re-applies placement
/// from a work item, which waits for the transition to finish).
#[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
fn hotplug() -> c_int {
    let target = TARGET.load(Ordering::Acquire);
    if !target.is_null() {
        // SAFETY: `TARGET` holds its target until the hotplug state is
        // removed, which waits for running callbacks.
        unsafe { ((*target).cpus_changed)((*target).data) };
    }
    0
}

/// CPU hotplug startup callback (process context, may sleep).
#[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
extern "C" fn cpu_online(_cpu: c_uint) -> c_int {
    hotplug()
}

/// CPU hotplug teardown callback (process context, may sleep).
#[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
extern "C" fn cpu_offline(_cpu: c_uint) -> c_int {
    hotplug()
}

/// Looks up a GPL symbol by name; null if the kernel lacks it. The symbols
/// used here are vmlinux's, on which `symbol_get()` takes no reference, so
/// there is nothing to put back (and `symbol_put()` of a missing symbol
/// would BUG).
fn symbol_get(name: &CStr) -> *mut c_void {
    // SAFETY: `name` is a valid C string.
    unsafe { bindings::container_helper_symbol_get(name.as_char_ptr()) }
}

/// The placement hooks, registered for the life of the value.
///
/// # Invariants
///
/// `TARGET` holds the target [`Placement::new`] made until [`Drop`], which
/// first unregisters everything that can call back.
pub(crate) struct Placement {
    /// `sched_cpus_restrict_unregister`, when the hook is registered.
    unregister: Option<UnregisterFn>,
    /// The cpuset static keys, when held (pre-enable key first).
    keys: Option<(*mut c_void, *mut c_void)>,
    /// The dynamic CPU hotplug state, when registered.
    cpuhp: Option<c_int>,
}

// SAFETY: The pointers are kernel symbols, usable from any thread.
unsafe impl Send for Placement {}
// SAFETY: `Placement` has no methods taking `&self`.
unsafe impl Sync for Placement {}

impl Placement {
    /// Registers the hotplug callbacks and whatever optional hooks the
    /// kernel has for the subsystems built in, and says once in the kernel
    /// log what is missing.
    pub(crate) fn new<T: Placed>(target: Arc<T>) -> Result<Self> {
        // Allocated first: nothing below fails before `this` owns it all.
        let mut boxed = KBox::new(Target::new::<T>(), GFP_KERNEL)?;
        // SAFETY: Called once, at load; `Drop` frees them.
        to_result(unsafe { bindings::container_helper_placement_init() })?;
        // SAFETY: Read variables set at boot.
        let (cpus, nodes) = unsafe {
            (
                bindings::container_helper_nr_cpu_ids(),
                bindings::container_helper_nr_node_ids(),
            )
        };
        if cpus as usize > MAX_BITS || nodes as usize > MAX_BITS {
            pr_warn!(
                "{} CPUs and {} nodes: only the first {} of each can be placed in containers\n",
                cpus,
                nodes,
                MAX_BITS
            );
        }
        boxed.data = target.into_foreign().cast_mut();
        TARGET.store(KBox::into_raw(boxed), Ordering::Release);
        // `this` releases `TARGET` and whatever it holds on drop.
        let mut this = Self {
            unregister: None,
            keys: None,
            cpuhp: None,
        };
        #[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
        this.init_cpuset()?;
        #[cfg(CONFIG_TASK_CONTAINERS_MEMSET)]
        this.init_memset();
        Ok(this)
    }

    /// CPU hotplug, the restrict hook and `cpuset_cpus_allowed()`.
    #[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
    fn init_cpuset(&mut self) -> Result {
        // SAFETY: The callbacks have the prototype `cpuhp_setup_state`
        // expects and stay valid while the module is loaded.
        let state =
            unsafe { bindings::container_helper_cpuhp_setup(Some(cpu_online), Some(cpu_offline)) };
        if state < 0 {
            return Err(Error::from_errno(state));
        }
        self.cpuhp = Some(state);

        let reg = symbol_get(c_str!("sched_cpus_restrict_register"));
        let unreg = symbol_get(c_str!("sched_cpus_restrict_unregister"));
        if !reg.is_null() && !unreg.is_null() {
            // SAFETY: The patched kernel's prototypes are `RegisterFn` and
            // `UnregisterFn`; both stay valid (vmlinux symbols).
            let (reg, unreg): (RegisterFn, UnregisterFn) = unsafe {
                (
                    core::mem::transmute::<*mut c_void, RegisterFn>(reg),
                    core::mem::transmute::<*mut c_void, UnregisterFn>(unreg),
                )
            };
            // SAFETY: `restrict_cpus` has the hook's prototype and contract.
            if unsafe { reg(restrict_cpus) } == 0 {
                self.unregister = Some(unreg);
                CLAMP.store(true, Ordering::Relaxed);
            }
        } else {
            pr_info!("kernel lacks sched_cpus_restrict_register: tasks can widen their own affinity (see Documentation/cpuset.rst)\n");
        }
        let cpuset_cpus = symbol_get(c_str!("cpuset_cpus_allowed"));
        CPUSET_CPUS.store(cpuset_cpus, Ordering::Release);
        let lock = symbol_get(c_str!("cpuset_lock"));
        let unlock = symbol_get(c_str!("cpuset_unlock"));
        if !lock.is_null() && !unlock.is_null() {
            CPUSET_LOCK.store(lock, Ordering::Release);
            CPUSET_UNLOCK.store(unlock, Ordering::Release);
        }
        Ok(())
    }

    /// The cpuset static keys and `mpol_rebind_task()`.
    #[cfg(CONFIG_TASK_CONTAINERS_MEMSET)]
    fn init_memset(&mut self) {
        let pre = symbol_get(c_str!("cpusets_pre_enable_key"));
        let enabled = symbol_get(c_str!("cpusets_enabled_key"));
        if !pre.is_null() && !enabled.is_null() {
            // SAFETY: Both are `struct static_key_false` in the patched
            // kernel; the order is the one cpuset.h documents.
            unsafe {
                bindings::container_helper_static_key_inc(pre);
                bindings::container_helper_static_key_inc(enabled);
            }
            self.keys = Some((pre, enabled));
            ENABLED_KEY.store(enabled, Ordering::Release);
            KEYS.store(true, Ordering::Relaxed);
        } else {
            pr_info!("kernel does not export the cpuset static keys: memset is advisory (see Documentation/cpuset.rst)\n");
        }
        let rebind = symbol_get(c_str!("mpol_rebind_task"));
        REBIND.store(rebind, Ordering::Release);
    }
}

impl Drop for Placement {
    fn drop(&mut self) {
        // The fork hook is gone (`Hooks` is dropped first): no new fix-ups.
        wait_for_fixups();
        #[cfg(CONFIG_TASK_CONTAINERS_CPUSET)]
        if let Some(unreg) = self.unregister.take() {
            // SAFETY: Registered in `new`; this also waits for RCU readers,
            // i.e. for running hooks.
            unsafe { unreg(restrict_cpus) };
            CLAMP.store(false, Ordering::Relaxed);
        }
        if let Some((pre, enabled)) = self.keys.take() {
            ENABLED_KEY.store(core::ptr::null_mut(), Ordering::Release);
            // SAFETY: Taken in `new`; released in reverse order.
            unsafe {
                bindings::container_helper_static_key_dec(enabled);
                bindings::container_helper_static_key_dec(pre);
            }
            KEYS.store(false, Ordering::Relaxed);
        }
        if let Some(state) = self.cpuhp.take() {
            // SAFETY: Registered in `new`; waits for running callbacks.
            unsafe { bindings::container_helper_cpuhp_remove(state) };
        }
        REBIND.store(core::ptr::null_mut(), Ordering::Release);
        CPUSET_CPUS.store(core::ptr::null_mut(), Ordering::Release);
        CPUSET_LOCK.store(core::ptr::null_mut(), Ordering::Release);
        CPUSET_UNLOCK.store(core::ptr::null_mut(), Ordering::Release);
        let target = TARGET.swap(core::ptr::null_mut(), Ordering::AcqRel);
        if !target.is_null() {
            // SAFETY: `target` came from `KBox::into_raw` in `new` and was
            // taken out of `TARGET`: it is ours.
            let target = unsafe { KBox::from_raw(target) };
            // SAFETY: Nothing can call back any more (type invariant).
            unsafe { (target.release)(target.data) };
        }
        // SAFETY: Allocated in `new`; the hierarchies, whose tasks are the
        // only ones confined through them, are gone (the module is being
        // unloaded) and the work items were flushed above.
        unsafe { bindings::container_helper_placement_exit() };
    }
}
