// SPDX-License-Identifier: GPL-2.0

//! Tests of `logic::cpuset_rules`: one test per rule, plus the order between rules.

use crate::logic::cpuset_rules::{validate_attach, validate_change, Change, Peer};
use crate::logic::error::LogicError::{self, Access, Busy, Invalid, NoSpace};

/// Borrows a stored (mask, exclusive) pair as a [`Peer`].
fn peer((mask, exclusive): &([u64; 1], bool)) -> Peer<'_> {
    Peer {
        mask,
        exclusive: *exclusive,
    }
}

/// A one-word description of a change; `ok()` passes every rule and each test breaks some.
#[derive(Clone)]
pub(super) struct Case {
    /// Parent mask and exclusive flag, `None` for the root.
    pub(super) parent: Option<(u64, bool)>,
    /// Online CPUs.
    pub(super) online: u64,
    /// Current mask.
    pub(super) old: u64,
    /// Trial mask.
    pub(super) trial: u64,
    /// Trial exclusive flag.
    pub(super) trial_exclusive: bool,
    /// Children as (mask, exclusive).
    pub(super) children: Vec<(u64, bool)>,
    /// Siblings as (mask, exclusive).
    pub(super) siblings: Vec<(u64, bool)>,
    /// Whether the container has tasks.
    pub(super) populated: bool,
}

impl Case {
    /// CPUs 0-7 online, parent 0-7 exclusive, container 0-3 with child 0-1 and sibling 4-5.
    fn ok() -> Self {
        Self {
            parent: Some((0xff, true)),
            online: 0xff,
            old: 0x0f,
            trial: 0x0f,
            trial_exclusive: false,
            children: vec![(0x03, false)],
            siblings: vec![(0x30, false)],
            populated: true,
        }
    }

    /// Runs `validate_change` on this case.
    pub(super) fn check(&self) -> Result<(), LogicError> {
        let parent = self.parent.map(|(m, e)| ([m], e));
        let (online, old, trial) = ([self.online], [self.old], [self.trial]);
        let children: Vec<([u64; 1], bool)> =
            self.children.iter().map(|&(m, e)| ([m], e)).collect();
        let siblings: Vec<([u64; 1], bool)> =
            self.siblings.iter().map(|&(m, e)| ([m], e)).collect();
        validate_change(Change {
            parent: parent.as_ref().map(peer),
            online: &online,
            old: &old,
            trial: &trial,
            trial_exclusive: self.trial_exclusive,
            children: children.iter().map(peer),
            siblings: siblings.iter().map(peer),
            populated: self.populated,
        })
    }
}

#[test]
fn valid_change_passes() {
    assert_eq!(Case::ok().check(), Ok(()));
    let grow = Case {
        trial: 0xcf,
        ..Case::ok()
    };
    assert_eq!(grow.check(), Ok(()));
    let exclusive = Case {
        trial_exclusive: true,
        ..Case::ok()
    };
    assert_eq!(exclusive.check(), Ok(()));
}

#[test]
fn rule1_root_is_read_only() {
    let root = Case {
        parent: None,
        ..Case::ok()
    };
    assert_eq!(root.check(), Err(Access));
    // Even a no-op write to the root is refused, before anything else is looked at.
    let broken = Case {
        parent: None,
        trial: 0x100,
        children: vec![(0xff, true)],
        ..Case::ok()
    };
    assert_eq!(broken.check(), Err(Access));
}

#[test]
fn rule2_trial_must_be_online() {
    let offline = Case {
        parent: Some((0x1ff, true)),
        trial: 0x10f,
        ..Case::ok()
    };
    assert_eq!(offline.check(), Err(Invalid));
    // Checked before the children and the parent.
    let also_busy_and_access = Case {
        parent: Some((0x0f, false)),
        trial: 0x100,
        trial_exclusive: true,
        ..Case::ok()
    };
    assert_eq!(also_busy_and_access.check(), Err(Invalid));
}

#[test]
fn rule3_children_must_stay_subsets() {
    let shrink = Case {
        trial: 0x0e,
        ..Case::ok()
    };
    assert_eq!(shrink.check(), Err(Busy));
    let one_of_many = Case {
        children: vec![(0x01, false), (0x02, false), (0x0c, false)],
        trial: 0x07,
        ..Case::ok()
    };
    assert_eq!(one_of_many.check(), Err(Busy));
    let empty_child = Case {
        children: vec![(0, false)],
        trial: 0,
        populated: false,
        ..Case::ok()
    };
    assert_eq!(empty_child.check(), Ok(()));
}

#[test]
fn rule3_exclusive_cannot_be_cleared_under_an_exclusive_child() {
    let clear = Case {
        trial_exclusive: false,
        children: vec![(0x03, true)],
        ..Case::ok()
    };
    assert_eq!(clear.check(), Err(Busy));
    let keep = Case {
        trial_exclusive: true,
        children: vec![(0x03, true)],
        ..Case::ok()
    };
    assert_eq!(keep.check(), Ok(()));
}

#[test]
fn rule3_comes_before_rule4() {
    let both = Case {
        parent: Some((0x07, false)),
        trial: 0x0e,
        trial_exclusive: true,
        ..Case::ok()
    };
    assert_eq!(both.check(), Err(Busy));
}

#[test]
fn rule4_trial_must_be_within_the_parent() {
    let escape = Case {
        parent: Some((0x3f, true)),
        trial: 0x4f,
        ..Case::ok()
    };
    assert_eq!(escape.check(), Err(Access));
}

#[test]
fn rule4_exclusive_needs_an_exclusive_parent() {
    let exclusive = Case {
        parent: Some((0xff, false)),
        trial_exclusive: true,
        ..Case::ok()
    };
    assert_eq!(exclusive.check(), Err(Access));
    let plain = Case {
        parent: Some((0xff, false)),
        ..Case::ok()
    };
    assert_eq!(plain.check(), Ok(()));
}

#[test]
fn rule4_comes_before_rule5() {
    let both = Case {
        parent: Some((0xff, false)),
        trial: 0,
        trial_exclusive: true,
        children: vec![],
        ..Case::ok()
    };
    assert_eq!(both.check(), Err(Access));
}

#[test]
fn rule5_populated_container_cannot_be_emptied() {
    let empty = Case {
        trial: 0,
        children: vec![],
        ..Case::ok()
    };
    assert_eq!(empty.check(), Err(NoSpace));
    let unpopulated = Case {
        populated: false,
        ..empty.clone()
    };
    assert_eq!(unpopulated.check(), Ok(()));
    // A container that is already empty may be written empty again, as in cpuset.
    let already_empty = Case { old: 0, ..empty };
    assert_eq!(already_empty.check(), Ok(()));
}

#[test]
fn rule6_exclusive_siblings_cannot_overlap() {
    let me_exclusive = Case {
        trial: 0x1f,
        trial_exclusive: true,
        ..Case::ok()
    };
    assert_eq!(me_exclusive.check(), Err(Invalid));
    let sibling_exclusive = Case {
        trial: 0x1f,
        siblings: vec![(0xc0, false), (0x10, true)],
        ..Case::ok()
    };
    assert_eq!(sibling_exclusive.check(), Err(Invalid));
    let neither = Case {
        trial: 0x3f,
        siblings: vec![(0x30, false)],
        ..Case::ok()
    };
    assert_eq!(neither.check(), Ok(()));
    let both_disjoint = Case {
        trial_exclusive: true,
        siblings: vec![(0x30, true)],
        ..Case::ok()
    };
    assert_eq!(both_disjoint.check(), Ok(()));
}

#[test]
fn masks_of_different_lengths_compare_as_sets() {
    let online = [u64::MAX, u64::MAX];
    let parent = [u64::MAX];
    let trial = [0x0f, 0];
    let child = [0x01];
    let result = validate_change(Change {
        parent: Some(Peer {
            mask: &parent,
            exclusive: true,
        }),
        online: &online,
        old: &[],
        trial: &trial,
        trial_exclusive: false,
        children: [Peer {
            mask: &child,
            exclusive: false,
        }],
        siblings: core::iter::empty::<Peer>(),
        populated: true,
    });
    assert_eq!(result, Ok(()));
    let high_bit = [0, 1];
    let result = validate_change(Change {
        parent: Some(Peer {
            mask: &parent,
            exclusive: true,
        }),
        online: &online,
        old: &[],
        trial: &high_bit,
        trial_exclusive: false,
        children: core::iter::empty::<Peer>(),
        siblings: core::iter::empty::<Peer>(),
        populated: false,
    });
    assert_eq!(result, Err(Access));
}

#[test]
fn attach_needs_a_non_empty_effective_mask() {
    assert_eq!(validate_attach(&[]), Err(NoSpace));
    assert_eq!(validate_attach(&[0, 0]), Err(NoSpace));
    assert_eq!(validate_attach(&[0, 1]), Ok(()));
}

mod confine {
    use crate::logic::cpuset_rules::{confine, Confined};

    /// Runs `confine` on one-word masks: (result, what it did).
    fn run(mask: u64, container: u64, usable: u64) -> (u64, Confined) {
        let mut m = [mask];
        let how = confine(&mut m, &[container], &[usable]);
        (m[0], how)
    }

    #[test]
    fn overlapping_masks_intersect() {
        // cgroup cpuset 0-1, container 1-2, all online: CPU 1.
        assert_eq!(run(0b0011, 0b0110, 0b1111), (0b0010, Confined::Narrowed));
        // A mask inside the container is unchanged.
        assert_eq!(run(0b0010, 0b0110, 0b1111), (0b0010, Confined::Narrowed));
    }

    #[test]
    fn disjoint_masks_never_widen() {
        // The container never replaces the other side's CPUs with its own.
        assert_eq!(run(0b0011, 0b1100, 0b1111), (0b0011, Confined::Disjoint));
    }

    #[test]
    fn overlap_only_on_offline_cpus_counts_as_disjoint() {
        // They share CPU 2, which is offline: the other side's CPUs stay.
        assert_eq!(run(0b0101, 0b1100, 0b1011), (0b0101, Confined::Disjoint));
    }

    #[test]
    fn a_container_with_no_usable_cpu_changes_nothing() {
        assert_eq!(run(0b0011, 0b1000, 0b0111), (0b0011, Confined::Unchanged));
        assert_eq!(run(0b0011, 0, 0b1111), (0b0011, Confined::Unchanged));
    }

    #[test]
    fn masks_of_different_lengths() {
        // The container's second word is missing: it is empty there.
        let mut m = [0b1, 0b1];
        assert_eq!(confine(&mut m, &[0b1], &[0b1, 0b1]), Confined::Narrowed);
        assert_eq!(m, [0b1, 0]);
    }

    proptest::proptest! {
        #[test]
        fn result_is_in_the_container_or_untouched(mask: u64, container: u64, usable: u64) {
            let (out, how) = run(mask, container, usable);
            // Never wider than what the other side allows.
            proptest::prop_assert_eq!(out & !mask, 0);
            match how {
                Confined::Narrowed => {
                    proptest::prop_assert_eq!(out, mask & container);
                    proptest::prop_assert!(out & usable != 0);
                }
                Confined::Disjoint => {
                    proptest::prop_assert_eq!(out, mask);
                    proptest::prop_assert_eq!(mask & container & usable, 0);
                    proptest::prop_assert!(container & usable != 0);
                }
                Confined::Unchanged => {
                    proptest::prop_assert_eq!(out, mask);
                    proptest::prop_assert_eq!(container & usable, 0);
                }
            }
        }
    }
}
