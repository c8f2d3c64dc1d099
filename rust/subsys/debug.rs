// SPDX-License-Identifier: GPL-2.0

//! The `debug` subsystem: per-container counters for tests and debugging,
//! like the 2007 patch's `container_debug`.
//!
//! Files:
//! - `debug.taskcount`: the number of tasks directly in the container (what
//!   the `tasks` file should list);
//! - `debug.refcount`: what holds the container, one `name count` per line:
//!   its tasks, its child containers and its open control files (the 2007
//!   patch's `container_refcount`, broken down, since a kernel `Arc` does
//!   not expose its count);
//! - `debug.lock_scan` (root only): `membership N`, the most entries of
//!   the membership map that one walk user space triggered (reading a
//!   `tasks` file, applying a change to a container's tasks) looked at in
//!   one hold of the membership lock (fork, exit and the packet path take
//!   that lock; the walks are batched so that N stays at most 64 however
//!   many tasks there are); `events N`, the most containers one run of the
//!   events work visited that had no event to deliver (at most one per
//!   change queued, see [`crate::events`]). Both count since the module
//!   loaded or since `0` was last written to the file.

use crate::cftype::{errno, Buf, CfType, Placement};
use crate::container::Container;
use crate::ffi::opener::Opener;
use crate::logic::parse::parse_u64;
use crate::subsys::{CreateCtx, Subsys, SubsysId};
use core::sync::atomic::Ordering;
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The `debug` subsystem.
pub(crate) struct Debug;

#[vtable]
impl Subsys for Debug {
    type State = ();
    const ID: SubsysId = SubsysId::Debug;
    const FILES: &'static [CfType<()>] = &[
        CfType::ro(c_str!("taskcount"), taskcount_read),
        CfType::ro(c_str!("refcount"), refcount_read),
        CfType::rw(c_str!("lock_scan"), lock_scan_read, lock_scan_write)
            .placed(Placement::RootOnly),
    ];

    fn create(_ctx: &CreateCtx<'_, ()>) -> Result<()> {
        Ok(())
    }
}

/// `debug.taskcount`.
fn taskcount_read(_: &(), c: &Arc<Container>, out: &mut Buf) -> Result {
    let n = if c.is_root() {
        crate::files::task_count(c)?
    } else {
        c.nr_tasks.load(Ordering::Relaxed) as usize
    };
    out.fmt(format_args!("{n}\n"))
}

/// `debug.lock_scan`.
fn lock_scan_read(_: &(), c: &Arc<Container>, out: &mut Buf) -> Result {
    let world = c.hierarchy().world();
    let n = world.members.lock().max_scan();
    out.fmt(format_args!(
        "membership {n}\nevents {}\n",
        world.events_wasted()
    ))
}

/// Writing `0` to `debug.lock_scan` starts its counts over.
fn lock_scan_write(_: &(), c: &Arc<Container>, _opener: &Opener<'_>, buf: &[u8]) -> Result {
    if parse_u64(buf).map_err(errno)? != 0 {
        return Err(EINVAL);
    }
    c.hierarchy().world().reset_scan_counts();
    Ok(())
}

/// `debug.refcount`.
fn refcount_read(_: &(), c: &Arc<Container>, out: &mut Buf) -> Result {
    let children = {
        let world = c.hierarchy().world().clone();
        let reg = world.registry.lock();
        reg.nodes
            .get(&c.id())
            .ok_or(ENODEV)?
            .children
            .iter()
            .count()
    };
    out.fmt(format_args!(
        "tasks {}\nchildren {}\nopen_files {}\n",
        c.nr_tasks.load(Ordering::Relaxed),
        children,
        c.open_files.load(Ordering::Relaxed)
    ))
}
