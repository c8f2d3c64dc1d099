//! Hierarchies: the mounts of type `container` (`/proc/self/mounts`), their
//! options, and mounting and unmounting them.

use crate::error::{Error, Result};
use crate::sys;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The options that identify a hierarchy (`mount -o`): mounting with the
/// same options mounts the same hierarchy again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MountOptions {
    /// Bound subsystems, sorted; empty with `name` alone.
    pub subsystems: Vec<String>,
    pub name: Option<String>,
    pub noprefix: bool,
    pub clone_children: bool,
    pub release_agent: Option<String>,
}

impl MountOptions {
    /// Parses the options of a `/proc/mounts` line or of `mount -o`.
    /// Generic VFS options (`rw`, `relatime`...) are ignored.
    pub fn parse(options: &str) -> MountOptions {
        let mut o = MountOptions::default();
        for opt in options.split(',').filter(|s| !s.is_empty()) {
            match opt.split_once('=') {
                Some(("name", v)) => o.name = Some(v.to_string()),
                Some(("release_agent", v)) => o.release_agent = Some(v.to_string()),
                Some(_) => {}
                None => match opt {
                    "noprefix" => o.noprefix = true,
                    "clone_children" => o.clone_children = true,
                    "rw" | "ro" | "relatime" | "noatime" | "nodiratime" | "strictatime"
                    | "nosuid" | "nodev" | "noexec" | "sync" | "dirsync" | "lazytime" | "none"
                    | "all" => {}
                    sub => o.subsystems.push(sub.to_string()),
                },
            }
        }
        o.subsystems.sort();
        o.subsystems.dedup();
        o
    }

    /// The `-o` string to mount these options with (`all` when nothing
    /// selects subsystems: the kernel's default).
    pub fn to_mount_data(&self) -> String {
        let mut parts: Vec<String> = self.subsystems.clone();
        if parts.is_empty() && self.name.is_some() {
            parts.push("none".into());
        }
        if let Some(name) = &self.name {
            parts.push(format!("name={name}"));
        }
        if self.noprefix {
            parts.push("noprefix".into());
        }
        if self.clone_children {
            parts.push("clone_children".into());
        }
        if let Some(agent) = &self.release_agent {
            parts.push(format!("release_agent={agent}"));
        }
        parts.join(",")
    }

    /// Whether two option sets name the same hierarchy (subsystems, name
    /// and noprefix, as the kernel compares them).
    pub fn same_hierarchy(&self, other: &MountOptions) -> bool {
        self.subsystems == other.subsystems
            && self.name == other.name
            && self.noprefix == other.noprefix
    }

    /// `cpuset,memset` or `name=x`, for people.
    pub fn label(&self) -> String {
        let mut parts = self.subsystems.clone();
        if let Some(name) = &self.name {
            parts.push(format!("name={name}"));
        }
        parts.join(",")
    }
}

/// A mounted hierarchy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hierarchy {
    /// Where it is mounted (the first mount of it, in mount order).
    pub mountpoint: PathBuf,
    /// Every other place the same hierarchy is mounted.
    pub also_at: Vec<PathBuf>,
    pub options: MountOptions,
}

/// Undoes the octal escapes of `/proc/mounts` (`\040` for a space).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 3 < bytes.len() {
            let oct = std::str::from_utf8(&bytes[i + 1..i + 4]).unwrap_or("");
            if let Ok(v) = u8::from_str_radix(oct, 8) {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Hierarchy {
    /// The hierarchies in a `/proc/mounts` text, each once (a hierarchy
    /// mounted twice has the same subsystems, name and noprefix).
    pub fn parse_mounts(text: &str) -> Vec<Hierarchy> {
        let mut out: Vec<Hierarchy> = Vec::new();
        for line in text.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 4 || fields[2] != "container" {
                continue;
            }
            let mountpoint = PathBuf::from(unescape(fields[1]));
            let options = MountOptions::parse(fields[3]);
            if let Some(h) = out.iter_mut().find(|h| h.options.same_hierarchy(&options)) {
                h.also_at.push(mountpoint);
            } else {
                out.push(Hierarchy {
                    mountpoint,
                    also_at: Vec::new(),
                    options,
                });
            }
        }
        out
    }

    /// Whether a membership line's `cpuset,memset` or `name=x` (in the
    /// kernel's order) denotes this hierarchy.
    pub fn is_named_by(&self, label: &str) -> bool {
        let listed = MountOptions::parse(label);
        self.options.subsystems == listed.subsystems && self.options.name == listed.name
    }

    /// The directory of the container at `path` (`/` or `/a/b`) under
    /// the mountpoint.
    pub fn dir_of(&self, path: &str) -> PathBuf {
        match path.trim_start_matches('/') {
            "" => self.mountpoint.clone(),
            rel => self.mountpoint.join(rel),
        }
    }

    /// The hierarchies mounted now, as this process sees them.
    pub fn list() -> Result<Vec<Hierarchy>> {
        let path = Path::new("/proc/self/mounts");
        let text = std::fs::read_to_string(path).map_err(|e| Error::io("cannot read", path, e))?;
        Ok(Self::parse_mounts(&text))
    }

    /// The hierarchy `path` is in (a mountpoint or any container below
    /// one), and the container's path relative to the root (`/a/b`).
    pub fn containing(path: &Path) -> Result<(Hierarchy, String)> {
        let abs = std::fs::canonicalize(path).map_err(|e| Error::io("no container", path, e))?;
        let mut best: Option<(Hierarchy, PathBuf)> = None;
        for h in Self::list()? {
            for mp in std::iter::once(&h.mountpoint).chain(h.also_at.iter()) {
                if abs.starts_with(mp)
                    && best
                        .as_ref()
                        .is_none_or(|(_, m)| mp.components().count() > m.components().count())
                {
                    best = Some((h.clone(), mp.clone()));
                }
            }
        }
        match best {
            Some((mut h, mp)) => {
                let rel = abs.strip_prefix(&mp).unwrap_or(Path::new(""));
                let rel = format!("/{}", rel.display());
                h.mountpoint = mp;
                Ok((h, rel))
            }
            None => Err(Error::Invalid(format!(
                "{} is not in a container hierarchy (no mount of type container holds it)",
                path.display()
            ))),
        }
    }

    /// The hierarchy that binds `subsys`, or is named `name=...`, or is
    /// mounted at that path.
    pub fn find(list: &[Hierarchy], what: &str) -> Option<Hierarchy> {
        let name = what.strip_prefix("name=");
        list.iter()
            .find(|h| {
                if let Some(name) = name {
                    return h.options.name.as_deref() == Some(name);
                }
                h.options.subsystems.iter().any(|s| s == what)
                    || h.options.name.as_deref() == Some(what)
                    || std::iter::once(&h.mountpoint)
                        .chain(h.also_at.iter())
                        .any(|m| m == Path::new(what))
            })
            .cloned()
    }

    /// Mounts a hierarchy with `options` at `target` (created if missing).
    pub fn mount(target: &Path, options: &MountOptions) -> Result<()> {
        std::fs::create_dir_all(target).map_err(|e| Error::io("cannot create", target, e))?;
        sys::mount_container(target, &options.to_mount_data()).map_err(|e| {
            Error::io(
                format!("cannot mount -o {} on", options.to_mount_data()),
                target,
                e,
            )
        })
    }

    /// Unmounts the mount at `target`.
    pub fn umount(target: &Path) -> Result<()> {
        sys::umount(target).map_err(|e| Error::io("cannot umount", target, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTS: &str = "\
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
none /containers container rw,relatime,cpuset,memset 0 0
none /n container rw,relatime,net_flow,noprefix 0 0
x /named\\040dir container rw,relatime,name=jobs 0 0
none /again container rw,relatime,memset,cpuset 0 0
";

    #[test]
    fn mounts_are_parsed_once_per_hierarchy() {
        let hs = Hierarchy::parse_mounts(MOUNTS);
        assert_eq!(hs.len(), 3);
        assert_eq!(hs[0].mountpoint, PathBuf::from("/containers"));
        assert_eq!(hs[0].options.subsystems, vec!["cpuset", "memset"]);
        assert_eq!(hs[0].also_at, vec![PathBuf::from("/again")]);
        assert!(hs[1].options.noprefix);
        assert_eq!(hs[2].mountpoint, PathBuf::from("/named dir"));
        assert_eq!(hs[2].options.name.as_deref(), Some("jobs"));
        assert!(hs[2].options.subsystems.is_empty());
    }

    #[test]
    fn find_by_subsystem_name_or_path() {
        let hs = Hierarchy::parse_mounts(MOUNTS);
        assert_eq!(
            Hierarchy::find(&hs, "memset").unwrap().mountpoint,
            PathBuf::from("/containers")
        );
        assert_eq!(
            Hierarchy::find(&hs, "name=jobs").unwrap().mountpoint,
            PathBuf::from("/named dir")
        );
        assert_eq!(
            Hierarchy::find(&hs, "/n").unwrap().options.subsystems,
            vec!["net_flow"]
        );
        assert!(Hierarchy::find(&hs, "debug").is_none());
    }

    #[test]
    fn container_dirs() {
        let hs = Hierarchy::parse_mounts(MOUNTS);
        assert_eq!(hs[0].dir_of("/"), PathBuf::from("/containers"));
        assert_eq!(hs[0].dir_of("/a/b"), PathBuf::from("/containers/a/b"));
    }

    #[test]
    fn mount_data() {
        let o = MountOptions::parse("memset,cpuset,noprefix");
        assert_eq!(o.to_mount_data(), "cpuset,memset,noprefix");
        let o = MountOptions::parse("name=x");
        assert_eq!(o.to_mount_data(), "none,name=x");
        assert_eq!(MountOptions::default().to_mount_data(), "");
    }
}
