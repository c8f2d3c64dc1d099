//! Containers: the directories of a hierarchy, their control files and
//! tasks.

use crate::error::{Error, Result};
use crate::explain;
use crate::hierarchy::Hierarchy;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The files whose values make up a container's configuration, in the
/// order they must be written (lists before the exclusive flags that check
/// them, limits before children exist).
pub const CONFIG_FILES: &[&str] = &[
    "cpuset.cpus",
    "cpuset.cpu_exclusive",
    "memset.mems",
    "memset.mem_exclusive",
    "net_flow.allowed",
    "net_flow.classid",
    "notify_on_release",
    "container.clone_children",
    "container.max.depth",
    "container.max.descendants",
];

/// One container of a mounted hierarchy.
#[derive(Clone, Debug)]
pub struct Container {
    /// Its directory, under the hierarchy's mountpoint.
    pub dir: PathBuf,
    /// Relative to the hierarchy root: `/` or `/a/b`.
    pub path: String,
    pub hierarchy: Hierarchy,
}

/// A task or process id.
pub type Pid = u32;

fn parse_ids(text: &str) -> Vec<Pid> {
    text.lines().filter_map(|l| l.trim().parse().ok()).collect()
}

impl Container {
    /// The container at `dir` (a mountpoint or a directory below one).
    pub fn open(dir: &Path) -> Result<Container> {
        let (hierarchy, path) = Hierarchy::containing(dir)?;
        let dir = hierarchy.dir_of(&path);
        if !dir.is_dir() {
            return Err(Error::Invalid(format!(
                "{} is not a container",
                dir.display()
            )));
        }
        Ok(Container {
            dir,
            path,
            hierarchy,
        })
    }

    /// The root container of a hierarchy.
    pub fn root(hierarchy: &Hierarchy) -> Container {
        Container {
            dir: hierarchy.mountpoint.clone(),
            path: "/".into(),
            hierarchy: hierarchy.clone(),
        }
    }

    pub fn is_root(&self) -> bool {
        self.path == "/"
    }

    /// The parent container (`None` for the root).
    pub fn parent(&self) -> Option<Container> {
        if self.is_root() {
            return None;
        }
        let path = match self.path.rsplit_once('/') {
            Some(("", _)) | None => "/".to_string(),
            Some((p, _)) => p.to_string(),
        };
        Some(Container {
            dir: self.dir.parent()?.to_path_buf(),
            path,
            hierarchy: self.hierarchy.clone(),
        })
    }

    /// The name of `file` in this hierarchy: `cpuset.cpus` is `cpus` in a
    /// hierarchy mounted with `noprefix` (core `container.*` files keep
    /// their prefix).
    pub fn file_name(&self, file: &str) -> String {
        if self.hierarchy.options.noprefix {
            if let Some((sub, rest)) = file.split_once('.') {
                if self.hierarchy.options.subsystems.iter().any(|s| s == sub) {
                    return rest.to_string();
                }
            }
        }
        file.to_string()
    }

    pub fn file(&self, file: &str) -> PathBuf {
        self.dir.join(self.file_name(file))
    }

    pub fn has_file(&self, file: &str) -> bool {
        self.file(file).is_file()
    }

    /// The contents of a control file.
    pub fn read(&self, file: &str) -> Result<String> {
        let path = self.file(file);
        std::fs::read_to_string(&path).map_err(|e| Error::io("cannot read", path, e))
    }

    /// Writes `value` to a control file in one write(2). A refusal is
    /// explained in words when the errno has a known meaning for the file.
    pub fn write(&self, file: &str, value: &str) -> Result<()> {
        let path = self.file(file);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_CLOEXEC)
            .open(&path)
            .map_err(|e| Error::io("cannot open", &path, e))?;
        // One write(2): the kernel takes a value whole or refuses it.
        match f.write(value.as_bytes()) {
            Ok(n) if n == value.len() => Ok(()),
            Ok(n) => Err(Error::Invalid(format!(
                "{}: the kernel took {n} of {} bytes of '{value}'",
                path.display(),
                value.len()
            ))),
            Err(e) => {
                let errno = e.raw_os_error().unwrap_or(libc::EIO);
                Err(Error::Write {
                    why: explain::write_refused(self, file, value, errno),
                    path,
                    value: value.to_string(),
                    errno,
                })
            }
        }
    }

    /// Thread ids in `tasks`.
    pub fn tasks(&self) -> Result<Vec<Pid>> {
        Ok(parse_ids(&self.read("tasks")?))
    }

    /// Process ids in `container.procs`.
    pub fn procs(&self) -> Result<Vec<Pid>> {
        Ok(parse_ids(&self.read("container.procs")?))
    }

    /// Moves every thread of process `pid` here.
    pub fn move_process(&self, pid: Pid) -> Result<()> {
        self.write("container.procs", &pid.to_string())
    }

    /// Moves thread `tid` here.
    pub fn move_thread(&self, tid: Pid) -> Result<()> {
        self.write("tasks", &tid.to_string())
    }

    /// The child containers, sorted by name.
    pub fn children(&self) -> Result<Vec<Container>> {
        let rd =
            std::fs::read_dir(&self.dir).map_err(|e| Error::io("cannot list", &self.dir, e))?;
        let mut out = Vec::new();
        for entry in rd.flatten() {
            if !entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if self.is_root() {
                format!("/{name}")
            } else {
                format!("{}/{name}", self.path)
            };
            out.push(Container {
                dir: entry.path(),
                path,
                hierarchy: self.hierarchy.clone(),
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// This container and every descendant, parents before children, with
    /// their depth below this one. Iterative: depth never grows the stack.
    /// A container removed during the walk is left out.
    pub fn walk(&self) -> Vec<(usize, Container)> {
        let mut out = Vec::new();
        let mut stack = vec![(0usize, self.clone())];
        while let Some((depth, c)) = stack.pop() {
            let children = c.children().unwrap_or_default();
            for child in children.into_iter().rev() {
                stack.push((depth + 1, child));
            }
            out.push((depth, c));
        }
        out
    }

    /// Creates the child container `dir` (parents included when `parents`).
    pub fn create(dir: &Path, parents: bool) -> Result<Container> {
        let r = if parents {
            std::fs::create_dir_all(dir)
        } else {
            std::fs::create_dir(dir)
        };
        r.map_err(|e| Error::io("cannot create container", dir, e))?;
        Container::open(dir)
    }

    /// Delegates the container to `uid:gid`: chowns its directory, `tasks`
    /// and `container.procs` (what cgroup v2 delegation chowns too).
    pub fn delegate(&self, uid: u32, gid: Option<u32>) -> Result<()> {
        let dir = self.dir.clone();
        for path in [dir, self.file("tasks"), self.file("container.procs")] {
            std::os::unix::fs::chown(&path, Some(uid), gid)
                .map_err(|e| Error::io("cannot chown", &path, e))?;
        }
        Ok(())
    }

    /// Removes this container. With `recursive`, its descendants too,
    /// deepest first, after moving every process of the subtree to the
    /// parent (as libcgroup's `cgdelete -r`). Returns the removed paths.
    pub fn delete(&self, recursive: bool) -> Result<Vec<String>> {
        if self.is_root() {
            return Err(Error::Invalid(format!(
                "{} is the root of its hierarchy: umount it instead",
                self.dir.display()
            )));
        }
        if !recursive {
            std::fs::remove_dir(&self.dir).map_err(|e| rmdir_error(&self.dir, e))?;
            return Ok(vec![self.path.clone()]);
        }
        let parent = self
            .parent()
            .ok_or_else(|| Error::Invalid("no parent".into()))?;
        let mut removed = Vec::new();
        let subtree = self.walk();
        for (_, c) in subtree.iter().rev() {
            // Processes forked meanwhile: a few passes, then rmdir tells.
            for _ in 0..8 {
                let procs = c.procs().unwrap_or_default();
                if procs.is_empty() {
                    break;
                }
                for pid in procs {
                    match parent.move_process(pid) {
                        Ok(()) => {}
                        // Exited meanwhile.
                        Err(e) if e.errno() == Some(libc::ESRCH) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            std::fs::remove_dir(&c.dir).map_err(|e| rmdir_error(&c.dir, e))?;
            removed.push(c.path.clone());
        }
        Ok(removed)
    }
}

fn rmdir_error(dir: &Path, e: std::io::Error) -> Error {
    if e.raw_os_error() == Some(libc::EBUSY) {
        Error::Invalid(format!(
            "cannot remove {}: {}: it still has tasks or child containers (delete -r moves its processes to the parent and removes the children)",
            dir.display(),
            crate::error::errno_words(libc::EBUSY)
        ))
    } else {
        Error::io("cannot remove", dir, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hierarchy::MountOptions;

    fn hier(opts: &str) -> Hierarchy {
        Hierarchy {
            mountpoint: "/c".into(),
            also_at: vec![],
            options: MountOptions::parse(opts),
        }
    }

    #[test]
    fn noprefix_names() {
        let c = Container::root(&hier("cpuset,noprefix"));
        assert_eq!(c.file_name("cpuset.cpus"), "cpus");
        assert_eq!(c.file_name("container.procs"), "container.procs");
        let c = Container::root(&hier("cpuset"));
        assert_eq!(c.file_name("cpuset.cpus"), "cpuset.cpus");
    }

    #[test]
    fn parents() {
        let h = hier("cpuset");
        let c = Container {
            dir: "/c/a/b".into(),
            path: "/a/b".into(),
            hierarchy: h,
        };
        let p = c.parent().unwrap();
        assert_eq!(p.path, "/a");
        assert_eq!(p.dir, PathBuf::from("/c/a"));
        let r = p.parent().unwrap();
        assert_eq!(r.path, "/");
        assert!(r.is_root());
        assert!(r.parent().is_none());
    }
}
