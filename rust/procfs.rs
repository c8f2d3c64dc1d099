// SPDX-License-Identifier: GPL-2.0

//! System views in `/proc` (the files themselves are in `vfs::proc`).
//!
//! - `/proc/containers`: one line per subsystem, as cgroup v1's
//!   `/proc/cgroups`: name, hierarchy id (0: not bound), number of
//!   containers in that hierarchy, enabled (always 1).
//! - `/proc/container_membership`: the 2007 patch's `/proc/<pid>/container`,
//!   which a module cannot add: write a pid (or nothing: the reader itself)
//!   and read `<hierarchy-id>:<subsys,...>:<path>` for every hierarchy, the
//!   path relative to the hierarchy root.

use crate::cftype::{errno, Buf};
use crate::ffi::task::{self, Task};
use crate::logic::parse::parse_pid;
use crate::subsys::SubsysId;
use crate::world::World;
use kernel::prelude::*;
use kernel::types::ARef;

/// Writes `/proc/containers`.
pub(crate) fn show_containers(world: &World, out: &mut Buf) -> Result {
    out.push(b"#subsys_name\thierarchy\tnum_containers\tenabled\n")?;
    let reg = world.registry.lock();
    for &id in SubsysId::ALL {
        let (hid, n) = reg
            .bound_to(id.bit())
            .map_or((0, 1), |e| (e.h.id(), e.nr_containers));
        out.fmt(format_args!("{}\t{}\t{}\t1\n", id.name(), hid, n))?;
    }
    Ok(())
}

/// Resolves the pid written to `/proc/container_membership`.
pub(crate) fn parse_target(buf: &[u8]) -> Result<ARef<Task>> {
    let pid = parse_pid(buf).map_err(errno)?;
    if pid == 0 {
        return Ok(task::current());
    }
    task::find_by_vpid(pid).ok_or(ESRCH)
}

/// Writes `t`'s container in every hierarchy, ordered by hierarchy id.
pub(crate) fn show_membership(world: &World, t: &Task, out: &mut Buf) -> Result {
    let reg = world.registry.lock();
    for e in reg.hierarchies.iter().flatten() {
        let c = world
            .members
            .lock()
            .get(task::key(t), e.h.slot())
            .cloned()
            .unwrap_or_else(|| e.root.clone());
        let mut path = KVec::new();
        c.path(&reg, &mut path)?;
        out.fmt(format_args!("{}:", e.h.id()))?;
        e.h.show_subsys(out).map_err(|_| ENOMEM)?;
        out.push(b":")?;
        out.push(&path)?;
        out.push(b"\n")?;
    }
    Ok(())
}
