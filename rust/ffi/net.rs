// SPDX-License-Identifier: GPL-2.0

//! Networking for the net_flow subsystem: a netfilter `LOCAL_OUT` hook in
//! every network namespace, and the socket and packet fields it sets.
//!
//! The hook is registered only while some container has a class id
//! ([`enable`], [`disable`]), so that packets cost nothing extra otherwise.
//! It runs for every locally generated IPv4 and IPv6 packet, in the context
//! that sends it: the sending task's for `send()`/`write()`, softirq for
//! TCP retransmits and ACK-clocked sends.
//!
//! C headers: [`include/linux/netfilter.h`](srctree/include/linux/netfilter.h),
//! [`include/net/sock.h`](srctree/include/net/sock.h)

use super::bindings;
use super::task::{self, Task};
use crate::world::World;
use core::ffi::c_void;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::ffi::c_uint;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ForeignOwnable;

/// A socket, borrowed for the duration of a hook or walk.
///
/// # Invariants
///
/// `ptr` is a valid full socket for `'a`.
pub(crate) struct Sock<'a> {
    /// The socket.
    ptr: *mut bindings::sock,
    /// The borrow.
    _life: PhantomData<&'a ()>,
}

impl Sock<'_> {
    /// `sk_priority`: the `skb->priority` the IP layer gives its packets.
    pub(crate) fn priority(&self) -> u32 {
        // SAFETY: `ptr` is valid (type invariant).
        unsafe { bindings::container_helper_sk_priority(self.ptr) }
    }

    /// Sets `sk_priority`.
    pub(crate) fn set_priority(&self, priority: u32) {
        // SAFETY: `ptr` is valid (type invariant); the field is written
        // with `WRITE_ONCE`, as `SO_PRIORITY` does, and read locklessly.
        unsafe { bindings::container_helper_sk_set_priority(self.ptr, priority) }
    }

    /// Whether it is an IPv4 or IPv6 socket.
    pub(crate) fn is_inet(&self) -> bool {
        // SAFETY: `ptr` is valid (type invariant).
        unsafe { bindings::container_helper_sk_is_inet(self.ptr) }
    }
}

/// An outgoing packet in the `LOCAL_OUT` hook.
///
/// # Invariants
///
/// `skb` is a valid packet owned by the hook's caller for `'a`.
pub(crate) struct Packet<'a> {
    /// The packet.
    skb: *mut bindings::sk_buff,
    /// The borrow.
    _life: PhantomData<&'a mut ()>,
}

impl Packet<'_> {
    /// The socket that sends the packet, if user space created it: not a
    /// request or timewait socket, and not one of the kernel's own control
    /// sockets (ICMP, neighbour discovery, TCP resets), which packets of
    /// every task share.
    pub(crate) fn user_socket(&self) -> Option<Sock<'_>> {
        // SAFETY: `skb` is valid (type invariant).
        let sk = unsafe { bindings::container_helper_skb_user_sk(self.skb) };
        // INVARIANT: A full socket the packet references lives at least as
        // long as the packet.
        (!sk.is_null()).then_some(Sock {
            ptr: sk,
            _life: PhantomData,
        })
    }

    /// Sets `skb->priority` (what HTB and `prio` classify by).
    pub(crate) fn set_priority(&mut self, priority: u32) {
        // SAFETY: `skb` is valid and ours to modify in the hook (type
        // invariant).
        unsafe { bindings::container_helper_skb_set_priority(self.skb, priority) }
    }
}

/// Whether the packet is sent by the current task on its own behalf: task
/// context with softirqs and interrupts enabled, so that no lock a softirq
/// or an interrupt takes can be held (e.g. a socket's spinlock while TCP's
/// `release_cb` sends what was deferred) and the membership lock may be
/// taken; and not a kernel thread (which sends for others, e.g. kTLS or
/// sockmap work) nor an exiting task (which has left its containers
/// already, before its files are closed and their last segments sent).
pub(crate) fn sender_context() -> bool {
    // SAFETY: Reads the preempt count, the interrupt flag and
    // `current->flags`.
    unsafe { bindings::container_helper_sender_context() }
}

/// The `LOCAL_OUT` hook.
///
/// # Safety
///
/// `priv_` is the `Arc<World>` registered by [`enable`], alive until
/// [`disable`] has waited for running hooks; `skb` is a valid packet.
unsafe extern "C" fn local_out(priv_: *mut c_void, skb: *mut bindings::sk_buff) -> c_uint {
    // SAFETY: Per the function's safety requirements.
    let world = unsafe { Arc::<World>::borrow(priv_) };
    // INVARIANT: `skb` is valid and the hook may modify it.
    let mut pkt = Packet {
        skb,
        _life: PhantomData,
    };
    crate::subsys::net_flow::local_out(&world, &mut pkt);
    bindings::NF_ACCEPT
}

/// The `Arc<World>` (foreign form) the registered hook uses, or null when
/// no hook is registered.
static HOOK_WORLD: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());

/// Registers the hook in every network namespace, present and future. The
/// caller serialises [`enable`] and [`disable`] (registry mutex). Process
/// context; may sleep.
pub(crate) fn enable(world: &Arc<World>) -> Result {
    if !HOOK_WORLD.load(Ordering::Acquire).is_null() {
        return Ok(());
    }
    let data = world.clone().into_foreign().cast_mut();
    // SAFETY: `local_out` has the callback prototype; `data` stays valid
    // until `disable` releases it after unregistering.
    let ret = unsafe { bindings::container_helper_net_hooks_register(Some(local_out), data) };
    if ret != 0 {
        // SAFETY: Not registered: `data` is unused.
        drop(unsafe { Arc::<World>::from_foreign(data) });
        return Err(Error::from_errno(ret));
    }
    HOOK_WORLD.store(data, Ordering::Release);
    Ok(())
}

/// Unregisters the hook everywhere and waits for running hooks. Process
/// context; may sleep.
pub(crate) fn disable() {
    let data = HOOK_WORLD.swap(core::ptr::null_mut(), Ordering::AcqRel);
    if data.is_null() {
        return;
    }
    // SAFETY: Registered by `enable`; this also waits for running hooks.
    unsafe { bindings::container_helper_net_hooks_unregister() };
    // SAFETY: `data` came from `into_foreign` in `enable`; no hook uses it.
    drop(unsafe { Arc::<World>::from_foreign(data) });
}

/// Keeps the hook from outliving the module: [`disable`] on drop.
pub(crate) struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        disable();
    }
}

/// An identity of `task`'s file table, only to compare with another's
/// (equal while both use the same table); 0 when it has none.
pub(crate) fn files_id(task: &Task) -> usize {
    // SAFETY: `task` is valid; the helper reads `files` under `task_lock`.
    unsafe { bindings::container_helper_files_id(task::as_raw(task)) }
}

/// Calls `f` for every socket in `task`'s file table. `f` runs under the
/// task and file table spinlocks: it must not sleep. The walk drops them
/// every 1000 descriptors, so a user with many files cannot make it hold
/// them long, and then yields the CPU if `may_sleep` (process context,
/// not under RCU).
pub(crate) fn for_each_sock<F: FnMut(&Sock<'_>)>(task: &Task, may_sleep: bool, mut f: F) {
    // SAFETY: `visit::<F>` matches the callback type, `data` points to `f`,
    // which outlives the call, and `task` is valid; the caller says whether
    // it may sleep.
    unsafe {
        bindings::container_helper_for_each_sock(
            task::as_raw(task),
            may_sleep,
            Some(visit::<F>),
            (&mut f as *mut F).cast(),
        )
    };
}

/// Trampoline from the C socket walk to a closure.
///
/// # Safety
///
/// `data` must be the `&mut F` the walk was started with and `sk` a socket
/// that stays valid during the call (its file is held by the file table,
/// whose lock the walk holds).
unsafe extern "C" fn visit<F: FnMut(&Sock<'_>)>(sk: *mut bindings::sock, data: *mut c_void) {
    // SAFETY: Per the function's safety requirements.
    let f = unsafe { &mut *data.cast::<F>() };
    // INVARIANT: `sk` is valid for the call.
    f(&Sock {
        ptr: sk,
        _life: PhantomData,
    });
}
