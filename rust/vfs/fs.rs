// SPDX-License-Identifier: GPL-2.0

//! The `container` filesystem type: registration, mount contexts and
//! superblocks.
//!
//! Each superblock is one hierarchy: `s_fs_info` owns an `Arc<Hierarchy>`,
//! and `get_tree_keyed()` keyed by that hierarchy makes identical mount
//! options share the superblock (same tree).
//!
//! C header: [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h)

use super::dir;
use crate::ffi::bindings;
use crate::ffi::zeroed;
use crate::ffi::CTable;
use crate::hierarchy::{Hierarchy, MountRequest};
use crate::world::World;
use core::fmt;
use kernel::c_str;
use kernel::error::{from_result, to_result};
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, ArcBorrow};
use kernel::types::{ForeignOwnable, Opaque};

/// Magic number of `container` superblocks (`statfs(2)` `f_type`): "cont".
pub(crate) const CONTAINER_SUPER_MAGIC: u64 = 0x636f_6e74;

static FS_CONTEXT_OPS: CTable<bindings::fs_context_operations> =
    CTable(bindings::fs_context_operations {
        free: Some(fc_free),
        parse_param: Some(fc_parse_param),
        get_tree: Some(fc_get_tree),
        // SAFETY: All-zero is a valid `fs_context_operations`: null
        // function pointers are `None`.
        ..unsafe { zeroed() }
    });

static SUPER_OPS: CTable<bindings::super_operations> = CTable(bindings::super_operations {
    statfs: Some(bindings::simple_statfs),
    drop_inode: Some(bindings::generic_delete_inode),
    evict_inode: Some(dir::evict_inode),
    show_options: Some(show_options),
    // SAFETY: All-zero is a valid `super_operations`.
    ..unsafe { zeroed() }
});

/// The registered filesystem type and the state its callbacks reach.
#[repr(C)]
struct FsType {
    /// What the VFS sees; callbacks get back to `world` with `container_of!`.
    fs_type: Opaque<bindings::file_system_type>,
    /// The module state.
    world: Arc<World>,
}

/// The registration of the `container` filesystem type.
///
/// # Invariants
///
/// `inner.fs_type` is registered with `register_filesystem()` for the
/// lifetime of the value; unregistration happens exactly once, in [`Drop`].
pub(crate) struct Registration {
    /// Pinned because the VFS keeps a pointer to it while registered.
    inner: Pin<KBox<FsType>>,
}

// SAFETY: The VFS may use the registered `file_system_type` from any thread;
// Rust only registers and unregisters it, which may happen on any thread.
unsafe impl Send for Registration {}
// SAFETY: `Registration` has no methods taking `&self`.
unsafe impl Sync for Registration {}

impl Registration {
    /// Registers filesystem type `container`, owned by `module`.
    ///
    /// While any superblock exists the VFS holds a reference on `module`, so
    /// the module cannot be unloaded while a hierarchy exists.
    pub(crate) fn new(module: &'static ThisModule, world: Arc<World>) -> Result<Self> {
        let inner = KBox::pin(
            FsType {
                fs_type: Opaque::new(bindings::file_system_type {
                    name: c_str!("container").as_char_ptr(),
                    owner: module.as_ptr(),
                    init_fs_context: Some(init_fs_context),
                    kill_sb: Some(kill_sb),
                    ..Default::default()
                }),
                world,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `fs_type` is valid and pinned. Its lock class keys are not
        // in static storage, so lockdep must know them before any
        // superblock uses them; they are unregistered in `drop`.
        unsafe { bindings::container_helper_fs_type_register_keys(inner.fs_type.get()) };
        // SAFETY: `fs_type` is a valid, pinned `file_system_type` that
        // outlives the registration (it is unregistered in `drop`).
        let ret = unsafe { bindings::register_filesystem(inner.fs_type.get()) };
        if ret != 0 {
            // SAFETY: Registered above and not in use.
            unsafe { bindings::container_helper_fs_type_unregister_keys(inner.fs_type.get()) };
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: Registered above.
        Ok(Self { inner })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: Registered by `new`, per the type invariant. Module unload
        // only happens with no superblock left (each holds a module
        // reference), so no mount can be in progress.
        unsafe {
            bindings::unregister_filesystem(self.inner.fs_type.get());
            bindings::container_helper_fs_type_unregister_keys(self.inner.fs_type.get());
        }
    }
}

/// The module state behind a mount context.
///
/// # Safety
///
/// `fc` must be a valid context of the `container` filesystem type.
unsafe fn world_of<'a>(fc: *mut bindings::fs_context) -> &'a Arc<World> {
    // SAFETY: `fc->fs_type` is the `fs_type` field of a pinned `FsType`,
    // which stays registered (and alive) while contexts of it exist.
    unsafe { &(*kernel::container_of!((*fc).fs_type, FsType, fs_type)).world }
}

/// `file_system_type::init_fs_context`: a mount(2) or fsopen(2) starts.
///
/// # Safety
///
/// Called by the VFS with a valid, exclusively owned `fc`.
unsafe extern "C" fn init_fs_context(fc: *mut bindings::fs_context) -> c_int {
    from_result(|| {
        let req = KBox::new(MountRequest::new(), GFP_KERNEL)?;
        // SAFETY: `fc` is valid and ours until `fc_free`, per the function's
        // safety requirements.
        unsafe {
            (*fc).fs_private = KBox::into_raw(req).cast();
            (*fc).ops = &FS_CONTEXT_OPS.0;
        }
        Ok(0)
    })
}

/// `fs_context_operations::free`.
///
/// # Safety
///
/// Called by the VFS once per context, with a valid `fc` whose `fs_private`
/// was set by `init_fs_context` (or is null if that failed).
unsafe extern "C" fn fc_free(fc: *mut bindings::fs_context) {
    // SAFETY: Per the function's safety requirements.
    let (private, key) = unsafe { ((*fc).fs_private, (*fc).s_fs_info) };
    if !private.is_null() {
        // SAFETY: `fs_private` came from `KBox::into_raw` in
        // `init_fs_context` and is freed only here.
        drop(unsafe { KBox::from_raw(private.cast::<MountRequest>()) });
    }
    if !key.is_null() {
        // SAFETY: A non-null `s_fs_info` left in the context is the
        // `Arc<Hierarchy>` reference `fc_get_tree` passed to
        // `get_tree_keyed()` that no new superblock took over.
        drop(unsafe { Arc::<Hierarchy>::from_foreign(key) });
    }
}

/// `fs_context_operations::parse_param`: one mount option.
///
/// # Safety
///
/// Called by the VFS with a valid `fc` (set up by `init_fs_context`) and
/// `param`.
unsafe extern "C" fn fc_parse_param(
    fc: *mut bindings::fs_context,
    param: *mut bindings::fs_parameter,
) -> c_int {
    // SAFETY: `param->key` is a valid NUL-terminated string.
    let key = unsafe { CStr::from_char_ptr((*param).key) };
    if key.as_bytes() == b"source" {
        // Let the VFS record the (ignored) device name shown in /proc/mounts.
        return -bindings::ENOPARAM;
    }
    // SAFETY: `param` is valid; `string` is the active member for string
    // parameters and a valid NUL-terminated string then.
    let value = unsafe {
        match (*param).type_() {
            bindings::fs_value_type_fs_value_is_flag => None,
            bindings::fs_value_type_fs_value_is_string => {
                Some(CStr::from_char_ptr((*param).__bindgen_anon_1.string).as_bytes())
            }
            _ => return EINVAL.to_errno(),
        }
    };
    // SAFETY: `fs_private` is the `MountRequest` of `init_fs_context`, and
    // the VFS serialises option parsing of one context.
    let req = unsafe { &mut *(*fc).fs_private.cast::<MountRequest>() };
    from_result(|| req.parse_param(key.as_bytes(), value).map(|()| 0))
}

/// `fs_context_operations::get_tree`: find or create the hierarchy, then
/// its superblock.
///
/// # Safety
///
/// Called by the VFS with a valid `fc` (set up by `init_fs_context`).
unsafe extern "C" fn fc_get_tree(fc: *mut bindings::fs_context) -> c_int {
    from_result(|| {
        // SAFETY: Per the function's safety requirements.
        let (world, req) = unsafe { (world_of(fc), &mut *(*fc).fs_private.cast::<MountRequest>()) };
        let h = world.find_or_create_hierarchy(req)?;
        let keep = h.clone();
        let key = h.into_foreign().cast_mut();
        // SAFETY: `fc` is valid; `key` is an owned `Arc<Hierarchy>` reference
        // that a new superblock takes over (`sget_fc()` moves
        // `fc->s_fs_info`), or that `fc_free` drops.
        let ret = unsafe { bindings::get_tree_keyed(fc, Some(fill_super), key) };
        // Until here this mount kept the hierarchy alive; now only its
        // superblock, if it got one, does. (A superblock whose `fill_super`
        // failed was killed already, without destroying the hierarchy this
        // mount was still using.)
        world.mount_done(&keep);
        to_result(ret).map(|()| 0)
    })
}

/// Borrows the hierarchy of superblock `sb`.
///
/// # Safety
///
/// `sb` must be a live `container` superblock (set up by `fill_super`).
pub(crate) unsafe fn hierarchy_of<'a>(sb: *mut bindings::super_block) -> ArcBorrow<'a, Hierarchy> {
    // SAFETY: `s_fs_info` owns an `Arc<Hierarchy>` (in `ForeignOwnable`
    // form) until `kill_sb`, after the superblock's last user.
    unsafe { Arc::<Hierarchy>::borrow((*sb).s_fs_info) }
}

/// Fills a new superblock with the hierarchy's root directory.
///
/// # Safety
///
/// Called from `get_tree_keyed` with a new, locked `sb` whose `s_fs_info`
/// holds an `Arc<Hierarchy>`.
unsafe extern "C" fn fill_super(
    sb: *mut bindings::super_block,
    _fc: *mut bindings::fs_context,
) -> c_int {
    from_result(|| {
        // SAFETY: `sb` is a new superblock we own until it is returned.
        unsafe {
            (*sb).s_blocksize = bindings::PAGE_SIZE as _;
            (*sb).s_blocksize_bits = bindings::PAGE_SHIFT as _;
            (*sb).s_magic = CONTAINER_SUPER_MAGIC as _;
            (*sb).s_op = &SUPER_OPS.0;
            (*sb).s_time_gran = 1;
        }
        // SAFETY: `s_fs_info` was set by `sget_fc()` from the key.
        let h = unsafe { hierarchy_of(sb) };
        // Counted before anything can fail: `kill_sb` runs for this
        // superblock whatever happens next, and uncounts it.
        let root = h.world().superblock_filled(&h)?;
        // SAFETY: `sb` is valid and being set up.
        unsafe { dir::make_root(sb, root) }?;
        Ok(0)
    })
}

/// `file_system_type::kill_sb`: the hierarchy's last user is gone.
///
/// # Safety
///
/// Called by the VFS with a valid superblock of this type.
unsafe extern "C" fn kill_sb(sb: *mut bindings::super_block) {
    // SAFETY: `sb` is a valid superblock.
    let info = unsafe { (*sb).s_fs_info };
    if !info.is_null() {
        // SAFETY: `s_fs_info` owns an `Arc<Hierarchy>` reference until the
        // end of this function.
        let h = unsafe { Arc::<Hierarchy>::borrow(info) };
        // No notifier may hold a reference to one of this superblock's
        // inodes while they are evicted (see `forget_root_events`).
        h.world().forget_root_events(&h);
    }
    // SAFETY: `sb` is a valid superblock; `kill_litter_super` drops the
    // pinned dentries (evicting the inodes) and frees it.
    unsafe { bindings::kill_litter_super(sb) };
    if !info.is_null() {
        // SAFETY: `s_fs_info` owned this `Arc<Hierarchy>` reference.
        let h = unsafe { Arc::<Hierarchy>::from_foreign(info) };
        h.world().clone().superblock_gone(&h);
    }
}

/// `super_operations::show_options`: the options in `/proc/mounts`.
///
/// # Safety
///
/// Called by the VFS with a valid `seq` and the root of a live superblock.
unsafe extern "C" fn show_options(
    seq: *mut bindings::seq_file,
    root: *mut bindings::dentry,
) -> c_int {
    // SAFETY: `root` belongs to a live `container` superblock.
    let h = unsafe { hierarchy_of((*root).d_sb) };
    let reg = h.world().registry.lock();
    let mut w = SeqWriter(seq);
    let _ = h.show_options(&reg, &mut w);
    0
}

/// `fmt::Write` into a `seq_file` (overflow is handled by `seq_file`, which
/// retries with a bigger buffer).
pub(crate) struct SeqWriter(*mut bindings::seq_file);

impl fmt::Write for SeqWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: `self.0` is the valid `seq_file` of the running show
        // callback.
        unsafe { bindings::seq_write(self.0, s.as_ptr().cast::<c_void>(), s.len()) };
        Ok(())
    }
}
