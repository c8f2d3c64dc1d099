// SPDX-License-Identifier: GPL-2.0

//! A load-time check that the Rust bindings lay out every C structure
//! field the module reads or writes from Rust exactly as C does.
//!
//! On Linux 6.12 with this configuration the bindings' `task_struct`
//! disagreed with C's (`signal` 16 bytes off), which went unnoticed because
//! the field was only compared; that is why `task_struct` fields are read
//! by C helpers (see [`super::task`]). For the other structures the module
//! keeps direct field access, and this check makes a disagreement refuse
//! the module load (`EINVAL`, naming the field) instead of corrupting
//! memory. The C side is `container_helper_c_offset()` in
//! `rust/helpers.c`, which lists the same fields in the same order.

use super::bindings;
use core::mem::offset_of;
use kernel::prelude::*;

/// The fields, in the order of `container_helper_c_offset()`, with their
/// offsets as the Rust bindings see them. Fields inside an anonymous union
/// are given by the union's offset (C's `offsetof` of the member).
const FIELDS: &[(&str, usize)] = &[
    ("inode.i_private", offset_of!(bindings::inode, i_private)),
    ("inode.i_fop", offset_of!(bindings::inode, __bindgen_anon_3)),
    ("inode.i_op", offset_of!(bindings::inode, i_op)),
    ("inode.i_mode", offset_of!(bindings::inode, i_mode)),
    ("inode.i_ino", offset_of!(bindings::inode, i_ino)),
    ("inode.i_data", offset_of!(bindings::inode, i_data)),
    ("inode.i_sb", offset_of!(bindings::inode, i_sb)),
    (
        "file.private_data",
        offset_of!(bindings::file, private_data),
    ),
    ("dentry.d_inode", offset_of!(bindings::dentry, d_inode)),
    ("dentry.d_sb", offset_of!(bindings::dentry, d_sb)),
    ("dentry.d_name", offset_of!(bindings::dentry, d_name)),
    (
        "super_block.s_fs_info",
        offset_of!(bindings::super_block, s_fs_info),
    ),
    (
        "super_block.s_time_gran",
        offset_of!(bindings::super_block, s_time_gran),
    ),
    (
        "super_block.s_root",
        offset_of!(bindings::super_block, s_root),
    ),
    ("super_block.s_op", offset_of!(bindings::super_block, s_op)),
    (
        "super_block.s_magic",
        offset_of!(bindings::super_block, s_magic),
    ),
    (
        "super_block.s_blocksize_bits",
        offset_of!(bindings::super_block, s_blocksize_bits),
    ),
    (
        "super_block.s_blocksize",
        offset_of!(bindings::super_block, s_blocksize),
    ),
    (
        "fs_context.fs_private",
        offset_of!(bindings::fs_context, fs_private),
    ),
    (
        "fs_context.s_fs_info",
        offset_of!(bindings::fs_context, s_fs_info),
    ),
    ("fs_context.ops", offset_of!(bindings::fs_context, ops)),
    (
        "fs_context.fs_type",
        offset_of!(bindings::fs_context, fs_type),
    ),
    ("fs_parameter.key", offset_of!(bindings::fs_parameter, key)),
    (
        "fs_parameter.string",
        offset_of!(bindings::fs_parameter, __bindgen_anon_1),
    ),
];

/// `EINVAL` (and a message naming the field) if a field's offset differs
/// between Rust and C, or the two lists differ in length.
pub(crate) fn check() -> Result {
    for (i, &(name, rust)) in FIELDS.iter().enumerate() {
        // SAFETY: A pure function of its argument.
        let c = unsafe { bindings::container_helper_c_offset(i as u32) };
        if c != rust as u64 {
            pr_err!("struct layout differs from C: {name} at {rust} in Rust, {c} in C\n");
            return Err(EINVAL);
        }
    }
    // SAFETY: As above.
    if unsafe { bindings::container_helper_c_offset(FIELDS.len() as u32) } != u64::MAX {
        pr_err!("struct layout check: the C list of fields is longer than Rust's\n");
        return Err(EINVAL);
    }
    Ok(())
}
