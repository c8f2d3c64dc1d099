// SPDX-License-Identifier: GPL-2.0

//! Tests of `logic::cpulist`: the list format and the set helpers.

use super::render;
use crate::logic::cpulist::{
    and_into, equal, format_list, intersects, is_empty, is_subset, parse_list, test_bit, weight,
    words,
};
use crate::logic::error::LogicError::{self, Invalid, Range};

/// Parses `input` into a fresh two-word mask of `nbits` bits.
fn parse(input: &str, nbits: usize) -> Result<[u64; 2], LogicError> {
    let mut out = [0; 2];
    parse_list(input.as_bytes(), nbits, &mut out).map(|()| out)
}

/// Formats a mask of `nbits` bits.
fn format(mask: &[u64], nbits: usize) -> String {
    render(|s| format_list(mask, nbits, s))
}

/// Parses `input` with 128 bits and formats the result again.
fn canonical(input: &str) -> String {
    let mask = parse(input, 128).unwrap_or_else(|e| panic!("{input:?}: {e:?}"));
    format(&mask, 128)
}

#[test]
fn canonical_forms() {
    let cases = [
        ("", ""),
        ("\n", ""),
        ("  \n", ""),
        ("0", "0"),
        ("0\n", "0"),
        ("0,1,2", "0-2"),
        ("2,1,0", "0-2"),
        ("0-2,5,7-9", "0-2,5,7-9"),
        ("7-9,0-2,5", "0-2,5,7-9"),
        ("1,1,1", "1"),
        ("0-3,2-5", "0-5"),
        ("3-3", "3"),
        ("0-1,3", "0-1,3"),
        (" 0 , 2 ", "0,2"),
        ("\t0-1,\t4\n", "0-1,4"),
        ("63,64", "63-64"),
        ("62-65", "62-65"),
        ("0-127", "0-127"),
        ("127", "127"),
        ("0-7:2/4", "0-1,4-5"),
        ("0-9:1/3", "0,3,6,9"),
        ("0-9:3/3", "0-9"),
        ("2-9:2/5", "2-3,7-8"),
        ("0-127:64/64", "0-127"),
        ("N", "127"),
        ("0-N", "0-127"),
        ("120-N:2/4", "120-121,124-125"),
        ("all", "0-127"),
        ("ALL", "0-127"),
        ("All:1/64", "0,64"),
        ("007", "7"),
    ];
    for (input, expected) in cases {
        assert_eq!(canonical(input), expected, "input {input:?}");
    }
}

#[test]
fn malformed_lists_are_invalid() {
    let bad = [
        "a",
        "1-",
        "-1",
        "3-1",
        "1,,2",
        ",1",
        "1,",
        ",",
        "1 2",
        "1 -2",
        "1- 2",
        "0-7:0/4",
        "0-7:5/4",
        "0-7:2/0",
        "0-7:2",
        "0-7:2/",
        "0-7:/4",
        "0-7:2/4/1",
        "0-7:2/4x",
        "5:1/2",
        "0-7;2/4",
        "+1",
        "1.5",
        "0x1",
        "1\n2",
        "1\0",
        "N-0",
        "alla",
        "al",
        "0-3\n4",
    ];
    for input in bad {
        assert_eq!(parse(input, 128), Err(Invalid), "input {input:?}");
    }
}

#[test]
fn out_of_range_bits_are_range_errors() {
    let cases = [
        ("8", 8),
        ("0-8", 8),
        ("7,8", 8),
        ("0-7:1/2,9", 8),
        ("128", 128),
        ("0-999999", 128),
        ("0-1023:2/256", 128),
        ("99999999999999999999999999", 128),
        ("1-99999999999999999999999999", 128),
        ("0", 0),
        ("N", 0),
        ("all", 0),
    ];
    for (input, nbits) in cases {
        assert_eq!(
            parse(input, nbits),
            Err(Range),
            "input {input:?}, nbits {nbits}"
        );
    }
}

#[test]
fn errors_are_reported_in_entry_order() {
    assert_eq!(parse("200,a", 128), Err(Range));
    assert_eq!(parse("a,200", 128), Err(Invalid));
    // Within one entry the shape is checked before the range, as bitmap_check_region() does.
    assert_eq!(parse("300-200", 128), Err(Invalid));
}

#[test]
fn nbits_bounds_parsing_and_formatting() {
    assert_eq!(parse("0-7", 8), Ok([0xff, 0]));
    assert_eq!(parse("all", 8), Ok([0xff, 0]));
    assert_eq!(parse("N", 65), Ok([0, 1]));
    assert_eq!(parse("", 0), Ok([0, 0]));
    // Bits at or above nbits are stored state the caller did not ask to show.
    assert_eq!(format(&[u64::MAX, u64::MAX], 10), "0-9");
    assert_eq!(format(&[u64::MAX, u64::MAX], 0), "");
    assert_eq!(format(&[0, 1 << 63], 128), "127");
    assert_eq!(format(&[1 << 63, 1], 128), "63-64");
    assert_eq!(format(&[u64::MAX, u64::MAX], 128), "0-127");
}

#[test]
fn storage_shorter_than_nbits_caps_the_range() {
    let mut one = [0u64; 1];
    assert_eq!(parse_list(b"64", 4096, &mut one), Err(Range));
    assert_eq!(parse_list(b"0-63", 4096, &mut one), Ok(()));
    assert_eq!(one, [u64::MAX]);
    assert_eq!(parse_list(b"all", 4096, &mut one), Ok(()));
    assert_eq!(one, [u64::MAX]);
    let mut none: [u64; 0] = [];
    assert_eq!(parse_list(b"", 4096, &mut none), Ok(()));
    assert_eq!(parse_list(b"0", 4096, &mut none), Err(Range));
    // Formatting never reads past the slice either.
    assert_eq!(format(&[1], 4096), "0");
}

#[test]
fn output_is_cleared_first_and_zero_after_an_error() {
    let mut out = [u64::MAX; 2];
    assert_eq!(parse_list(b"3", 128, &mut out), Ok(()));
    assert_eq!(out, [8, 0]);

    for input in ["0-5,a", "0-127,128", "0-127,1,,2"] {
        let mut out = [u64::MAX; 2];
        assert!(parse_list(input.as_bytes(), 128, &mut out).is_err());
        assert_eq!(out, [0, 0], "input {input:?}");
    }
}

#[test]
fn large_masks_round_trip() {
    // NR_CPUS can be 8192; the parser and formatter work on words, not bits.
    let mut mask = vec![0u64; words(8192)];
    assert_eq!(parse_list(b"0-8191:3/7,8189", 8192, &mut mask), Ok(()));
    // 1170 full groups of 7 plus the group at 8190, which is cut to 2 bits; 8189 is extra.
    assert_eq!(weight(&mask), 3 * 1170 + 2 + 1);
    let text = format(&mask, 8192);
    let mut again = vec![0u64; words(8192)];
    assert_eq!(parse_list(text.as_bytes(), 8192, &mut again), Ok(()));
    assert_eq!(mask, again);
}

#[test]
fn words_rounds_up() {
    assert_eq!(words(0), 0);
    assert_eq!(words(1), 1);
    assert_eq!(words(64), 1);
    assert_eq!(words(65), 2);
    assert_eq!(words(8192), 128);
}

#[test]
fn test_bit_reads_words_and_beyond() {
    let mask = [0b101, 1];
    assert!(test_bit(&mask, 0));
    assert!(!test_bit(&mask, 1));
    assert!(test_bit(&mask, 2));
    assert!(test_bit(&mask, 64));
    assert!(!test_bit(&mask, 65));
    assert!(!test_bit(&mask, 128));
    assert!(!test_bit(&mask, usize::MAX));
}

#[test]
fn set_helpers() {
    let a = [0b0110u64];
    let b = [0b1110u64, 0];
    let c = [0b0001u64, 1];
    assert!(is_subset(&a, &b));
    assert!(!is_subset(&b, &a));
    assert!(is_subset(&[], &a));
    assert!(is_subset(&[0, 0, 0], &a));
    assert!(!is_subset(&[0, 0, 1], &a));
    assert!(!is_subset(&c, &b));

    assert!(intersects(&a, &b));
    assert!(!intersects(&a, &c));
    assert!(intersects(&[0, 1], &c));
    assert!(!intersects(&[0, 1], &a));
    assert!(!intersects(&[], &[]));

    assert!(is_empty(&[]));
    assert!(is_empty(&[0, 0]));
    assert!(!is_empty(&[0, 1]));

    assert!(equal(&a, &[0b0110, 0]));
    assert!(equal(&[], &[0]));
    assert!(!equal(&a, &b));

    let mut dst = [u64::MAX; 3];
    and_into(&mut dst, &b, &[0b0101, u64::MAX, u64::MAX]);
    assert_eq!(dst, [0b0100, 0, 0]);
    let mut short = [u64::MAX; 1];
    and_into(&mut short, &[3, 3], &[1, 1]);
    assert_eq!(short, [1]);

    assert_eq!(weight(&[]), 0);
    assert_eq!(weight(&a), 2);
    assert_eq!(weight(&[u64::MAX, u64::MAX]), 128);
}
