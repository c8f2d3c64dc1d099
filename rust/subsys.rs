// SPDX-License-Identifier: GPL-2.0

//! Subsystems: the API each one implements, and the registry of them.
//!
//! A subsystem attaches behaviour to the containers of the hierarchy it is
//! bound to. It keeps per-container state (its *css*, "container subsystem
//! state") created by [`Subsys::create`] and told about tasks entering and
//! leaving by the attach, fork and exit hooks. The set of subsystems is fixed
//! at build time ([`SubsysId`]); each is bound to at most one hierarchy.
//!
//! # Hook context
//!
//! | hook | context | locks held |
//! |---|---|---|
//! | `create`, `populate`, `destroy` | process, may sleep | registry mutex |
//! | `can_attach`, `cancel_attach`, `attach` | process, may sleep | registry mutex |
//! | `fork`, `exit` | atomic (tracepoint probe, preemption off), must not sleep or allocate with `GFP_KERNEL` | membership spinlock |

use crate::cftype::CfType;
use crate::ffi::task::Task;
use core::any::Any;
use kernel::prelude::*;
use kernel::sync::Arc;

pub(crate) mod debug;

/// The subsystems this module knows, in registry (and bit) order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum SubsysId {
    /// CPU placement (`cpuset`).
    Cpuset = 0,
    /// Memory node placement (`memset`).
    Memset = 1,
    /// Network flow (traffic class) id (`net_flow`).
    NetFlow = 2,
    /// Counters for tests and debugging (`debug`).
    Debug = 3,
}

/// Number of subsystems.
pub(crate) const NR_SUBSYS: usize = 4;

impl SubsysId {
    /// Every subsystem, in registry order.
    pub(crate) const ALL: [SubsysId; NR_SUBSYS] = [
        SubsysId::Cpuset,
        SubsysId::Memset,
        SubsysId::NetFlow,
        SubsysId::Debug,
    ];

    /// The subsystem's index in per-container arrays.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// The subsystem's bit in a hierarchy's subsystem mask.
    pub(crate) const fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The subsystem with bit index `index`, if any.
    pub(crate) fn from_index(index: u32) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|id| id.index() as u32 == index)
    }

    /// The subsystem's operations.
    pub(crate) fn ops(self) -> &'static dyn SubsysOps {
        match self {
            SubsysId::Cpuset => &Placeholder::<{ SubsysId::Cpuset as u8 }>,
            SubsysId::Memset => &Placeholder::<{ SubsysId::Memset as u8 }>,
            SubsysId::NetFlow => &Placeholder::<{ SubsysId::NetFlow as u8 }>,
            SubsysId::Debug => &Adapter::<debug::Debug>::NEW,
        }
    }

    /// The subsystem's name, as used in mount options and file prefixes.
    pub(crate) fn name(self) -> &'static str {
        match self {
            SubsysId::Cpuset => "cpuset",
            SubsysId::Memset => "memset",
            SubsysId::NetFlow => "net_flow",
            SubsysId::Debug => "debug",
        }
    }
}

/// Mask with every subsystem's bit set.
pub(crate) const ALL_MASK: u32 = (1 << NR_SUBSYS) - 1;

/// Maps a subsystem name (a mount option) to its bit index.
pub(crate) fn lookup(name: &[u8]) -> Option<u32> {
    SubsysId::ALL
        .iter()
        .find(|id| id.name().as_bytes() == name)
        .map(|id| id.index() as u32)
}

/// Maps a bit index back to the subsystem's name.
pub(crate) fn name_of(index: u32) -> Option<&'static str> {
    SubsysId::from_index(index).map(SubsysId::name)
}

/// What [`Subsys::create`] gets to build a new container's state.
#[expect(
    dead_code,
    reason = "read by the cpuset and memset subsystems (issue 4)"
)]
pub(crate) struct CreateCtx<'a, S> {
    /// The parent container's state; `None` for a hierarchy's root.
    pub(crate) parent: Option<&'a S>,
    /// The parent's `container.clone_children`: copy its configuration.
    pub(crate) clone_children: bool,
}

/// A subsystem: per-container state plus hooks. See the module docs for the
/// context each hook runs in. Only `create` is mandatory; the other hooks
/// default to successful no-ops.
pub(crate) trait Subsys: Sync + 'static {
    /// Per-container state (the css).
    type State: Send + Sync + 'static;
    /// Which subsystem this is.
    const ID: SubsysId;
    /// Control files created in every container of the hierarchy.
    const FILES: &'static [CfType];

    /// Builds the state of a new container. Registry mutex held; may sleep.
    fn create(ctx: &CreateCtx<'_, Self::State>) -> Result<Self::State>;

    /// Called once the container's directory and files exist.
    fn populate(_state: &Self::State) -> Result {
        Ok(())
    }

    /// Called when the container is removed, before its state is dropped.
    fn destroy(_state: &Self::State) {}

    /// May veto moving `task` into a container with `state`.
    fn can_attach(_state: &Self::State, _task: &Task) -> Result {
        Ok(())
    }

    /// Undoes `can_attach` when another subsystem vetoed the move.
    fn cancel_attach(_state: &Self::State, _task: &Task) {}

    /// `task` has moved into the container with `state`.
    fn attach(_state: &Self::State, _task: &Task) {}

    /// `child` was forked into the container with `state`. Atomic context.
    fn fork(_state: &Self::State, _child: &Task) {}

    /// `task` is exiting from the container with `state`. Atomic context.
    fn exit(_state: &Self::State, _task: &Task) {}
}

/// A subsystem's per-container state, type-erased for the container.
///
/// # Invariants
///
/// `state` was created by the [`SubsysOps`] of subsystem `id`.
pub(crate) struct Css {
    /// The subsystem the state belongs to.
    id: SubsysId,
    /// The subsystem's `State`.
    state: Arc<dyn Any + Send + Sync>,
}

impl Css {
    /// The subsystem this state belongs to.
    pub(crate) fn id(&self) -> SubsysId {
        self.id
    }

    /// The state as the subsystem's own type.
    pub(crate) fn get<T: 'static>(&self) -> Option<&T> {
        (*self.state).downcast_ref::<T>()
    }
}

/// Object-safe form of [`Subsys`], used by the core through [`SubsysId::ops`].
pub(crate) trait SubsysOps: Sync {
    /// Control files of the subsystem.
    fn files(&self) -> &'static [CfType];
    /// See [`Subsys::create`].
    fn create(&self, parent: Option<&Css>, clone_children: bool) -> Result<Css>;
    /// See [`Subsys::populate`].
    fn populate(&self, css: &Css) -> Result;
    /// See [`Subsys::destroy`].
    fn destroy(&self, css: &Css);
    /// See [`Subsys::can_attach`].
    fn can_attach(&self, css: &Css, task: &Task) -> Result;
    /// See [`Subsys::cancel_attach`].
    fn cancel_attach(&self, css: &Css, task: &Task);
    /// See [`Subsys::attach`].
    fn attach(&self, css: &Css, task: &Task);
    /// See [`Subsys::fork`].
    fn fork(&self, css: &Css, child: &Task);
    /// See [`Subsys::exit`].
    fn exit(&self, css: &Css, task: &Task);
}

/// Turns a typed [`Subsys`] into [`SubsysOps`].
pub(crate) struct Adapter<S>(core::marker::PhantomData<S>);

impl<S> Adapter<S> {
    /// The adapter (a zero-sized value).
    pub(crate) const NEW: Self = Self(core::marker::PhantomData);
}

impl<S: Subsys> Adapter<S> {
    /// `css`'s state as `S::State`; `None` only if it belongs to another
    /// subsystem, which the core never passes.
    fn state(css: &Css) -> Option<&S::State> {
        css.get::<S::State>()
    }
}

impl<S: Subsys> SubsysOps for Adapter<S> {
    fn files(&self) -> &'static [CfType] {
        S::FILES
    }

    fn create(&self, parent: Option<&Css>, clone_children: bool) -> Result<Css> {
        let ctx = CreateCtx {
            parent: parent.and_then(Self::state),
            clone_children,
        };
        let state: Arc<dyn Any + Send + Sync> = Arc::new(S::create(&ctx)?, GFP_KERNEL)?;
        // INVARIANT: `state` was created by subsystem `S::ID`.
        Ok(Css { id: S::ID, state })
    }

    fn populate(&self, css: &Css) -> Result {
        Self::state(css).map_or(Ok(()), S::populate)
    }

    fn destroy(&self, css: &Css) {
        if let Some(s) = Self::state(css) {
            S::destroy(s)
        }
    }

    fn can_attach(&self, css: &Css, task: &Task) -> Result {
        Self::state(css).map_or(Ok(()), |s| S::can_attach(s, task))
    }

    fn cancel_attach(&self, css: &Css, task: &Task) {
        if let Some(s) = Self::state(css) {
            S::cancel_attach(s, task)
        }
    }

    fn attach(&self, css: &Css, task: &Task) {
        if let Some(s) = Self::state(css) {
            S::attach(s, task)
        }
    }

    fn fork(&self, css: &Css, child: &Task) {
        if let Some(s) = Self::state(css) {
            S::fork(s, child)
        }
    }

    fn exit(&self, css: &Css, task: &Task) {
        if let Some(s) = Self::state(css) {
            S::exit(s, task)
        }
    }
}

/// A subsystem whose behaviour is not implemented yet: it can be bound to a
/// hierarchy and keeps no state.
struct Placeholder<const ID: u8>;

impl<const ID: u8> SubsysOps for Placeholder<ID> {
    fn files(&self) -> &'static [CfType] {
        &[]
    }
    fn create(&self, _parent: Option<&Css>, _clone_children: bool) -> Result<Css> {
        let id = SubsysId::from_index(u32::from(ID)).ok_or(EINVAL)?;
        let state: Arc<dyn Any + Send + Sync> = Arc::new((), GFP_KERNEL)?;
        Ok(Css { id, state })
    }
    fn populate(&self, _css: &Css) -> Result {
        Ok(())
    }
    fn destroy(&self, _css: &Css) {}
    fn can_attach(&self, _css: &Css, _task: &Task) -> Result {
        Ok(())
    }
    fn cancel_attach(&self, _css: &Css, _task: &Task) {}
    fn attach(&self, _css: &Css, _task: &Task) {}
    fn fork(&self, _css: &Css, _child: &Task) {}
    fn exit(&self, _css: &Css, _task: &Task) {}
}
