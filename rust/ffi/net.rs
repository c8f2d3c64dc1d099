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

/// What the `LOCAL_OUT` hook does with each packet, on the value
/// [`enable`] registered it with. Runs in the context that sends the packet
/// (task, or softirq for retransmits and ACK-clocked sends), possibly with
/// interrupts off: it must not sleep.
pub(crate) trait LocalOut: Send + Sync + 'static {
    /// Sees (and may re-mark) an outgoing packet.
    fn local_out(&self, pkt: &mut Packet<'_>);
}

/// The `LOCAL_OUT` hook.
///
/// # Safety
///
/// `priv_` is the `Arc<T>` registered by [`enable`], alive until
/// [`disable`] has waited for running hooks; `skb` is a valid packet.
unsafe extern "C" fn local_out<T: LocalOut>(
    priv_: *mut c_void,
    skb: *mut bindings::sk_buff,
) -> c_uint {
    // SAFETY: Per the function's safety requirements.
    let this = unsafe { Arc::<T>::borrow(priv_) };
    // INVARIANT: `skb` is valid and the hook may modify it.
    let mut pkt = Packet {
        skb,
        _life: PhantomData,
    };
    this.local_out(&mut pkt);
    bindings::NF_ACCEPT
}

/// A registered hook: the data it was registered with and how to release
/// it.
struct Registered {
    /// An `Arc<T>` in foreign form, the hook's `priv`.
    data: *mut c_void,
    /// Releases `data` (`Arc::<T>::from_foreign`, for the `T` of
    /// [`enable`]).
    release: unsafe fn(*mut c_void),
}

/// Releases an `Arc<T>` in foreign form.
///
/// # Safety
///
/// `data` came from `Arc::<T>::into_foreign` and is not used any more.
unsafe fn release<T: LocalOut>(data: *mut c_void) {
    // SAFETY: Per the function's safety requirements.
    drop(unsafe { Arc::<T>::from_foreign(data) });
}

/// The registered hook (a `KBox<Registered>` in raw form), or null when no
/// hook is registered.
static HOOK: AtomicPtr<Registered> = AtomicPtr::new(core::ptr::null_mut());

/// Registers the hook in every network namespace, present and future, to
/// call `data`'s [`LocalOut`]. Nothing if a hook is registered already.
/// The caller serialises [`enable`] and [`disable`] (registry mutex).
/// Process context; may sleep.
pub(crate) fn enable<T: LocalOut>(data: &Arc<T>) -> Result {
    if !HOOK.load(Ordering::Acquire).is_null() {
        return Ok(());
    }
    let mut reg = KBox::new(
        Registered {
            data: core::ptr::null_mut(),
            release: release::<T>,
        },
        GFP_KERNEL,
    )?;
    reg.data = data.clone().into_foreign().cast_mut();
    // SAFETY: `local_out::<T>` has the callback prototype; `reg.data` stays
    // valid until `disable` releases it after unregistering.
    let ret =
        unsafe { bindings::container_helper_net_hooks_register(Some(local_out::<T>), reg.data) };
    if ret != 0 {
        // SAFETY: Not registered: `reg.data` is unused.
        unsafe { (reg.release)(reg.data) };
        return Err(Error::from_errno(ret));
    }
    HOOK.store(KBox::into_raw(reg), Ordering::Release);
    Ok(())
}

/// Unregisters the hook everywhere and waits for running hooks. Process
/// context; may sleep.
pub(crate) fn disable() {
    let reg = HOOK.swap(core::ptr::null_mut(), Ordering::AcqRel);
    if reg.is_null() {
        return;
    }
    // SAFETY: `reg` came from `KBox::into_raw` in `enable` and was taken
    // out of `HOOK`: it is ours.
    let reg = unsafe { KBox::from_raw(reg) };
    // SAFETY: Registered by `enable`; this also waits for running hooks.
    unsafe { bindings::container_helper_net_hooks_unregister() };
    // SAFETY: `reg.data` came from `into_foreign` of the `T` `reg.release`
    // was made for, and no hook uses it any more.
    unsafe { (reg.release)(reg.data) };
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
