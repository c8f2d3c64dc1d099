// SPDX-License-Identifier: GPL-2.0

//! Task containers: Paul Menage's 2007 generic process containers, in Rust.
//!
//! A *hierarchy* is one mounted tree of filesystem type `container`; each
//! directory in it is a *container*, and every task is in exactly one
//! container of each hierarchy. *Subsystems* (cpuset, memset, net_flow)
//! bound to a hierarchy attach behaviour to its containers.
//!
//! Layout, from the bottom up:
//! - [`ffi`]: safe wrappers of the kernel's C interfaces; it names nothing
//!   of the domain;
//! - the domain: [`world`], [`hierarchy`], [`container`], [`membership`],
//!   [`attach`], [`files`], [`events`], [`procfs`], and the subsystems in
//!   [`subsys`];
//! - [`vfs`]: the C entry points of the pseudo-filesystem and the `/proc`
//!   files, which call down into the domain.
//!
//! [`ffi`] and [`vfs`] are the abstraction layer, the only places with
//! `unsafe` and raw bindings.
//! - [`logic`]: pure `core`-only code (parsers, validators), also tested on
//!   the host by `cargo test` in `tests/host`.
//!
//! The user interface is documented in `Documentation/container.rst`.

use kernel::prelude::*;

// Kconfig keeps the module off PREEMPT_RT kernels; out of tree Kconfig is
// not read, so the same rule is enforced here. The fork and exit probes take
// a `spinlock_t`, allocate and signal with preemption disabled, which is
// invalid on PREEMPT_RT (Documentation/locking.rst, "Atomic paths").
#[cfg(CONFIG_PREEMPT_RT)]
compile_error!("container.ko does not support PREEMPT_RT kernels (Documentation/locking.rst)");

mod attach;
mod cftype;
mod container;
mod events;
mod ffi;
mod files;
mod hierarchy;
#[allow(dead_code)] // Used as the framework and subsystems land.
mod logic;
mod membership;
mod procfs;
mod subsys;
mod vfs;
mod world;

module! {
    type: ContainerModule,
    name: "container",
    author: "The container developers",
    description: "Task containers (generic process containers) in Rust",
    license: "GPL",
}

/// The module's state: everything registered at load time.
///
/// Fields are dropped in declaration order, which is the teardown order.
struct ContainerModule {
    /// The `container` filesystem type.
    _fs: vfs::fs::Registration,
    /// `/proc/containers` and `/proc/container_membership`.
    _proc: vfs::proc::ProcFiles,
    /// Unregisters the fork and exit hooks (the first mount registers
    /// them).
    _hooks: world::HooksGuard,
    /// The fault-injection attribute of the fork hook (after the hooks).
    _faults: ffi::fault::FaultAttrs,
    /// CPU hotplug callbacks and the optional placement hooks.
    #[cfg(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET))]
    _placement: ffi::placement::Placement,
    /// Takes the net_flow packet hook away if still registered.
    #[cfg(CONFIG_TASK_CONTAINERS_NET_FLOW)]
    _net: ffi::net::Guard,
}

impl kernel::Module for ContainerModule {
    fn init(module: &'static ThisModule) -> Result<Self> {
        ffi::layout::check()?;
        let world = world::World::new()?;
        #[cfg(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET))]
        let placement = ffi::placement::Placement::new(world.clone())?;
        let faults = ffi::fault::FaultAttrs::new();
        let hooks = world::HooksGuard::new(world.clone());
        let proc = vfs::proc::ProcFiles::new(world.clone())?;
        let fs = vfs::fs::Registration::new(module, world)?;
        pr_info!("task containers registered\n");
        Ok(Self {
            _fs: fs,
            _proc: proc,
            _hooks: hooks,
            _faults: faults,
            #[cfg(any(CONFIG_TASK_CONTAINERS_CPUSET, CONFIG_TASK_CONTAINERS_MEMSET))]
            _placement: placement,
            #[cfg(CONFIG_TASK_CONTAINERS_NET_FLOW)]
            _net: ffi::net::Guard,
        })
    }
}
