// SPDX-License-Identifier: GPL-2.0

//! Parsers for control-file writes and for container names.
//!
//! Every parser takes the bytes exactly as user space wrote them. Surrounding ASCII whitespace,
//! including the trailing newline that `echo` adds, is ignored, as the cgroup write path does with
//! `strstrip()` before calling `kstrto*()`. Whitespace inside a value is an error.

use super::error::LogicError;

/// Returns whether `c` is whitespace in the sense of the kernel's `isspace()`.
///
/// This differs from [`u8::is_ascii_whitespace`], which does not count the vertical tab.
pub(crate) const fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Strips leading and trailing whitespace, like the kernel's `strstrip()`.
pub(crate) fn trim(buf: &[u8]) -> &[u8] {
    let start = buf.iter().position(|&c| !is_space(c)).unwrap_or(buf.len());
    let end = buf
        .iter()
        .rposition(|&c| !is_space(c))
        .map_or(start, |i| i + 1);
    buf.get(start..end).unwrap_or(&[])
}

/// Rejects a write longer than `max` bytes with [`LogicError::TooBig`].
///
/// This mirrors the `max_write_len` limit of cgroup control files: the whole write is refused
/// instead of being parsed in pieces, so a value is never half applied.
pub(crate) fn check_write_len(buf: &[u8], max: usize) -> Result<(), LogicError> {
    if buf.len() > max {
        return Err(LogicError::TooBig);
    }
    Ok(())
}

/// Returns the value of an ASCII digit in bases up to 16, or `None` for any other byte.
fn digit_value(c: u8) -> Option<u64> {
    let v = match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => return None,
    };
    Some(u64::from(v))
}

/// Parses the longest prefix of digits of `s` in `radix`, like the kernel's `_parse_integer()`.
///
/// Returns the value and the unparsed rest. No digit at all is [`LogicError::Invalid`] and a value
/// that does not fit in a `u64` is [`LogicError::Range`]. Overflow wins over trailing garbage, as
/// in `_kstrtoull()`, because all digits are consumed before either is checked.
fn parse_digits(s: &[u8], radix: u64) -> Result<(u64, &[u8]), LogicError> {
    let len = s
        .iter()
        .position(|&c| digit_value(c).map_or(true, |d| d >= radix))
        .unwrap_or(s.len());
    let (digits, rest) = s.split_at(len);
    if digits.is_empty() {
        return Err(LogicError::Invalid);
    }
    let mut value: u64 = 0;
    for &c in digits {
        let d = digit_value(c).ok_or(LogicError::Invalid)?;
        value = value
            .checked_mul(radix)
            .and_then(|v| v.checked_add(d))
            .ok_or(LogicError::Range)?;
    }
    Ok((value, rest))
}

/// Picks the radix for base 0, like the kernel's `_parse_integer_fixup_radix()`.
///
/// `0x` followed by a hex digit selects hex, any other leading `0` selects octal, anything else
/// decimal. A bare `0x` therefore parses as octal `0` followed by garbage, as in the kernel.
fn auto_radix(s: &[u8]) -> (u64, &[u8]) {
    match s {
        [b'0', b'x' | b'X', rest @ ..] if rest.first().is_some_and(u8::is_ascii_hexdigit) => {
            (16, rest)
        }
        [b'0', ..] => (8, s),
        _ => (10, s),
    }
}

/// Parses an unsigned number with `kstrtoull(buf, 0, ..)` semantics.
///
/// An optional leading `+` is allowed and the base is detected from the prefix (`0x` hex, `0`
/// octal, otherwise decimal). Garbage, an empty value or a sign other than `+` gives
/// [`LogicError::Invalid`]; a value above `u64::MAX` gives [`LogicError::Range`].
pub(crate) fn parse_u64(buf: &[u8]) -> Result<u64, LogicError> {
    let s = trim(buf);
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let (radix, s) = auto_radix(s);
    let (value, rest) = parse_digits(s, radix)?;
    if !rest.is_empty() {
        return Err(LogicError::Invalid);
    }
    Ok(value)
}

/// Parses a flag file such as `notify_on_release`: any non-zero number means `true`.
///
/// This is the cgroup `write_u64` convention, so the errors are those of [`parse_u64`].
pub(crate) fn parse_bool_u64(buf: &[u8]) -> Result<bool, LogicError> {
    Ok(parse_u64(buf)? != 0)
}

/// Parses one PID written to a `tasks` file, in decimal with `kstrtoint()` semantics.
///
/// `0` means the writing task itself. A negative value, a value above `i32::MAX`, garbage, an
/// empty write or more than one number (`"1 2"`) give [`LogicError::Invalid`]: cgroup v1 reports
/// every parse failure of a `tasks` write as `EINVAL`, overflow included. `"-0"` is `0`, as with
/// `kstrtoint()`.
pub(crate) fn parse_pid(buf: &[u8]) -> Result<i32, LogicError> {
    let s = trim(buf);
    let (negative, s) = match s.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix(b"+").unwrap_or(s)),
    };
    let (value, rest) = parse_digits(s, 10).map_err(|_| LogicError::Invalid)?;
    if !rest.is_empty() || (negative && value != 0) {
        return Err(LogicError::Invalid);
    }
    i32::try_from(value).map_err(|_| LogicError::Invalid)
}

/// Parses a traffic-control class handle for `net_flow.classid`.
///
/// The value is read like the kernel's `net_cls.classid`, with [`parse_u64`] (so `0x10001`, which
/// `tc` writes as `10:1`, and plain decimal both work). Unlike `net_cls`, which silently truncates
/// to 32 bits, a value that does not fit in a `u32` is refused, and so is overflow: both give
/// [`LogicError::Invalid`], like any other malformed handle.
pub(crate) fn parse_classid(buf: &[u8]) -> Result<u32, LogicError> {
    let value = parse_u64(buf).map_err(|_| LogicError::Invalid)?;
    u32::try_from(value).map_err(|_| LogicError::Invalid)
}

/// Most class ids a `net_flow.allowed` list holds.
pub(crate) const CLASSID_LIST_MAX: usize = 32;

/// Parses a `net_flow.allowed` list into `out`, sorted and without duplicates, and returns how
/// many class ids it holds.
///
/// The class ids are read as [`parse_classid`] reads one, separated by any run of whitespace or
/// commas; an empty list (an empty write, or just a newline) is valid. A malformed class id gives
/// [`LogicError::Invalid`], more than `out.len()` distinct class ids [`LogicError::TooBig`]. On
/// error the contents of `out` are unspecified.
pub(crate) fn parse_classid_list(buf: &[u8], out: &mut [u32]) -> Result<usize, LogicError> {
    let mut len = 0;
    for token in buf
        .split(|&c| is_space(c) || c == b',')
        .filter(|t| !t.is_empty())
    {
        let id = parse_classid(token)?;
        let sorted = out.get_mut(..len).ok_or(LogicError::Invalid)?;
        let Err(at) = sorted.binary_search(&id) else {
            continue;
        };
        if len == out.len() {
            return Err(LogicError::TooBig);
        }
        len += 1;
        let grown = out.get_mut(at..len).ok_or(LogicError::Invalid)?;
        grown.rotate_right(1);
        if let Some(slot) = grown.first_mut() {
            *slot = id;
        }
    }
    Ok(len)
}

/// Checks the name given to `mkdir` for a new container.
///
/// The name is checked as the VFS hands it over, without trimming. An empty name, `.`, `..`, or a
/// name containing `/`, a newline or a NUL byte gives [`LogicError::Invalid`]; the newline rule
/// matches cgroup, whose `/proc/<pid>/cgroup` lines would otherwise be ambiguous. A name equal to
/// one of the `reserved` control-file names of the parent directory gives [`LogicError::Exist`],
/// because that directory entry is already taken.
pub(crate) fn validate_container_name(name: &[u8], reserved: &[&[u8]]) -> Result<(), LogicError> {
    if name.is_empty()
        || name == b"."
        || name == b".."
        || name.iter().any(|&c| matches!(c, b'/' | b'\n' | 0))
    {
        return Err(LogicError::Invalid);
    }
    if reserved.contains(&name) {
        return Err(LogicError::Exist);
    }
    Ok(())
}
