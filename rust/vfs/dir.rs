// SPDX-License-Identifier: GPL-2.0

//! Container directories: `mkdir`, `rmdir`, `rename`, and the control files
//! created in each directory.
//!
//! Directory and file dentries are pinned (an extra reference, as libfs'
//! `simple_fill_super` and the pre-kernfs cgroupfs did) until `rmdir` or
//! `kill_litter_super()` drops them. A directory inode's `i_private` owns an
//! `Arc<Container>`; a control file's owns a `KBox<FileNode>`. Both are
//! released in `evict_inode`.

use super::file::{FileNode, CONTROL_FILE_OPS};
use crate::cftype::{for_each_file, ControlFile, FileName};
use crate::container::Container;
use crate::ffi::bindings;
use crate::ffi::zeroed;
use crate::ffi::CTable;
use crate::subsys::SubsysId;
use core::ptr;
use kernel::error::from_result;
use kernel::ffi::{c_int, c_uint};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};
use kernel::types::ForeignOwnable;

static DIR_INODE_OPS: CTable<bindings::inode_operations> = CTable(bindings::inode_operations {
    lookup: Some(bindings::simple_lookup),
    mkdir: Some(mkdir),
    rmdir: Some(rmdir),
    rename: Some(rename),
    // SAFETY: All-zero is a valid `inode_operations`.
    ..unsafe { zeroed() }
});

/// The container of a directory inode.
///
/// # Safety
///
/// `inode` must be a live directory inode of a `container` superblock.
unsafe fn container_of_dir<'a>(inode: *mut bindings::inode) -> ArcBorrow<'a, Container> {
    // SAFETY: Directory inodes own an `Arc<Container>` in `i_private` until
    // `evict_inode`, which cannot run while the caller uses the inode.
    unsafe { Arc::<Container>::borrow((*inode).i_private) }
}

/// The name of a dentry.
///
/// # Safety
///
/// `dentry` must be valid, with its name stable (parent locked).
unsafe fn name_of<'a>(dentry: *mut bindings::dentry) -> &'a [u8] {
    // SAFETY: `d_name` is stable while the parent directory is locked.
    unsafe {
        let q = &(*dentry).d_name;
        core::slice::from_raw_parts(q.name, q.__bindgen_anon_1.__bindgen_anon_1.len as usize)
    }
}

/// Allocates an inode of `sb` with `mode`, owned by the caller's fsuid.
///
/// # Safety
///
/// `sb` must be valid; `dir`, if not null, a valid directory inode of it.
unsafe fn new_inode(
    sb: *mut bindings::super_block,
    dir: *mut bindings::inode,
    mode: u32,
) -> Result<*mut bindings::inode> {
    // SAFETY: `sb` is valid.
    let inode = unsafe { bindings::new_inode(sb) };
    if inode.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `inode` is new and only ours; `nop_mnt_idmap` is a static.
    unsafe {
        (*inode).i_ino = bindings::get_next_ino() as _;
        bindings::inode_init_owner(
            ptr::addr_of_mut!(bindings::nop_mnt_idmap),
            inode,
            dir,
            mode as _,
        );
        bindings::simple_inode_init_ts(inode);
    }
    Ok(inode)
}

/// Makes a directory inode for container `c` (consumes the reference).
///
/// # Safety
///
/// As for [`new_inode`].
unsafe fn new_dir_inode(
    sb: *mut bindings::super_block,
    dir: *mut bindings::inode,
    mode: u32,
    c: Arc<Container>,
) -> Result<*mut bindings::inode> {
    // SAFETY: Per the function's safety requirements.
    let inode = unsafe { new_inode(sb, dir, bindings::S_IFDIR | (mode & 0o7777)) }?;
    // SAFETY: `inode` is new; the ops tables are static.
    unsafe {
        (*inode).i_op = &DIR_INODE_OPS.0;
        (*inode).__bindgen_anon_3.i_fop = ptr::addr_of!(bindings::simple_dir_operations);
        (*inode).i_private = c.into_foreign().cast_mut();
        bindings::set_nlink(inode, 2);
    }
    Ok(inode)
}

/// Creates control file `name` of type `cft` (of subsystem `owner`, or a
/// core file) for `c` in directory `parent`.
///
/// # Safety
///
/// `parent` must be a valid, positive directory dentry, locked or not yet
/// visible.
unsafe fn create_file(
    parent: *mut bindings::dentry,
    name: &FileName,
    owner: Option<SubsysId>,
    cft: &'static dyn ControlFile,
    c: &Arc<Container>,
) -> Result {
    let node = KBox::new(FileNode::new(c.clone(), owner, cft), GFP_KERNEL)?;
    // SAFETY: `parent` is a valid dentry; the name is NUL-terminated.
    let dentry = unsafe { bindings::d_alloc_name(parent, name.as_cstr()?.as_char_ptr()) };
    if dentry.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `parent` is positive, so `d_inode` and `d_sb` are valid.
    let (sb, dir) = unsafe { ((*parent).d_sb, (*parent).d_inode) };
    let mode = bindings::S_IFREG | u32::from(cft.info().mode);
    // SAFETY: As above.
    let inode = match unsafe { new_inode(sb, dir, mode) } {
        Ok(i) => i,
        Err(e) => {
            // SAFETY: Drops the reference `d_alloc_name` returned.
            unsafe { bindings::dput(dentry) };
            return Err(e);
        }
    };
    // SAFETY: `inode` is new; `dentry` is new and negative. The reference
    // from `d_alloc_name` becomes the pin, dropped at rmdir or umount. The
    // events inode is recorded for `c`, and `evict_inode` forgets it.
    unsafe {
        (*inode).__bindgen_anon_3.i_fop = &CONTROL_FILE_OPS.0;
        (*inode).i_private = KBox::into_raw(node).cast();
        if cft.info().poll {
            // `evict_inode` clears it.
            c.events_inode.set(inode);
        }
        bindings::d_add(dentry, inode);
    }
    Ok(())
}

/// Creates every control file of container `c` in `dentry`.
///
/// # Safety
///
/// As for [`create_file`].
unsafe fn populate(dentry: *mut bindings::dentry, c: &Arc<Container>) -> Result {
    for_each_file(c.hierarchy(), c.is_root(), |name, owner, cft| {
        // SAFETY: Per the function's safety requirements.
        unsafe { create_file(dentry, name, owner, cft, c) }
    })
}

/// Sets up the root directory of a new superblock for root container `c`.
///
/// # Safety
///
/// `sb` must be a superblock being filled.
pub(crate) unsafe fn make_root(sb: *mut bindings::super_block, c: Arc<Container>) -> Result {
    let root = c.clone();
    // SAFETY: `sb` is valid.
    let inode = unsafe { new_dir_inode(sb, ptr::null_mut(), 0o755, c) }?;
    // SAFETY: `inode` is valid; `d_make_root` consumes it even on failure.
    let dentry = unsafe { bindings::d_make_root(inode) };
    if dentry.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `sb` is ours; `dentry` is its new root, not yet visible.
    unsafe {
        (*sb).s_root = dentry;
        populate(dentry, &root)
    }
}

/// `inode_operations::mkdir`: creates a container.
///
/// # Safety
///
/// Called by the VFS with `dir` locked and a negative `dentry` in it.
unsafe extern "C" fn mkdir(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> c_int {
    from_result(|| {
        // SAFETY: `dir` is a container directory; `dentry` is in it.
        let (parent, name) = unsafe { (container_of_dir(dir), name_of(dentry)) };
        let c = Container::create(&parent.into(), name)?;
        // SAFETY: `dir` is valid, so is its superblock.
        let sb = unsafe { (*dir).i_sb };
        // SAFETY: As above.
        let inode = match unsafe { new_dir_inode(sb, dir, u32::from(mode), c.clone()) } {
            Ok(i) => i,
            Err(e) => {
                let _ = c.remove();
                return Err(e);
            }
        };
        // SAFETY: `dentry` is negative and `inode` new; the `dget` is the pin
        // `rmdir` drops. The new directory is locked while its files are
        // added, so no lookup can race with them.
        let res = unsafe {
            bindings::d_instantiate(dentry, inode);
            bindings::container_helper_dget(dentry);
            bindings::inc_nlink(dir);
            bindings::container_helper_inode_lock_child(inode);
            let res = populate(dentry, &c);
            bindings::container_helper_inode_unlock(inode);
            // Each container pins the superblock, so that the hierarchy
            // outlives an umount while it has children.
            bindings::container_helper_sb_pin(sb);
            res
        };
        // As the 2007 patch, a half-populated directory is tolerated.
        if let Err(e) = res.and_then(|()| c.populate()) {
            pr_warn!("populating a new container failed: {:?}\n", e);
        }
        Ok(0)
    })
}

/// Removes the control files of directory `dentry`. Cannot fail.
///
/// The pinned file dentries are found in the dcache with
/// `d_hash_and_lookup()`, which needs no search permission on `dentry` (the
/// caller of `rmdir` may lack it: `vfs_rmdir` checks only the parent) and
/// allocates nothing. A name that is not there (a half-populated directory)
/// is skipped.
///
/// # Safety
///
/// `dentry` must be a container directory whose inode is locked.
unsafe fn depopulate(dentry: *mut bindings::dentry, c: &Arc<Container>) {
    let _ = for_each_file(c.hierarchy(), c.is_root(), |name, _, _| {
        let bytes = name.as_bytes();
        // SAFETY: All-zero is a valid `qstr`; `d_hash_and_lookup` computes
        // the hash, and `name` outlives the call.
        let mut q: bindings::qstr = unsafe { zeroed() };
        q.__bindgen_anon_1.__bindgen_anon_1.len = bytes.len() as u32;
        q.name = bytes.as_ptr();
        // SAFETY: `dentry` is valid; `q` names a child of it.
        let d = unsafe { bindings::d_hash_and_lookup(dentry, &mut q) };
        if d.is_null() || (d as isize) < 0 && (d as isize) >= -4095 {
            return Ok(());
        }
        // SAFETY: `d` is a referenced child of `dentry`, whose inode is
        // locked; a positive one is our control file: `simple_unlink` drops
        // its pin, `d_delete` and `dput` drop the lookup's reference.
        unsafe {
            if !(*d).d_inode.is_null() {
                bindings::simple_unlink((*dentry).d_inode, d);
                bindings::d_delete(d);
            }
            bindings::dput(d);
        }
        Ok(())
    });
}

/// `inode_operations::rmdir`: removes an empty container.
///
/// [`Container::remove`] is the only step that can fail, and it commits
/// last: everything after it (unlinking the control files and the
/// directory, dropping the superblock pin of `mkdir`) cannot fail, so a
/// removal is never half done.
///
/// # Safety
///
/// Called by the VFS with `dir` and the victim's inode locked.
unsafe extern "C" fn rmdir(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
    from_result(|| {
        // SAFETY: The victim is a positive container directory.
        let c: Arc<Container> = unsafe { container_of_dir((*dentry).d_inode) }.into();
        c.remove()?;
        // The victim's inode is locked by `vfs_rmdir`, so no container
        // (`mkdir`) or file can appear in it: once `depopulate` has
        // unlinked its control files it is empty. What follows is
        // `simple_rmdir` without its emptiness check, which cannot fail
        // here; `simple_unlink` drops the directory's pin. The superblock
        // pin of `mkdir` is dropped last (the caller's mount keeps the
        // superblock active).
        // SAFETY: `dir` and `dentry` are the locked parent and victim.
        unsafe {
            depopulate(dentry, &c);
            if bindings::simple_empty(dentry) == 0 {
                pr_warn!("rmdir: a removed container's directory was not empty\n");
            }
            bindings::drop_nlink((*dentry).d_inode);
            bindings::simple_unlink(dir, dentry);
            bindings::drop_nlink(dir);
            bindings::deactivate_super((*dir).i_sb);
        }
        Ok(0)
    })
}

/// `inode_operations::rename`: renames a container within its parent.
///
/// # Safety
///
/// Called by the VFS with both directories locked.
unsafe extern "C" fn rename(
    idmap: *mut bindings::mnt_idmap,
    old_dir: *mut bindings::inode,
    old_dentry: *mut bindings::dentry,
    new_dir: *mut bindings::inode,
    new_dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    from_result(|| {
        if flags != 0 {
            return Err(EINVAL);
        }
        // Moving between parents is refused with EIO, as cgroup v1 (never
        // EXDEV, which would make mv(1) copy).
        if old_dir != new_dir {
            return Err(EIO);
        }
        // SAFETY: Both dentries are valid and their names stable (parents
        // locked).
        let (old_inode, new_inode) = unsafe { ((*old_dentry).d_inode, (*new_dentry).d_inode) };
        // SAFETY: `old_inode` is positive.
        if unsafe { (*old_inode).i_mode } as u32 & bindings::S_IFMT != bindings::S_IFDIR {
            return Err(ENOTDIR);
        }
        if !new_inode.is_null() {
            return Err(EEXIST);
        }
        // SAFETY: `old_inode` is a container directory.
        let c: Arc<Container> = unsafe { container_of_dir(old_inode) }.into();
        // SAFETY: The new name is stable while the parent is locked.
        c.rename(unsafe { name_of(new_dentry) })?;
        // SAFETY: Arguments as received from the VFS.
        let ret = unsafe {
            bindings::simple_rename(idmap, old_dir, old_dentry, new_dir, new_dentry, flags)
        };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(0)
    })
}

/// `super_operations::evict_inode`: releases what `i_private` owns.
///
/// # Safety
///
/// Called by the VFS with an inode of a `container` superblock that has no
/// users left.
pub(crate) unsafe extern "C" fn evict_inode(inode: *mut bindings::inode) {
    // SAFETY: `inode` is valid and being evicted.
    let (mode, private) = unsafe {
        bindings::truncate_inode_pages_final(&mut (*inode).i_data);
        bindings::clear_inode(inode);
        (
            (*inode).i_mode as u32,
            core::mem::replace(&mut (*inode).i_private, ptr::null_mut()),
        )
    };
    if private.is_null() {
        return;
    }
    if mode & bindings::S_IFMT == bindings::S_IFDIR {
        // SAFETY: Directory inodes own an `Arc<Container>`.
        drop(unsafe { Arc::<Container>::from_foreign(private) });
    } else {
        // SAFETY: Other inodes are control files owning a `KBox<FileNode>`.
        let node = unsafe { KBox::from_raw(private.cast::<FileNode>()) };
        node.forget_inode(inode);
        drop(node);
    }
}
