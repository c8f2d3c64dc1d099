// SPDX-License-Identifier: GPL-2.0

//! The `memset` subsystem: which memory nodes the tasks of a container
//! allocate from (the memory half of cpusets).
//!
//! Files (classic cpuset names under `noprefix`):
//! - `mems`: the requested node list; the root's is read-only;
//! - `mem_exclusive`: 0/1, no overlap with siblings;
//! - `effective_mems` (read-only): what applies, see [`placement`];
//! - `mem_enforcement` (root only, read-only): whether the page allocator
//!   honours the nodes and mempolicies are rebound.
//!
//! Enforcement: attaching a task and changing `mems` set the task's
//! `mems_allowed` as cpuset.c does; children inherit it at fork. The page
//! allocator honours it only while the cpuset static keys are enabled,
//! which the module does on a kernel with `scripts/patches/0001`.

use super::placement::{self, Place, Resource};
use crate::cftype::{Buf, CfType, Placement as Where};
use crate::container::Container;
use crate::ffi::placement::{self as kplace, Bits};
use crate::ffi::task::Task;
use crate::subsys::{CreateCtx, Subsys, SubsysId};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The `memset` subsystem.
pub(crate) struct Memset;

impl Resource for Memset {
    const ID: SubsysId = SubsysId::Memset;

    fn nbits() -> usize {
        kplace::nr_nodes()
    }

    fn usable() -> Bits {
        kplace::memory_nodes()
    }

    fn apply(task: &Task, mask: &Bits) {
        if kplace::cgroup_cpusets_in_use() {
            report_cgroup_cpusets();
        }
        kplace::set_mems_allowed(task, mask)
    }

    fn task_mask(task: &Task) -> Bits {
        kplace::task_mems(task)
    }
}

/// Says once that the kernel's cgroup cpusets also set memory nodes.
fn report_cgroup_cpusets() {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    if !REPORTED.swap(true, Ordering::Relaxed) {
        pr_notice!(
            "cgroup cpusets are in use too: a task's memory nodes are set by whichever of its cgroup cpuset and its memset changed them last (reported once; see Documentation/cpuset.rst)\n"
        );
    }
}

#[vtable]
impl Subsys for Memset {
    type State = Place;
    const ID: SubsysId = SubsysId::Memset;
    const FILES: &'static [CfType<Place>] = &[
        CfType::rw(
            c_str!("mems"),
            placement::read_requested::<Memset>,
            placement::write_requested::<Memset>,
        )
        .max(4096),
        CfType::rw(
            c_str!("mem_exclusive"),
            placement::read_exclusive::<Memset>,
            placement::write_exclusive::<Memset>,
        ),
        CfType::ro(
            c_str!("effective_mems"),
            placement::read_effective::<Memset>,
        ),
        CfType::ro(c_str!("mem_enforcement"), enforcement_read).placed(Where::RootOnly),
    ];

    fn create(ctx: &CreateCtx<'_, Place>) -> Result<Place> {
        placement::create::<Memset>(ctx)
    }

    fn can_attach(state: &Place, task: &Task) -> Result {
        placement::can_attach::<Memset>(state, task)
    }

    fn attach(state: &Place, _old: &Place, task: &Task) {
        placement::attach::<Memset>(state, task)
    }

    fn fork(state: &Place, child: &Task) {
        placement::fork::<Memset>(state, child)
    }
}

/// `mem_enforcement`: `mems_allowed 1`, and whether the page allocator
/// honours it and mempolicies are rebound.
fn enforcement_read(_: &Place, _c: &Arc<Container>, out: &mut Buf) -> Result {
    let f = kplace::features();
    out.fmt(format_args!(
        "mems_allowed 1\npage_allocator {}\nmempolicy_rebind {}\n",
        u8::from(f.page_allocator),
        u8::from(f.mpol_rebind)
    ))
}
