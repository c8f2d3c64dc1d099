//! The value formats of control files: CPU and node lists (`0-2,5`) and
//! tc class ids (`0x10010`, `1:10`), so values can be compared by meaning
//! (`0,1` and `0-1` are the same list).

use std::collections::BTreeSet;

/// Parses a list such as `0-2,5` (empty: no id). `None` if malformed.
pub fn parse_list(text: &str) -> Option<BTreeSet<u32>> {
    let mut ids = BTreeSet::new();
    let text = text.trim();
    if text.is_empty() {
        return Some(ids);
    }
    for part in text.split(',') {
        let part = part.trim();
        match part.split_once('-') {
            Some((lo, hi)) => {
                let lo: u32 = lo.trim().parse().ok()?;
                let hi: u32 = hi.trim().parse().ok()?;
                if lo > hi || hi - lo > 65_536 {
                    return None;
                }
                ids.extend(lo..=hi);
            }
            None => {
                ids.insert(part.parse().ok()?);
            }
        }
    }
    Some(ids)
}

/// Formats ids as the kernel prints lists: ascending ranges, `0-2,5`.
pub fn format_list(ids: &BTreeSet<u32>) -> String {
    let mut out = Vec::new();
    let mut iter = ids.iter().copied().peekable();
    while let Some(lo) = iter.next() {
        let mut hi = lo;
        while iter.peek() == Some(&(hi + 1)) {
            hi += 1;
            iter.next();
        }
        out.push(if lo == hi {
            lo.to_string()
        } else {
            format!("{lo}-{hi}")
        });
    }
    out.join(",")
}

/// Parses a class id as `net_flow.classid` takes it (decimal, `0x` hex)
/// or in tc's `major:minor` hex notation.
pub fn parse_classid(text: &str) -> Option<u32> {
    let text = text.trim();
    if let Some((major, minor)) = text.split_once(':') {
        let major = u16::from_str_radix(major, 16).ok()?;
        let minor = u16::from_str_radix(minor, 16).ok()?;
        return Some((u32::from(major) << 16) | u32::from(minor));
    }
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u32::from_str_radix(hex, 16).ok();
    }
    // A leading 0 is octal, as the kernel's kstrtouint() reads it.
    if text.len() > 1 && text.starts_with('0') {
        return u32::from_str_radix(&text[1..], 8).ok();
    }
    text.parse().ok()
}

/// A class id in tc's notation, `1:10`.
pub fn format_classid(id: u32) -> String {
    format!("{:x}:{:x}", id >> 16, id & 0xffff)
}

/// The form the kernel reads a value of `file` in: class ids written in
/// tc's notation (`1:10`) become hex (`0x10010`); anything else is kept.
pub fn kernel_form(file: &str, value: &str) -> String {
    let leaf = file.rsplit('.').next().unwrap_or(file);
    if (leaf == "classid" || leaf == "allowed") && value.contains(':') {
        let ids: Vec<String> = value
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(|id| match parse_classid(id) {
                Some(n) => format!("{n:#x}"),
                None => id.to_string(),
            })
            .collect();
        return ids.join(" ");
    }
    value.to_string()
}

/// Whether two values of `file` mean the same (lists and class ids are
/// compared by meaning, anything else as trimmed text).
pub fn same_value(file: &str, a: &str, b: &str) -> bool {
    let leaf = file.rsplit('.').next().unwrap_or(file);
    match leaf {
        "cpus" | "mems" | "effective_cpus" | "effective_mems" => {
            match (parse_list(a), parse_list(b)) {
                (Some(x), Some(y)) => x == y,
                _ => a.trim() == b.trim(),
            }
        }
        "classid" => match (parse_classid(a), parse_classid(b)) {
            (Some(x), Some(y)) => x == y,
            _ => a.trim() == b.trim(),
        },
        "allowed" => {
            let ids = |t: &str| {
                t.split([',', '\n', ' '])
                    .filter(|s| !s.trim().is_empty())
                    .map(parse_classid)
                    .collect::<Option<BTreeSet<u32>>>()
            };
            match (ids(a), ids(b)) {
                (Some(x), Some(y)) => x == y,
                _ => a.trim() == b.trim(),
            }
        }
        _ => a.trim() == b.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip() {
        let ids = parse_list("5, 0-2").unwrap();
        assert_eq!(format_list(&ids), "0-2,5");
        assert_eq!(format_list(&parse_list("").unwrap()), "");
        assert_eq!(format_list(&parse_list("3").unwrap()), "3");
    }

    #[test]
    fn bad_lists_are_refused() {
        for bad in ["a", "1-", "2-1", "1,,2", "-1", "0-4000000000"] {
            assert!(parse_list(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn class_ids() {
        assert_eq!(parse_classid("1:10"), Some(0x10010));
        assert_eq!(parse_classid("0x10010"), Some(0x10010));
        assert_eq!(parse_classid("65552"), Some(0x10010));
        assert_eq!(parse_classid("1:x"), None);
        assert_eq!(parse_classid("010"), Some(8));
        assert_eq!(parse_classid("0"), Some(0));
        assert_eq!(format_classid(0x10010), "1:10");
    }

    #[test]
    fn values_compare_by_meaning() {
        assert!(same_value("cpuset.cpus", "0,1", "0-1\n"));
        assert!(!same_value("cpuset.cpus", "0", "0-1"));
        assert!(same_value("net_flow.classid", "1:10", "65552"));
        assert!(same_value(
            "net_flow.allowed",
            "1:10,1:20",
            "0x10020\n0x10010\n"
        ));
        assert!(same_value("notify_on_release", "1\n", "1"));
        assert!(!same_value("notify_on_release", "0", "1"));
    }
}
