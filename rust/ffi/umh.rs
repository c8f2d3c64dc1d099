// SPDX-License-Identifier: GPL-2.0

//! Running the release agent (`call_usermodehelper()`).
//!
//! C header: [`include/linux/umh.h`](srctree/include/linux/umh.h)

use super::bindings;
use kernel::prelude::*;

/// Runs `agent` with `arg` as its only argument, `HOME=/` and a fixed
/// `PATH`, waiting for the exec but not for the agent (cgroup v1's
/// `cgroup1_release_agent`). Process context; may sleep.
pub(crate) fn run(agent: &[u8], arg: &[u8]) -> Result {
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
    // SAFETY: Every string is NUL-terminated and both arrays end with NULL;
    // they outlive the call, which copies them before returning
    // (`UMH_WAIT_EXEC`).
    let ret = unsafe {
        bindings::call_usermodehelper(
            argv[0],
            argv.as_mut_ptr(),
            envp.as_mut_ptr(),
            bindings::UMH_WAIT_EXEC as _,
        )
    };
    if ret < 0 {
        return Err(Error::from_errno(ret));
    }
    Ok(())
}
