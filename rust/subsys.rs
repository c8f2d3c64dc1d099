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

use crate::cftype::{CfType, ControlFile};
use crate::container::Container;
use crate::ffi::task::Task;
use core::any::Any;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::Arc;

/// Declares the subsystems: for each, its module (built only if its Kconfig
/// option is set), its [`SubsysId`] variant with a fixed bit, its name (the
/// mount option and file prefix) and the type implementing [`Subsys`].
/// Generates the modules, `SubsysId`, `SubsysId::ALL`, [`NR_SUBSYS`] and the
/// dispatch by id ([`SubsysId::ops`], [`SubsysId::name`]).
macro_rules! subsystems {
    ($(
        $(#[doc = $doc:literal])*
        $id:ident = $bit:literal, $name:literal, $cfg:ident,
        $module:ident $(in $path:literal)? :: $ty:ident;
    )*) => {
        $(
            #[cfg($cfg)]
            $(#[path = $path])?
            pub(crate) mod $module;
        )*

        /// The subsystems this module can have, in registry (and bit) order.
        /// Each is built only if its Kconfig option is set; ids and bits are
        /// fixed.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub(crate) enum SubsysId {
            $(
                $(#[doc = $doc])*
                #[cfg($cfg)]
                $id = $bit,
            )*
        }

        /// Size of per-subsystem arrays: one more than the largest id.
        pub(crate) const NR_SUBSYS: usize = {
            let mut n = 0;
            $(
                if $bit + 1 > n {
                    n = $bit + 1;
                }
            )*
            n
        };

        impl SubsysId {
            /// Every subsystem built into the module, in registry order.
            pub(crate) const ALL: &'static [SubsysId] = &[$(
                #[cfg($cfg)]
                SubsysId::$id,
            )*];

            /// The subsystem's operations.
            pub(crate) fn ops(self) -> &'static dyn SubsysOps {
                match self {
                    $(
                        #[cfg($cfg)]
                        SubsysId::$id => &Adapter::<$module::$ty>::NEW,
                    )*
                }
            }

            /// Whether the subsystem has a fork hook (else the core does not
            /// call it).
            pub(crate) const fn has_fork(self) -> bool {
                match self {
                    $(
                        #[cfg($cfg)]
                        SubsysId::$id => <$module::$ty as Subsys>::HAS_FORK,
                    )*
                }
            }

            /// Whether the subsystem has an exit hook (else the core does
            /// not call it).
            pub(crate) const fn has_exit(self) -> bool {
                match self {
                    $(
                        #[cfg($cfg)]
                        SubsysId::$id => <$module::$ty as Subsys>::HAS_EXIT,
                    )*
                }
            }

            /// The subsystem's name, as used in mount options and file
            /// prefixes.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(
                        #[cfg($cfg)]
                        SubsysId::$id => $name,
                    )*
                }
            }
        }
    };
}

// Adding a subsystem: its file under rust/subsys/, one line here, and its
// Kconfig option (Kconfig, and Kbuild's `container-cfgs`).
subsystems! {
    /// CPU placement (`cpuset`).
    Cpuset = 0, "cpuset", CONFIG_TASK_CONTAINERS_CPUSET, cpuset::Cpuset;
    /// Memory node placement (`memset`).
    Memset = 1, "memset", CONFIG_TASK_CONTAINERS_MEMSET, memset::Memset;
    /// Network flow (traffic class) id (`net_flow`).
    NetFlow = 2, "net_flow", CONFIG_TASK_CONTAINERS_NET_FLOW, net_flow::NetFlow;
    /// Counters for tests and debugging (`debug`).
    Debug = 3, "debug", CONFIG_TASK_CONTAINERS_DEBUG, debug::Debug;
    /// The example subsystem of `samples/subsys_sample.rs` (`sample`).
    Sample = 4, "sample", CONFIG_TASK_CONTAINERS_SAMPLE,
        sample in "../samples/subsys_sample.rs" :: Sample;
}

/// Shared by cpuset and memset.
#[cfg(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET))]
pub(crate) mod placement;

impl SubsysId {
    /// The subsystem's index in per-container arrays.
    pub(crate) const fn index(self) -> usize {
        self as usize
    }

    /// The subsystem's bit in a hierarchy's subsystem mask.
    pub(crate) const fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The subsystem with bit index `index`, if it is built.
    pub(crate) fn from_index(index: u32) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|id| id.index() as u32 == index)
    }
}

/// Mask with the bit of every subsystem built into the module.
pub(crate) const ALL_MASK: u32 = {
    let mut mask = 0;
    let mut i = 0;
    while i < SubsysId::ALL.len() {
        mask |= SubsysId::ALL[i].bit();
        i += 1;
    }
    mask
};

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
#[allow(
    dead_code,
    reason = "each subsystem reads the fields it needs; some builds have none that reads one"
)]
pub(crate) struct CreateCtx<'a, S> {
    /// The parent container's state; `None` for a hierarchy's root.
    pub(crate) parent: Option<&'a S>,
    /// The parent's `container.clone_children`: copy its configuration.
    pub(crate) clone_children: bool,
    /// The new container's siblings-to-be (`None` for a root).
    siblings: Option<&'a Siblings>,
    /// The subsystem (to find its state in the siblings).
    id: SubsysId,
}

/// The children of a container, by id.
pub(crate) type Siblings = RBTree<u64, Arc<Container>>;

impl<S: 'static> CreateCtx<'_, S> {
    /// Whether the state of this subsystem in any existing sibling of the
    /// new container satisfies `f`.
    #[cfg_attr(
        not(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET)),
        expect(dead_code, reason = "used by cpuset and memset")
    )]
    pub(crate) fn any_sibling(&self, f: impl Fn(&S) -> bool) -> bool {
        self.siblings.is_some_and(|s| {
            s.iter()
                .filter_map(|(_, c)| c.css(self.id).and_then(|css| css.get::<S>()))
                .any(f)
        })
    }
}

/// A subsystem: per-container state plus hooks. See the module docs for the
/// context each hook runs in. Only `create` is mandatory; the other hooks
/// default to successful no-ops. Trait and implementations carry
/// `#[vtable]`, which gives each hook a `HAS_<HOOK>` constant: the core does
/// not call a fork or exit hook a subsystem does not have
/// ([`SubsysId::has_fork`], [`SubsysId::has_exit`]).
#[vtable]
pub(crate) trait Subsys: Sync + 'static {
    /// Per-container state (the css).
    type State: Send + Sync + 'static;
    /// Which subsystem this is.
    const ID: SubsysId;
    /// Control files created in the containers of the hierarchy; their
    /// handlers receive this subsystem's state in the container.
    const FILES: &'static [CfType<Self::State>];

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

    /// `task` has moved into the container with `state` from the container
    /// with `old` (same hierarchy). Registry mutex held; may sleep.
    fn attach(_state: &Self::State, _old: &Self::State, _task: &Task) {}

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
    /// Control file `index` of the subsystem (`None` past the last).
    fn file(&self, index: usize) -> Option<&'static dyn ControlFile>;
    /// See [`Subsys::create`].
    fn create(
        &self,
        parent: Option<&Css>,
        clone_children: bool,
        siblings: Option<&Siblings>,
    ) -> Result<Css>;
    /// See [`Subsys::populate`].
    fn populate(&self, css: &Css) -> Result;
    /// See [`Subsys::destroy`].
    fn destroy(&self, css: &Css);
    /// See [`Subsys::can_attach`].
    fn can_attach(&self, css: &Css, task: &Task) -> Result;
    /// See [`Subsys::cancel_attach`].
    fn cancel_attach(&self, css: &Css, task: &Task);
    /// See [`Subsys::attach`].
    fn attach(&self, css: &Css, old: &Css, task: &Task);
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
    fn file(&self, index: usize) -> Option<&'static dyn ControlFile> {
        S::FILES.get(index).map(|f| f as &'static dyn ControlFile)
    }

    fn create(
        &self,
        parent: Option<&Css>,
        clone_children: bool,
        siblings: Option<&Siblings>,
    ) -> Result<Css> {
        let ctx = CreateCtx {
            parent: parent.and_then(Self::state),
            clone_children,
            siblings,
            id: S::ID,
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

    fn attach(&self, css: &Css, old: &Css, task: &Task) {
        if let (Some(s), Some(o)) = (Self::state(css), Self::state(old)) {
            S::attach(s, o, task)
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
