//! The system calls std has no safe wrapper for. Every `unsafe` block of the
//! tools is in this file.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::{AsRawFd, RawFd};
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

/// poll(2) on `fds` for `events` each; returns the `revents`, all zero on
/// a timeout or an interruption. `None`: no timeout.
pub fn poll(fds: &[(RawFd, i16)], timeout: Option<Duration>) -> io::Result<Vec<i16>> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|&(fd, events)| libc::pollfd {
            fd,
            events,
            revents: 0,
        })
        .collect();
    let ms = match timeout {
        None => -1,
        Some(t) => i32::try_from(t.as_millis()).unwrap_or(i32::MAX),
    };
    // SAFETY: `pfds` is a valid array of `pfds.len()` pollfds for the
    // duration of the call.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
        return Ok(vec![0; pfds.len()]);
    }
    Ok(pfds.iter().map(|p| p.revents).collect())
}

/// Waits until `file` reports `POLLPRI` (a changed `container.events`) or
/// `timeout` passes (`None`: for ever) or a signal interrupts. Returns whether
/// it was reported.
pub fn wait_priority(file: &impl AsRawFd, timeout: Option<Duration>) -> io::Result<bool> {
    let revents = poll(&[(file.as_raw_fd(), libc::POLLPRI)], timeout)?;
    Ok(revents.first().copied().unwrap_or(0) & (libc::POLLPRI | libc::POLLERR) != 0)
}

/// The calling process's id, as the kernel's files want it.
pub fn own_pid() -> u32 {
    std::process::id()
}
