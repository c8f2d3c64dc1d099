// SPDX-License-Identifier: GPL-2.0

//! Unit and property tests of the shared logic, one file per logic module.

mod cpulist;
mod cpuset_rules;
mod options;
mod parse;
mod props;

/// Formats a value with a `fmt::Write`-based formatter into a `String`.
fn render(f: impl FnOnce(&mut String) -> core::fmt::Result) -> String {
    let mut s = String::new();
    f(&mut s).expect("writing to a String cannot fail");
    s
}
