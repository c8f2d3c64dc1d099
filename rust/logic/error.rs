// SPDX-License-Identifier: GPL-2.0

//! The error type of the pure logic layer.
//!
//! The logic layer cannot name the kernel's `Error`, because it is also built on the host. Each
//! variant stands for exactly one errno, and the FFI layer maps it when it turns a `Result` into a
//! return value. The variant docs name that errno so that the mapping and the documented errno
//! table can be checked against each other.

/// A rule violation found by the logic layer, standing for one errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LogicError {
    /// Malformed input or a broken structural rule; becomes `EINVAL`.
    Invalid,
    /// A well-formed number outside the allowed range; becomes `ERANGE`.
    Range,
    /// Not allowed relative to the parent, or a read-only root value; becomes `EACCES`.
    Access,
    /// The change would break a child or another user of the object; becomes `EBUSY`.
    Busy,
    /// The change would leave tasks without a CPU or memory node; becomes `ENOSPC`.
    NoSpace,
    /// The name is already taken, for example by a control file; becomes `EEXIST`.
    Exist,
    /// The write is longer than the file accepts; becomes `E2BIG`.
    TooBig,
}
