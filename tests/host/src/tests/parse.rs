// SPDX-License-Identifier: GPL-2.0

//! Tests of `logic::parse`: numbers, PIDs, class ids, names and write limits.

use crate::logic::error::LogicError::{self, Exist, Invalid, Range, TooBig};
use crate::logic::parse::{
    check_write_len, is_space, parse_bool_u64, parse_classid, parse_classid_list, parse_pid,
    parse_u64, trim, validate_container_name, CLASSID_LIST_MAX,
};

#[test]
fn trim_strips_kernel_whitespace() {
    assert_eq!(trim(b""), b"");
    assert_eq!(trim(b"\n"), b"");
    assert_eq!(trim(b" \t\x0b\x0c\r\n"), b"");
    assert_eq!(trim(b"  12 \n"), b"12");
    assert_eq!(trim(b"1 2"), b"1 2");
    assert_eq!(trim(b"\x0b7\x0b"), b"7");
}

#[test]
fn is_space_matches_isspace() {
    for c in 0..=u8::MAX {
        let expected = matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
        assert_eq!(is_space(c), expected, "byte {c:#x}");
    }
}

#[test]
fn pid_accepts_decimal() {
    let ok: &[(&[u8], i32)] = &[
        (b"0", 0),
        (b"0\n", 0),
        (b"1", 1),
        (b"+1", 1),
        (b"42\n", 42),
        (b"  42  \n", 42),
        (b"010", 10),
        (b"-0", 0),
        (b"2147483647", i32::MAX),
        (b"00000000000000000000001", 1),
    ];
    for &(input, pid) in ok {
        assert_eq!(
            parse_pid(input),
            Ok(pid),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn pid_rejects_everything_else_as_invalid() {
    let bad: &[&[u8]] = &[
        b"",
        b"\n",
        b"   ",
        b"-1",
        b"-2147483648",
        b"2147483648",
        b"99999999999999999999999999",
        b"1 2",
        b"1,2",
        b"1\n2",
        b"12abc",
        b"abc",
        b"0x10",
        b"+",
        b"-",
        b"++1",
        b"+-1",
        b"-+1",
        b"1.0",
        b"1\0",
        b"\x001",
    ];
    for &input in bad {
        assert_eq!(
            parse_pid(input),
            Err(Invalid),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn u64_detects_the_base_like_kstrtoull() {
    let ok: &[(&[u8], u64)] = &[
        (b"0", 0),
        (b"00", 0),
        (b"+0", 0),
        (b"1\n", 1),
        (b"  7 ", 7),
        (b"10", 10),
        (b"010", 8),
        (b"0777", 0o777),
        (b"0x10", 16),
        (b"0X1f", 31),
        (b"0xdeadBEEF", 0xdead_beef),
        (b"+0x10", 16),
        (b"18446744073709551615", u64::MAX),
        (b"0xffffffffffffffff", u64::MAX),
        (b"01777777777777777777777", u64::MAX),
    ];
    for &(input, value) in ok {
        assert_eq!(
            parse_u64(input),
            Ok(value),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn u64_errors() {
    let cases: &[(&[u8], LogicError)] = &[
        (b"", Invalid),
        (b"\n", Invalid),
        (b"-1", Invalid),
        (b"-0", Invalid),
        (b"+", Invalid),
        (b"x", Invalid),
        (b"0x", Invalid),
        (b"0xg", Invalid),
        (b"08", Invalid),
        (b"1 2", Invalid),
        (b"12a", Invalid),
        (b"1\n\n2", Invalid),
        (b"18446744073709551616", Range),
        (b"0x10000000000000000", Range),
        (b"02000000000000000000000", Range),
        // All digits are consumed before the rest is looked at, so overflow wins over garbage.
        (b"99999999999999999999999x", Range),
    ];
    for &(input, err) in cases {
        assert_eq!(
            parse_u64(input),
            Err(err),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn bool_is_any_non_zero_number() {
    assert_eq!(parse_bool_u64(b"0\n"), Ok(false));
    assert_eq!(parse_bool_u64(b"00"), Ok(false));
    assert_eq!(parse_bool_u64(b"1\n"), Ok(true));
    assert_eq!(parse_bool_u64(b"2"), Ok(true));
    assert_eq!(parse_bool_u64(b"0x100"), Ok(true));
    assert_eq!(parse_bool_u64(b"yes"), Err(Invalid));
    assert_eq!(parse_bool_u64(b""), Err(Invalid));
    assert_eq!(parse_bool_u64(b"-1"), Err(Invalid));
    assert_eq!(parse_bool_u64(b"99999999999999999999"), Err(Range));
}

#[test]
fn classid_accepts_decimal_and_hex_handles() {
    assert_eq!(parse_classid(b"0\n"), Ok(0));
    assert_eq!(parse_classid(b"0x100001"), Ok(0x0010_0001));
    assert_eq!(parse_classid(b"0x10010\n"), Ok(0x10010));
    assert_eq!(parse_classid(b"1048577"), Ok(0x0010_0001));
    assert_eq!(parse_classid(b"4294967295"), Ok(u32::MAX));
    assert_eq!(parse_classid(b"0xffffffff"), Ok(u32::MAX));
}

#[test]
fn classid_rejects_out_of_range_and_garbage_as_invalid() {
    let bad: &[&[u8]] = &[
        b"",
        b"4294967296",
        b"0x100000000",
        b"18446744073709551616",
        b"-1",
        b"10:1",
        b"0x",
        b"abc",
        b"1 2",
    ];
    for &input in bad {
        assert_eq!(
            parse_classid(input),
            Err(Invalid),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

const RESERVED: &[&[u8]] = &[b"tasks", b"notify_on_release", b"cpuset.cpus"];

#[test]
fn container_names() {
    for &ok in &[
        &b"a"[..],
        b"web",
        b"...",
        b".a",
        b"a.",
        b"a b",
        b"tasks2",
        b"cpus",
        b"\xff",
    ] {
        assert_eq!(validate_container_name(ok, RESERVED), Ok(()), "{ok:?}");
    }
    for &bad in &[
        &b""[..],
        b".",
        b"..",
        b"a/b",
        b"/",
        b"a\nb",
        b"a\n",
        b"a\0b",
        b"\0",
    ] {
        assert_eq!(
            validate_container_name(bad, RESERVED),
            Err(Invalid),
            "{bad:?}"
        );
    }
    for &taken in RESERVED {
        assert_eq!(validate_container_name(taken, RESERVED), Err(Exist));
    }
    assert_eq!(validate_container_name(b"tasks", &[]), Ok(()));
    // The syntax rules come first: a bad name is never reported as taken.
    assert_eq!(validate_container_name(b"..", &[b".."]), Err(Invalid));
}

#[test]
fn write_length_limit() {
    assert_eq!(check_write_len(b"", 0), Ok(()));
    assert_eq!(check_write_len(b"1234", 4), Ok(()));
    assert_eq!(check_write_len(b"12345", 4), Err(TooBig));
}

/// Parses a list into a full-size buffer, returning the ids or the error.
fn classid_list(input: &[u8]) -> Result<Vec<u32>, LogicError> {
    let mut out = [0u32; CLASSID_LIST_MAX];
    let n = parse_classid_list(input, &mut out)?;
    Ok(out[..n].to_vec())
}

#[test]
fn classid_list_sorts_and_deduplicates() {
    assert_eq!(classid_list(b""), Ok(vec![]));
    assert_eq!(classid_list(b"\n"), Ok(vec![]));
    assert_eq!(classid_list(b" , \n"), Ok(vec![]));
    assert_eq!(
        classid_list(b"0x10012 65553,0x10012\n"),
        Ok(vec![0x10011, 0x10012])
    );
    assert_eq!(classid_list(b"3\t2\n1,0"), Ok(vec![0, 1, 2, 3]));
    assert_eq!(classid_list(b"0xffffffff 0"), Ok(vec![0, u32::MAX]));
}

#[test]
fn classid_list_rejects_garbage_and_overflow() {
    for input in [
        &b"1 garbage"[..],
        b"1:10",
        b"-1",
        b"0x100000000",
        b"1 2x",
        b"+",
    ] {
        assert_eq!(classid_list(input), Err(Invalid), "{input:?}");
    }
}

#[test]
fn classid_list_is_bounded() {
    let full: String = (0..CLASSID_LIST_MAX).map(|i| format!("{i} ")).collect();
    assert_eq!(
        classid_list(full.as_bytes()).map(|v| v.len()),
        Ok(CLASSID_LIST_MAX)
    );
    // Duplicates do not count.
    let dup = format!("{full} 0 1 2");
    assert_eq!(
        classid_list(dup.as_bytes()).map(|v| v.len()),
        Ok(CLASSID_LIST_MAX)
    );
    let over = format!("{full} {CLASSID_LIST_MAX}");
    assert_eq!(classid_list(over.as_bytes()), Err(TooBig));
    // A short buffer bounds the list too.
    let mut two = [0u32; 2];
    assert_eq!(parse_classid_list(b"1 2 3", &mut two), Err(TooBig));
    assert_eq!(parse_classid_list(b"2 1 2", &mut two), Ok(2));
    assert_eq!(two, [1, 2]);
}
