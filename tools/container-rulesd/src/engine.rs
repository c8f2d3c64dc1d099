//! The classification engine: what the daemon knows of processes (which it
//! placed, which are sticky, which containers it created) and what it does
//! on each event.

use crate::rules::{self, Directory, Group, Process, Rules, Subsystems};
use containerfs::{membership, proc, users, Container, Hierarchy};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Logs one line to stderr (the journal under systemd).
pub fn log(msg: impl std::fmt::Display) {
    eprintln!("container-rulesd: {msg}");
}

/// The user database of `/etc/passwd` and `/etc/group`.
pub struct UserDb;

impl Directory for UserDb {
    fn uid(&self, name: &str) -> Option<u32> {
        users::uid(name)
    }
    fn gid(&self, name: &str) -> Option<u32> {
        users::gid(name)
    }
    fn member_uids(&self, group: &str) -> Vec<u32> {
        users::group_members(group)
            .iter()
            .filter_map(|n| users::uid(n))
            .collect()
    }
    fn user_name(&self, uid: u32) -> Option<String> {
        users::user_name(uid)
    }
    fn group_name(&self, gid: u32) -> Option<String> {
        users::group_name(gid)
    }
}

/// A container a placement puts a process in.
#[derive(Clone, Debug)]
struct Target {
    container: Container,
    /// From a template destination: created on demand.
    template: bool,
}

/// Where the daemon put a process.
#[derive(Clone, Debug)]
struct Placement {
    /// The process's start time (tells a reused pid).
    start: u64,
    targets: Vec<Target>,
    /// Its children follow it (the rule said `inherit`, or it inherited).
    inherit: bool,
    /// It follows its parent instead of being classified.
    inherited: bool,
}

/// A container the daemon created from a template, removed once empty.
struct Created {
    events: File,
    /// The directories above it the daemon created with it, nearest first.
    ancestors: Vec<PathBuf>,
}

pub struct Engine {
    pub rules: Rules,
    verbose: bool,
    hierarchies: Vec<Hierarchy>,
    /// Sticky pids and their start times.
    sticky: HashMap<u32, u64>,
    placements: HashMap<u32, Placement>,
    created: HashMap<PathBuf, Created>,
    /// Warnings given once.
    warned: HashSet<String>,
    /// In a rescan after lost events (see `rescan_after_loss`).
    following: bool,
    /// When the kernel sent the event being handled (`CLOCK_MONOTONIC`
    /// ns): moves log how long after it they completed.
    pub event_ns: Option<u64>,
}

fn is_esrch(e: &containerfs::Error) -> bool {
    e.errno() == Some(libc::ESRCH)
}

/// Whether a `/proc/container_membership` label (`cpuset,memset`,
/// `name=x`) is that hierarchy's.
/// The process as the rules see it, and its start time; `None` when it is
/// gone or a kernel thread.
fn read_process(pid: u32) -> Option<(Process, proc::Stat)> {
    let st = proc::stat(pid).ok()?;
    if st.is_kernel_thread() {
        return None;
    }
    let ids = proc::status(pid).ok()?;
    let exe = proc::exe(pid).map(|p| {
        let s = p.to_string_lossy().into_owned();
        s.strip_suffix(" (deleted)")
            .map(str::to_string)
            .unwrap_or(s)
    });
    let p = Process {
        pid,
        uid: ids.uid[1],
        gid: ids.gid[1],
        groups: ids.groups,
        comm: st.comm.clone(),
        exe,
        pgid: st.pgrp,
        sid: st.session,
    };
    Some((p, st))
}

/// `1234 (sleep, uid 1000)`, for the log.
fn describe(pid: u32) -> String {
    match read_process(pid) {
        Some((p, _)) => format!("{pid} ({}, uid {})", p.comm, p.uid),
        None => pid.to_string(),
    }
}

fn read_events(f: &mut File) -> std::io::Result<String> {
    f.seek(SeekFrom::Start(0))?;
    let mut s = String::new();
    f.read_to_string(&mut s)?;
    Ok(s)
}

impl Engine {
    pub fn new(rules: Rules, verbose: bool) -> Engine {
        let mut e = Engine {
            rules,
            verbose,
            hierarchies: Vec::new(),
            sticky: HashMap::new(),
            placements: HashMap::new(),
            created: HashMap::new(),
            warned: HashSet::new(),
            following: false,
            event_ns: None,
        };
        e.refresh_hierarchies();
        e
    }

    fn warn_once(&mut self, msg: String) {
        if self.warned.insert(msg.clone()) {
            log(msg);
        }
    }

    /// New rules: warnings may be given again.
    pub fn set_rules(&mut self, rules: Rules) {
        self.rules = rules;
        self.warned.clear();
    }

    pub fn refresh_hierarchies(&mut self) {
        match Hierarchy::list() {
            Ok(h) => self.hierarchies = h,
            Err(e) => log(format!("error: {e}")),
        }
    }

    /// The template containers being watched, for poll.
    pub fn watched(&self) -> Vec<(PathBuf, i32)> {
        use std::os::fd::AsRawFd;
        self.created
            .iter()
            .map(|(dir, c)| (dir.clone(), c.events.as_raw_fd()))
            .collect()
    }

    fn forget(&mut self, pid: u32) {
        self.sticky.remove(&pid);
        self.placements.remove(&pid);
    }

    /// Classifies process `pid` (after exec, a change of uid, gid, session
    /// or name, or in a scan).
    pub fn classify(&mut self, pid: u32, why: &str) {
        if self.sticky.contains_key(&pid) {
            return;
        }
        if let Some(p) = self.placements.get(&pid) {
            if p.inherited {
                let targets = p.targets.clone();
                if !self.place(pid, &targets, why) {
                    self.forget(pid);
                }
                return;
            }
        }
        let Some((p, st)) = read_process(pid) else {
            self.forget(pid);
            return;
        };
        // A child of an `inherit` process whose fork was not seen (started
        // before the daemon, or events lost): it follows the parent.
        if !self.placements.contains_key(&pid) {
            if let Some(parent) = self.placements.get(&st.ppid) {
                if parent.inherit {
                    let targets = parent.targets.clone();
                    if self.place(pid, &targets, why) {
                        self.placements.insert(
                            pid,
                            Placement {
                                start: st.start_time,
                                targets,
                                inherit: true,
                                inherited: true,
                            },
                        );
                    }
                    return;
                }
            }
        }
        let group = match self.rules.find(&p) {
            Some(g) if !g.options().ignore => g.clone(),
            Some(_) => {
                self.placements.remove(&pid);
                return;
            }
            None => {
                self.placements.remove(&pid);
                // After lost events: a child of a placed process whose fork
                // was not seen may have been forked before its parent moved.
                if self.following {
                    self.follow_parent(pid, &st, why);
                }
                return;
            }
        };
        let options = group.options();
        let targets = self.targets(&group, &p);
        let why = format!("{why}, rules line {}", group.line());
        if !self.place(pid, &targets, &why) {
            self.forget(pid);
            return;
        }
        self.placements.insert(
            pid,
            Placement {
                start: st.start_time,
                targets,
                inherit: options.inherit,
                inherited: false,
            },
        );
        if options.sticky {
            self.sticky.insert(pid, st.start_time);
        }
    }

    /// The containers a matched group puts `p` in, creating template
    /// destinations. The first line naming a hierarchy wins.
    fn targets(&mut self, group: &Group, p: &Process) -> Vec<Target> {
        let mut out: Vec<Target> = Vec::new();
        for rule in &group.rules {
            if rule.options.ignore {
                continue;
            }
            let hs: Vec<Hierarchy> = match &rule.subsystems {
                Subsystems::All => self.hierarchies.clone(),
                Subsystems::List(list) => {
                    let mut hs = Vec::new();
                    for s in list {
                        match Hierarchy::find(&self.hierarchies, s) {
                            Some(h) => hs.push(h),
                            None => self.warn_once(format!(
                                "rules line {}: no mounted hierarchy has '{s}'",
                                rule.line
                            )),
                        }
                    }
                    hs
                }
            };
            let template = rule.is_template();
            let dest = if template {
                rules::expand(&rule.destination, p, &UserDb)
            } else {
                rule.destination.clone()
            };
            for h in hs {
                if out
                    .iter()
                    .any(|t| t.container.hierarchy.mountpoint == h.mountpoint)
                {
                    continue;
                }
                let dir = if dest.is_empty() {
                    h.mountpoint.clone()
                } else {
                    h.mountpoint.join(&dest)
                };
                let container = Container {
                    dir,
                    path: format!("/{dest}"),
                    hierarchy: h,
                };
                if !container.dir.is_dir() && !template {
                    self.warn_once(format!(
                        "rules line {}: {} does not exist (only template destinations are created)",
                        rule.line,
                        container.dir.display()
                    ));
                    continue;
                }
                out.push(Target {
                    container,
                    template,
                });
            }
        }
        out
    }

    /// Creates a template container (mkdir -p) and watches it.
    fn create(&mut self, c: &Container) -> std::io::Result<()> {
        let root = &c.hierarchy.mountpoint;
        let mut missing = Vec::new();
        let mut d = c.dir.clone();
        while !d.is_dir() && d != *root {
            missing.push(d.clone());
            match d.parent() {
                Some(p) => d = p.to_path_buf(),
                None => break,
            }
        }
        let mut made = Vec::new();
        for m in missing.iter().rev() {
            match std::fs::create_dir(m) {
                Ok(()) => made.push(m.clone()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        if made.last() == Some(&c.dir) {
            made.pop();
            made.reverse();
            let mut events = File::open(c.file("container.events"))?;
            // Arms poll: it reports changes after the last read.
            read_events(&mut events)?;
            if self.verbose {
                log(format!("created {}", c.dir.display()));
            }
            self.created.insert(
                c.dir.clone(),
                Created {
                    events,
                    ancestors: made,
                },
            );
        }
        Ok(())
    }

    /// Moves `pid` into every target it is not in yet. Returns false when
    /// the process is gone.
    fn place(&mut self, pid: u32, targets: &[Target], why: &str) -> bool {
        if targets.is_empty() {
            return true;
        }
        let now = match membership::of(pid) {
            Ok(m) => m,
            Err(e) if is_esrch(&e) => return false,
            Err(e) => {
                log(format!("error: {e}"));
                return true;
            }
        };
        for t in targets {
            let c = &t.container;
            let here = now
                .iter()
                .any(|m| c.hierarchy.is_named_by(&m.subsystems) && m.path == c.path);
            if here {
                continue;
            }
            if t.template && !c.dir.is_dir() {
                if let Err(e) = self.create(c) {
                    log(format!("error: cannot create {}: {e}", c.dir.display()));
                    continue;
                }
            }
            match c.move_process(pid) {
                Ok(()) => {
                    if self.verbose {
                        let delay = match self.event_ns {
                            Some(at) => format!(
                                ", {} ms after the event",
                                crate::sys::monotonic_ns().saturating_sub(at) / 1_000_000
                            ),
                            None => String::new(),
                        };
                        log(format!(
                            "moved {} to {} ({why}{delay})",
                            describe(pid),
                            c.dir.display()
                        ));
                    }
                }
                Err(e) if e.errno() == Some(libc::ESRCH) => {
                    if t.template {
                        self.check_created(&c.dir.clone());
                    }
                    return false;
                }
                Err(e) => {
                    log(format!("error: cannot move {}: {e}", describe(pid)));
                    if t.template {
                        self.check_created(&c.dir.clone());
                    }
                }
            }
        }
        true
    }

    /// A process forked: a child of a sticky process is sticky; a child of
    /// a process the daemon placed follows it (the parent may have been
    /// moved after the fork, which left the child behind).
    pub fn on_fork(&mut self, parent: u32, child_pid: u32, child_tgid: u32) {
        if child_pid != child_tgid {
            return; // a thread: it is in its process's containers
        }
        let child = child_tgid;
        let sticky = self.sticky.contains_key(&parent);
        let placed = self
            .placements
            .get(&parent)
            .map(|p| (p.targets.clone(), p.inherit));
        if !sticky && placed.is_none() {
            return;
        }
        let Ok(st) = proc::stat(child) else {
            return;
        };
        if let Some((targets, inherit)) = placed {
            if !self.place(child, &targets, "fork") {
                return;
            }
            self.placements.insert(
                child,
                Placement {
                    start: st.start_time,
                    targets,
                    inherit,
                    inherited: inherit,
                },
            );
        }
        if sticky {
            self.sticky.insert(child, st.start_time);
        }
    }

    pub fn on_exit(&mut self, pid: u32, tgid: u32) {
        if pid != tgid {
            return;
        }
        if let Some(p) = self.placements.remove(&tgid) {
            for t in p.targets.iter().filter(|t| t.template) {
                self.check_created(&t.container.dir);
            }
        }
        self.sticky.remove(&tgid);
    }

    /// Makes `pid` sticky for a client with `peer_uid`.
    pub fn make_sticky(&mut self, pid: u32, peer_uid: u32) -> Result<(), String> {
        let st = proc::stat(pid).map_err(|_| format!("no process {pid}"))?;
        let ids = proc::status(pid).map_err(|_| format!("no process {pid}"))?;
        if !crate::sticky::allowed(peer_uid, ids.uid[0]) {
            return Err(format!("process {pid} is not yours"));
        }
        self.sticky.insert(pid, st.start_time);
        self.placements.remove(&pid);
        if self.verbose {
            log(format!("{} is sticky", describe(pid)));
        }
        Ok(())
    }

    /// Moves `pid`, which no rule matches, to its parent's containers if
    /// the daemon placed the parent.
    fn follow_parent(&mut self, pid: u32, st: &proc::Stat, why: &str) {
        let Some(parent) = self.placements.get(&st.ppid) else {
            return;
        };
        let targets = parent.targets.clone();
        let why = format!("{why}, follows its parent {}", st.ppid);
        if self.place(pid, &targets, &why) {
            self.placements.insert(
                pid,
                Placement {
                    start: st.start_time,
                    targets,
                    inherit: false,
                    inherited: false,
                },
            );
        }
    }

    /// A rescan after lost events: besides the rules, processes no rule
    /// matches follow a parent the daemon placed (their fork events may
    /// be among the lost ones).
    pub fn rescan_after_loss(&mut self) {
        self.following = true;
        self.rescan();
        self.following = false;
    }

    /// Classifies every process, forgets processes that are gone (or whose
    /// pid was reused), and removes empty template containers.
    pub fn rescan(&mut self) {
        self.refresh_hierarchies();
        let start = |pid: u32| proc::stat(pid).ok().map(|s| s.start_time);
        self.sticky.retain(|pid, s| start(*pid) == Some(*s));
        self.placements
            .retain(|pid, p| start(*pid) == Some(p.start));
        match proc::pids() {
            Ok(pids) => {
                for pid in pids {
                    self.classify(pid, "scan");
                }
            }
            Err(e) => log(format!("error: cannot list /proc: {e}")),
        }
        let dirs: Vec<PathBuf> = self.created.keys().cloned().collect();
        for d in dirs {
            self.check_created(&d);
        }
    }

    /// Removes a template container the daemon created once it is empty
    /// (`populated 0`), and the directories created with it.
    pub fn check_created(&mut self, dir: &Path) {
        let Some(c) = self.created.get_mut(dir) else {
            return;
        };
        let text = match read_events(&mut c.events) {
            Ok(t) => t,
            Err(_) => {
                // Removed by someone else.
                self.created.remove(dir);
                return;
            }
        };
        if !text.lines().any(|l| l.trim() == "populated 0") {
            return;
        }
        match std::fs::remove_dir(dir) {
            Ok(()) => {
                if self.verbose {
                    log(format!("removed {}", dir.display()));
                }
                if let Some(c) = self.created.remove(dir) {
                    for a in &c.ancestors {
                        if std::fs::remove_dir(a).is_err() {
                            break;
                        }
                        if self.verbose {
                            log(format!("removed {}", a.display()));
                        }
                    }
                }
            }
            // A task moved in meanwhile, or it has children: wait.
            Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.created.remove(dir);
            }
            Err(e) => {
                log(format!("error: cannot remove {}: {e}", dir.display()));
                self.created.remove(dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use containerfs::MountOptions;

    #[test]
    fn membership_labels() {
        let h = Hierarchy {
            mountpoint: "/c".into(),
            also_at: vec![],
            options: MountOptions::parse("memset,cpuset"),
        };
        assert!(h.is_named_by("cpuset,memset"));
        assert!(h.is_named_by("memset,cpuset"));
        assert!(!h.is_named_by("cpuset"));
        let n = Hierarchy {
            mountpoint: "/n".into(),
            also_at: vec![],
            options: MountOptions::parse("none,name=jobs"),
        };
        assert!(n.is_named_by("name=jobs"));
        assert!(!n.is_named_by("name=job"));
    }

    #[test]
    fn own_process_reads() {
        let (p, st) = read_process(std::process::id()).unwrap();
        assert_eq!(p.pid, std::process::id());
        assert!(p.exe.is_some());
        assert!(st.start_time > 0);
    }
}
