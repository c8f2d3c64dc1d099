// SPDX-License-Identifier: GPL-2.0

//! `/proc/containers` and `/proc/container_membership` (see
//! [`crate::procfs`]).
//!
//! C header: [`include/linux/proc_fs.h`](srctree/include/linux/proc_fs.h)

use super::file::Snapshot;
use crate::cftype::Buf;
use crate::ffi::bindings;
use crate::ffi::zeroed;
use crate::ffi::CTable;
use crate::procfs;
use crate::world::World;
use kernel::c_str;
use kernel::error::from_result;
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, ArcBorrow};
use kernel::types::ForeignOwnable;
use kernel::uaccess::UserSlice;

static CONTAINERS_OPS: CTable<bindings::proc_ops> = CTable(bindings::proc_ops {
    proc_open: Some(open),
    proc_read: Some(read_containers),
    proc_lseek: Some(bindings::default_llseek),
    proc_release: Some(release),
    // SAFETY: All-zero is a valid `proc_ops`.
    ..unsafe { zeroed() }
});

static MEMBERSHIP_OPS: CTable<bindings::proc_ops> = CTable(bindings::proc_ops {
    proc_open: Some(open),
    proc_read: Some(read_membership),
    proc_write: Some(write_membership),
    proc_lseek: Some(bindings::default_llseek),
    proc_release: Some(release),
    // SAFETY: All-zero is a valid `proc_ops`.
    ..unsafe { zeroed() }
});

/// Per-open state, owned by `file->private_data` (a pinned [`KBox`]).
///
/// Every operation may run concurrently with any other on the same open
/// file (`pread(2)` and `pwrite(2)` take no `f_pos_lock`), hence only `&`
/// access and the contents in a [`Snapshot`].
#[pin_data]
struct Open {
    /// The module state (the `/proc` entry's data, alive while registered;
    /// `proc_remove` waits for open files' operations to finish).
    world: *const c_void,
    /// Contents to read.
    #[pin]
    buf: Snapshot,
}

/// The `/proc` entries, registered for the life of the value.
///
/// # Invariants
///
/// `entries` are live `/proc` entries whose data is `data`, an
/// `Arc<World>` in foreign form released in [`Drop`] after removing them.
pub(crate) struct ProcFiles {
    /// The entries.
    entries: [*mut bindings::proc_dir_entry; 2],
    /// The `Arc<World>` the entries point to.
    data: *mut c_void,
}

// SAFETY: Only registers and removes entries, which may happen anywhere.
unsafe impl Send for ProcFiles {}
// SAFETY: No methods take `&self`.
unsafe impl Sync for ProcFiles {}

impl ProcFiles {
    /// Creates the entries for `world`.
    pub(crate) fn new(world: Arc<World>) -> Result<Self> {
        let data = world.into_foreign().cast_mut();
        let mut this = Self {
            entries: [core::ptr::null_mut(); 2],
            data,
        };
        let files: [(&CStr, u16, &'static CTable<bindings::proc_ops>); 2] = [
            (c_str!("containers"), 0o444, &CONTAINERS_OPS),
            (c_str!("container_membership"), 0o666, &MEMBERSHIP_OPS),
        ];
        for (slot, (name, mode, ops)) in this.entries.iter_mut().zip(files) {
            // SAFETY: `name` and `ops` are static; `data` outlives the
            // entry (released in `drop` after `proc_remove`).
            let e = unsafe {
                bindings::proc_create_data(
                    name.as_char_ptr(),
                    mode,
                    core::ptr::null_mut(),
                    &ops.0,
                    data,
                )
            };
            if e.is_null() {
                // `drop` removes what was created and releases `data`.
                return Err(ENOMEM);
            }
            *slot = e;
        }
        // INVARIANT: Both entries exist with `data`.
        Ok(this)
    }
}

impl Drop for ProcFiles {
    fn drop(&mut self) {
        for e in self.entries {
            // SAFETY: `e` is null or an entry created in `new`;
            // `proc_remove` waits until no file operation runs on it.
            unsafe { bindings::proc_remove(e) };
        }
        // SAFETY: `data` came from `into_foreign` and no entry uses it now.
        drop(unsafe { Arc::<World>::from_foreign(self.data) });
    }
}

/// `proc_open`.
///
/// # Safety
///
/// Called by procfs with an inode of one of our entries.
unsafe extern "C" fn open(inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    from_result(|| {
        // SAFETY: The entry's data is the `Arc<World>` of `ProcFiles`.
        let world = unsafe { bindings::container_helper_pde_data(inode) }.cast_const();
        let o = KBox::pin_init(
            pin_init!(Open {
                world,
                buf <- Snapshot::new(0),
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `file` is being opened and is ours to set up.
        unsafe { (*file).private_data = o.into_foreign().cast_mut() };
        Ok(0)
    })
}

/// The open state and world of `file`.
///
/// # Safety
///
/// `file` must be open on one of our entries and not yet released. The
/// state may be used concurrently by every operation on the file.
unsafe fn state<'a>(file: *mut bindings::file) -> (&'a Open, ArcBorrow<'a, World>) {
    // SAFETY: Per the function's safety requirements, `private_data` is a
    // live `Pin<KBox<Open>>` in foreign form; only shared references to it
    // are ever made.
    let o = unsafe { &*(*file).private_data.cast::<Open>() };
    // SAFETY: `world` is the entry's `Arc<World>`, alive while it exists.
    let w = unsafe { Arc::<World>::borrow(o.world) };
    (o, w)
}

/// Serves a read from the open file's buffer, filling it first with `fill`
/// when it is empty or (if `refresh`) read from offset 0.
///
/// # Safety
///
/// As for [`read_containers`].
unsafe fn read_with(
    file: *mut bindings::file,
    ubuf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
    refresh: bool,
    fill: impl FnOnce(&World, &mut Buf) -> Result,
) -> isize {
    from_result(|| {
        // SAFETY: Per the function's safety requirements.
        let (o, w) = unsafe { state(file) };
        // SAFETY: `ppos` is valid.
        let at_start = unsafe { *ppos } == 0;
        let data = match o.buf.get() {
            Some(data) if !(refresh && at_start) => data,
            _ => {
                let mut b = Buf::new();
                fill(&w, &mut b)?;
                // Without `refresh`, contents another operation installed
                // meanwhile (a write's answer) win.
                o.buf.install(b, 0, refresh)?
            }
        };
        // SAFETY: Per the function's safety requirements.
        Ok(unsafe { super::file::copy_to_user(&data.0, ubuf, count, ppos) })
    })
}

/// `proc_read` of `/proc/containers`.
///
/// # Safety
///
/// Called by procfs with a file opened by [`open`].
unsafe extern "C" fn read_containers(
    file: *mut bindings::file,
    ubuf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: Per the function's safety requirements.
    unsafe { read_with(file, ubuf, count, ppos, true, procfs::show_containers) }
}

/// `proc_read` of `/proc/container_membership`: the answer to the last
/// write, or the reader's own membership.
///
/// # Safety
///
/// As for [`read_containers`].
unsafe extern "C" fn read_membership(
    file: *mut bindings::file,
    ubuf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: Per the function's safety requirements.
    unsafe {
        read_with(file, ubuf, count, ppos, false, |w, b| {
            let me = procfs::parse_target(b"0")?;
            procfs::show_membership(w, &me, b)
        })
    }
}

/// `proc_write` of `/proc/container_membership`: a pid to look up.
///
/// # Safety
///
/// Called by procfs with a file opened by [`open`].
unsafe extern "C" fn write_membership(
    file: *mut bindings::file,
    ubuf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    from_result(|| {
        if count > 64 {
            return Err(E2BIG);
        }
        let mut input = KVec::new();
        UserSlice::new(ubuf as usize, count).read_all(&mut input, GFP_KERNEL)?;
        // SAFETY: Per the function's safety requirements.
        let (o, w) = unsafe { state(file) };
        let t = procfs::parse_target(&input)?;
        let mut b = Buf::new();
        procfs::show_membership(&w, &t, &mut b)?;
        o.buf.install(b, 0, true)?;
        // The answer is read from the start.
        // SAFETY: `ppos` is valid.
        unsafe { *ppos = 0 };
        isize::try_from(count).map_err(|_| EINVAL)
    })
}

/// `proc_release`.
///
/// # Safety
///
/// Called once per file opened by [`open`].
unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: `private_data` came from `into_foreign` in `open`, and no
    // other operation runs on the file any more.
    drop(unsafe { Pin::<KBox<Open>>::from_foreign((*file).private_data) });
    0
}
