//! The kernel's process events connector (`linux/connector.h`,
//! `linux/cn_proc.h`), parsed by hand with explicit offsets (native byte
//! order). Pure: tested with hand-built buffers.
//!
//! A datagram holds netlink messages, each:
//!
//! ```text
//! struct nlmsghdr   (16)  len u32, type u16, flags u16, seq u32, pid u32
//! struct cn_msg     (20)  id.idx u32, id.val u32, seq u32, ack u32,
//!                         len u16, flags u16
//! struct proc_event       what u32, cpu u32, timestamp_ns u64,
//!                         event_data (union) at offset 16
//! ```

/// `CN_IDX_PROC` and `CN_VAL_PROC`.
pub const CN_IDX_PROC: u32 = 1;
pub const CN_VAL_PROC: u32 = 1;
/// `PROC_CN_MCAST_LISTEN` / `PROC_CN_MCAST_IGNORE`.
pub const PROC_CN_MCAST_LISTEN: u32 = 1;
pub const PROC_CN_MCAST_IGNORE: u32 = 2;

const NLMSG_HDRLEN: usize = 16;
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const CN_MSG_LEN: usize = 20;
const EVENT_DATA: usize = 16;

const PROC_EVENT_NONE: u32 = 0;
const PROC_EVENT_FORK: u32 = 0x1;
const PROC_EVENT_EXEC: u32 = 0x2;
const PROC_EVENT_UID: u32 = 0x4;
const PROC_EVENT_GID: u32 = 0x40;
const PROC_EVENT_SID: u32 = 0x80;
const PROC_EVENT_COMM: u32 = 0x200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// The events the daemon acts on. Pids are thread ids, tgids process ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The answer to `PROC_CN_MCAST_LISTEN` (`err` 0: listening).
    Ack {
        err: u32,
    },
    Fork {
        parent_pid: u32,
        parent_tgid: u32,
        child_pid: u32,
        child_tgid: u32,
    },
    Exec {
        pid: u32,
        tgid: u32,
    },
    Uid {
        pid: u32,
        tgid: u32,
        ruid: u32,
        euid: u32,
    },
    Gid {
        pid: u32,
        tgid: u32,
        rgid: u32,
        egid: u32,
    },
    Sid {
        pid: u32,
        tgid: u32,
    },
    Comm {
        pid: u32,
        tgid: u32,
    },
    Exit {
        pid: u32,
        tgid: u32,
    },
    /// Any other event (ptrace, coredump...).
    Other {
        what: u32,
    },
}

fn u16_at(b: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(off..off + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(off..off + 4)?.try_into().ok()?))
}

/// Parses a `struct proc_event`.
pub fn parse_proc_event(ev: &[u8]) -> Option<Event> {
    let what = u32_at(ev, 0)?;
    let d = |i: usize| u32_at(ev, EVENT_DATA + 4 * i);
    Some(match what {
        PROC_EVENT_NONE => Event::Ack { err: d(0)? },
        PROC_EVENT_FORK => Event::Fork {
            parent_pid: d(0)?,
            parent_tgid: d(1)?,
            child_pid: d(2)?,
            child_tgid: d(3)?,
        },
        PROC_EVENT_EXEC => Event::Exec {
            pid: d(0)?,
            tgid: d(1)?,
        },
        PROC_EVENT_UID => Event::Uid {
            pid: d(0)?,
            tgid: d(1)?,
            ruid: d(2)?,
            euid: d(3)?,
        },
        PROC_EVENT_GID => Event::Gid {
            pid: d(0)?,
            tgid: d(1)?,
            rgid: d(2)?,
            egid: d(3)?,
        },
        PROC_EVENT_SID => Event::Sid {
            pid: d(0)?,
            tgid: d(1)?,
        },
        PROC_EVENT_COMM => Event::Comm {
            pid: d(0)?,
            tgid: d(1)?,
        },
        PROC_EVENT_EXIT => Event::Exit {
            pid: d(0)?,
            tgid: d(1)?,
        },
        what => Event::Other { what },
    })
}

/// The process events in one datagram, without their timestamps.
#[cfg(test)]
fn parse_datagram(buf: &[u8]) -> Vec<Event> {
    parse_datagram_timed(buf)
        .into_iter()
        .map(|(_, ev)| ev)
        .collect()
}

/// The process events in one datagram, each with its `timestamp_ns`
/// (`CLOCK_MONOTONIC`, when the kernel sent it); other and malformed
/// messages are skipped.
pub fn parse_datagram_timed(buf: &[u8]) -> Vec<(u64, Event)> {
    let mut out = Vec::new();
    let mut off = 0;
    while off + NLMSG_HDRLEN <= buf.len() {
        let Some(len) = u32_at(buf, off).map(|l| l as usize) else {
            break;
        };
        if len < NLMSG_HDRLEN || off + len > buf.len() {
            break;
        }
        let ty = u16_at(buf, off + 4).unwrap_or(NLMSG_NOOP);
        let msg = &buf[off + NLMSG_HDRLEN..off + len];
        if ty != NLMSG_NOOP && ty != NLMSG_ERROR {
            if let Some(ev) = parse_cn_msg(msg) {
                out.push(ev);
            }
        }
        // NLMSG_ALIGN
        off += (len + 3) & !3;
    }
    out
}

fn parse_cn_msg(msg: &[u8]) -> Option<(u64, Event)> {
    if u32_at(msg, 0)? != CN_IDX_PROC || u32_at(msg, 4)? != CN_VAL_PROC {
        return None;
    }
    let len = usize::from(u16_at(msg, 16)?);
    let data = msg.get(CN_MSG_LEN..CN_MSG_LEN + len)?;
    let at = u64::from_ne_bytes(data.get(8..16)?.try_into().ok()?);
    Some((at, parse_proc_event(data)?))
}

/// The `PROC_CN_MCAST_LISTEN` (or `_IGNORE`) request: nlmsghdr, cn_msg and
/// the operation.
pub fn mcast_request(op: u32, own_pid: u32) -> Vec<u8> {
    let total = NLMSG_HDRLEN + CN_MSG_LEN + 4;
    let mut b = Vec::with_capacity(total);
    b.extend_from_slice(&(total as u32).to_ne_bytes());
    b.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
    b.extend_from_slice(&0u16.to_ne_bytes()); // flags
    b.extend_from_slice(&0u32.to_ne_bytes()); // seq
    b.extend_from_slice(&own_pid.to_ne_bytes());
    b.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
    b.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
    b.extend_from_slice(&0u32.to_ne_bytes()); // seq
    b.extend_from_slice(&0u32.to_ne_bytes()); // ack
    b.extend_from_slice(&4u16.to_ne_bytes()); // len
    b.extend_from_slice(&0u16.to_ne_bytes()); // flags
    b.extend_from_slice(&op.to_ne_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A datagram as the kernel sends it: one message with `what` and the
    /// event data words.
    fn datagram(what: u32, data: &[u32]) -> Vec<u8> {
        let mut ev = Vec::new();
        ev.extend_from_slice(&what.to_ne_bytes());
        ev.extend_from_slice(&1u32.to_ne_bytes()); // cpu
        ev.extend_from_slice(&123_456_789u64.to_ne_bytes());
        for w in data {
            ev.extend_from_slice(&w.to_ne_bytes());
        }
        // The union is 24 bytes at least (exit: 6 words).
        while ev.len() < EVENT_DATA + 24 {
            ev.push(0);
        }
        let mut cn = Vec::new();
        cn.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
        cn.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
        cn.extend_from_slice(&7u32.to_ne_bytes());
        cn.extend_from_slice(&0u32.to_ne_bytes());
        cn.extend_from_slice(&(ev.len() as u16).to_ne_bytes());
        cn.extend_from_slice(&0u16.to_ne_bytes());
        cn.extend_from_slice(&ev);
        let mut nl = Vec::new();
        nl.extend_from_slice(&((NLMSG_HDRLEN + cn.len()) as u32).to_ne_bytes());
        nl.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        nl.extend_from_slice(&0u16.to_ne_bytes());
        nl.extend_from_slice(&0u32.to_ne_bytes());
        nl.extend_from_slice(&0u32.to_ne_bytes());
        nl.extend_from_slice(&cn);
        while nl.len() % 4 != 0 {
            nl.push(0);
        }
        nl
    }

    #[test]
    fn events() {
        let cases = [
            (
                datagram(PROC_EVENT_FORK, &[10, 10, 11, 11]),
                Event::Fork {
                    parent_pid: 10,
                    parent_tgid: 10,
                    child_pid: 11,
                    child_tgid: 11,
                },
            ),
            (
                datagram(PROC_EVENT_EXEC, &[12, 12]),
                Event::Exec { pid: 12, tgid: 12 },
            ),
            (
                datagram(PROC_EVENT_UID, &[13, 13, 1000, 1001]),
                Event::Uid {
                    pid: 13,
                    tgid: 13,
                    ruid: 1000,
                    euid: 1001,
                },
            ),
            (
                datagram(PROC_EVENT_GID, &[14, 14, 100, 101]),
                Event::Gid {
                    pid: 14,
                    tgid: 14,
                    rgid: 100,
                    egid: 101,
                },
            ),
            (
                datagram(PROC_EVENT_SID, &[15, 15]),
                Event::Sid { pid: 15, tgid: 15 },
            ),
            (
                datagram(PROC_EVENT_COMM, &[16, 16]),
                Event::Comm { pid: 16, tgid: 16 },
            ),
            (
                datagram(PROC_EVENT_EXIT, &[18, 17, 0, 17, 1, 1]),
                Event::Exit { pid: 18, tgid: 17 },
            ),
            (datagram(PROC_EVENT_NONE, &[0]), Event::Ack { err: 0 }),
            (datagram(0x100, &[1, 1]), Event::Other { what: 0x100 }),
        ];
        for (buf, want) in cases {
            assert_eq!(parse_datagram(&buf), vec![want]);
        }
    }

    #[test]
    fn timestamps() {
        let buf = datagram(PROC_EVENT_EXEC, &[12, 12]);
        assert_eq!(
            parse_datagram_timed(&buf),
            vec![(123_456_789, Event::Exec { pid: 12, tgid: 12 })]
        );
    }

    #[test]
    fn exact_offsets() {
        // A fork event laid out byte by byte: nlmsghdr at 0, cn_msg at 16,
        // proc_event at 36, event_data at 52.
        let buf = datagram(PROC_EVENT_FORK, &[0x0102_0304, 5, 6, 7]);
        assert_eq!(&buf[36..40], &1u32.to_ne_bytes());
        assert_eq!(&buf[52..56], &0x0102_0304u32.to_ne_bytes());
        assert_eq!(
            parse_datagram(&buf)[0],
            Event::Fork {
                parent_pid: 0x0102_0304,
                parent_tgid: 5,
                child_pid: 6,
                child_tgid: 7
            }
        );
    }

    #[test]
    fn several_messages_and_garbage() {
        let mut buf = datagram(PROC_EVENT_EXEC, &[1, 1]);
        buf.extend(datagram(PROC_EVENT_EXIT, &[2, 2, 0, 0, 1, 1]));
        assert_eq!(parse_datagram(&buf).len(), 2);
        // Truncated: the complete first message only.
        let cut = buf.len() - 3;
        assert_eq!(parse_datagram(&buf[..cut]).len(), 1);
        // Another connector (idx 2) is skipped.
        let mut other = datagram(PROC_EVENT_EXEC, &[1, 1]);
        other[16] = 2;
        assert!(parse_datagram(&other).is_empty());
        // Lengths that lie.
        let mut bad = datagram(PROC_EVENT_EXEC, &[1, 1]);
        bad[0..4].copy_from_slice(&3u32.to_ne_bytes());
        assert!(parse_datagram(&bad).is_empty());
        let mut bad = datagram(PROC_EVENT_EXEC, &[1, 1]);
        bad[32..34].copy_from_slice(&500u16.to_ne_bytes());
        assert!(parse_datagram(&bad).is_empty());
        assert!(parse_datagram(&[]).is_empty());
        assert!(parse_datagram(&[1, 2, 3]).is_empty());
    }

    #[test]
    fn listen_request() {
        let b = mcast_request(PROC_CN_MCAST_LISTEN, 77);
        assert_eq!(b.len(), 40);
        assert_eq!(u32_at(&b, 0), Some(40));
        assert_eq!(u16_at(&b, 4), Some(NLMSG_DONE));
        assert_eq!(u32_at(&b, 12), Some(77));
        assert_eq!(u32_at(&b, 16), Some(CN_IDX_PROC));
        assert_eq!(u32_at(&b, 20), Some(CN_VAL_PROC));
        assert_eq!(u16_at(&b, 32), Some(4));
        assert_eq!(u32_at(&b, 36), Some(PROC_CN_MCAST_LISTEN));
    }
}
