//! Subsystems, as `/proc/containers` lists them.

use crate::error::{Error, Result};
use serde::Serialize;
use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subsys {
    pub name: String,
    /// The id of the hierarchy it is bound to; 0: none.
    pub hierarchy: u32,
    /// Containers in that hierarchy, root included.
    pub num_containers: u32,
    pub enabled: bool,
}

/// Parses `/proc/containers` (a `#` header, then one line per subsystem).
pub fn parse(text: &str) -> Vec<Subsys> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 4 {
                return None;
            }
            Some(Subsys {
                name: f[0].to_string(),
                hierarchy: f[1].parse().ok()?,
                num_containers: f[2].parse().ok()?,
                enabled: f[3] == "1",
            })
        })
        .collect()
}

/// The subsystems of the loaded module.
pub fn list() -> Result<Vec<Subsys>> {
    let path = Path::new("/proc/containers");
    let text = std::fs::read_to_string(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Invalid("/proc/containers is missing: is container.ko loaded?".into())
        } else {
            Error::io("cannot read", path, e)
        }
    })?;
    Ok(parse(&text))
}

#[cfg(test)]
mod tests {
    #[test]
    fn proc_containers() {
        let s = super::parse(
            "#subsys_name\thierarchy\tnum_containers\tenabled\ncpuset\t1\t3\t1\ndebug\t0\t1\t1\n",
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "cpuset");
        assert_eq!(s[0].hierarchy, 1);
        assert_eq!(s[0].num_containers, 3);
        assert_eq!(s[1].hierarchy, 0);
    }
}
