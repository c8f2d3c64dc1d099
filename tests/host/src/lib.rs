// SPDX-License-Identifier: GPL-2.0

//! Host tests for the pure logic of the task containers module.
//!
//! The files under `rust/logic/` are compiled here unchanged, so what is tested is what the module
//! runs. They are included through an inline module carrying `#[path]`: a file loaded with
//! `#[path]` directly would resolve its own `mod` declarations next to itself, not in
//! `rust/logic/`, whereas a `mod logic;` inside an inline module resolves like the kernel build.
//! The tests live in `src/tests/`, not in the shared files, because the items are `pub(crate)`.

// Outside `cfg(test)` nothing calls the logic, because only the module does; in the test build
// every item must be reached by a test, or `dead_code` points at the untested one.
#![cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the logic is only called by the kernel module and the tests"
    )
)]

/// The module's `rust/` directory, holding the shared logic files.
#[path = "../../../rust"]
mod kernel_src {
    pub(crate) mod logic;
}

#[cfg(test)]
use kernel_src::logic;

#[cfg(test)]
mod tests;
