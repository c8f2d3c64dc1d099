//! User and group names, from `/etc/passwd` and `/etc/group` (numbers pass
//! through).

use std::path::Path;

fn lookup(file: &Path, name: &str) -> Option<u32> {
    if let Ok(n) = name.parse() {
        return Some(n);
    }
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.split(':');
        if f.next()? != name {
            return None;
        }
        f.nth(1)?.parse().ok()
    })
}

/// The uid of a user name or number.
pub fn uid(name: &str) -> Option<u32> {
    lookup(Path::new("/etc/passwd"), name)
}

/// The gid of a group name or number.
pub fn gid(name: &str) -> Option<u32> {
    lookup(Path::new("/etc/group"), name)
}

/// The members of a group: its member list and the users whose primary
/// group it is.
pub fn group_members(group: &str) -> Vec<String> {
    let mut out = Vec::new();
    let gid = gid(group);
    if let Ok(text) = std::fs::read_to_string("/etc/group") {
        for l in text.lines() {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() >= 4 && f[0] == group {
                out.extend(
                    f[3].split(',')
                        .filter(|s| !s.is_empty())
                        .map(str::to_string),
                );
            }
        }
    }
    if let (Some(gid), Ok(text)) = (gid, std::fs::read_to_string("/etc/passwd")) {
        for l in text.lines() {
            let f: Vec<&str> = l.split(':').collect();
            if f.len() >= 4 && f[3].parse() == Ok(gid) {
                out.push(f[0].to_string());
            }
        }
    }
    out
}

/// The name of a uid, if `/etc/passwd` has one.
pub fn user_name(uid: u32) -> Option<String> {
    name_of(Path::new("/etc/passwd"), uid)
}

/// The name of a gid, if `/etc/group` has one.
pub fn group_name(gid: u32) -> Option<String> {
    name_of(Path::new("/etc/group"), gid)
}

fn name_of(file: &Path, id: u32) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 3 && f[2].parse() == Ok(id)).then(|| f[0].to_string())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_pass_through() {
        assert_eq!(super::uid("1234"), Some(1234));
        assert_eq!(super::uid("root"), Some(0));
        assert_eq!(super::gid("0"), Some(0));
        assert_eq!(super::uid("no-such-user-here"), None);
    }
}
