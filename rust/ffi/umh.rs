// SPDX-License-Identifier: GPL-2.0

//! Running the release agent (`call_usermodehelper()`), a few at a time.
//!
//! Each running agent holds one of [`MAX_RUNNING`] places, from before it
//! is created until its task exits (the exit hook reports every exit to
//! [`exited`]), so however many containers user space releases at once,
//! at most that many root helpers run.
//!
//! C header: [`include/linux/umh.h`](srctree/include/linux/umh.h)

use super::bindings;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::prelude::*;

/// Release agents that may run at once.
pub(crate) const MAX_RUNNING: usize = 4;

/// A free place.
const FREE: usize = 0;
/// A place taken by an agent being started (not a task address).
const STARTING: usize = 1;

/// The places: [`FREE`], [`STARTING`], or the running agent's
/// `task_struct` address (its membership key).
static RUNNING: [AtomicUsize; MAX_RUNNING] = [const { AtomicUsize::new(FREE) }; MAX_RUNNING];
/// How many places are not free (checked first by [`exited`]).
static BUSY: AtomicUsize = AtomicUsize::new(0);

/// How many agents may start now.
pub(crate) fn free_places() -> usize {
    RUNNING
        .iter()
        .filter(|r| r.load(Ordering::Acquire) == FREE)
        .count()
}

/// The exit hook: if task `key` was a running agent, frees its place and
/// returns true (an agent waiting for one can start). Atomic context;
/// costs one load when no agent runs.
pub(crate) fn exited(key: usize) -> bool {
    if BUSY.load(Ordering::Acquire) == 0 || key == FREE || key == STARTING {
        return false;
    }
    for r in RUNNING.iter() {
        if r.compare_exchange(key, FREE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            BUSY.fetch_sub(1, Ordering::AcqRel);
            return true;
        }
    }
    false
}

/// Runs `agent` with `arg` as its only argument, `HOME=/` and a fixed
/// `PATH`, waiting for the exec but not for the agent (cgroup v1's
/// `cgroup1_release_agent`), in a free place; `EBUSY` if there is none.
/// Process context; may sleep. Only the events work calls it, so the
/// places are never taken concurrently.
pub(crate) fn run(agent: &[u8], arg: &[u8]) -> Result {
    let place = RUNNING
        .iter()
        .find(|r| {
            r.compare_exchange(FREE, STARTING, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        })
        .ok_or(EBUSY)?;
    BUSY.fetch_add(1, Ordering::AcqRel);
    let ret = start(agent, arg, place);
    if ret.is_err() {
        // Never created, or created and already gone: free unless its exit
        // freed it (the place holds its task then, or is free).
        if place
            .compare_exchange(STARTING, FREE, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            BUSY.fetch_sub(1, Ordering::AcqRel);
        }
    }
    ret
}

/// Starts the agent, which records its task in `place` before it execs.
fn start(agent: &[u8], arg: &[u8], place: &AtomicUsize) -> Result {
    let mut a = KVec::new();
    a.extend_from_slice(agent, GFP_KERNEL)?;
    a.push(0, GFP_KERNEL)?;
    let mut p = KVec::new();
    p.extend_from_slice(arg, GFP_KERNEL)?;
    p.push(0, GFP_KERNEL)?;
    let mut argv = [a.as_mut_ptr(), p.as_mut_ptr(), core::ptr::null_mut()];
    let mut home = *b"HOME=/\0";
    let mut path = *b"PATH=/sbin:/bin:/usr/sbin:/usr/bin\0";
    let mut envp = [home.as_mut_ptr(), path.as_mut_ptr(), core::ptr::null_mut()];
    // The helper's init callback writes `place` once with `WRITE_ONCE()`
    // before the call returns; an `AtomicUsize` has the layout of an
    // `unsigned long`.
    let place = place.as_ptr().cast();
    // SAFETY: The strings are NUL-terminated, both arrays end with NULL,
    // and all outlive the call (`UMH_WAIT_EXEC`); `place` is static.
    let ret = unsafe {
        bindings::container_helper_run_agent(argv[0], argv.as_mut_ptr(), envp.as_mut_ptr(), place)
    };
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}
