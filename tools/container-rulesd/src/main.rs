//! `container-rulesd`: moves processes into task containers by rules, as
//! libcgroup's `cgrulesengd` does for cgroups. See `rules.conf.example`
//! for the rules file and `container-rulesd.service` for systemd.
//!
//! The daemon listens to the kernel's process events connector (fork,
//! exec, uid/gid/session/name changes, exit), classifies each process that
//! exec'ed or changed credentials by the first matching rule, and writes
//! its pid to the destination's `container.procs` in each selected
//! hierarchy. A child forked by a process the daemon placed follows its
//! parent (so a child forked between its parent's exec and the daemon's
//! move is not left behind). Lost events (`ENOBUFS`) and startup are
//! handled by classifying every process in `/proc`. SIGHUP reloads the
//! rules (a file with errors is refused and the old rules stay) and
//! classifies every process again; SIGTERM and SIGINT exit, removing the
//! sticky socket.
//!
//! The sticky socket takes one line `sticky PID` per connection and
//! answers `ok` or `error <reason>`: root may make any process sticky,
//! others their own (real uid). Sticky processes, and their children forked
//! later, are never moved by the daemon.
//!
//! Limits:
//!
//! - Classification is asynchronous: a process runs briefly (until the
//!   daemon has read its event) in the containers it was started in.
//! - `setpgid(2)` without exec sends no event: a rule destination using
//!   `%r` sees the change at the next periodic rescan
//!   (`--rescan-interval`) only.
//! - The proc connector reports to listeners in the initial user and pid
//!   namespaces only: the daemon must run there, as root.
//! - Users and groups are resolved when the rules are loaded: reload
//!   (SIGHUP) after adding users.
//! - Periodic rescans re-apply the rules to every process not sticky: a
//!   process moved by hand is moved back unless it was started with
//!   `containerctl exec --sticky`.

mod daemon;
mod engine;
mod event;
mod rules;
mod sticky;
mod sys;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Moves processes into task containers by the rules of rules.conf.
#[derive(Parser, Debug)]
#[command(name = "container-rulesd", version)]
struct Cli {
    /// The rules file.
    #[arg(long, value_name = "FILE", default_value = "/etc/container/rules.conf")]
    config: PathBuf,
    /// Check the rules file (FILE, or --config's) and exit: 0 when valid,
    /// 1 with the errors and their line numbers.
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    check: Option<Option<PathBuf>>,
    /// Ignored: the daemon always runs in the foreground (systemd style).
    #[arg(short = 'f', long)]
    foreground: bool,
    /// The socket `containerctl exec --sticky` registers sticky processes
    /// through.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "/run/container-rulesd.sock"
    )]
    socket: PathBuf,
    /// Classify every process again every SECS seconds (0: never); catches
    /// setpgid(2) without exec.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    rescan_interval: u64,
    /// SO_RCVBUF of the proc connector socket (small values lose events).
    #[arg(long, value_name = "BYTES")]
    rcvbuf: Option<usize>,
    /// Log every move and every container created or removed.
    #[arg(short, long)]
    verbose: bool,
}

fn check(path: &std::path::Path) -> ExitCode {
    match daemon::load(path) {
        Ok(parsed) => {
            for w in &parsed.warnings {
                eprintln!("warning: {w}");
            }
            println!("{}: {} rules, valid", path.display(), parsed.rules.len());
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in errors {
                eprintln!("{e}");
            }
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(file) = &cli.check {
        return check(file.as_ref().unwrap_or(&cli.config));
    }
    let cfg = daemon::Config {
        config: cli.config,
        socket: cli.socket,
        rescan: (cli.rescan_interval > 0).then(|| Duration::from_secs(cli.rescan_interval)),
        rcvbuf: cli.rcvbuf,
        verbose: cli.verbose,
    };
    match daemon::run(cfg) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            for line in e.lines() {
                engine::log(format!("error: {line}"));
            }
            ExitCode::FAILURE
        }
    }
}
