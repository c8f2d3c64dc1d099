// SPDX-License-Identifier: GPL-2.0

//! The core control files present in every container (cgroup v1's
//! `cgroup1_base_files`): `tasks`, `container.procs`, `notify_on_release`,
//! `container.clone_children`, `container.events`, cgroup v2's limits
//! `container.max.depth` and `container.max.descendants`, and the root's
//! `release_agent`.

use crate::cftype::{errno, Buf, CfType, Core, Placement};
use crate::container::{Container, LIMIT_MAX};
use crate::ffi::opener::{Cap, Opener};
use crate::ffi::task;
use crate::logic::options::RELEASE_AGENT_MAX_LEN;
use crate::logic::parse::{parse_bool_u64, parse_u64, trim};
use crate::membership::{Next, DEFERRED_MAX, SCAN_BATCH};
use crate::world::World;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The core files, in the order they are created.
pub(crate) static CORE_FILES: [CfType<Core>; 8] = [
    CfType::rw(c_str!("tasks"), tasks_read, tasks_write).core(),
    CfType::rw(c_str!("container.procs"), procs_read, procs_write).core(),
    CfType::rw(c_str!("notify_on_release"), notify_read, notify_write).core(),
    CfType::rw(
        c_str!("container.clone_children"),
        clone_children_read,
        clone_children_write,
    )
    .core(),
    CfType::ro(c_str!("container.events"), events_read)
        .core()
        .polled(),
    CfType::rw(
        c_str!("container.max.depth"),
        max_depth_read,
        max_depth_write,
    )
    .core(),
    CfType::rw(
        c_str!("container.max.descendants"),
        max_descendants_read,
        max_descendants_write,
    )
    .core(),
    CfType::rw(
        c_str!("release_agent"),
        release_agent_read,
        release_agent_write,
    )
    .max(RELEASE_AGENT_MAX_LEN + 1)
    .placed(Placement::RootOnly)
    .core(),
];

/// Writes `ids` sorted and de-duplicated, one per line.
fn write_ids(ids: &mut KVVec<i32>, out: &mut Buf) -> Result {
    ids.as_mut_slice().sort_unstable();
    let mut last = None;
    for &id in ids.iter() {
        if last != Some(id) && id > 0 {
            out.fmt(format_args!("{id}\n"))?;
        }
        last = Some(id);
    }
    Ok(())
}

/// The id of `t` as the reader sees it (`tgid` when `procs`).
fn id_of(t: &task::Task, procs: bool) -> i32 {
    if procs {
        task::vtgid(t)
    } else {
        task::vpid(t)
    }
}

/// Collects `f`'s output for the tasks of hierarchy slot `slot` that are
/// not in its root and whose container `want` accepts. The map is walked
/// in batches of [`SCAN_BATCH`] entries, each under one hold of the
/// membership lock, with room for a batch reserved before it; between
/// batches the lock is released and the CPU yielded, so however many tasks
/// there are, fork, exit and the packet path never wait long. `f` runs
/// under the lock: it must not sleep. A task that moves during the walk
/// may be missed or seen twice (callers de-duplicate).
fn collect_members<T>(
    world: &World,
    slot: usize,
    mut want: impl FnMut(&Arc<Container>) -> bool,
    mut f: impl FnMut(&task::Task, &Arc<Container>) -> T,
) -> Result<KVVec<T>> {
    let mut out = KVVec::new();
    let mut after = None;
    loop {
        // A batch adds at most `SCAN_BATCH` entries, plus the deferred
        // tasks on the first.
        out.reserve(SCAN_BATCH + DEFERRED_MAX, GFP_KERNEL)?;
        let next = world.members.lock().visit(slot, after, |t, owner| {
            if want(owner) {
                // Cannot fail: the room is reserved.
                let _ = out.push(f(t, owner), GFP_NOWAIT);
            }
        });
        match next {
            Some(k) => after = Some(k),
            None => return Ok(out),
        }
        task::cond_resched();
    }
}

/// Calls `f` for every task of hierarchy slot `slot` that is not in its
/// root and whose container `want` accepts, with that container, without
/// the membership lock held (`f` may sleep). It never allocates, so it
/// cannot fail: for the steps that must follow a committed change. Each
/// task is looked up separately, each lookup looking at a bounded number of
/// entries ([`SCAN_BATCH`]); tasks that join meanwhile may be missed (the
/// callers' fork paths handle those).
pub(crate) fn for_each_member(
    world: &World,
    slot: usize,
    mut want: impl FnMut(&Arc<Container>) -> bool,
    mut f: impl FnMut(&task::Task, &Arc<Container>),
) {
    let mut after = None;
    loop {
        let next = {
            let mut m = world.members.lock();
            match m.next_in(slot, after, &mut want) {
                Next::Found(t, c) => Some((task::key(&t), Some((t, c)))),
                Next::Partial(k) => Some((k, None)),
                Next::End => None,
            }
        };
        let Some((key, found)) = next else {
            return;
        };
        after = Some(key);
        if let Some((t, c)) = found {
            f(&t, &c);
        }
        task::cond_resched();
    }
}

/// [`collect_members`] for the hierarchy of `c`.
fn collect_moved<T>(
    c: &Arc<Container>,
    want: impl FnMut(&Arc<Container>) -> bool,
    mut f: impl FnMut(&task::Task) -> T,
) -> Result<KVVec<T>> {
    let h = c.hierarchy();
    collect_members(h.world(), h.slot(), want, |t, _| f(t))
}

/// Collects the ids of the tasks in `c`, as seen from the reader's pid
/// namespace.
fn member_ids(c: &Arc<Container>, procs: bool) -> Result<KVVec<i32>> {
    if !c.is_root() {
        return collect_moved(c, |owner| Arc::ptr_eq(owner, c), |t| id_of(t, procs));
    }
    // The root has every task that was not moved out of it.
    let mut moved = collect_moved(c, |_| true, task::key)?;
    moved.as_mut_slice().sort_unstable();
    let mut count = 0usize;
    task::for_each_thread(|_| count += 1);
    let mut ids = KVVec::with_capacity(count + count / 8 + 16, GFP_KERNEL)?;
    task::for_each_thread(|t| {
        if moved.as_slice().binary_search(&task::key(t)).is_err() {
            // Cannot allocate while capacity lasts; later forks are missed.
            let _ = ids.push(id_of(t, procs), GFP_NOWAIT);
        }
    });
    Ok(ids)
}

/// Calls `f` for every task directly in `c`, without the membership lock
/// but possibly under RCU: `f` must not sleep. Never allocates, so it
/// cannot fail (see [`for_each_member`]).
#[cfg_attr(not(CONFIG_TASK_CONTAINERS_NET_FLOW), expect(dead_code))]
pub(crate) fn for_each_task_in(c: &Arc<Container>, mut f: impl FnMut(&task::Task)) {
    let h = c.hierarchy();
    let world = h.world();
    if !c.is_root() {
        for_each_member(world, h.slot(), |o| Arc::ptr_eq(o, c), |t, _| f(t));
        return;
    }
    // The root has every task that was not moved out of it.
    task::for_each_thread(|t| {
        let in_root = world.members.lock().get(task::key(t), h.slot()).is_none();
        if in_root {
            f(t);
        }
    });
}

/// Number of tasks directly in `c` (for `debug.taskcount`).
#[cfg_attr(not(CONFIG_TASK_CONTAINERS_DEBUG), expect(dead_code))]
pub(crate) fn task_count(c: &Arc<Container>) -> Result<usize> {
    Ok(member_ids(c, false)?.len())
}

/// `tasks`: thread ids, sorted, one per line.
fn tasks_read(_: &Core, c: &Arc<Container>, out: &mut Buf) -> Result {
    write_ids(&mut member_ids(c, false)?, out)
}

/// `container.procs`: process ids, sorted, one per line.
fn procs_read(_: &Core, c: &Arc<Container>, out: &mut Buf) -> Result {
    write_ids(&mut member_ids(c, true)?, out)
}

/// `tasks` write: moves one thread.
fn tasks_write(_: &Core, c: &Arc<Container>, opener: &Opener<'_>, buf: &[u8]) -> Result {
    crate::attach::write_pid(c, opener, buf, false)
}

/// `container.procs` write: moves every thread of a process.
fn procs_write(_: &Core, c: &Arc<Container>, opener: &Opener<'_>, buf: &[u8]) -> Result {
    crate::attach::write_pid(c, opener, buf, true)
}

/// Reads a flag of the container's node.
fn read_flag(
    c: &Arc<Container>,
    out: &mut Buf,
    get: fn(&crate::container::Node) -> bool,
) -> Result {
    let world = c.hierarchy().world().clone();
    let v = {
        let reg = world.registry.lock();
        reg.nodes.get(&c.id()).map(get).ok_or(ENODEV)?
    };
    out.fmt(format_args!("{}\n", u8::from(v)))
}

/// Sets a flag of the container's node (any non-zero number is 1).
fn write_flag(
    c: &Arc<Container>,
    buf: &[u8],
    set: fn(&mut crate::container::Node, bool),
) -> Result {
    let v = parse_bool_u64(buf).map_err(errno)?;
    let world = c.hierarchy().world().clone();
    let mut reg = world.registry.lock();
    let node = reg.nodes.get_mut(&c.id()).ok_or(ENODEV)?;
    set(node, v);
    Ok(())
}

fn notify_read(_: &Core, c: &Arc<Container>, out: &mut Buf) -> Result {
    read_flag(c, out, |n| n.notify_on_release)
}

fn notify_write(_: &Core, c: &Arc<Container>, _opener: &Opener<'_>, buf: &[u8]) -> Result {
    write_flag(c, buf, |n, v| n.notify_on_release = v)
}

fn clone_children_read(_: &Core, c: &Arc<Container>, out: &mut Buf) -> Result {
    read_flag(c, out, |n| n.clone_children)
}

fn clone_children_write(_: &Core, c: &Arc<Container>, _opener: &Opener<'_>, buf: &[u8]) -> Result {
    write_flag(c, buf, |n, v| n.clone_children = v)
}

/// `release_agent` (root only): the path, or an empty line.
fn release_agent_read(_: &Core, c: &Arc<Container>, out: &mut Buf) -> Result {
    let world = c.hierarchy().world().clone();
    let reg = world.registry.lock();
    let e = reg.entry(c.hierarchy()).ok_or(ENODEV)?;
    out.push(e.release_agent.as_slice())?;
    out.push(b"\n")
}

/// Sets `release_agent`: the file's opener needs `CAP_SYS_ADMIN` in the
/// initial user namespace (`EPERM`), as the agent runs with full
/// privileges (cgroup v1's `file_ns_capable()` check: a privileged writer
/// of an fd an unprivileged user opened does not qualify).
fn release_agent_write(_: &Core, c: &Arc<Container>, opener: &Opener<'_>, buf: &[u8]) -> Result {
    if !opener.capable(Cap::SysAdmin) {
        return Err(EPERM);
    }
    let path = trim(buf);
    if path.contains(&0) {
        return Err(EINVAL);
    }
    let mut owned = KVec::new();
    owned.extend_from_slice(path, GFP_KERNEL)?;
    let world = c.hierarchy().world().clone();
    let mut reg = world.registry.lock();
    let e = reg.entry_mut(c.hierarchy()).ok_or(ENODEV)?;
    e.release_agent = owned;
    Ok(())
}

/// `container.events`: `populated 1` while the container or a descendant
/// has a task. `poll(2)` reports a change with `POLLPRI`.
fn events_read(_: &Core, c: &Arc<Container>, out: &mut Buf) -> Result {
    out.fmt(format_args!("populated {}\n", u8::from(c.populated())))
}

/// Parses a write to `container.max.depth` or `container.max.descendants`
/// as cgroup v2 does: `max`, or a number read by `kstrtoint(buf, 0)` (`0x`
/// hex, `0` octal); garbage is `EINVAL`, a negative number or one above
/// `INT_MAX` is `ERANGE`. `INT_MAX` itself is `max`.
fn parse_limit(buf: &[u8]) -> Result<u32> {
    let s = trim(buf);
    if s == b"max" {
        return Ok(LIMIT_MAX);
    }
    let (negative, digits) = match s.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    // After a minus, `kstrtoint()` takes digits only: no sign, no space.
    if negative && !digits.first().is_some_and(u8::is_ascii_digit) {
        return Err(EINVAL);
    }
    let v = parse_u64(digits).map_err(errno)?;
    match (negative, u32::try_from(v)) {
        (true, _) if v == 0 => Ok(0),
        (true, _) => Err(ERANGE),
        (false, Ok(v)) if v <= LIMIT_MAX => Ok(v),
        (false, _) => Err(ERANGE),
    }
}

/// Reads a limit: `max` or the number.
fn read_limit(v: &AtomicU32, out: &mut Buf) -> Result {
    match v.load(Ordering::Relaxed) {
        v if v >= LIMIT_MAX => out.push(b"max\n"),
        v => out.fmt(format_args!("{v}\n")),
    }
}

/// Sets a limit of `c` (it applies to later `mkdir`s: existing containers
/// stay, as in cgroup v2).
fn write_limit(c: &Arc<Container>, buf: &[u8], field: fn(&Container) -> &AtomicU32) -> Result {
    let v = parse_limit(buf)?;
    let world = c.hierarchy().world().clone();
    // Under the registry mutex, which `mkdir` checks the limits under.
    let _reg = world.registry.lock();
    if c.is_removed() {
        return Err(ENODEV);
    }
    field(c).store(v, Ordering::Relaxed);
    Ok(())
}

/// `container.max.depth`: how many levels of containers may exist below
/// this one (cgroup v2's `cgroup.max.depth`). `mkdir` beyond: `EAGAIN`.
fn max_depth_read(_: &Core, c: &Arc<Container>, out: &mut Buf) -> Result {
    read_limit(&c.max_depth, out)
}

fn max_depth_write(_: &Core, c: &Arc<Container>, _opener: &Opener<'_>, buf: &[u8]) -> Result {
    write_limit(c, buf, |c| &c.max_depth)
}

/// `container.max.descendants`: how many containers may exist below this
/// one (cgroup v2's `cgroup.max.descendants`). `mkdir` beyond: `EAGAIN`.
fn max_descendants_read(_: &Core, c: &Arc<Container>, out: &mut Buf) -> Result {
    read_limit(&c.max_descendants, out)
}

fn max_descendants_write(_: &Core, c: &Arc<Container>, _opener: &Opener<'_>, buf: &[u8]) -> Result {
    write_limit(c, buf, |c| &c.max_descendants)
}
