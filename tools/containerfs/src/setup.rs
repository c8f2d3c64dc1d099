//! Declarative setups in TOML (libcgroup's `cgconfig.conf`, in TOML): the
//! hierarchies to mount and the containers to create, with their values
//! and owners. `plan` compares a setup with the system and lists what
//! `apply` would change; applying twice changes nothing the second time.
//! `snapshot` reads the system back in the same format.
//!
//! ```toml
//! [[hierarchy]]
//! mount = "/containers"
//! subsystems = ["cpuset", "memset"]
//!
//! [[container]]
//! path = "/containers/web"
//! owner = "1000:1000"
//! values = { "cpuset.cpus" = "0-1", "memset.mems" = "0" }
//! ```

use crate::container::{Container, CONFIG_FILES};
use crate::error::{Error, Result};
use crate::hierarchy::{Hierarchy, MountOptions};
use crate::idlist;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    #[serde(default, rename = "hierarchy", skip_serializing_if = "Vec::is_empty")]
    pub hierarchies: Vec<HierarchySpec>,
    #[serde(default, rename = "container", skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<ContainerSpec>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HierarchySpec {
    pub mount: PathBuf,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsystems: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub noprefix: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub clone_children: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_agent: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerSpec {
    /// The container's directory, under a hierarchy's `mount`.
    pub path: PathBuf,
    /// `UID[:GID]`: delegate the container to this owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Control file → value (strings, numbers or booleans).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, toml::Value>,
}

/// One change `apply` makes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Change {
    Mount {
        target: PathBuf,
        options: String,
    },
    Create {
        path: PathBuf,
    },
    Set {
        path: PathBuf,
        file: String,
        from: Option<String>,
        to: String,
    },
    Chown {
        path: PathBuf,
        uid: u32,
        gid: Option<u32>,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Mount { target, options } => {
                write!(f, "mount -o {options} {}", target.display())
            }
            Change::Create { path } => write!(f, "create {}", path.display()),
            Change::Set {
                path,
                file,
                from,
                to,
            } => match from {
                Some(from) => write!(f, "set {}/{file}: {from} -> {to}", path.display()),
                None => write!(f, "set {}/{file}: {to}", path.display()),
            },
            Change::Chown { path, uid, gid } => match gid {
                Some(g) => write!(f, "chown {uid}:{g} {}", path.display()),
                None => write!(f, "chown {uid} {}", path.display()),
            },
        }
    }
}

/// `UID[:GID]`, numeric or names from `/etc/passwd` and `/etc/group`.
pub fn parse_owner(owner: &str) -> Result<(u32, Option<u32>)> {
    let (u, g) = match owner.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (owner, None),
    };
    let uid = crate::users::uid(u)
        .ok_or_else(|| Error::Invalid(format!("owner {owner}: no user {u}")))?;
    let gid = match g {
        Some(g) if !g.is_empty() => Some(
            crate::users::gid(g)
                .ok_or_else(|| Error::Invalid(format!("owner {owner}: no group {g}")))?,
        ),
        _ => None,
    };
    Ok((uid, gid))
}

fn value_text(v: &toml::Value) -> Result<String> {
    Ok(match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Boolean(b) => if *b { "1" } else { "0" }.to_string(),
        other => {
            return Err(Error::Invalid(format!(
                "value {other} is neither a string, a number nor a boolean"
            )))
        }
    })
}

/// The order values are written in: `CONFIG_FILES` first, in its order,
/// then any other file by name.
fn file_order(file: &str) -> (usize, String) {
    let idx = CONFIG_FILES
        .iter()
        .position(|f| *f == file)
        .unwrap_or(usize::MAX);
    (idx, file.to_string())
}

impl Setup {
    /// Parses a setup; errors carry the line and column.
    pub fn parse(text: &str) -> Result<Setup> {
        let setup: Setup = toml::from_str(text).map_err(|e| Error::Invalid(e.to_string()))?;
        setup.validate()?;
        Ok(setup)
    }

    fn validate(&self) -> Result<()> {
        for h in &self.hierarchies {
            if !h.mount.is_absolute() {
                return Err(Error::Invalid(format!(
                    "hierarchy mount {} is not an absolute path",
                    h.mount.display()
                )));
            }
        }
        for c in &self.containers {
            if !c.path.is_absolute() {
                return Err(Error::Invalid(format!(
                    "container {} is not an absolute path",
                    c.path.display()
                )));
            }
            if let Some(o) = &c.owner {
                parse_owner(o)?;
            }
            for v in c.values.values() {
                value_text(v)?;
            }
        }
        Ok(())
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_default()
    }

    /// What `apply` would change now, in order.
    pub fn plan(&self) -> Result<Vec<Change>> {
        self.run(false)
    }

    /// Makes the system match the setup; returns what it changed.
    pub fn apply(&self) -> Result<Vec<Change>> {
        self.run(true)
    }

    fn run(&self, act: bool) -> Result<Vec<Change>> {
        let mut changes = Vec::new();
        let mounted = Hierarchy::list()?;
        for h in &self.hierarchies {
            let options = MountOptions {
                subsystems: {
                    let mut s = h.subsystems.clone();
                    s.sort();
                    s
                },
                name: h.name.clone(),
                noprefix: h.noprefix,
                clone_children: h.clone_children,
                release_agent: h.release_agent.clone(),
            };
            let already = mounted.iter().any(|m| {
                std::iter::once(&m.mountpoint)
                    .chain(m.also_at.iter())
                    .any(|p| p == &h.mount)
                    && (m.options.same_hierarchy(&options)
                        || (options.subsystems.is_empty()
                            && options.name.is_none()
                            && m.options.name.is_none()))
            });
            if !already {
                if act {
                    Hierarchy::mount(&h.mount, &options)?;
                }
                changes.push(Change::Mount {
                    target: h.mount.clone(),
                    options: options.to_mount_data(),
                });
            }
        }
        let mut containers: Vec<&ContainerSpec> = self.containers.iter().collect();
        containers.sort_by_key(|c| c.path.components().count());
        for spec in containers {
            let exists = spec.path.is_dir();
            if !exists {
                if act {
                    Container::create(&spec.path, false)?;
                }
                changes.push(Change::Create {
                    path: spec.path.clone(),
                });
            }
            let container = if exists || act {
                Some(Container::open(&spec.path)?)
            } else {
                None
            };
            let mut files: Vec<(&String, &toml::Value)> = spec.values.iter().collect();
            files.sort_by_key(|(f, _)| file_order(f));
            for (file, value) in files {
                let to = value_text(value)?;
                let from = match &container {
                    Some(c) => Some(c.read(file)?.trim().to_string()),
                    None => None,
                };
                if let Some(from) = &from {
                    if idlist::same_value(file, from, &to) {
                        continue;
                    }
                }
                if act {
                    if let Some(c) = &container {
                        c.write(file, &idlist::kernel_form(file, &to))?;
                    }
                }
                changes.push(Change::Set {
                    path: spec.path.clone(),
                    file: file.clone(),
                    from,
                    to,
                });
            }
            if let Some(owner) = &spec.owner {
                let (uid, gid) = parse_owner(owner)?;
                let current = std::fs::metadata(&spec.path).ok();
                let same = current
                    .as_ref()
                    .is_some_and(|m| m.uid() == uid && gid.is_none_or(|g| m.gid() == g));
                if !same {
                    if act {
                        if let Some(c) = &container {
                            c.delegate(uid, gid)?;
                        }
                    }
                    changes.push(Change::Chown {
                        path: spec.path.clone(),
                        uid,
                        gid,
                    });
                }
            }
        }
        Ok(changes)
    }

    /// The system's setup now: every mounted hierarchy (at its first
    /// mountpoint) and every container below the roots, with the values of
    /// its configuration files and its owner when not root.
    pub fn snapshot() -> Result<Setup> {
        let mut setup = Setup::default();
        for h in Hierarchy::list()? {
            setup.hierarchies.push(HierarchySpec {
                mount: h.mountpoint.clone(),
                subsystems: h.options.subsystems.clone(),
                name: h.options.name.clone(),
                noprefix: h.options.noprefix,
                clone_children: false,
                release_agent: None,
            });
            let root = Container::root(&h);
            for (_, c) in root.walk() {
                let mut spec = ContainerSpec {
                    path: c.dir.clone(),
                    ..Default::default()
                };
                for file in CONFIG_FILES {
                    // The root's lists and flags are the system's; they
                    // cannot be written.
                    if c.is_root() && (file.starts_with("cpuset.") || file.starts_with("memset.")) {
                        continue;
                    }
                    if !c.has_file(file) {
                        continue;
                    }
                    if let Ok(v) = c.read(file) {
                        spec.values
                            .insert(file.to_string(), toml::Value::String(v.trim().to_string()));
                    }
                }
                if let Ok(m) = std::fs::metadata(&c.dir) {
                    if m.uid() != 0 || m.gid() != 0 {
                        spec.owner = Some(format!("{}:{}", m.uid(), m.gid()));
                    }
                }
                setup.containers.push(spec);
            }
        }
        Ok(setup)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
[[hierarchy]]
mount = "/containers"
subsystems = ["memset", "cpuset"]

[[hierarchy]]
mount = "/jobs"
name = "jobs"

[[container]]
path = "/containers/web"
owner = "0:0"
values = { "cpuset.cpus" = "0-1", "notify_on_release" = true, "container.max.depth" = 2 }
"#;

    #[test]
    fn parses_a_setup() {
        let s = Setup::parse(SAMPLE).unwrap();
        assert_eq!(s.hierarchies.len(), 2);
        assert_eq!(s.hierarchies[1].name.as_deref(), Some("jobs"));
        let c = &s.containers[0];
        assert_eq!(value_text(&c.values["notify_on_release"]).unwrap(), "1");
        assert_eq!(value_text(&c.values["container.max.depth"]).unwrap(), "2");
    }

    #[test]
    fn errors_name_the_line() {
        let e = Setup::parse("[[hierarchy]]\nmount = \"/c\"\nbogus = 1\n").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("bogus"), "{text}");
        let e = Setup::parse("[[hierarchy]]\nmount = \"c\"\n").unwrap_err();
        assert!(e.to_string().contains("absolute"));
        let e = Setup::parse("[[container]]\npath = \"/c/a\"\nvalues = { x = [1] }\n").unwrap_err();
        assert!(e.to_string().contains("neither"));
    }

    #[test]
    fn round_trips_through_toml() {
        let s = Setup::parse(SAMPLE).unwrap();
        let again = Setup::parse(&s.to_toml()).unwrap();
        assert_eq!(s, again);
    }

    #[test]
    fn values_are_written_lists_first() {
        let mut files = vec![
            "cpuset.cpu_exclusive",
            "zzz",
            "cpuset.cpus",
            "container.max.depth",
        ];
        files.sort_by_key(|f| file_order(f));
        assert_eq!(
            files,
            vec![
                "cpuset.cpus",
                "cpuset.cpu_exclusive",
                "container.max.depth",
                "zzz"
            ]
        );
    }
}
