// SPDX-License-Identifier: GPL-2.0

//! Control files: `file_operations` shared by every control file, which
//! dispatch to the file's [`CfType`] handlers.
//!
//! Reads produce the whole contents when read from offset 0 and serve later
//! reads from that snapshot (as `seq_file` does for cgroup files), so a
//! large `tasks` file is read consistently in several `read(2)` calls.
//! Each `write(2)` is one command.

use super::bindings;
use super::opener::Opener;
use super::zeroed;
use super::CTable;
use crate::cftype::{Buf, CfType};
use crate::container::Container;
use core::ptr::NonNull;
use core::sync::atomic::Ordering;
use kernel::error::from_result;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::uaccess::UserSlice;

pub(crate) static CONTROL_FILE_OPS: CTable<bindings::file_operations> =
    CTable(bindings::file_operations {
        open: Some(open),
        read: Some(read),
        write: Some(write),
        llseek: Some(bindings::default_llseek),
        release: Some(release),
        poll: Some(poll),
        // SAFETY: All-zero is a valid `file_operations` (no owner: the
        // superblock already pins the module).
        ..unsafe { zeroed() }
    });

/// What a control file inode's `i_private` owns.
pub(crate) struct FileNode {
    /// The container the file belongs to.
    container: Arc<Container>,
    /// The file's type.
    cft: &'static CfType,
}

impl FileNode {
    /// A node for file `cft` of `container`.
    pub(crate) fn new(container: Arc<Container>, cft: &'static CfType) -> Self {
        Self { container, cft }
    }

    /// The file's `inode` is being evicted: the container must not point
    /// to it any more.
    pub(crate) fn forget_inode(&self, inode: *mut bindings::inode) {
        if self.cft.poll {
            self.container.events_inode.clear(inode);
        }
    }
}

/// Per-open state, owned by `file->private_data`.
struct OpenFile {
    /// The inode's node (the open file pins the inode).
    node: *const FileNode,
    /// Contents produced by the last read from offset 0.
    snapshot: Option<Buf>,
    /// The container's event generation when the snapshot was taken.
    seen_gen: u32,
}

/// `file_operations::open`.
///
/// # Safety
///
/// Called by the VFS with a valid control file `inode` and new `file`.
unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    from_result(|| {
        // SAFETY: Control file inodes own a `FileNode` in `i_private`.
        let node = unsafe { (*inode).i_private.cast::<FileNode>().cast_const() };
        let of = KBox::new(
            OpenFile {
                node,
                snapshot: None,
                // SAFETY: `node` is valid (see above).
                seen_gen: unsafe { &*node }
                    .container
                    .event_gen
                    .load(Ordering::Relaxed),
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `node` is valid (see above).
        let c = unsafe { &(*node).container };
        c.open_files.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `file` is new and ours to set up.
        unsafe { (*file).private_data = KBox::into_raw(of).cast() };
        Ok(0)
    })
}

/// The open file state.
///
/// # Safety
///
/// `file` must be a control file opened by [`open`], not yet released, and
/// not used concurrently through the returned reference (the VFS serialises
/// `read` on a file position with `f_pos_lock`; writes do not use it).
unsafe fn open_file<'a>(file: *mut bindings::file) -> &'a mut OpenFile {
    // SAFETY: Per the function's safety requirements.
    unsafe { &mut *(*file).private_data.cast::<OpenFile>() }
}

/// `file_operations::read`.
///
/// # Safety
///
/// Called by the VFS with a file opened by [`open`].
unsafe extern "C" fn read(
    file: *mut bindings::file,
    ubuf: *mut kernel::ffi::c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    from_result(|| {
        // SAFETY: Per the function's safety requirements.
        let (of, pos) = unsafe { (open_file(file), *ppos) };
        // SAFETY: The open file pins the inode, hence its node.
        let node = unsafe { &*of.node };
        let read = node.cft.read.ok_or(EINVAL)?;
        if pos == 0 || of.snapshot.is_none() {
            of.seen_gen = node.container.event_gen.load(Ordering::Relaxed);
            let mut buf = Buf::new();
            read(&node.container, &mut buf)?;
            of.snapshot = Some(buf);
        }
        let data = of.snapshot.as_ref().map_or(&[][..], |b| b.0.as_slice());
        // SAFETY: `ubuf`/`count`/`ppos` are this read's.
        Ok(unsafe { copy_to_user(data, ubuf, count, ppos) })
    })
}

/// Copies `data` from `*ppos` to the user buffer, advancing `*ppos`
/// (`simple_read_from_buffer()`); returns the bytes copied or `-EFAULT`.
///
/// # Safety
///
/// `ubuf`/`count`/`ppos` must be those of a running read operation.
pub(crate) unsafe fn copy_to_user(
    data: &[u8],
    ubuf: *mut kernel::ffi::c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: Per the function's safety requirements; `data` is valid for
    // its length.
    unsafe {
        bindings::simple_read_from_buffer(
            ubuf.cast::<c_void>(),
            count,
            ppos,
            data.as_ptr().cast::<c_void>(),
            data.len(),
        )
    }
}

/// `file_operations::write`: one write is one command.
///
/// # Safety
///
/// Called by the VFS with a file opened by [`open`].
unsafe extern "C" fn write(
    file: *mut bindings::file,
    ubuf: *const kernel::ffi::c_char,
    count: usize,
    _ppos: *mut bindings::loff_t,
) -> isize {
    from_result(|| {
        // SAFETY: The file was opened by `open`; only `node` is read, which
        // is immutable.
        let node = unsafe { &*(*(*file).private_data.cast::<OpenFile>()).node };
        let write = node.cft.write.ok_or(EINVAL)?;
        if count > node.cft.max_write {
            return Err(E2BIG);
        }
        if node.container.is_removed() {
            return Err(ENODEV);
        }
        let mut buf = KVec::new();
        UserSlice::new(ubuf as usize, count).read_all(&mut buf, GFP_KERNEL)?;
        let file = NonNull::new(file).ok_or(EINVAL)?;
        // SAFETY: `file` is open for the duration of this write, which is
        // the opener's lifetime.
        let opener = unsafe { Opener::new(file) };
        write(&node.container, &opener, &buf)?;
        isize::try_from(count).map_err(|_| EINVAL)
    })
}

/// `poll(2)` bits (`include/uapi/linux/poll.h`; the `EPOLL*` macros use a
/// `__force` cast bindgen cannot evaluate).
const POLLIN: u32 = 0x1;
/// See [`POLLIN`].
const POLLPRI: u32 = 0x2;
/// See [`POLLIN`].
const POLLERR: u32 = 0x8;
/// See [`POLLIN`].
const POLLRDNORM: u32 = 0x40;

/// `file_operations::poll`: readable always; `POLLPRI | POLLERR` once a
/// pollable file's contents changed since it was last read (as kernfs
/// reports `cgroup.events` changes).
///
/// # Safety
///
/// Called by the VFS with a file opened by [`open`].
unsafe extern "C" fn poll(
    file: *mut bindings::file,
    pt: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: The file was opened by `open`; only `node` and `seen_gen` are
    // read.
    let of = unsafe { &*(*file).private_data.cast::<OpenFile>() };
    // SAFETY: The open file pins the inode, hence its node.
    let node = unsafe { &*of.node };
    let mut mask = POLLIN | POLLRDNORM;
    if node.cft.poll {
        let world = node.container.hierarchy().world();
        // SAFETY: `file`/`pt` are this poll's; the world outlives every
        // open control file (the superblock holds it).
        unsafe { world.events_wq.poll_wait(file, pt) };
        if node.container.event_gen.load(Ordering::Relaxed) != of.seen_gen {
            mask |= POLLPRI | POLLERR;
        }
    }
    mask
}

/// `file_operations::release`.
///
/// # Safety
///
/// Called by the VFS once, with a file opened by [`open`].
unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: `private_data` came from `KBox::into_raw` in `open`.
    let of = unsafe { KBox::from_raw((*file).private_data.cast::<OpenFile>()) };
    // SAFETY: The open file pinned the inode, so its node, until now.
    let c = unsafe { &(*of.node).container };
    c.open_files.fetch_sub(1, Ordering::Relaxed);
    drop(of);
    0
}
