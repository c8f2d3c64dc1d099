// The command line of containerctl. Also included by build.rs, which
// generates the man page and shell completions from it: only clap and std
// here.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Manage task containers: hierarchies, containers, their tasks and values.
///
/// Exit status: 0 success; 1 an operation failed (the message names the
/// file, the value and the errno); 2 bad usage. `exec` exits with the
/// command's status, or 125 when the command could not be placed, 126 when
/// it could not be run and 127 when it was not found.
#[derive(Parser, Debug)]
#[command(name = "containerctl", version, propagate_version = true)]
pub struct Cli {
    /// Print listings as JSON, for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Mount a hierarchy with the given subsystems (none: all) at DIR.
    ///
    /// Mounting with the options of an existing hierarchy mounts that
    /// hierarchy again; a subsystem bound to another hierarchy is EBUSY.
    Mount(MountArgs),
    /// Unmount a hierarchy, given by mountpoint, subsystem or name.
    #[command(name = "umount")]
    Umount {
        /// A mountpoint, a subsystem (cpuset) or a hierarchy name (name=jobs).
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// List the subsystems, the hierarchy each is bound to and where it is mounted.
    #[command(name = "list-subsys")]
    ListSubsys,
    /// Create containers, optionally configured and delegated.
    Create(CreateArgs),
    /// Remove containers.
    Delete {
        /// Remove the descendants too, moving their processes to the parent.
        #[arg(short, long)]
        recursive: bool,
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Run a command in a container of each hierarchy named.
    Exec {
        /// Ask container-rulesd never to move the command or its children.
        #[arg(long)]
        sticky: bool,
        /// The rules daemon's socket (for --sticky).
        #[arg(
            long,
            env = "CONTAINER_RULESD_SOCKET",
            default_value = "/run/container-rulesd.sock"
        )]
        socket: PathBuf,
        /// Containers, at most one per hierarchy.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The command and its arguments.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Move whole processes (every thread) into a container.
    Classify {
        path: PathBuf,
        #[arg(required = true)]
        pids: Vec<u32>,
    },
    /// Print control-file values (all files when none is named).
    Get { path: PathBuf, files: Vec<String> },
    /// Write control-file values: FILE=VALUE, in the order given.
    Set {
        path: PathBuf,
        #[arg(required = true, value_name = "FILE=VALUE")]
        values: Vec<String>,
    },
    /// Show hierarchies, containers and their processes as a tree.
    Tree {
        /// Only this container's subtree (default: every hierarchy).
        path: Option<PathBuf>,
        /// Containers only, no processes.
        #[arg(short, long)]
        containers_only: bool,
    },
    /// Show which container each process is in, in every hierarchy.
    Ps {
        #[arg(required = true)]
        pids: Vec<u32>,
    },
    /// Print a container's populated state; --watch prints each change.
    Events {
        path: PathBuf,
        /// Keep printing transitions (populated/empty) as they happen.
        #[arg(short, long)]
        watch: bool,
        /// Stop watching after this many seconds.
        #[arg(long, value_name = "SECONDS")]
        timeout: Option<u64>,
    },
    /// Make the system match a setup file (TOML; - for stdin).
    Apply {
        file: PathBuf,
        /// Print what would change, change nothing.
        #[arg(short = 'n', long)]
        dry_run: bool,
    },
    /// Print the current setup in the format apply reads.
    Snapshot,
    /// Print shell completions (generated at build time).
    Completions {
        #[arg(value_parser = ["bash", "zsh", "fish"])]
        shell: String,
    },
    /// Print the man page (roff, generated at build time): containerctl's,
    /// or a subcommand's.
    Man { subcommand: Option<String> },
}

#[derive(Args, Debug)]
pub struct MountArgs {
    /// Where to mount (created if missing).
    pub dir: PathBuf,
    /// Subsystems to bind (cpuset, memset, net_flow, debug); none: all.
    pub subsystems: Vec<String>,
    /// Name the hierarchy (alone: a hierarchy with no subsystem).
    #[arg(long)]
    pub name: Option<String>,
    /// Name subsystem files without their subsystem prefix.
    #[arg(long)]
    pub noprefix: bool,
    /// New containers copy their parent's configuration.
    #[arg(long)]
    pub clone_children: bool,
    /// The program run when a container with notify_on_release empties.
    #[arg(long, value_name = "PATH")]
    pub release_agent: Option<String>,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// Create missing parents too.
    #[arg(short, long)]
    pub parents: bool,
    /// cpuset.cpus, e.g. 0-1.
    #[arg(long, value_name = "LIST")]
    pub cpus: Option<String>,
    /// memset.mems, e.g. 0.
    #[arg(long, value_name = "LIST")]
    pub mems: Option<String>,
    /// net_flow.classid, as tc writes it (1:10) or a number.
    #[arg(long, value_name = "ID")]
    pub classid: Option<String>,
    /// Any other value, FILE=VALUE (repeatable).
    #[arg(long = "set", value_name = "FILE=VALUE")]
    pub values: Vec<String>,
    /// Delegate to this user: chown the directory, tasks and container.procs.
    #[arg(long, value_name = "UID[:GID]")]
    pub owner: Option<String>,
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}
