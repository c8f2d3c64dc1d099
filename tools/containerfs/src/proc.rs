//! What `/proc/<pid>` says of a process: `stat` (parent, process group,
//! session, flags, start time), `status` (uids, gids, groups) and `exe`.
//! The parsers are pure, for tests; the readers return the `io::Error` of
//! `/proc` (`NotFound` once the process is gone).

use std::io;
use std::path::PathBuf;

/// `PF_KTHREAD` in the `flags` field of `/proc/<pid>/stat`.
pub const PF_KTHREAD: u32 = 0x0020_0000;

/// The fields of `/proc/<pid>/stat` the tools use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub pid: u32,
    /// The command name (`comm`, at most 15 bytes).
    pub comm: String,
    pub state: char,
    pub ppid: u32,
    pub pgrp: u32,
    pub session: u32,
    pub flags: u32,
    /// Clock ticks after boot: with the pid, identifies a process even
    /// when pids are reused.
    pub start_time: u64,
}

impl Stat {
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }
}

/// Parses `/proc/<pid>/stat`. The command name may hold spaces and
/// parentheses: it ends at the last `)`.
pub fn parse_stat(text: &str) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    if close < open {
        return None;
    }
    let pid = text[..open].trim().parse().ok()?;
    let comm = text[open + 1..close].to_string();
    let f: Vec<&str> = text[close + 1..].split_whitespace().collect();
    // f[0] is field 3 (state); field n is f[n - 3].
    let num = |n: usize| -> Option<i64> { f.get(n - 3)?.parse().ok() };
    let id = |n: usize| -> Option<u32> { u32::try_from(num(n)?.max(0)).ok() };
    Some(Stat {
        pid,
        comm,
        state: f.first()?.chars().next()?,
        ppid: id(4)?,
        pgrp: id(5)?,
        session: id(6)?,
        flags: f.get(6)?.parse().ok()?,
        start_time: f.get(19)?.parse().ok()?,
    })
}

/// The credentials of `/proc/<pid>/status`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ids {
    /// Real, effective, saved and filesystem uid.
    pub uid: [u32; 4],
    /// Real, effective, saved and filesystem gid.
    pub gid: [u32; 4],
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

fn four(rest: &str) -> Option<[u32; 4]> {
    let v: Vec<u32> = rest
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    Some([*v.first()?, *v.get(1)?, *v.get(2)?, *v.get(3)?])
}

/// Parses the `Uid:`, `Gid:` and `Groups:` lines of `/proc/<pid>/status`.
pub fn parse_status(text: &str) -> Option<Ids> {
    let mut uid = None;
    let mut gid = None;
    let mut groups = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Uid:") {
            uid = four(rest);
        } else if let Some(rest) = line.strip_prefix("Gid:") {
            gid = four(rest);
        } else if let Some(rest) = line.strip_prefix("Groups:") {
            groups = rest
                .split_whitespace()
                .filter_map(|s| s.parse().ok())
                .collect();
        }
    }
    Some(Ids {
        uid: uid?,
        gid: gid?,
        groups,
    })
}

fn invalid(pid: u32, file: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("/proc/{pid}/{file}: unexpected format"),
    )
}

/// Reads `/proc/<pid>/stat`.
pub fn stat(pid: u32) -> io::Result<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    parse_stat(&text).ok_or_else(|| invalid(pid, "stat"))
}

/// Reads `/proc/<pid>/status`.
pub fn status(pid: u32) -> io::Result<Ids> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_status(&text).ok_or_else(|| invalid(pid, "status"))
}

/// The executable of `pid` (`None` for kernel threads, zombies, or when it
/// cannot be read).
pub fn exe(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/exe")).ok()
}

/// The ids of every process (thread group) in `/proc`, ascending.
pub fn pids() -> io::Result<Vec<u32>> {
    let mut out: Vec<u32> = std::fs::read_dir("/proc")?
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect();
    out.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_odd_comm() {
        let text = "1234 (my (odd) name) S 1 1234 1234 34816 1234 4194560 100 0 0 0 \
                    1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615\n";
        let s = parse_stat(text).unwrap();
        assert_eq!(s.pid, 1234);
        assert_eq!(s.comm, "my (odd) name");
        assert_eq!(s.state, 'S');
        assert_eq!((s.ppid, s.pgrp, s.session), (1, 1234, 1234));
        assert_eq!(s.flags, 4194560);
        assert_eq!(s.start_time, 987654);
        assert!(!s.is_kernel_thread());
    }

    #[test]
    fn kernel_thread() {
        let text = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0 \
                    18446744073709551615\n";
        let s = parse_stat(text).unwrap();
        assert!(s.is_kernel_thread());
        assert_eq!(s.ppid, 0);
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn status_ids() {
        let text = "Name:\tsleep\nUid:\t1000\t1001\t1002\t1003\nGid:\t100\t101\t102\t103\n\
                    Groups:\t4 24 27 \nNSpid:\t1\n";
        let ids = parse_status(text).unwrap();
        assert_eq!(ids.uid, [1000, 1001, 1002, 1003]);
        assert_eq!(ids.gid, [100, 101, 102, 103]);
        assert_eq!(ids.groups, vec![4, 24, 27]);
        assert!(parse_status("Name:\tx\n").is_none());
    }

    #[test]
    fn own_process() {
        let me = std::process::id();
        assert_eq!(stat(me).unwrap().pid, me);
        assert!(status(me).is_ok());
        assert!(pids().unwrap().contains(&me));
    }
}
