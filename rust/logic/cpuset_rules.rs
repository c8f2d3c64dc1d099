// SPDX-License-Identifier: GPL-2.0

//! The structural rules of cgroup-v1 cpusets, applied to a trial mask before it is committed.
//!
//! The cpuset and memset subsystems each keep one requested mask (CPUs or memory nodes) and one
//! exclusive flag per container. A write to `cpus`, `mems`, `cpu_exclusive` or `mem_exclusive`
//! builds the would-be state of the container as a trial, checks it here, and only then commits
//! it, all under one hold of the subsystem lock (the `cpuset1_validate_change()` pattern), so the
//! checked state is the committed state.
//!
//! The rules are kept in one module with the errno of each, because the admin guide's errno table
//! is copied from [`validate_change`].

use super::cpulist;
use super::error::LogicError;

/// A related container as the rules see it: its requested mask and its exclusive flag.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Peer<'a> {
    /// The requested mask (`cpus` or `mems`), not the effective one.
    pub(crate) mask: &'a [u64],
    /// Whether the container is `cpu_exclusive` (or `mem_exclusive` for memset).
    pub(crate) exclusive: bool,
}

/// Something the rules can see as a [`Peer`]: a `Peer`, or an owned (mask, exclusive) pair that
/// a caller reads out of its own lists one at a time, so that walking them needs no buffer.
pub(crate) trait AsPeer {
    /// The peer.
    fn as_peer(&self) -> Peer<'_>;
}

impl AsPeer for Peer<'_> {
    fn as_peer(&self) -> Peer<'_> {
        *self
    }
}

impl<const N: usize> AsPeer for ([u64; N], bool) {
    fn as_peer(&self) -> Peer<'_> {
        Peer {
            mask: &self.0,
            exclusive: self.1,
        }
    }
}

/// A proposed change of one container's mask and exclusive flag, with the state it is judged by.
///
/// `children` and `siblings` are iterators of [`AsPeer`] items, so that the caller can walk its
/// own lists under the subsystem lock without allocating. Each is walked at most once.
pub(crate) struct Change<'a, C, S> {
    /// The parent container, or `None` for the hierarchy root.
    ///
    /// The root should be described as exclusive when it is the parent, like the kernel's
    /// `top_cpuset`, so that its children may become exclusive.
    pub(crate) parent: Option<Peer<'a>>,
    /// All online CPUs (or nodes with memory); nothing outside them can be requested.
    pub(crate) online: &'a [u64],
    /// The container's current mask, before the change.
    pub(crate) old: &'a [u64],
    /// The requested mask after the change.
    pub(crate) trial: &'a [u64],
    /// The exclusive flag after the change.
    pub(crate) trial_exclusive: bool,
    /// The container's children.
    pub(crate) children: C,
    /// The parent's other children, without the container itself.
    pub(crate) siblings: S,
    /// Whether tasks are in the container or any descendant, or are being attached to it.
    pub(crate) populated: bool,
}

/// Checks a proposed change of a container's mask or exclusive flag against the v1 cpuset rules.
///
/// The rules are checked in this order, and the first one broken decides the error:
///
/// 1. The root's masks and flags are read-only, because the root always spans every online CPU
///    or node: [`LogicError::Access`] (`EACCES`).
/// 2. The trial mask must be a subset of the online CPUs or nodes: [`LogicError::Invalid`]
///    (`EINVAL`).
/// 3. Every child's mask must stay a subset of the trial mask, and the exclusive flag cannot be
///    cleared while a child is exclusive: [`LogicError::Busy`] (`EBUSY`). The child has to
///    change first.
/// 4. The trial mask must be a subset of the parent's mask, and the container can only be
///    exclusive if its parent is: [`LogicError::Access`] (`EACCES`).
/// 5. A populated container cannot go from a non-empty mask to an empty one, since its tasks
///    would have nowhere to run or allocate: [`LogicError::NoSpace`] (`ENOSPC`).
/// 6. If the container or a sibling is exclusive, their masks must not intersect:
///    [`LogicError::Invalid`] (`EINVAL`).
///
/// Rules 3 to 6 follow `cpuset1_validate_change()` and `validate_change()` in
/// `kernel/cgroup/cpuset*.c`, which check the exclusive flags together with the masks (its
/// `is_cpuset_subset()`); rules 1 and 2 are the checks `update_cpumask()` makes before them.
pub(crate) fn validate_change<'a, C, S>(v: Change<'a, C, S>) -> Result<(), LogicError>
where
    C: IntoIterator,
    C::Item: AsPeer,
    S: IntoIterator,
    S::Item: AsPeer,
{
    let Some(parent) = v.parent else {
        return Err(LogicError::Access);
    };
    if !cpulist::is_subset(v.trial, v.online) {
        return Err(LogicError::Invalid);
    }
    let stranded = |c: C::Item| {
        let c = c.as_peer();
        !cpulist::is_subset(c.mask, v.trial) || (c.exclusive && !v.trial_exclusive)
    };
    if v.children.into_iter().any(stranded) {
        return Err(LogicError::Busy);
    }
    if !cpulist::is_subset(v.trial, parent.mask) || (v.trial_exclusive && !parent.exclusive) {
        return Err(LogicError::Access);
    }
    if v.populated && !cpulist::is_empty(v.old) && cpulist::is_empty(v.trial) {
        return Err(LogicError::NoSpace);
    }
    let overlaps = |s: S::Item| {
        let s = s.as_peer();
        (v.trial_exclusive || s.exclusive) && cpulist::intersects(v.trial, s.mask)
    };
    if v.siblings.into_iter().any(overlaps) {
        return Err(LogicError::Invalid);
    }
    Ok(())
}

/// Checks that tasks can be attached to a container whose effective mask is `effective`.
///
/// A task needs at least one CPU to run on and one node to allocate from, so attaching to a
/// container with an empty effective mask gives [`LogicError::NoSpace`] (`ENOSPC`), as v1
/// `cpuset_can_attach()` does.
pub(crate) fn validate_attach(effective: &[u64]) -> Result<(), LogicError> {
    if cpulist::is_empty(effective) {
        return Err(LogicError::NoSpace);
    }
    Ok(())
}

/// What [`confine`] did to a mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Confined {
    /// The mask was narrowed to its CPUs inside the container (possibly to itself).
    Narrowed,
    /// The mask shares no usable CPU with the container, which has some: the two confinements
    /// conflict. The mask is left as it was: the container never widens a task beyond what the
    /// other mechanism allows.
    Disjoint,
    /// The container has no usable CPU; the mask is left as it was.
    Unchanged,
}

/// Confines `mask`, which another mechanism allows a task (its cgroup cpuset, or what it asked
/// for), to the container's CPUs `container`, with `usable` the CPUs a task can run on now.
///
/// Two confinements of the same task intersect. If the intersection has no usable CPU, `mask` is
/// left alone: the container may narrow what the kernel's own cpuset allows, never widen it, so
/// the module refuses the writes and attaches that would come to this ([`Confined::Disjoint`]),
/// and when the other side does, the other side's CPUs apply. The result is never an empty mask
/// unless `mask` was one.
pub(crate) fn confine(mask: &mut [u64], container: &[u64], usable: &[u64]) -> Confined {
    let both_usable = mask
        .iter()
        .enumerate()
        .any(|(i, &w)| w & cpulist::word(container, i) & cpulist::word(usable, i) != 0);
    if both_usable {
        for (i, w) in mask.iter_mut().enumerate() {
            *w &= cpulist::word(container, i);
        }
        return Confined::Narrowed;
    }
    if !cpulist::intersects(container, usable) {
        return Confined::Unchanged;
    }
    Confined::Disjoint
}
