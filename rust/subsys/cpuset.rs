// SPDX-License-Identifier: GPL-2.0

//! The `cpuset` subsystem: which CPUs the tasks of a container run on.
//!
//! Files (classic cpuset names under `noprefix`):
//! - `cpus`: the requested CPU list (`0-3,5`); the root's is read-only;
//! - `cpu_exclusive`: 0/1, no overlap with siblings;
//! - `effective_cpus` (read-only): what applies, see [`placement`];
//! - `cpu_enforcement` (root only, read-only): which optional kernel hook
//!   is in use.
//!
//! Enforcement: attaching a task and changing `cpus` set the affinity of
//! the tasks (`set_cpus_allowed_ptr()`); children inherit it at fork (see
//! [`placement`] for the fork race); with the kernel hook of
//! `scripts/patches/0001`, neither `sched_setaffinity()` nor the kernel's
//! cgroup cpuset can widen it beyond the container.
//!
//! # Cgroup cpusets
//!
//! A task can be confined by its container and by a cgroup cpuset at once.
//! The two intersect ([`cpuset_rules::confine`]): whichever changes, the
//! task's affinity is the container's CPUs ∩ the cgroup cpuset's CPUs (∩
//! what the task asked for). The container never widens a task beyond its
//! cgroup cpuset, which an administrator (or systemd) may have set up to
//! confine a delegated user: a write to `cpus` or an attach that would
//! leave a task with no active CPU in both fails with `EBUSY` and changes
//! nothing. When the cgroup side makes them disjoint (its `cpuset.cpus`
//! changes, the task moves to another cgroup, CPUs go offline), which the
//! module cannot refuse, the cgroup cpuset's CPUs apply and the conflict
//! is reported once in the kernel log.

use super::placement::{self, Place, Resource};
use crate::cftype::{Buf, CfType, Placement as Where};
use crate::container::Container;
use crate::ffi::placement::{self as kplace, Bits};
use crate::ffi::task::{self, Task};
use crate::logic::cpuset_rules::{self, Confined};
use crate::subsys::{CreateCtx, Subsys, SubsysId};
use crate::world::World;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The `cpuset` subsystem.
pub(crate) struct Cpuset;

impl Resource for Cpuset {
    const ID: SubsysId = SubsysId::Cpuset;

    fn nbits() -> usize {
        kplace::nr_cpus()
    }

    fn usable() -> Bits {
        kplace::active_cpus()
    }

    /// Tasks in the root may run anywhere, as in the cgroup cpuset's top
    /// cpuset: CPUs that come online later are theirs too.
    fn root_mask() -> Bits {
        kplace::possible_cpus()
    }

    fn apply(task: &Task, mask: &Bits) {
        // The cgroup cpuset changes affinity (calling the restrict hook)
        // under its own mutex: holding it here, the container's new mask is
        // either seen by a concurrent cgroup change or applied after it,
        // on top of the cgroup's new mask.
        let _cgroup = kplace::lock_cgroup_cpuset();
        let mut cpus = *mask;
        if let Some(mut outer) = kplace::cgroup_cpus(task) {
            // Never wider than the cgroup cpuset: disjoint (the cgroup side
            // changed after the checks), the cgroup's CPUs stay.
            if cpuset_rules::confine(&mut outer, mask, &kplace::active_cpus()) == Confined::Disjoint
            {
                report_conflict(task);
            }
            cpus = outer;
        }
        // Fails only if no CPU of `cpus` is active (a hotplug racing with a
        // write or an attach), and the hotplug work then re-applies it.
        let _ = kplace::set_cpus_allowed(task, &cpus);
    }

    fn task_mask(task: &Task) -> Bits {
        kplace::task_cpus(task)
    }

    fn conflicts(task: &Task, mask: &Bits) -> bool {
        kplace::cgroup_cpus(task).is_some_and(|mut outer| {
            cpuset_rules::confine(&mut outer, mask, &kplace::active_cpus()) == Confined::Disjoint
        })
    }
}

/// The restrict hook: confines `mask`, the CPUs the kernel would let
/// `task` use (its cgroup cpuset, possibly ∩ its own request), to `task`'s
/// container. Returns whether `mask` changed. Atomic context (RCU read
/// side).
pub(crate) fn restrict(world: &World, task: &Task, mask: &mut Bits) -> bool {
    let mut container: Bits = [0; kplace::MAX_WORDS];
    if !placement::cpus_allowed(world, task, &mut container) {
        return false;
    }
    let before = *mask;
    if cpuset_rules::confine(mask, &container, &kplace::active_cpus()) == Confined::Disjoint {
        report_conflict(task);
    }
    *mask != before
}

/// Says once that a task's cgroup cpuset and container share no CPU.
fn report_conflict(task: &Task) {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.swap(true, Ordering::Relaxed) {
        pr_notice!(
            "task {} is in a cgroup cpuset and a container cpuset with no online CPU in common: the cgroup cpuset's CPUs apply (reported once)\n",
            task::vpid(task)
        );
    }
}

#[vtable]
impl Subsys for Cpuset {
    type State = Place;
    const ID: SubsysId = SubsysId::Cpuset;
    const FILES: &'static [CfType<Place>] = &[
        CfType::rw(
            c_str!("cpus"),
            placement::read_requested::<Cpuset>,
            placement::write_requested::<Cpuset>,
        )
        .max(4096),
        CfType::rw(
            c_str!("cpu_exclusive"),
            placement::read_exclusive::<Cpuset>,
            placement::write_exclusive::<Cpuset>,
        ),
        CfType::ro(
            c_str!("effective_cpus"),
            placement::read_effective::<Cpuset>,
        ),
        CfType::ro(c_str!("cpu_enforcement"), enforcement_read).placed(Where::RootOnly),
    ];

    fn create(ctx: &CreateCtx<'_, Place>) -> Result<Place> {
        placement::create::<Cpuset>(ctx)
    }

    fn can_attach(state: &Place, task: &Task) -> Result {
        placement::can_attach::<Cpuset>(state, task)
    }

    fn attach(state: &Place, _old: &Place, task: &Task) {
        placement::attach::<Cpuset>(state, task)
    }

    fn fork(state: &Place, child: &Task) {
        placement::fork::<Cpuset>(state, child)
    }
}

/// `cpu_enforcement`: `affinity 1` (attach, changes, fork), whether
/// `sched_setaffinity()` and the cgroup cpuset are confined to the
/// container, and whether the module intersects with the cgroup cpuset.
fn enforcement_read(_: &Place, _c: &Arc<Container>, out: &mut Buf) -> Result {
    let f = kplace::features();
    out.fmt(format_args!(
        "affinity 1\nsetaffinity_clamp {}\ncgroup_intersect {}\n",
        u8::from(f.setaffinity_clamp),
        u8::from(f.cgroup_intersect)
    ))
}
