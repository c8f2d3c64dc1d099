//! The system calls std has no safe wrapper for. Every `unsafe` block of the
//! tools is in this file.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::time::Duration;

fn cstring(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// `mount("none", target, "container", 0, options)`.
pub fn mount_container(target: &Path, options: &str) -> io::Result<()> {
    let source = cstring(b"none")?;
    let target = cstring(target.as_os_str().as_bytes())?;
    let fstype = cstring(b"container")?;
    let data = cstring(options.as_bytes())?;
    // SAFETY: every pointer is a NUL-terminated string that outlives the
    // call; the kernel copies them.
    let rc = unsafe {
        libc::mount(
            source.as_ptr(),
            target.as_ptr(),
            fstype.as_ptr(),
            0,
            data.as_ptr().cast(),
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `umount(target)`.
pub fn umount(target: &Path) -> io::Result<()> {
    let target = cstring(target.as_os_str().as_bytes())?;
    // SAFETY: `target` is a NUL-terminated string that outlives the call.
    let rc = unsafe { libc::umount(target.as_ptr()) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Waits until `file` reports `POLLPRI` (a changed `container.events`) or
/// `timeout` passes (`None`: for ever). Returns whether it was reported.
pub fn wait_priority(file: &impl AsRawFd, timeout: Option<Duration>) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLPRI,
        revents: 0,
    };
    let ms = match timeout {
        None => -1,
        Some(t) => i32::try_from(t.as_millis()).unwrap_or(i32::MAX),
    };
    loop {
        // SAFETY: `pfd` is one valid pollfd for the duration of the call.
        let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
        if rc >= 0 {
            return Ok(rc > 0 && pfd.revents & (libc::POLLPRI | libc::POLLERR) != 0);
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// The calling process's id, as the kernel's files want it.
pub fn own_pid() -> u32 {
    std::process::id()
}
