// SPDX-License-Identifier: GPL-2.0

//! CPU and memory-node lists on plain bitmaps.
//!
//! A bitmap is a slice of `u64` words: bit `j` of word `i` stands for CPU (or node) `64 * i + j`.
//! Functions that take `nbits` ignore every bit at or above it, which lets the caller pass
//! `nr_cpu_ids` or `MAX_NUMNODES` while keeping the storage word-sized. The set helpers treat words
//! missing from the shorter slice as zero, so masks of different lengths compare as sets.
//!
//! The text form is the kernel's list format (`cpulist_parse()` / `%*pbl`), e.g. `0-3,8,10-11`.

use core::fmt;

use super::error::LogicError;
use super::parse::trim;

/// Bits per bitmap word.
const WORD_BITS: usize = 64;

/// Returns how many words a bitmap of `nbits` bits needs.
pub(crate) const fn words(nbits: usize) -> usize {
    nbits.div_ceil(WORD_BITS)
}

/// Returns the number of bits `mask` can hold, capped at `nbits`.
///
/// Capping lets a caller pass a storage slice shorter than `nbits` without any bit being written
/// or read out of bounds.
fn limit(mask_words: usize, nbits: usize) -> usize {
    nbits.min(mask_words.saturating_mul(WORD_BITS))
}

/// Converts a bit count of a word to `usize`.
///
/// The value is at most 64, so the conversion cannot fail on any target Linux supports; saturating
/// keeps the callers' range checks correct even if it did.
fn to_usize(v: u32) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Returns whether `bit` is set in `mask`; bits outside the slice are clear.
pub(crate) fn test_bit(mask: &[u64], bit: usize) -> bool {
    mask.get(bit / WORD_BITS)
        .is_some_and(|w| w & (1u64 << (bit % WORD_BITS)) != 0)
}

/// Sets `len` bits of `mask` starting at `start`; bits outside the slice are dropped.
fn set_range(mask: &mut [u64], start: usize, len: usize) {
    let end = start.saturating_add(len);
    let mut bit = start;
    while bit < end {
        let off = bit % WORD_BITS;
        let n = (WORD_BITS - off).min(end - bit);
        let bits = if n == WORD_BITS {
            u64::MAX
        } else {
            ((1u64 << n) - 1) << off
        };
        match mask.get_mut(bit / WORD_BITS) {
            Some(w) => *w |= bits,
            None => return,
        }
        bit += n;
    }
}

/// Returns the first bit at or after `from` and below `limit` that is set (or clear, if `set` is
/// false), or `limit` if there is none.
fn find_next(mask: &[u64], limit: usize, from: usize, set: bool) -> usize {
    let mut bit = from;
    while bit < limit {
        let word = mask.get(bit / WORD_BITS).copied().unwrap_or(0);
        let word = if set { word } else { !word };
        let rest = word >> (bit % WORD_BITS);
        if rest != 0 {
            return bit
                .saturating_add(to_usize(rest.trailing_zeros()))
                .min(limit);
        }
        bit = (bit / WORD_BITS + 1).saturating_mul(WORD_BITS);
    }
    limit
}

/// One entry of a list: `start-end:used/group`, where plain `N` and `N-M` use the whole range.
struct Region {
    /// First bit of the range.
    start: usize,
    /// Last bit of the range, inclusive.
    end: usize,
    /// Bits set at the start of each group.
    used: usize,
    /// Distance between the starts of two groups.
    group: usize,
}

/// Parses a number of a list entry, returning it and the unparsed rest.
///
/// `N` stands for the last valid bit, as in `bitmap_parselist()`; `last` is `None` for an empty
/// bitmap, where `N` names no bit at all. A number too large for `usize` cannot be a valid bit
/// either, so overflow is [`LogicError::Range`] (the kernel's `EOVERFLOW` case).
fn parse_num(s: &[u8], last: Option<usize>) -> Result<(usize, &[u8]), LogicError> {
    if let Some(rest) = s.strip_prefix(b"N") {
        return Ok((last.ok_or(LogicError::Range)?, rest));
    }
    let len = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    let (digits, rest) = s.split_at(len);
    if digits.is_empty() {
        return Err(LogicError::Invalid);
    }
    let mut value: usize = 0;
    for &c in digits {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(usize::from(c - b'0')))
            .ok_or(LogicError::Range)?;
    }
    Ok((value, rest))
}

/// Parses one list entry (already trimmed) into a [`Region`], without range checks.
fn parse_region(s: &[u8], last: Option<usize>) -> Result<Region, LogicError> {
    let (start, end, rest) = match s {
        [b'a' | b'A', b'l' | b'L', b'l' | b'L', rest @ ..] => {
            (0, last.ok_or(LogicError::Range)?, rest)
        }
        _ => {
            let (start, rest) = parse_num(s, last)?;
            match rest.strip_prefix(b"-") {
                Some(rest) => {
                    let (end, rest) = parse_num(rest, last)?;
                    (start, end, rest)
                }
                None if rest.is_empty() => (start, start, rest),
                None => return Err(LogicError::Invalid),
            }
        }
    };
    if rest.is_empty() {
        // Without a pattern the whole range is one group.
        let len = end.saturating_sub(start).saturating_add(1);
        return Ok(Region {
            start,
            end,
            used: len,
            group: len,
        });
    }
    let rest = rest.strip_prefix(b":").ok_or(LogicError::Invalid)?;
    let (used, rest) = parse_num(rest, last)?;
    let rest = rest.strip_prefix(b"/").ok_or(LogicError::Invalid)?;
    let (group, rest) = parse_num(rest, last)?;
    if !rest.is_empty() {
        return Err(LogicError::Invalid);
    }
    Ok(Region {
        start,
        end,
        used,
        group,
    })
}

/// Checks a region the way `bitmap_check_region()` does: shape first, then range.
fn check_region(r: &Region, nbits: usize) -> Result<(), LogicError> {
    // A pattern that selects nothing (`:0/4`) is refused, unlike in the kernel, because it can
    // only be a typo.
    if r.start > r.end || r.group == 0 || r.used == 0 || r.used > r.group {
        return Err(LogicError::Invalid);
    }
    if r.end >= nbits {
        return Err(LogicError::Range);
    }
    Ok(())
}

/// Sets the bits of a checked region in `out`.
fn set_region(r: &Region, out: &mut [u64]) {
    let mut start = r.start;
    while start <= r.end {
        set_range(out, start, (r.end - start + 1).min(r.used));
        match start.checked_add(r.group) {
            Some(next) => start = next,
            None => break,
        }
    }
}

/// Parses every entry of `input` into `out`, which must be zero on entry.
fn parse_entries(input: &[u8], nbits: usize, out: &mut [u64]) -> Result<(), LogicError> {
    let input = trim(input);
    if input.is_empty() {
        return Ok(());
    }
    let last = nbits.checked_sub(1);
    for entry in input.split(|&c| c == b',') {
        let entry = trim(entry);
        if entry.is_empty() {
            return Err(LogicError::Invalid);
        }
        let region = parse_region(entry, last)?;
        check_region(&region, nbits)?;
        set_region(&region, out);
    }
    Ok(())
}

/// Parses a CPU or node list such as `0-3,8` into the bitmap `out`.
///
/// The accepted format is that of the kernel's `bitmap_parselist()`: comma-separated entries, each
/// `N`, `N-M` or `N-M:used/group` (from every `group` bits starting at `N`, set the first `used`;
/// `0-7:2/4` is `0-1,4-5`). The token `N` may stand for the last valid bit and `all` for
/// `0-N`. Whitespace around the whole list and around each entry is ignored, so a trailing newline
/// is fine and an empty or blank write is the empty set.
///
/// Errors, checked entry by entry from the left:
/// - [`LogicError::Invalid`]: malformed entry (`a`, `1-`, `3-1`, `1,,2`, `1 2`, `0-7:5/4`,
///   `0-7:2/0`), including a pattern selecting no bit (`0-7:0/4`), which the kernel accepts.
/// - [`LogicError::Range`]: a bit at or above `nbits`, or at or above `64 * out.len()`.
///
/// `out` is cleared first and is all-zero again on error, so a failed write never leaves a
/// partial mask behind.
pub(crate) fn parse_list(input: &[u8], nbits: usize, out: &mut [u64]) -> Result<(), LogicError> {
    out.fill(0);
    let nbits = limit(out.len(), nbits);
    let result = parse_entries(input, nbits, out);
    if result.is_err() {
        out.fill(0);
    }
    result
}

/// Writes the bits of `mask` below `nbits` in the canonical list form, e.g. `0-2,5,7-9`.
///
/// Runs of two or more bits become `start-end`. The empty set writes nothing, and no newline is
/// added, so the caller decides how the line ends (show handlers append `\n`).
pub(crate) fn format_list(mask: &[u64], nbits: usize, w: &mut impl fmt::Write) -> fmt::Result {
    let limit = limit(mask.len(), nbits);
    let mut sep = "";
    let mut bit = find_next(mask, limit, 0, true);
    while bit < limit {
        // `bit` is set, so the next clear bit lies past it and `end` cannot underflow.
        let end = find_next(mask, limit, bit, false) - 1;
        if end == bit {
            write!(w, "{sep}{bit}")?;
        } else {
            write!(w, "{sep}{bit}-{end}")?;
        }
        sep = ",";
        bit = find_next(mask, limit, end + 1, true);
    }
    Ok(())
}

/// Returns word `i` of `mask`, or zero past its end.
pub(crate) fn word(mask: &[u64], i: usize) -> u64 {
    mask.get(i).copied().unwrap_or(0)
}

/// Returns whether every bit of `a` is also set in `b`; equivalent to `cpumask_subset()`.
pub(crate) fn is_subset(a: &[u64], b: &[u64]) -> bool {
    a.iter().enumerate().all(|(i, &w)| w & !word(b, i) == 0)
}

/// Returns whether `a` and `b` share a bit; equivalent to `cpumask_intersects()`.
pub(crate) fn intersects(a: &[u64], b: &[u64]) -> bool {
    a.iter().enumerate().any(|(i, &w)| w & word(b, i) != 0)
}

/// Returns whether no bit of `a` is set; equivalent to `cpumask_empty()`.
pub(crate) fn is_empty(a: &[u64]) -> bool {
    a.iter().all(|&w| w == 0)
}

/// Returns whether `a` and `b` hold the same bits; equivalent to `cpumask_equal()`.
pub(crate) fn equal(a: &[u64], b: &[u64]) -> bool {
    is_subset(a, b) && is_subset(b, a)
}

/// Stores `a & b` in every word of `dst`; equivalent to `cpumask_and()`.
pub(crate) fn and_into(dst: &mut [u64], a: &[u64], b: &[u64]) {
    for (i, d) in dst.iter_mut().enumerate() {
        *d = word(a, i) & word(b, i);
    }
}

/// Returns the number of bits set in `a`; equivalent to `cpumask_weight()`.
pub(crate) fn weight(a: &[u64]) -> u32 {
    a.iter()
        .fold(0u32, |acc, w| acc.saturating_add(w.count_ones()))
}
