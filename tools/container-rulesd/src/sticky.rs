//! The sticky socket's protocol: a client sends one line `sticky PID`, the
//! daemon answers `ok` or `error <reason>` and closes the connection. Pure
//! parts, tested on the host.

/// The pid of a `sticky PID` request line.
pub fn parse_request(line: &str) -> Result<u32, String> {
    let mut words = line.split_whitespace();
    match (words.next(), words.next(), words.next()) {
        (Some("sticky"), Some(pid), None) => match pid.parse::<u32>() {
            Ok(pid) if pid > 0 => Ok(pid),
            _ => Err(format!("bad pid '{pid}'")),
        },
        (Some("sticky"), _, _) => Err("usage: sticky PID".into()),
        (Some(other), _, _) => Err(format!("unknown request '{other}'")),
        (None, _, _) => Err("empty request".into()),
    }
}

/// Whether a peer with `peer_uid` may make a process whose real uid is
/// `target_ruid` sticky: root, or the process's owner.
pub fn allowed(peer_uid: u32, target_ruid: u32) -> bool {
    peer_uid == 0 || peer_uid == target_ruid
}

/// The reply line.
pub fn reply(result: &Result<(), String>) -> String {
    match result {
        Ok(()) => "ok\n".into(),
        Err(why) => format!("error {}\n", why.replace('\n', " ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        assert_eq!(parse_request("sticky 1234\n"), Ok(1234));
        assert_eq!(parse_request("  sticky   7 "), Ok(7));
        assert!(parse_request("sticky 0").is_err());
        assert!(parse_request("sticky -1").is_err());
        assert!(parse_request("sticky x").is_err());
        assert!(parse_request("sticky").is_err());
        assert!(parse_request("sticky 1 2").is_err());
        assert_eq!(
            parse_request("unsticky 1"),
            Err("unknown request 'unsticky'".into())
        );
        assert!(parse_request("").is_err());
    }

    #[test]
    fn permission() {
        assert!(allowed(0, 1000));
        assert!(allowed(1000, 1000));
        assert!(!allowed(1001, 1000));
        assert!(!allowed(1000, 0));
    }

    #[test]
    fn replies() {
        assert_eq!(reply(&Ok(())), "ok\n");
        assert_eq!(reply(&Err("no\nway".into())), "error no way\n");
    }
}
