// SPDX-License-Identifier: GPL-2.0

//! Control files: `file_operations` shared by every control file, which
//! dispatch to the file's [`ControlFile`] handlers.
//!
//! Reads produce the whole contents when read from offset 0 and serve later
//! reads from that snapshot (as `seq_file` does for cgroup files), so a
//! large `tasks` file is read consistently in several `read(2)` calls.
//! Each `write(2)` is one command. Every operation may run concurrently
//! with any other on the same open file: the snapshot is a [`Snapshot`].

use crate::cftype::{Buf, ControlFile};
use crate::container::Container;
use crate::ffi::bindings;
use crate::ffi::opener::Opener;
use crate::ffi::zeroed;
use crate::ffi::CTable;
use crate::subsys::{Css, SubsysId};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::error::from_result;
use kernel::ffi::{c_int, c_void};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::types::ForeignOwnable;
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
    /// The subsystem whose file it is (`None`: a core file).
    owner: Option<SubsysId>,
    /// The file's type.
    cft: &'static dyn ControlFile,
}

impl FileNode {
    /// A node for file `cft` of subsystem `owner` (`None`: a core file)
    /// of `container`.
    pub(crate) fn new(
        container: Arc<Container>,
        owner: Option<SubsysId>,
        cft: &'static dyn ControlFile,
    ) -> Self {
        Self {
            container,
            owner,
            cft,
        }
    }

    /// The owner's state in the container (`None` for a core file).
    fn css(&self) -> Result<Option<&Css>> {
        self.owner
            .map(|id| self.container.css(id).ok_or(ENODEV))
            .transpose()
    }

    /// The file's `inode` is being evicted: the container must not point
    /// to it any more.
    pub(crate) fn forget_inode(&self, inode: *mut bindings::inode) {
        if self.cft.info().poll {
            self.container.events_inode.clear(inode);
        }
    }
}

/// The contents reads of one open file serve: a read from offset 0 builds
/// new contents and installs them, later reads copy from the installed
/// ones.
///
/// Every file operation may run concurrently with any other on the same
/// open file (`pread(2)`, `preadv2(2)`, `pwrite(2)` and io_uring take no
/// `f_pos_lock`), so the snapshot is behind its own mutex, held only to
/// install or take a reference: each reader copies to user space from its
/// own [`Arc`] reference, which the next install cannot free.
#[pin_data]
pub(crate) struct Snapshot {
    /// The installed contents, if any.
    #[pin]
    cur: Mutex<Option<Arc<Buf>>>,
    /// A generation number that came with the installed contents (written
    /// under `cur`, read locklessly by `poll`).
    generation: AtomicU32,
}

impl Snapshot {
    /// An initialiser for an empty snapshot with generation `generation`.
    pub(crate) fn new(generation: u32) -> impl PinInit<Self> {
        pin_init!(Self {
            cur <- new_mutex!(None, "container::snapshot"),
            generation: AtomicU32::new(generation),
        })
    }

    /// The installed contents, if any.
    pub(crate) fn get(&self) -> Option<Arc<Buf>> {
        self.cur.lock().clone()
    }

    /// Installs `buf`, taken at `generation`, unless `replace` is false and
    /// contents are installed already; returns the installed contents.
    pub(crate) fn install(&self, buf: Buf, generation: u32, replace: bool) -> Result<Arc<Buf>> {
        let new = Arc::new(buf, GFP_KERNEL)?;
        let mut cur = self.cur.lock();
        if !replace {
            if let Some(old) = &*cur {
                return Ok(old.clone());
            }
        }
        self.generation.store(generation, Ordering::Relaxed);
        let old = cur.replace(new.clone());
        drop(cur);
        // The replaced contents are freed when their last reader drops
        // its reference (maybe here, with no lock held).
        drop(old);
        Ok(new)
    }

    /// The generation of the installed contents.
    pub(crate) fn generation(&self) -> u32 {
        self.generation.load(Ordering::Relaxed)
    }
}

/// Per-open state, owned by `file->private_data` (a pinned [`KBox`]).
///
/// Shared by every operation running on the open file, hence only `&`
/// access; see [`Snapshot`].
#[pin_data]
struct OpenFile {
    /// The inode's node (the open file pins the inode).
    node: *const FileNode,
    /// Contents produced by the last read from offset 0, with the
    /// container's event generation when it started.
    #[pin]
    snapshot: Snapshot,
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
        // SAFETY: `node` is valid (see above).
        let c = unsafe { &(*node).container };
        let of = KBox::pin_init(
            pin_init!(OpenFile {
                node,
                snapshot <- Snapshot::new(c.event_gen.load(Ordering::Relaxed)),
            }),
            GFP_KERNEL,
        )?;
        c.open_files.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `file` is new and ours to set up.
        unsafe { (*file).private_data = of.into_foreign().cast_mut() };
        Ok(0)
    })
}

/// The open file state.
///
/// # Safety
///
/// `file` must be a control file opened by [`open`] and not yet released.
/// The state may be used concurrently by every operation on the file.
unsafe fn open_file<'a>(file: *mut bindings::file) -> &'a OpenFile {
    // SAFETY: Per the function's safety requirements, `private_data` is a
    // live `Pin<KBox<OpenFile>>` in foreign form; only shared references
    // to it are ever made.
    unsafe { &*(*file).private_data.cast::<OpenFile>() }
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
        let data = match of.snapshot.get() {
            Some(data) if pos != 0 => data,
            _ => {
                let generation = node.container.event_gen.load(Ordering::Relaxed);
                let mut buf = Buf::new();
                node.cft.read(&node.container, node.css()?, &mut buf)?;
                of.snapshot.install(buf, generation, true)?
            }
        };
        // SAFETY: `ubuf`/`count`/`ppos` are this read's.
        Ok(unsafe { copy_to_user(&data.0, ubuf, count, ppos) })
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
        if !node.cft.writable() {
            return Err(EINVAL);
        }
        if count > node.cft.info().max_write {
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
        node.cft
            .write(&node.container, node.css()?, &opener, &buf)?;
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
    // SAFETY: The VFS calls `poll` on a file opened by `open`, not yet
    // released.
    let of = unsafe { open_file(file) };
    // SAFETY: The open file pins the inode, hence its node.
    let node = unsafe { &*of.node };
    let mut mask = POLLIN | POLLRDNORM;
    if node.cft.info().poll {
        // SAFETY: `file`/`pt` are this poll's; the open file holds the
        // node, which holds the container and so its wait queue.
        unsafe { node.container.events_wq.poll_wait(file, pt) };
        if node.container.event_gen.load(Ordering::Relaxed) != of.snapshot.generation() {
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
    // SAFETY: `private_data` came from `into_foreign` in `open`, and no
    // other operation runs on the file any more.
    let of = unsafe { Pin::<KBox<OpenFile>>::from_foreign((*file).private_data) };
    // SAFETY: The open file pinned the inode, so its node, until now.
    let c = unsafe { &(*of.node).container };
    c.open_files.fetch_sub(1, Ordering::Relaxed);
    drop(of);
    0
}
