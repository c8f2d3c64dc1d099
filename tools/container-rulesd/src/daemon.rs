//! The daemon's main loop: poll(2) on the proc connector, the signalfd,
//! the sticky socket, `/proc/self/mounts` and the `container.events` of
//! the template containers it created.

use crate::engine::{log, Engine, UserDb};
use crate::event::{self, Event};
use crate::rules;
use crate::sticky;
use crate::sys::{self, Signals};
use netlink_sys::{protocols::NETLINK_CONNECTOR, Socket, SocketAddr};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct Config {
    pub config: PathBuf,
    pub socket: PathBuf,
    /// `None`: no periodic rescan.
    pub rescan: Option<Duration>,
    pub rcvbuf: Option<usize>,
    pub verbose: bool,
}

/// The proc connector's receive buffer unless `--rcvbuf` says otherwise.
const DEFAULT_RCVBUF: i32 = 8 << 20;

/// Reads and parses a rules file.
pub fn load(path: &Path) -> Result<rules::Parsed, Vec<String>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![format!("cannot read {}: {e}", path.display())])?;
    rules::parse(&text, &path.display().to_string(), &UserDb)
}

/// Opens the proc connector and subscribes to process events.
fn connector(rcvbuf: Option<usize>) -> std::io::Result<Socket> {
    let mut sock = Socket::new(NETLINK_CONNECTOR)?;
    match rcvbuf {
        Some(bytes) => {
            sock.set_rx_buf_sz(libc::c_int::try_from(bytes).unwrap_or(libc::c_int::MAX))?
        }
        // Room for bursts (a fork storm sends three events per process):
        // lost events cost a rescan. Best effort.
        None => {
            if let Err(e) = sys::force_rcvbuf(&sock, DEFAULT_RCVBUF) {
                log(format!("warning: cannot enlarge the receive buffer: {e}"));
            }
        }
    }
    sock.bind(&SocketAddr::new(0, event::CN_IDX_PROC))?;
    let req = event::mcast_request(event::PROC_CN_MCAST_LISTEN, std::process::id());
    sock.send_to(&req, &SocketAddr::new(0, 0), 0)?;
    sock.set_non_blocking(true)?;
    Ok(sock)
}

fn listen(path: &Path) -> Result<UnixListener, String> {
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(format!(
                "{}: another daemon is listening there",
                path.display()
            ));
        }
        std::fs::remove_file(path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    let l = UnixListener::bind(path)
        .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
    // Anyone may ask; the peer's credentials decide.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666))
        .map_err(|e| format!("cannot chmod {}: {e}", path.display()))?;
    l.set_nonblocking(true)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(l)
}

/// Serves one client: one request line, one reply line.
fn serve(engine: &mut Engine, mut s: UnixStream) {
    let timeout = Some(Duration::from_millis(250));
    if s.set_nonblocking(false).is_err()
        || s.set_read_timeout(timeout).is_err()
        || s.set_write_timeout(timeout).is_err()
    {
        return;
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 64];
    while !buf.contains(&b'\n') && buf.len() < 128 {
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let line = String::from_utf8_lossy(&buf);
    let line = line.lines().next().unwrap_or("");
    let result = sticky::parse_request(line).and_then(|pid| {
        let (_, uid, _) = sys::peer_cred(&s).map_err(|e| format!("no peer credentials: {e}"))?;
        engine.make_sticky(pid, uid)
    });
    if let Err(e) = &result {
        log(format!("refused '{line}': {e}"));
    }
    let _ = s.write_all(sticky::reply(&result).as_bytes());
}

fn handle(engine: &mut Engine, ev: Event) {
    match ev {
        Event::Ack { err } => {
            if err != 0 {
                log(format!(
                    "error: the proc connector refused to listen: errno {err}"
                ));
            }
        }
        Event::Fork {
            parent_tgid,
            child_pid,
            child_tgid,
            ..
        } => engine.on_fork(parent_tgid, child_pid, child_tgid),
        Event::Exec { tgid, .. } => engine.classify(tgid, "exec"),
        Event::Uid { tgid, .. } => engine.classify(tgid, "uid"),
        Event::Gid { tgid, .. } => engine.classify(tgid, "gid"),
        Event::Sid { tgid, .. } => engine.classify(tgid, "sid"),
        Event::Comm { tgid, .. } => engine.classify(tgid, "comm"),
        Event::Exit { pid, tgid } => engine.on_exit(pid, tgid),
        Event::Other { .. } => {}
    }
}

/// Reads what the connector has (a bounded batch, so signals and clients
/// are served during storms). Returns whether events were lost.
fn drain(engine: &mut Engine, sock: &Socket, buf: &mut Vec<u8>) -> bool {
    let mut lost = false;
    for _ in 0..1024 {
        buf.clear();
        match sock.recv(buf, 0) {
            Ok(n) => {
                let n = n.min(buf.len());
                for (at, ev) in event::parse_datagram_timed(&buf[..n]) {
                    engine.event_ns = Some(at);
                    handle(engine, ev);
                }
                engine.event_ns = None;
            }
            Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => lost = true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                log(format!("error: reading the proc connector: {e}"));
                break;
            }
        }
    }
    lost
}

/// Runs until SIGTERM or SIGINT.
pub fn run(cfg: Config) -> Result<(), String> {
    let parsed = load(&cfg.config).map_err(|e| e.join("\n"))?;
    for w in &parsed.warnings {
        log(format!("warning: {w}"));
    }
    let signals = Signals::open().map_err(|e| format!("cannot open a signalfd: {e}"))?;
    let sock = connector(cfg.rcvbuf).map_err(|e| {
        format!("cannot listen to the proc connector (root in the initial namespaces needed): {e}")
    })?;
    let listener = listen(&cfg.socket)?;
    let mounts = File::open("/proc/self/mounts").map_err(|e| format!("/proc/self/mounts: {e}"))?;
    let mut engine = Engine::new(parsed.rules, cfg.verbose);
    if engine.rules.is_empty() {
        log(format!("warning: {} has no rules", cfg.config.display()));
    }
    log(format!(
        "{} rules from {}; sticky socket {}",
        engine.rules.len(),
        cfg.config.display(),
        cfg.socket.display()
    ));
    // Events from now on are queued: processes started during the scan
    // are seen either way.
    engine.rescan();
    let mut buf = Vec::with_capacity(16384);
    let mut next_rescan = cfg.rescan.map(|d| Instant::now() + d);
    let result = loop {
        let watched = engine.watched();
        let mut fds = vec![
            (signals.as_raw_fd(), libc::POLLIN),
            (sock.as_raw_fd(), libc::POLLIN),
            (listener.as_raw_fd(), libc::POLLIN),
            (mounts.as_raw_fd(), libc::POLLPRI),
        ];
        fds.extend(watched.iter().map(|(_, fd)| (*fd, libc::POLLPRI)));
        let timeout = next_rescan.map(|t| t.saturating_duration_since(Instant::now()));
        let revents = match containerfs::sys::poll(&fds, timeout) {
            Ok(r) => r,
            Err(e) => break Err(format!("poll: {e}")),
        };
        let ready = |i: usize| revents.get(i).copied().unwrap_or(0) != 0;
        if ready(0) {
            let mut stop = false;
            while let Some(sig) = signals.next() {
                match sig {
                    libc::SIGHUP => match load(&cfg.config) {
                        Ok(p) => {
                            for w in &p.warnings {
                                log(format!("warning: {w}"));
                            }
                            engine.set_rules(p.rules);
                            if engine.rules.is_empty() {
                                log(format!("warning: {} has no rules", cfg.config.display()));
                            }
                            log(format!(
                                "reloaded {} rules from {}",
                                engine.rules.len(),
                                cfg.config.display()
                            ));
                            engine.rescan();
                        }
                        Err(errors) => {
                            for e in errors {
                                log(format!("error: {e}"));
                            }
                            log("reload failed: keeping the old rules");
                        }
                    },
                    _ => stop = true,
                }
            }
            if stop {
                break Ok(());
            }
        }
        if ready(1) && drain(&mut engine, &sock, &mut buf) {
            log("events lost (ENOBUFS): rescanning /proc");
            engine.rescan_after_loss();
        }
        if ready(2) {
            while let Ok((s, _)) = listener.accept() {
                serve(&mut engine, s);
            }
        }
        if ready(3) {
            engine.refresh_hierarchies();
        }
        for (i, (dir, _)) in watched.iter().enumerate() {
            if ready(4 + i) {
                engine.check_created(dir);
            }
        }
        if let (Some(t), Some(d)) = (next_rescan, cfg.rescan) {
            if Instant::now() >= t {
                engine.rescan();
                next_rescan = Some(Instant::now() + d);
            }
        }
    };
    // The kernel counts listeners: say goodbye, or it keeps sending.
    let bye = event::mcast_request(event::PROC_CN_MCAST_IGNORE, std::process::id());
    let _ = sock.send_to(&bye, &SocketAddr::new(0, 0), 0);
    let _ = std::fs::remove_file(&cfg.socket);
    log("exiting");
    result
}
