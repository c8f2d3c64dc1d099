//! One function per subcommand.

use crate::cli::{Cli, Command, CreateArgs, MountArgs};
use crate::{process, table};
use containerfs::container::Pid;
use containerfs::error::{Error, Result};
use containerfs::setup::{parse_owner, Setup};
use containerfs::{idlist, membership, subsys, sys, Container, Hierarchy, MountOptions};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

mod pages {
    include!(concat!(env!("OUT_DIR"), "/pages.rs"));
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let json = cli.json;
    match cli.command {
        Command::Mount(args) => mount(args),
        Command::Umount { targets } => umount(&targets),
        Command::ListSubsys => list_subsys(json),
        Command::Create(args) => create(args),
        Command::Delete { recursive, paths } => delete(recursive, &paths),
        Command::Exec {
            sticky,
            socket,
            paths,
            command,
        } => exec(sticky, &socket, &paths, &command),
        Command::Classify { path, pids } => classify(&path, &pids),
        Command::Get { path, files } => get(&path, &files, json),
        Command::Set { path, values } => set(&path, &values),
        Command::Tree {
            path,
            containers_only,
        } => tree(path.as_deref(), containers_only, json),
        Command::Ps { pids } => ps(&pids, json),
        Command::Events {
            path,
            watch,
            timeout,
        } => events(&path, watch, timeout.map(Duration::from_secs), json),
        Command::Apply { file, dry_run } => apply(&file, dry_run, json),
        Command::Snapshot => snapshot(json),
        Command::Completions { shell } => completions(&shell),
        Command::Man { subcommand } => man(subcommand.as_deref()),
    }
}

fn ok() -> Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}

fn print_json(value: &serde_json::Value) -> Result<ExitCode> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Invalid(e.to_string()))?;
    println!("{text}");
    ok()
}

fn mount(args: MountArgs) -> Result<ExitCode> {
    let mut subsystems = Vec::new();
    for s in &args.subsystems {
        subsystems.extend(s.split(',').filter(|s| !s.is_empty()).map(str::to_string));
    }
    subsystems.sort();
    let options = MountOptions {
        subsystems,
        name: args.name,
        noprefix: args.noprefix,
        clone_children: args.clone_children,
        release_agent: args.release_agent,
    };
    Hierarchy::mount(&args.dir, &options).map_err(|e| match e.errno() {
        Some(libc::EBUSY) => Error::Invalid(format!(
            "{e}: a subsystem is bound to another hierarchy, or the name is taken (see list-subsys)"
        )),
        Some(libc::ENODEV) => Error::Invalid(format!("{e}: is container.ko loaded?")),
        _ => e,
    })?;
    ok()
}

fn umount(targets: &[String]) -> Result<ExitCode> {
    let list = Hierarchy::list()?;
    for target in targets {
        let path = Path::new(target);
        let mounts: Vec<PathBuf> = if path.is_absolute() {
            vec![path.to_path_buf()]
        } else {
            let h = Hierarchy::find(&list, target).ok_or_else(|| {
                Error::Invalid(format!("no mounted hierarchy binds or is named {target}"))
            })?;
            std::iter::once(h.mountpoint).chain(h.also_at).collect()
        };
        for m in mounts {
            Hierarchy::umount(&m)?;
        }
    }
    ok()
}

fn list_subsys(json: bool) -> Result<ExitCode> {
    let subs = subsys::list()?;
    let hs = Hierarchy::list()?;
    let mount_of = |name: &str| -> Option<String> {
        hs.iter()
            .find(|h| h.options.subsystems.iter().any(|s| s == name))
            .map(|h| h.mountpoint.display().to_string())
    };
    if json {
        let rows: Vec<_> = subs
            .iter()
            .map(|s| {
                json!({"subsystem": s.name, "hierarchy": s.hierarchy,
                       "containers": s.num_containers, "enabled": s.enabled,
                       "mountpoint": mount_of(&s.name)})
            })
            .collect();
        return print_json(&json!(rows));
    }
    let rows: Vec<Vec<String>> = subs
        .iter()
        .map(|s| {
            let bound = s.hierarchy != 0;
            vec![
                s.name.clone(),
                if bound {
                    s.hierarchy.to_string()
                } else {
                    "-".into()
                },
                if bound {
                    s.num_containers.to_string()
                } else {
                    "-".into()
                },
                mount_of(&s.name).unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table::print(
        &["SUBSYSTEM", "HIERARCHY", "CONTAINERS", "MOUNTED AT"],
        &rows,
    );
    ok()
}

fn split_assignment(arg: &str) -> Result<(&str, &str)> {
    arg.split_once('=')
        .ok_or_else(|| Error::Invalid(format!("{arg}: expected FILE=VALUE")))
}

fn create(args: CreateArgs) -> Result<ExitCode> {
    let mut values: Vec<(String, String)> = Vec::new();
    if let Some(v) = &args.cpus {
        values.push(("cpuset.cpus".into(), v.clone()));
    }
    if let Some(v) = &args.mems {
        values.push(("memset.mems".into(), v.clone()));
    }
    if let Some(v) = &args.classid {
        values.push(("net_flow.classid".into(), v.clone()));
    }
    for a in &args.values {
        let (f, v) = split_assignment(a)?;
        values.push((f.to_string(), v.to_string()));
    }
    let owner = match &args.owner {
        Some(o) => Some(parse_owner(o)?),
        None => None,
    };
    for path in &args.paths {
        let c = Container::create(path, args.parents)?;
        // Configure, then delegate; on any failure remove the container
        // again, so a failed create leaves nothing behind.
        let configured = (|| {
            for (file, value) in &values {
                c.write(file, &idlist::kernel_form(file, value))?;
            }
            if let Some((uid, gid)) = owner {
                c.delegate(uid, gid)?;
            }
            Ok::<(), Error>(())
        })();
        if let Err(e) = configured {
            let _ = std::fs::remove_dir(&c.dir);
            return Err(e);
        }
    }
    ok()
}

fn delete(recursive: bool, paths: &[PathBuf]) -> Result<ExitCode> {
    for path in paths {
        Container::open(path)?.delete(recursive)?;
    }
    ok()
}

/// Registers the calling process with container-rulesd as sticky.
fn register_sticky(socket: &Path) -> std::result::Result<(), String> {
    let mut s = std::os::unix::net::UnixStream::connect(socket)
        .map_err(|e| format!("no rules daemon at {}: {e}", socket.display()))?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    writeln!(s, "sticky {}", sys::own_pid()).map_err(|e| e.to_string())?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).map_err(|e| e.to_string())?;
    match reply.trim() {
        "ok" => Ok(()),
        other => Err(format!("container-rulesd refused: {other}")),
    }
}

fn exec(sticky: bool, socket: &Path, paths: &[PathBuf], command: &[String]) -> Result<ExitCode> {
    let place = || -> Result<()> {
        let mut seen: Vec<Hierarchy> = Vec::new();
        let mut containers = Vec::new();
        for p in paths {
            let c = Container::open(p)?;
            if seen
                .iter()
                .any(|h| h.options.same_hierarchy(&c.hierarchy.options))
            {
                return Err(Error::Invalid(format!(
                    "{}: two containers of the same hierarchy",
                    p.display()
                )));
            }
            seen.push(c.hierarchy.clone());
            containers.push(c);
        }
        if sticky {
            // Before moving: the daemon must not move it back meanwhile.
            if let Err(e) = register_sticky(socket) {
                eprintln!("containerctl: warning: not sticky: {e}");
            }
        }
        for c in &containers {
            c.move_process(sys::own_pid())?;
        }
        Ok(())
    };
    if let Err(e) = place() {
        eprintln!("containerctl: {e}");
        return Ok(ExitCode::from(125));
    }
    let Some((program, args)) = command.split_first() else {
        return Err(Error::Invalid("no command".into()));
    };
    let err = std::process::Command::new(program).args(args).exec();
    eprintln!("containerctl: cannot run {program}: {err}");
    Ok(ExitCode::from(
        if err.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        },
    ))
}

fn classify(path: &Path, pids: &[Pid]) -> Result<ExitCode> {
    let c = Container::open(path)?;
    let mut failed = false;
    for pid in pids {
        if let Err(e) = c.move_process(*pid) {
            eprintln!("containerctl: {e}");
            failed = true;
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every control file of `c` worth printing: all but the task lists.
fn value_files(c: &Container) -> Result<Vec<String>> {
    let rd = std::fs::read_dir(&c.dir).map_err(|e| Error::io("cannot list", &c.dir, e))?;
    let mut files: Vec<String> = rd
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f != "tasks" && f != "container.procs")
        .collect();
    files.sort();
    Ok(files)
}

fn get(path: &Path, files: &[String], json: bool) -> Result<ExitCode> {
    let c = Container::open(path)?;
    let files = if files.is_empty() {
        value_files(&c)?
    } else {
        files.to_vec()
    };
    let mut values = BTreeMap::new();
    for f in &files {
        values.insert(f.clone(), c.read(f)?.trim_end().to_string());
    }
    if json {
        return print_json(&json!({"path": c.dir, "values": values}));
    }
    for f in &files {
        let v = &values[f];
        if v.contains('\n') {
            println!("{f}:");
            for line in v.lines() {
                println!("  {line}");
            }
        } else {
            println!("{f}: {v}");
        }
    }
    ok()
}

fn set(path: &Path, assignments: &[String]) -> Result<ExitCode> {
    let c = Container::open(path)?;
    for a in assignments {
        let (file, value) = split_assignment(a)?;
        c.write(file, &idlist::kernel_form(file, value))?;
    }
    ok()
}

fn tree(path: Option<&Path>, containers_only: bool, json: bool) -> Result<ExitCode> {
    let tops: Vec<Container> = match path {
        Some(p) => vec![Container::open(p)?],
        None => Hierarchy::list()?.iter().map(Container::root).collect(),
    };
    let mut out = Vec::new();
    for top in tops {
        let walk = top.walk();
        if json {
            let nodes: Vec<_> = walk
                .iter()
                .map(|(_, c)| {
                    let procs: Vec<_> = c
                        .procs()
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| json!({"pid": p, "command": process::command_line(p)}))
                        .collect();
                    json!({"path": c.path, "dir": c.dir, "processes": procs})
                })
                .collect();
            out.push(json!({"mountpoint": top.hierarchy.mountpoint,
                            "subsystems": top.hierarchy.options.label(),
                            "containers": nodes}));
            continue;
        }
        println!("{} ({})", top.dir.display(), top.hierarchy.options.label());
        print_tree(&walk, containers_only);
    }
    if json {
        return print_json(&json!(out));
    }
    ok()
}

/// Draws a walk (parents before children, with depths) as a tree. Each
/// line's prefix says, per ancestor level, whether more siblings follow.
fn print_tree(walk: &[(usize, Container)], containers_only: bool) {
    // last[i]: whether entry i is the last child of its parent.
    let last: Vec<bool> = (0..walk.len())
        .map(|i| {
            let d = walk[i].0;
            walk[i + 1..]
                .iter()
                .take_while(|(e, _)| *e >= d)
                .all(|(e, _)| *e > d)
        })
        .collect();
    let mut open: Vec<bool> = Vec::new(); // per depth: a sibling follows
    for (i, (depth, c)) in walk.iter().enumerate() {
        let depth = *depth;
        open.truncate(depth);
        let mut prefix = String::new();
        for more in open.iter().skip(1) {
            prefix.push_str(if *more { "│  " } else { "   " });
        }
        let procs = if containers_only {
            Vec::new()
        } else {
            c.procs().unwrap_or_default()
        };
        if depth > 0 {
            let name = c.path.rsplit('/').next().unwrap_or("");
            println!("{prefix}{}{name}", if last[i] { "└─ " } else { "├─ " });
            prefix.push_str(if last[i] { "   " } else { "│  " });
        }
        let has_children = walk.get(i + 1).is_some_and(|(d, _)| *d > depth);
        for (j, pid) in procs.iter().enumerate() {
            let end = j + 1 == procs.len() && !has_children;
            println!(
                "{prefix}{}{pid} {}",
                if end { "└─ " } else { "├─ " },
                process::command_line(*pid)
            );
        }
        open.push(!last[i]);
    }
}

fn ps(pids: &[Pid], json: bool) -> Result<ExitCode> {
    let hs = Hierarchy::list()?;
    let mut rows = Vec::new();
    let mut objs = Vec::new();
    for pid in pids {
        let lines = membership::of(*pid)?;
        let cmd = process::command_line(*pid);
        for m in lines {
            let h = hs.iter().find(|h| h.is_named_by(&m.subsystems));
            let dir = h.map(|h| h.dir_of(&m.path).display().to_string());
            objs.push(json!({"pid": pid, "command": cmd, "hierarchy": m.hierarchy,
                             "subsystems": m.subsystems, "path": m.path, "dir": dir}));
            rows.push(vec![
                pid.to_string(),
                m.subsystems.clone(),
                dir.unwrap_or_else(|| format!("(not mounted){}", m.path)),
                cmd.clone(),
            ]);
        }
    }
    if json {
        return print_json(&json!(objs));
    }
    table::print(&["PID", "HIERARCHY", "CONTAINER", "COMMAND"], &rows);
    ok()
}

fn populated(text: &str) -> Option<bool> {
    text.lines()
        .find_map(|l| l.strip_prefix("populated "))
        .map(|v| v.trim() == "1")
}

fn events(path: &Path, watch: bool, timeout: Option<Duration>, json: bool) -> Result<ExitCode> {
    let c = Container::open(path)?;
    let file_path = c.file("container.events");
    let file =
        std::fs::File::open(&file_path).map_err(|e| Error::io("cannot open", &file_path, e))?;
    // Reading from offset 0 re-arms the poll notification.
    let read = || -> Result<Option<bool>> {
        let mut buf = [0u8; 256];
        let n = file
            .read_at(&mut buf, 0)
            .map_err(|e| Error::io("cannot read", &file_path, e))?;
        Ok(populated(&String::from_utf8_lossy(&buf[..n])))
    };
    let show = |state: Option<bool>| {
        let word = match state {
            Some(true) => "populated",
            Some(false) => "empty",
            None => "unknown",
        };
        if json {
            println!("{}", json!({"path": c.dir, "populated": state}));
        } else {
            println!("{} {word}", c.dir.display());
        }
        std::io::stdout().flush().ok();
    };
    let mut state = read()?;
    show(state);
    if !watch {
        return ok();
    }
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let left = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) => Some(left),
                None => return ok(),
            },
            None => None,
        };
        let changed =
            sys::wait_priority(&file, left).map_err(|e| Error::io("cannot poll", &file_path, e))?;
        let now = read()?;
        if changed && now != state {
            state = now;
            show(state);
        }
        if !c.dir.is_dir() {
            return Err(Error::Invalid(format!("{} was removed", c.dir.display())));
        }
    }
}

fn read_setup(file: &Path) -> Result<Setup> {
    let text = if file == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::io("cannot read", "standard input", e))?;
        s
    } else {
        std::fs::read_to_string(file).map_err(|e| Error::io("cannot read", file, e))?
    };
    Setup::parse(&text).map_err(|e| Error::Invalid(format!("{}: {e}", file.display())))
}

fn apply(file: &Path, dry_run: bool, json: bool) -> Result<ExitCode> {
    let setup = read_setup(file)?;
    let changes = if dry_run {
        setup.plan()?
    } else {
        setup.apply()?
    };
    if json {
        return print_json(&json!(changes));
    }
    for c in &changes {
        println!("{}{c}", if dry_run { "would " } else { "" });
    }
    if changes.is_empty() {
        eprintln!("containerctl: nothing to change");
    }
    ok()
}

fn snapshot(json: bool) -> Result<ExitCode> {
    let setup = Setup::snapshot()?;
    if json {
        let v = serde_json::to_value(&setup).map_err(|e| Error::Invalid(e.to_string()))?;
        return print_json(&v);
    }
    print!("{}", setup.to_toml());
    ok()
}

fn completions(shell: &str) -> Result<ExitCode> {
    let text = match shell {
        "bash" => include_str!(concat!(env!("OUT_DIR"), "/containerctl.bash")),
        "zsh" => include_str!(concat!(env!("OUT_DIR"), "/_containerctl")),
        _ => include_str!(concat!(env!("OUT_DIR"), "/containerctl.fish")),
    };
    print!("{text}");
    ok()
}

fn man(subcommand: Option<&str>) -> Result<ExitCode> {
    let name = subcommand.unwrap_or("");
    match pages::PAGES.iter().find(|(n, _)| *n == name) {
        Some((_, page)) => {
            print!("{page}");
            ok()
        }
        None => Err(Error::Invalid(format!("no subcommand {name}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tc_notation_becomes_hex_for_the_kernel() {
        assert_eq!(idlist::kernel_form("net_flow.classid", "1:10"), "0x10010");
        assert_eq!(idlist::kernel_form("classid", "1:10"), "0x10010");
        assert_eq!(
            idlist::kernel_form("net_flow.allowed", "1:10,1:20"),
            "0x10010 0x10020"
        );
        assert_eq!(idlist::kernel_form("net_flow.classid", "65552"), "65552");
        assert_eq!(idlist::kernel_form("cpuset.cpus", "0-1"), "0-1");
    }

    #[test]
    fn events_text() {
        assert_eq!(populated("populated 1\n"), Some(true));
        assert_eq!(populated("populated 0\n"), Some(false));
        assert_eq!(populated(""), None);
    }

    #[test]
    fn command_line_parses() {
        use clap::Parser;
        let cli = Cli::try_parse_from(["containerctl", "exec", "/c/a", "/n/b", "--", "sleep", "1"])
            .unwrap();
        match cli.command {
            Command::Exec { paths, command, .. } => {
                assert_eq!(paths.len(), 2);
                assert_eq!(command, vec!["sleep", "1"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["containerctl", "exec", "/c/a"]).is_err());
        assert!(Cli::try_parse_from(["containerctl", "set", "/c/a"]).is_err());
        let cli = Cli::try_parse_from(["containerctl", "--json", "tree"]).unwrap();
        assert!(cli.json);
        let cli = Cli::try_parse_from([
            "containerctl",
            "create",
            "-p",
            "--cpus",
            "0-1",
            "--owner",
            "1000:1000",
            "/c/a",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Command::Create(CreateArgs { parents: true, .. })
        ));
    }

    #[test]
    fn every_subcommand_has_help_and_a_man_page() {
        use clap::CommandFactory;
        let cmd = Cli::command();
        cmd.clone().debug_assert();
        for sub in cmd.get_subcommands() {
            assert!(sub.get_about().is_some(), "{} has no help", sub.get_name());
            assert!(
                pages::PAGES.iter().any(|(n, _)| *n == sub.get_name()),
                "{} has no man page",
                sub.get_name()
            );
        }
    }

    #[test]
    fn every_subcommand_prints_its_help() {
        use clap::{CommandFactory, Parser};
        for sub in Cli::command().get_subcommands() {
            let name = sub.get_name().to_string();
            match Cli::try_parse_from(["containerctl", name.as_str(), "--help"]) {
                Err(e) => {
                    assert_eq!(
                        e.kind(),
                        clap::error::ErrorKind::DisplayHelp,
                        "{name} --help"
                    );
                    assert!(e.to_string().contains("Usage:"), "{name} --help: {e}");
                }
                Ok(_) => panic!("{name} --help parsed as a command"),
            }
        }
    }
}
