// SPDX-License-Identifier: GPL-2.0

//! A minimal task-containers subsystem, explained line by line.
//!
//! Built into `container.ko` when `CONFIG_TASK_CONTAINERS_SAMPLE=y` (in a
//! kernel tree: the Kconfig option; out of tree:
//! `make module CONFIG_TASK_CONTAINERS_SAMPLE=y`), as the `sample`
//! subsystem. Bind it to a hierarchy like any other:
//!
//! ```text
//! mount -t container -o sample none /mnt
//! mkdir /mnt/jobs
//! echo $$ > /mnt/jobs/tasks
//! cat /mnt/jobs/sample.attaches     # 1: one task moved in
//! sh -c true; cat /mnt/jobs/sample.forks     # 1: one task forked inside
//! echo 1 > /mnt/jobs/sample.locked
//! echo 1 > /mnt/jobs/tasks          # EPERM: the container is locked
//! ```
//!
//! It counts the tasks forked in each container and the tasks moved into
//! it, and can refuse moves. That covers the three things most subsystems
//! do: keep per-container state, show it in control files, and take part
//! in the task hooks (including vetoing a move).
//!
//! To write your own, copy this file to `rust/subsys/<name>.rs`, then
//! register it with one line of the `subsystems!` table in `rust/subsys.rs`
//! and give it a Kconfig option. See
//! `Documentation/subsystem-api.rst` for the context each hook runs in.

// A subsystem is safe Rust: it sees tasks as `&Task` and containers as
// `&Arc<Container>`, and never touches raw pointers (`make check` fails on
// `unsafe` outside `rust/ffi/` and `rust/vfs/`).
use crate::cftype::{errno, Buf, CfType};
use crate::container::Container;
use crate::ffi::opener::Opener;
use crate::ffi::task::Task;
use crate::logic::parse::parse_bool_u64;
use crate::subsys::{CreateCtx, Subsys, SubsysId};
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::sync::Arc;

/// The subsystem itself: a type with no data. Everything it knows lives in
/// the per-container state below; the type only carries the hooks.
pub(crate) struct Sample;

/// The per-container state (the *css*). The core creates one per container
/// with [`Subsys::create`], keeps it behind an `Arc` for the container's
/// life, and hands it back to every hook and file handler.
///
/// Hooks run concurrently (the fork hook on any CPU, file writes from any
/// task), so every field that changes is an atomic: the state is shared,
/// never `&mut`.
pub(crate) struct SampleState {
    /// Tasks forked while their parent was in this container.
    forks: AtomicU64,
    /// Tasks moved into this container.
    attaches: AtomicU64,
    /// Whether moves into this container are refused.
    locked: AtomicBool,
}

/// `#[vtable]` (the kernel crate's, as on the trait) records which hooks
/// this implementation has: the core does not call the fork and exit hooks
/// of a subsystem that lacks them.
#[vtable]
impl Subsys for Sample {
    /// Tells the core which state type to create and downcast to.
    type State = SampleState;

    /// The registry entry: the id fixes the bit in mount masks and the
    /// name (`"sample"`, from `SubsysId::name()`) used in `-o sample` and
    /// as the file prefix.
    const ID: SubsysId = SubsysId::Sample;

    /// The control files of every container of the hierarchy. Each is a
    /// name and handlers typed by this subsystem's state; the core adds the
    /// `sample.` prefix (unless the hierarchy is mounted with `noprefix`),
    /// creates the files at `mkdir`, and routes reads and writes here with
    /// the container's `SampleState`. A file with only a read handler is
    /// read-only (mode 0444).
    const FILES: &'static [CfType<SampleState>] = &[
        CfType::ro(c_str!("forks"), forks_read),
        CfType::ro(c_str!("attaches"), attaches_read),
        CfType::rw(c_str!("locked"), locked_read, locked_write),
    ];

    /// `mkdir` (and mounting, for the root): build the new container's
    /// state. Process context, registry mutex held, may sleep and
    /// allocate. `ctx.parent` is the parent's state (`None` for the root);
    /// `ctx.clone_children` asks to copy the parent's configuration, which
    /// here means the `locked` flag. Returning an error makes `mkdir` fail
    /// with it, after the subsystems created before this one are undone.
    fn create(ctx: &CreateCtx<'_, SampleState>) -> Result<SampleState> {
        let locked =
            ctx.clone_children && ctx.parent.is_some_and(|p| p.locked.load(Ordering::Relaxed));
        Ok(SampleState {
            forks: AtomicU64::new(0),
            attaches: AtomicU64::new(0),
            locked: AtomicBool::new(locked),
        })
    }

    /// A task is about to move in. Process context, registry mutex held.
    /// Refusing returns the errno to the writer of `tasks`; the subsystems
    /// that already agreed get `cancel_attach`, and the task does not move
    /// in any subsystem.
    fn can_attach(state: &SampleState, _task: &Task) -> Result {
        if state.locked.load(Ordering::Relaxed) {
            return Err(EPERM);
        }
        Ok(())
    }

    /// The task has moved in (from the container with `_old`). Process
    /// context, registry mutex held, may sleep. Cannot fail: everything
    /// that can fail belongs in `can_attach`.
    fn attach(state: &SampleState, _old: &SampleState, _task: &Task) {
        state.attaches.fetch_add(1, Ordering::Relaxed);
    }

    /// A task forked in this container. Atomic context (a tracepoint probe
    /// with preemption off, the membership spinlock held): no sleeping, no
    /// `GFP_KERNEL`. The child has not run yet.
    fn fork(state: &SampleState, _child: &Task) {
        state.forks.fetch_add(1, Ordering::Relaxed);
    }

    // `populate`, `destroy`, `cancel_attach` and `exit` are not needed
    // here: the trait's defaults are successful no-ops.
}

/// Reads `sample.forks`. Read handlers get this subsystem's state in the
/// container (the core finds it: its states are type-erased) and the
/// container itself, and append to `out`; the core serves the whole
/// buffer, so `read(2)` at any offset and `cat` just work.
fn forks_read(state: &SampleState, _c: &Arc<Container>, out: &mut Buf) -> Result {
    let n = state.forks.load(Ordering::Relaxed);
    out.fmt(format_args!("{n}\n"))
}

/// Reads `sample.attaches`.
fn attaches_read(state: &SampleState, _c: &Arc<Container>, out: &mut Buf) -> Result {
    let n = state.attaches.load(Ordering::Relaxed);
    out.fmt(format_args!("{n}\n"))
}

/// Reads `sample.locked`.
fn locked_read(state: &SampleState, _c: &Arc<Container>, out: &mut Buf) -> Result {
    let v = state.locked.load(Ordering::Relaxed);
    out.fmt(format_args!("{}\n", u8::from(v)))
}

/// Writes `sample.locked`: any number, non-zero meaning 1, as
/// `notify_on_release`. The bytes are exactly what user space wrote (at
/// most the file's size limit, 64 bytes by default); parse them with the
/// host-tested parsers of `rust/logic/`, whose errors map to errnos
/// (`EINVAL` for garbage), and change nothing on error. A permission check
/// asks the [`Opener`] (the credentials the file was opened with, as
/// `opener.capable(Cap::SysAdmin)`), never the writing task.
fn locked_write(
    state: &SampleState,
    _c: &Arc<Container>,
    _opener: &Opener<'_>,
    buf: &[u8],
) -> Result {
    let v = parse_bool_u64(buf).map_err(errno)?;
    state.locked.store(v, Ordering::Relaxed);
    Ok(())
}
