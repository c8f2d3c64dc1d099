//! Which container a task is in, in every hierarchy:
//! `/proc/container_membership` (the 2007 patch's `/proc/<pid>/container`).

use crate::error::{Error, Result};
use serde::Serialize;
use std::io::{Read, Seek, Write};
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub hierarchy: u32,
    /// `cpuset,memset` or `name=x`, as the kernel prints them.
    pub subsystems: String,
    /// Relative to the hierarchy root: `/` or `/a/b`.
    pub path: String,
}

/// Parses `<id>:<subsys,...[,name=N]>:<path>` lines.
pub fn parse(text: &str) -> Vec<Membership> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ':');
            Some(Membership {
                hierarchy: f.next()?.parse().ok()?,
                subsystems: f.next()?.to_string(),
                path: f.next()?.to_string(),
            })
        })
        .collect()
}

/// The containers of task `pid`.
pub fn of(pid: u32) -> Result<Vec<Membership>> {
    let path = Path::new("/proc/container_membership");
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| Error::io("cannot open", path, e))?;
    f.write_all(pid.to_string().as_bytes())
        .map_err(|e| Error::io(format!("pid {pid}:"), path, e))?;
    f.rewind().map_err(|e| Error::io("cannot seek", path, e))?;
    let mut text = String::new();
    f.read_to_string(&mut text)
        .map_err(|e| Error::io(format!("pid {pid}:"), path, e))?;
    Ok(parse(&text))
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines() {
        let m = super::parse("1:cpuset,memset:/a/b\n2:name=x:/\n3:debug:/with:colon\n");
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].path, "/a/b");
        assert_eq!(m[1].subsystems, "name=x");
        assert_eq!(m[2].path, "/with:colon");
    }
}
