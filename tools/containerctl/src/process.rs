//! What `/proc` says of a process, for listings.

use containerfs::container::Pid;

/// The command line of `pid`, or its `[comm]` when it has none (kernel
/// threads, zombies), or `?` when it is gone.
pub fn command_line(pid: Pid) -> String {
    if let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) {
        let args: Vec<String> = raw
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if !args.is_empty() {
            return args.join(" ");
        }
    }
    match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
        Ok(comm) => format!("[{}]", comm.trim_end()),
        Err(_) => "?".to_string(),
    }
}
