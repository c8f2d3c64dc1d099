//! What an errno means for a write to a given control file, in words, from
//! the errno tables of `Documentation/container.rst`, `cpuset.rst` and
//! `net_flow.rst`, with the values that explain it (the parent's list...).

use crate::container::Container;

/// `cpus` for `cpuset.cpus`: the file's leaf name, whatever its prefix.
fn leaf(file: &str) -> &str {
    match file.split_once('.') {
        Some(("container", _)) => file,
        Some((_, rest)) => rest,
        None => file,
    }
}

fn parent_value(c: &Container, file: &str) -> Option<String> {
    let v = c.parent()?.read(file).ok()?;
    Some(v.trim().to_string())
}

fn children_list(c: &Container, file: &str) -> String {
    let mut out = Vec::new();
    for child in c.children().unwrap_or_default() {
        if let Ok(v) = child.read(file) {
            out.push(format!("{} has {}", child.path, none_if_empty(v.trim())));
        }
    }
    out.join(", ")
}

fn none_if_empty(v: &str) -> &str {
    if v.is_empty() {
        "none"
    } else {
        v
    }
}

/// Explains why the kernel refused `value` for `file` of `c` with `errno`,
/// or `None` when the errno has no meaning specific to the file.
pub fn write_refused(c: &Container, file: &str, value: &str, errno: i32) -> Option<String> {
    let name = leaf(file);
    let what = match name {
        "cpus" => "CPU",
        "mems" => "memory node",
        _ => "",
    };
    let text = match (name, errno) {
        (_, libc::E2BIG) => "the value is longer than the file accepts".to_string(),
        (_, libc::ENODEV) => "the container was removed meanwhile".to_string(),
        ("tasks" | "container.procs", libc::ESRCH) => {
            format!("no task {} (or it is exiting)", value.trim())
        }
        ("tasks" | "container.procs", libc::EINVAL) => {
            "not a task id, or a kernel thread (which never moves)".to_string()
        }
        ("tasks" | "container.procs", libc::EACCES) => {
            "you may only move your own tasks (same uid or saved uid) unless root, and need write permission on the file".to_string()
        }
        ("tasks" | "container.procs", libc::ENOSPC) => {
            "the container has no effective CPU or memory node to run the task on".to_string()
        }
        ("tasks" | "container.procs", libc::EBUSY) => {
            "the task's cgroup cpuset allows none of the container's CPUs".to_string()
        }
        ("cpus" | "mems" | "cpu_exclusive" | "mem_exclusive", libc::EACCES) if c.is_root() => {
            format!("the root container's {name} cannot be changed")
        }
        ("cpus" | "mems", libc::EACCES) => match parent_value(c, file) {
            Some(p) => format!(
                "{name} must be a subset of the parent's {}",
                none_if_empty(&p)
            ),
            None => format!("{name} must be a subset of the parent's"),
        },
        ("cpu_exclusive" | "mem_exclusive", libc::EACCES) => {
            "a container can only be exclusive if its parent is".to_string()
        }
        ("cpus" | "mems", libc::EINVAL) => format!(
            "not a {what} list such as 0-2,4, or a {what} that is not online, or {what}s shared with an exclusive sibling"
        ),
        ("cpus" | "mems", libc::EBUSY) => {
            let kids = children_list(c, file);
            if kids.is_empty() {
                format!("a task of the container would be left without an online {what} its cgroup cpuset allows")
            } else {
                format!(
                    "the children's {name} must stay a subset ({kids}), or a task would be left without a {what} its cgroup cpuset allows"
                )
            }
        }
        ("cpus" | "mems", libc::ENOSPC) => {
            format!("the container or a descendant has tasks, so its {name} cannot be empty")
        }
        ("cpu_exclusive" | "mem_exclusive", libc::EBUSY) => {
            "a child is exclusive, so this container must stay exclusive".to_string()
        }
        ("cpu_exclusive" | "mem_exclusive", libc::EINVAL) => {
            "not a number, or a sibling shares some of its list".to_string()
        }
        ("classid" | "allowed", libc::EINVAL) => {
            "not a class id (decimal, 0x hex, or tc's major:minor)".to_string()
        }
        ("classid", libc::EPERM) => {
            let mut allowed = Vec::new();
            if let Some(p) = parent_value(c, file) {
                allowed.push(p);
            }
            if let Some(a) = parent_value(c, "net_flow.allowed") {
                allowed.extend(a.split_whitespace().map(str::to_string));
            }
            if c.is_root() {
                "the root container's class id needs CAP_NET_ADMIN".to_string()
            } else {
                format!(
                    "without CAP_NET_ADMIN the class id must be the parent's or one it allows: {}",
                    allowed.join(", ")
                )
            }
        }
        ("allowed", libc::EPERM) => {
            "without CAP_NET_ADMIN the list may only name class ids the container could be given itself".to_string()
        }
        ("container.max.depth" | "container.max.descendants", libc::EINVAL) => {
            "write max or a number".to_string()
        }
        ("container.max.depth" | "container.max.descendants", libc::ERANGE) => {
            "negative, or above 2147483647".to_string()
        }
        ("release_agent", libc::EPERM) => {
            "only CAP_SYS_ADMIN in the initial user namespace may set it".to_string()
        }
        (_, libc::EINVAL) => "not a value this file accepts".to_string(),
        (_, libc::EACCES) => "no write permission on the file".to_string(),
        _ => return None,
    };
    Some(text)
}
