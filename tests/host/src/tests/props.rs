// SPDX-License-Identifier: GPL-2.0

//! Property tests: round trips, agreement with simple models, and no panics on any input.

use std::collections::BTreeSet;

use proptest::collection::vec;
use proptest::prelude::*;

use super::cpuset_rules::Case;
use super::options::{lookup, mount, ALL};
use super::render;
use crate::logic::cpulist::{format_list, parse_list, test_bit, words};
use crate::logic::error::LogicError::{self, Access, Busy, Invalid, NoSpace};
use crate::logic::options::MountOptions;
use crate::logic::parse::{
    parse_bool_u64, parse_classid, parse_pid, parse_u64, validate_container_name,
};

/// Largest `nbits` the list properties use; enough for three words and a partial fourth.
const MAX_NBITS: usize = 200;

/// A bitmap of `nbits` bits with random contents, padding bits included.
fn mask_and_nbits() -> impl Strategy<Value = (Vec<u64>, usize)> {
    (0..=MAX_NBITS).prop_flat_map(|nbits| (vec(any::<u64>(), words(nbits)), Just(nbits)))
}

/// Clears the bits of `mask` at or above `nbits`.
fn clear_padding(mask: &mut [u64], nbits: usize) {
    for (i, w) in mask.iter_mut().enumerate() {
        for j in 0..64 {
            if i * 64 + j >= nbits {
                *w &= !(1u64 << j);
            }
        }
    }
}

/// Every option word of the test registry, for order-independence checks.
const MOUNT_WORDS: [&str; 8] = [
    "cpuset",
    "memset",
    "net_flow",
    "all",
    "none",
    "noprefix",
    "clone_children",
    "name=n",
];

/// A subset of [`MOUNT_WORDS`], once in order and once shuffled.
fn options_twice() -> impl Strategy<Value = (Vec<&'static str>, Vec<&'static str>)> {
    proptest::sample::subsequence(MOUNT_WORDS.to_vec(), 0..=MOUNT_WORDS.len())
        .prop_flat_map(|p| (Just(p.clone()), Just(p).prop_shuffle()))
}

/// One mount option as `fs_context` could pass it: a known or random key, with or without value.
fn raw_param() -> impl Strategy<Value = (Vec<u8>, Option<Vec<u8>>)> {
    let known = proptest::sample::select(vec![
        "cpuset",
        "memset",
        "all",
        "none",
        "noprefix",
        "clone_children",
        "name",
        "release_agent",
    ])
    .prop_map(|k| k.as_bytes().to_vec());
    let key = prop_oneof![known, vec(any::<u8>(), 0..16)];
    (key, proptest::option::of(vec(any::<u8>(), 0..16)))
}

/// Strings over the list alphabet, so that most inputs come close to being valid.
fn list_like() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[0-9,:/ N\\-a-lA\n]{0,24}").expect("valid regex")
}

/// One valid list entry within `nbits` bits, as (start, end, used, group).
fn region(nbits: usize) -> impl Strategy<Value = (usize, usize, usize, usize)> {
    (0..nbits, 0..nbits, 1..=nbits)
        .prop_flat_map(|(a, b, group)| (Just(a.min(b)), Just(a.max(b)), 1..=group, Just(group)))
}

/// Selects what a parsed region sets, computed bit by bit from the definition.
fn expected_bits((start, end, used, group): (usize, usize, usize, usize)) -> Vec<usize> {
    (start..=end)
        .filter(|bit| (bit - start) % group < used)
        .collect()
}

proptest! {
    #[test]
    fn format_then_parse_is_identity((mut mask, nbits) in mask_and_nbits()) {
        let text = render(|s| format_list(&mask, nbits, s));
        clear_padding(&mut mask, nbits);
        let mut parsed = vec![u64::MAX; words(nbits)];
        prop_assert_eq!(parse_list(text.as_bytes(), nbits, &mut parsed), Ok(()));
        prop_assert_eq!(&parsed, &mask);
        // The canonical form is a fixed point and ends without a newline.
        prop_assert_eq!(render(|s| format_list(&parsed, nbits, s)), text.clone());
        prop_assert!(!text.ends_with('\n') && !text.ends_with(','));
    }

    #[test]
    fn parse_never_panics_on_bytes(input in vec(any::<u8>(), 0..64), nbits in 0..=MAX_NBITS) {
        let mut out = vec![u64::MAX; words(nbits)];
        match parse_list(&input, nbits, &mut out) {
            Ok(()) => prop_assert!((nbits..words(nbits) * 64).all(|b| !test_bit(&out, b))),
            Err(_) => prop_assert!(out.iter().all(|&w| w == 0)),
        }
    }

    #[test]
    fn parsed_lists_reparse_from_their_canonical_form(input in list_like()) {
        let mut out = [u64::MAX; 2];
        match parse_list(input.as_bytes(), 128, &mut out) {
            Ok(()) => {
                let text = render(|s| format_list(&out, 128, s));
                let mut again = [0; 2];
                prop_assert_eq!(parse_list(text.as_bytes(), 128, &mut again), Ok(()));
                prop_assert_eq!(again, out);
            }
            Err(e) => {
                prop_assert!(matches!(e, LogicError::Invalid | LogicError::Range));
                prop_assert_eq!(out, [0, 0]);
            }
        }
    }

    #[test]
    fn parse_agrees_with_the_definition(
        (nbits, regions) in (1..=MAX_NBITS).prop_flat_map(|n| (Just(n), vec(region(n), 0..6)))
    ) {
        let entries: Vec<String> = regions
            .iter()
            .map(|&(start, end, used, group)| format!("{start}-{end}:{used}/{group}"))
            .collect();
        let mut out = vec![0; words(nbits)];
        prop_assert_eq!(parse_list(entries.join(",").as_bytes(), nbits, &mut out), Ok(()));
        let expected: BTreeSet<usize> = regions.iter().copied().flat_map(expected_bits).collect();
        let actual: BTreeSet<usize> = (0..nbits).filter(|&b| test_bit(&out, b)).collect();
        prop_assert_eq!(actual, expected);
    }

    #[test]
    fn u64_round_trips_in_every_base(v in any::<u64>(), pad in "[ \t]{0,2}") {
        for text in [format!("{v}"), format!("{v:#x}"), format!("0{v:o}"), format!("+{v}")] {
            let written = format!("{pad}{text}{pad}\n");
            prop_assert_eq!(parse_u64(written.as_bytes()), Ok(v), "{:?}", written);
        }
        prop_assert_eq!(parse_bool_u64(format!("{v}").as_bytes()), Ok(v != 0));
        prop_assert_eq!(parse_classid(format!("{v:#x}").as_bytes()).ok(), u32::try_from(v).ok());
    }

    #[test]
    fn pid_round_trips_and_refuses_negatives(pid in any::<i32>()) {
        let parsed = parse_pid(format!("{pid}\n").as_bytes());
        if pid >= 0 {
            prop_assert_eq!(parsed, Ok(pid));
        } else {
            prop_assert_eq!(parsed, Err(Invalid));
        }
    }

    #[test]
    fn number_parsers_never_panic(input in vec(any::<u8>(), 0..40)) {
        let _ = parse_u64(&input);
        let _ = parse_bool_u64(&input);
        let _ = parse_classid(&input);
        if let Ok(pid) = parse_pid(&input) {
            prop_assert!(pid >= 0);
        }
        let _ = validate_container_name(&input, &[b"tasks"]);
    }

    #[test]
    fn mount_options_never_panic(
        params in vec(raw_param(), 0..6),
        all_mask in any::<u32>(),
    ) {
        let mut opts = MountOptions::new();
        for (key, value) in &params {
            let _ = opts.parse_param(key, value.as_deref(), &lookup);
        }
        if let Ok(r) = opts.finish(all_mask) {
            prop_assert!(r.subsys_mask != 0 || r.name.is_some());
        }
    }

    #[test]
    fn mount_option_order_does_not_matter((picked, shuffled) in options_twice()) {
        let result = mount(&picked.join(","));
        prop_assert_eq!(mount(&shuffled.join(",")), result);
        if let Ok(r) = result {
            prop_assert!(r.subsys_mask & !ALL == 0);
        }
    }
}

proptest! {
    // Three-bit masks make subsets and overlaps common, and the extra cases reach rule
    // combinations that a default run can miss.
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn cpuset_rules_match_their_specification(
        parent in proptest::option::of((0..8u64, any::<bool>())),
        online in 0..8u64,
        old in 0..8u64,
        trial in 0..8u64,
        trial_exclusive in any::<bool>(),
        children in vec((0..8u64, any::<bool>()), 0..3),
        siblings in vec((0..8u64, any::<bool>()), 0..3),
        populated in any::<bool>(),
    ) {
        let case = Case {
            parent, online, old, trial, trial_exclusive,
            children: children.clone(), siblings: siblings.clone(), populated,
        };
        let subset = |a: u64, b: u64| a & !b == 0;
        // The rules in their documented order; the first one broken names the error.
        let rules: [(bool, LogicError); 6] = [
            (parent.is_some(), Access),
            (subset(trial, online), Invalid),
            (children.iter().all(|&(m, e)| subset(m, trial) && (!e || trial_exclusive)), Busy),
            (parent.is_some_and(|(p, e)| subset(trial, p) && (!trial_exclusive || e)), Access),
            (!(populated && old != 0 && trial == 0), NoSpace),
            (siblings.iter().all(|&(m, e)| !(trial_exclusive || e) || m & trial == 0), Invalid),
        ];
        let expected = rules.iter().find(|(holds, _)| !holds).map_or(Ok(()), |&(_, e)| Err(e));
        prop_assert_eq!(case.check(), expected);
    }
}
