// SPDX-License-Identifier: GPL-2.0

//! Mount options of the `container` filesystem (`mount -t container -o cpuset,memset ...`).
//!
//! The options follow cgroup v1 (`kernel/cgroup/cgroup-v1.c`): subsystem names, `all`, `none`,
//! `noprefix`, `clone_children`, `name=NAME` and `release_agent=PATH`. Subsystem names are not
//! known here; the caller passes a lookup from name to bit index, so the registry stays the only
//! place that knows them.
//!
//! Options arrive one at a time, as `fs_context` hands them over, into a [`MountOptions`]
//! accumulator. Rules that depend on several options are checked once, by
//! [`MountOptions::finish`], so the result does not depend on their order.

use core::fmt;

use super::error::LogicError;

/// Longest hierarchy name, in bytes; cgroup's `MAX_CGROUP_ROOT_NAMELEN` minus the NUL.
pub(crate) const NAME_MAX_LEN: usize = 63;

/// Longest release agent path, in bytes; `PATH_MAX` minus the NUL.
pub(crate) const RELEASE_AGENT_MAX_LEN: usize = 4095;

/// A validated hierarchy name from `name=`: 1 to 63 bytes of `[A-Za-z0-9_.-]`.
///
/// It is stored inline because the logic layer does not allocate.
///
/// # Invariants
///
/// - `len` is between 1 and [`NAME_MAX_LEN`], and `buf[..len]` holds only allowed bytes.
/// - The bytes of `buf` past `len` are zero, so the derived equality compares names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HierarchyName {
    /// The name bytes, zero-padded.
    buf: [u8; NAME_MAX_LEN + 1],
    /// The number of bytes in use.
    len: usize,
}

impl HierarchyName {
    /// Validates `name` and stores it; any rule broken gives [`LogicError::Invalid`].
    pub(crate) fn new(name: &[u8]) -> Result<Self, LogicError> {
        let allowed = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-');
        if name.is_empty() || name.len() > NAME_MAX_LEN || !name.iter().all(allowed) {
            return Err(LogicError::Invalid);
        }
        let mut buf = [0; NAME_MAX_LEN + 1];
        buf.get_mut(..name.len())
            .ok_or(LogicError::Invalid)?
            .copy_from_slice(name);
        // INVARIANT: The length and bytes were checked above and the rest of `buf` is zero.
        Ok(Self {
            buf,
            len: name.len(),
        })
    }

    /// Returns the name as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Returns the name as a string slice.
    pub(crate) fn as_str(&self) -> &str {
        // The type invariant guarantees ASCII, so the fallback is never taken.
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

/// What [`MountOptions::parse_param`] did with an option it accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Accepted<'v> {
    /// The option is recorded in the accumulator; nothing is left for the caller.
    Recorded,
    /// A valid `release_agent=` path: the caller checks its privilege and keeps its own copy.
    ///
    /// The path is not stored here, because it can be up to [`RELEASE_AGENT_MAX_LEN`] bytes and
    /// the hierarchy root owns it for its lifetime anyway.
    ReleaseAgent(&'v [u8]),
}

/// Options collected so far while parsing one mount request.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct MountOptions {
    /// Bits of the subsystems named so far.
    subsys_mask: u32,
    /// Whether `all` was given.
    all: bool,
    /// Whether `none` was given.
    none: bool,
    /// Whether `noprefix` was given.
    noprefix: bool,
    /// Whether `clone_children` was given.
    clone_children: bool,
    /// The `name=` value, if given.
    name: Option<HierarchyName>,
    /// Whether `release_agent=` was given.
    release_agent: bool,
}

/// The outcome of a successful parse: what the hierarchy is and how it behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// Bit `i` is set if the subsystem with index `i` is bound to the hierarchy.
    pub(crate) subsys_mask: u32,
    /// Whether control files are created without the `<subsys>.` prefix.
    pub(crate) noprefix: bool,
    /// Whether new containers start with their parent's cpuset configuration.
    pub(crate) clone_children: bool,
    /// The hierarchy name, if one was given.
    pub(crate) name: Option<HierarchyName>,
}

/// Requires a flag option to come without a value.
fn flag(value: Option<&[u8]>) -> Result<(), LogicError> {
    match value {
        None => Ok(()),
        Some(_) => Err(LogicError::Invalid),
    }
}

impl MountOptions {
    /// Returns an empty accumulator.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Takes one option, `key` or `key=value`, and records it.
    ///
    /// `lookup` maps a subsystem name to its bit index (below 32). Every error is
    /// [`LogicError::Invalid`]: an unknown key, a value given to a flag, a missing value, a
    /// repeated `name=` or `release_agent=`, a bad name, or an empty or too long (4096 bytes or
    /// more) release agent path. Giving a flag or a subsystem twice is harmless, as in cgroup.
    pub(crate) fn parse_param<'v>(
        &mut self,
        key: &[u8],
        value: Option<&'v [u8]>,
        lookup: &dyn Fn(&[u8]) -> Option<u32>,
    ) -> Result<Accepted<'v>, LogicError> {
        match key {
            b"all" => {
                flag(value)?;
                self.all = true;
            }
            b"none" => {
                flag(value)?;
                self.none = true;
            }
            b"noprefix" => {
                flag(value)?;
                self.noprefix = true;
            }
            b"clone_children" => {
                flag(value)?;
                self.clone_children = true;
            }
            b"name" => {
                let value = value.ok_or(LogicError::Invalid)?;
                if self.name.is_some() {
                    return Err(LogicError::Invalid);
                }
                self.name = Some(HierarchyName::new(value)?);
            }
            b"release_agent" => {
                let path = value.ok_or(LogicError::Invalid)?;
                if self.release_agent
                    || path.is_empty()
                    || path.len() > RELEASE_AGENT_MAX_LEN
                    || path.contains(&0)
                {
                    return Err(LogicError::Invalid);
                }
                self.release_agent = true;
                return Ok(Accepted::ReleaseAgent(path));
            }
            _ => {
                let bit = lookup(key).ok_or(LogicError::Invalid)?;
                flag(value)?;
                self.subsys_mask |= 1u32.checked_shl(bit).ok_or(LogicError::Invalid)?;
            }
        }
        Ok(Accepted::Recorded)
    }

    /// Checks the options as a whole and resolves the subsystem set.
    ///
    /// `all_mask` holds the bits of every subsystem that can be mounted. Without a subsystem name,
    /// `none` or `name=`, the hierarchy gets all of them, as with cgroup v1. Every error is
    /// [`LogicError::Invalid`]: `all` together with a subsystem name, `none` together with `all` or
    /// a subsystem name, or a hierarchy that would have neither a subsystem nor a name (such as
    /// `none` without `name=`).
    pub(crate) fn finish(self, all_mask: u32) -> Result<Resolved, LogicError> {
        // `all`, `none` and subsystem names each choose the subsystem set, so any two conflict.
        let choices = [self.all, self.none, self.subsys_mask != 0];
        if choices.iter().filter(|&&chosen| chosen).count() > 1 {
            return Err(LogicError::Invalid);
        }
        let all = self.all || (self.subsys_mask == 0 && !self.none && self.name.is_none());
        let subsys_mask = if all { all_mask } else { self.subsys_mask };
        // An empty hierarchy is only reachable again by its name.
        if subsys_mask == 0 && self.name.is_none() {
            return Err(LogicError::Invalid);
        }
        Ok(Resolved {
            subsys_mask,
            noprefix: self.noprefix,
            clone_children: self.clone_children,
            name: self.name,
        })
    }
}

/// Returns whether a mount with options `b` may reuse the existing hierarchy mounted with `a`.
///
/// The subsystem set, `noprefix` and the name must all match, as the 2007 patch required for
/// superblock reuse. `clone_children` and the release agent are settings of the hierarchy,
/// changeable later through files, so they do not make it a different hierarchy.
pub(crate) fn same_hierarchy(a: &Resolved, b: &Resolved) -> bool {
    a.subsys_mask == b.subsys_mask && a.noprefix == b.noprefix && a.name == b.name
}

/// Writes `bytes` the way `seq_show_option()` escapes option values.
///
/// Bytes that would break the comma-separated `/proc/mounts` syntax (`,`, `=`, space, tab,
/// newline, backslash) are written as `\ooo` octal escapes, as are all other bytes outside
/// printable ASCII, which a `fmt::Write` cannot carry raw.
fn write_escaped(w: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    for &c in bytes {
        if c.is_ascii_graphic() && !matches!(c, b',' | b'=' | b'\\') {
            w.write_char(char::from(c))?;
        } else {
            write!(w, "\\{c:03o}")?;
        }
    }
    Ok(())
}

/// Writes the options that `/proc/mounts` shows for a hierarchy, e.g. `,cpuset,noprefix,name=x`.
///
/// Every option is preceded by a comma, as `show_options` output is appended to the filesystem's
/// own options. The order is that of cgroup v1: subsystems by index, `noprefix`,
/// `release_agent=`, `clone_children`, `name=`. `names` maps a subsystem index to its name; an
/// index it does not know is skipped. `release_agent` is the current path, empty if none, because
/// it can change after mount through the root's `release_agent` file.
pub(crate) fn format_mount_options(
    opts: &Resolved,
    release_agent: &[u8],
    names: &dyn Fn(u32) -> Option<&'static str>,
    w: &mut impl fmt::Write,
) -> fmt::Result {
    for bit in 0..u32::BITS {
        if opts.subsys_mask & (1 << bit) != 0 {
            if let Some(name) = names(bit) {
                write!(w, ",{name}")?;
            }
        }
    }
    if opts.noprefix {
        w.write_str(",noprefix")?;
    }
    if !release_agent.is_empty() {
        w.write_str(",release_agent=")?;
        write_escaped(w, release_agent)?;
    }
    if opts.clone_children {
        w.write_str(",clone_children")?;
    }
    if let Some(name) = &opts.name {
        write!(w, ",name={}", name.as_str())?;
    }
    Ok(())
}
