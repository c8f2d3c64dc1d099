// SPDX-License-Identifier: GPL-2.0

//! Raw C bindings: `kernel::bindings` plus what Linux 6.12 lacks there.
//!
//! The items generated from `rust/bindings_helper.h` (see
//! `rust/bindgen_parameters`) shadow the glob import of `kernel::bindings`,
//! so a C type has one Rust identity whichever side declares it.

#![allow(
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]

pub(crate) use kernel::bindings::*;
use kernel::ffi;

include!("../bindings_generated.rs");
