// SPDX-License-Identifier: GPL-2.0

//! The `net_flow` subsystem: a network flow (traffic class) id for the
//! packets of a container's tasks, which standard Linux queueing acts on.
//!
//! File: `classid`, a tc class handle `0xAAAABBBB` (`AAAA:BBBB`), written
//! in decimal or hex and read back in decimal, as `net_cls.classid`; `0`
//! means untagged. A new container starts with its parent's class id, as
//! with `net_cls`.
//!
//! Packets sent by a tagged task carry the class id as `skb->priority`,
//! which HTB (and `prio`, and other qdiscs that honour it) classify by
//! without any tc filter. A netfilter `LOCAL_OUT` hook ([`local_out`])
//! stamps the packets a task sends and its socket's `sk_priority`, from
//! which the IP layer fills `skb->priority` of the packets the socket sends
//! later in softirq context (TCP retransmits, ACK-clocked sends). Moving a
//! task, or changing a container's class id, re-tags the sockets in the
//! tasks' file tables ([`retag`]), as `net_cls` does, so a long-running
//! connection follows its task.
//!
//! For a tagged task the class id wins over the application's own
//! `SO_PRIORITY`: otherwise a task could leave its class. Untagged tasks'
//! packets are never touched. Netfilter rules in the mangle table run after
//! the hook, so an administrator's rule still has the last word.
//!
//! The hook is registered only while some container has a class id, so
//! there is no per-packet cost otherwise.
//!
//! Delegation: an opener without `CAP_NET_ADMIN` (in the initial user
//! namespace) may only give a container a class id its parent allows: the
//! parent's own, or one in the parent's `allowed` list (file
//! `net_flow.allowed`, owned by whoever owns the parent), and may only list
//! in `allowed` class ids the container itself could be given. So a
//! delegated subtree stays within the classes the administrator granted,
//! however deep it nests ([`opener_may_use`]).

use crate::cftype::{errno, Buf, CfType};
use crate::container::Container;
use crate::ffi::net::{self, Packet, Sock};
use crate::ffi::opener::{Cap, Opener};
use crate::ffi::task::{self, Task};
use crate::logic::parse::{parse_classid, parse_classid_list, CLASSID_LIST_MAX};
use crate::subsys::{CreateCtx, Subsys, SubsysId};
use crate::world::World;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The `net_flow` subsystem.
pub(crate) struct NetFlow;

/// The per-container state of `net_flow`.
pub(crate) struct Flow {
    /// `classid` (written under the registry mutex, read by the hook).
    classid: AtomicU32,
    /// `allowed`: the class ids, besides this container's own, that an
    /// opener without `CAP_NET_ADMIN` may give its children; sorted, the
    /// first `allowed_len` valid (registry mutex for reads and writes).
    allowed: [AtomicU32; CLASSID_LIST_MAX],
    /// See `allowed`.
    allowed_len: AtomicUsize,
    /// Whether this is the hierarchy's root (whose tasks are not in the
    /// membership map).
    root: bool,
}

/// Containers with a non-zero class id (registry mutex): the hook is
/// registered while this is not zero.
static TAGGED: AtomicUsize = AtomicUsize::new(0);

/// The root container's class id, for tasks in the root (registry mutex
/// for writes).
static ROOT_CLASSID: AtomicU32 = AtomicU32::new(0);

#[vtable]
impl Subsys for NetFlow {
    type State = Flow;
    const ID: SubsysId = SubsysId::NetFlow;
    const FILES: &'static [CfType<Flow>] = &[
        CfType::rw(c_str!("classid"), classid_read, classid_write),
        // Up to `CLASSID_LIST_MAX` ids of 10 characters and a separator.
        CfType::rw(c_str!("allowed"), allowed_read, allowed_write).max(512),
    ];

    fn create(ctx: &CreateCtx<'_, Flow>) -> Result<Flow> {
        let classid = ctx.parent.map_or(0, |p| p.classid.load(Ordering::Relaxed));
        // The parent is tagged, so the hook is already registered.
        if classid != 0 {
            TAGGED.fetch_add(1, Ordering::Relaxed);
        }
        Ok(Flow {
            classid: AtomicU32::new(classid),
            // A new container allows its children only its own class id.
            allowed: [const { AtomicU32::new(0) }; CLASSID_LIST_MAX],
            allowed_len: AtomicUsize::new(0),
            root: ctx.parent.is_none(),
        })
    }

    fn destroy(state: &Flow) {
        if state.root {
            ROOT_CLASSID.store(0, Ordering::Relaxed);
        }
        if state.classid.load(Ordering::Relaxed) != 0 {
            untag_one();
        }
    }

    fn attach(state: &Flow, old: &Flow, task: &Task) {
        retag(
            task,
            old.classid.load(Ordering::Relaxed),
            state.classid.load(Ordering::Relaxed),
            // Attach hooks may sleep.
            true,
        );
    }
}

/// One container fewer has a class id; the last one takes the hook away.
/// Registry mutex held.
fn untag_one() {
    if TAGGED.fetch_sub(1, Ordering::Relaxed) == 1 {
        net::disable();
    }
}

/// The state of `net_flow` in `c`.
fn flow(c: &Container) -> Result<&Flow> {
    c.css(SubsysId::NetFlow)
        .and_then(|css| css.get::<Flow>())
        .ok_or(ENODEV)
}

/// Reads `classid` (decimal, as `net_cls`).
fn classid_read(st: &Flow, _c: &Arc<Container>, out: &mut Buf) -> Result {
    let v = st.classid.load(Ordering::Relaxed);
    out.fmt(format_args!("{v}\n"))
}

impl Flow {
    /// The `allowed` list. Registry mutex held.
    fn allowed(&self) -> impl Iterator<Item = u32> + '_ {
        let len = self.allowed_len.load(Ordering::Relaxed);
        self.allowed
            .iter()
            .take(len)
            .map(|a| a.load(Ordering::Relaxed))
    }
}

/// Whether `opener` may give container `c` class id `id` (or list it in
/// `c`'s `allowed`): always with `CAP_NET_ADMIN`; otherwise only if it is
/// `c`'s parent's class id or in the parent's `allowed` list (never in a
/// root, which has no parent). Registry mutex held.
fn opener_may_use(opener: &Opener<'_>, c: &Container, id: u32) -> Result<bool> {
    if opener.capable(Cap::NetAdmin) {
        return Ok(true);
    }
    let Some(parent) = c.parent() else {
        return Ok(false);
    };
    let p = flow(parent)?;
    Ok(p.classid.load(Ordering::Relaxed) == id || p.allowed().any(|a| a == id))
}

/// Reads `allowed`: the class ids in decimal, sorted, on one line.
fn allowed_read(st: &Flow, c: &Arc<Container>, out: &mut Buf) -> Result {
    let world = c.hierarchy().world().clone();
    let _reg = world.registry.lock();
    for (i, id) in st.allowed().enumerate() {
        let sep = if i == 0 { "" } else { " " };
        out.fmt(format_args!("{sep}{id}"))?;
    }
    out.push(b"\n")
}

/// Writes `allowed`: a list of class ids separated by whitespace or commas
/// (empty: none). Without `CAP_NET_ADMIN`, each must be one the opener
/// may give `c` itself (`EPERM`).
fn allowed_write(st: &Flow, c: &Arc<Container>, opener: &Opener<'_>, buf: &[u8]) -> Result {
    let mut list = [0u32; CLASSID_LIST_MAX];
    let len = parse_classid_list(buf, &mut list).map_err(errno)?;
    let list = list.get(..len).ok_or(EINVAL)?;
    let world = c.hierarchy().world().clone();
    let _reg = world.registry.lock();
    if c.is_removed() {
        return Err(ENODEV);
    }
    for &id in list {
        if !opener_may_use(opener, c, id)? {
            return Err(EPERM);
        }
    }
    for (slot, &id) in st.allowed.iter().zip(list) {
        slot.store(id, Ordering::Relaxed);
    }
    st.allowed_len.store(len, Ordering::Relaxed);
    Ok(())
}

/// Writes `classid`: checks that the opener may choose it, registers the
/// hook for the first tagged container, then re-tags the sockets of the
/// container's tasks.
fn classid_write(st: &Flow, c: &Arc<Container>, opener: &Opener<'_>, buf: &[u8]) -> Result {
    let new = parse_classid(buf).map_err(errno)?;
    let world = c.hierarchy().world().clone();
    let _reg = world.registry.lock();
    if c.is_removed() {
        return Err(ENODEV);
    }
    if !opener_may_use(opener, c, new)? {
        return Err(EPERM);
    }
    let old = st.classid.load(Ordering::Relaxed);
    if old == new {
        return Ok(());
    }
    if old == 0 {
        // Nothing changes if the hook cannot be registered.
        if TAGGED.load(Ordering::Relaxed) == 0 {
            net::enable(&world)?;
        }
        TAGGED.fetch_add(1, Ordering::Relaxed);
    }
    st.classid.store(new, Ordering::Relaxed);
    if st.root {
        ROOT_CLASSID.store(new, Ordering::Relaxed);
    }
    if new == 0 {
        untag_one();
    }
    // The threads of a process share one file table (unless one unshared
    // it) and are visited one after another from the root: walk it once.
    let mut last = (0, 0);
    crate::files::for_each_task_in(c, |t| {
        let table = (task::vtgid(t), net::files_id(t));
        if table != last {
            last = table;
            // Under RCU for the root (see `for_each_task_in`).
            retag(t, old, new, !c.is_root());
        }
    });
    Ok(())
}

/// Re-tags the sockets of `task`, which moved from class id `old` to
/// `new`: a tagged task's sockets get `new`; an untagged one's lose `old`
/// where they still carry it (a priority the application set is kept).
/// Sleeps (yields the CPU between batches of descriptors) only if
/// `may_sleep`.
pub(crate) fn retag(task: &Task, old: u32, new: u32, may_sleep: bool) {
    if old == new {
        return;
    }
    net::for_each_sock(task, may_sleep, |sk: &Sock<'_>| {
        if !sk.is_inet() {
            return;
        }
        if new != 0 {
            sk.set_priority(new);
        } else if sk.priority() == old {
            sk.set_priority(0);
        }
    });
}

/// The class id of the current task's container, 0 when untagged. Sender
/// context only ([`net::sender_context`]): the membership lock is
/// taken with softirqs enabled elsewhere, so it must never be taken in
/// softirq context or while a softirq-safe lock is held.
fn current_classid(world: &World) -> u32 {
    let Some(slot) = world.bound_slot(SubsysId::NetFlow) else {
        return 0;
    };
    let m = world.members.lock();
    match m.get(task::current_key(), slot) {
        Some(c) => flow(c).map_or(0, |f| f.classid.load(Ordering::Relaxed)),
        None => ROOT_CLASSID.load(Ordering::Relaxed),
    }
}

/// The world is what the packet hook is registered with ([`net::enable`]).
impl net::LocalOut for World {
    fn local_out(&self, pkt: &mut Packet<'_>) {
        local_out(self, pkt)
    }
}

/// The `LOCAL_OUT` hook: a packet a tagged task sends carries its class
/// id, and so does its socket from then on. Packets sent in softirq
/// context, with softirqs off (TCP's `release_cb` sending what was
/// deferred), by a kernel thread or by an exiting task keep what the IP
/// layer copied from `sk_priority`, which the owner's earlier sends (or its
/// last move) stamped.
fn local_out(world: &World, pkt: &mut Packet<'_>) {
    if !net::sender_context() {
        return;
    }
    let classid = {
        let Some(sk) = pkt.user_socket() else {
            return;
        };
        let classid = current_classid(world);
        if classid == 0 {
            return;
        }
        if sk.priority() != classid {
            sk.set_priority(classid);
        }
        classid
    };
    pkt.set_priority(classid);
}
