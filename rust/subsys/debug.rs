// SPDX-License-Identifier: GPL-2.0

//! The `debug` subsystem: per-container counters for tests and debugging,
//! like the 2007 patch's `container_debug`.
//!
//! Files: `debug.taskcount`, the number of tasks directly in the container
//! (what the `tasks` file should list).

use crate::cftype::{Buf, CfType};
use crate::container::Container;
use crate::subsys::{CreateCtx, Subsys, SubsysId};
use core::sync::atomic::Ordering;
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The `debug` subsystem.
pub(crate) struct Debug;

impl Subsys for Debug {
    type State = ();
    const ID: SubsysId = SubsysId::Debug;
    const FILES: &'static [CfType] = &[CfType::ro(c_str!("taskcount"), taskcount_read)];

    fn create(_ctx: &CreateCtx<'_, ()>) -> Result<()> {
        Ok(())
    }
}

/// `debug.taskcount`.
fn taskcount_read(c: &Arc<Container>, out: &mut Buf) -> Result {
    let n = if c.is_root() {
        crate::files::task_count(c)?
    } else {
        c.nr_tasks.load(Ordering::Relaxed) as usize
    };
    out.fmt(format_args!("{n}\n"))
}
