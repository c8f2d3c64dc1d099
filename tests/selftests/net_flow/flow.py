#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Traffic and file helpers for test_net_flow.sh.

  flow.py write PATH VALUE          one write(2); prints "ok" or the errno name
  flow.py udp ADDR PORT COUNT SIZE [PRIO]
                                    sends COUNT datagrams (SO_PRIORITY=PRIO if given)
  flow.py tcp-recv PORT [6]         accepts one connection, reads to EOF, prints bytes
  flow.py tcp-send ADDR PORT BYTES [CTL]
                                    sends BYTES; with CTL (a fifo), sends half,
                                    waits for the send queue to drain, prints
                                    "paused", waits for a line on CTL, sends the rest
Every sender waits until the peer has acknowledged everything before exiting.
"""
import errno
import fcntl
import os
import socket
import struct
import sys
import termios
import time


def write(path, value):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, value.encode())
        print("ok")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
    finally:
        os.close(fd)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp(addr, port, count, size, prio=None):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    if prio is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_PRIORITY, int(prio, 0))
    payload = b"u" * int(size)
    for _ in range(int(count)):
        s.sendto(payload, (addr, int(port)))
    s.close()


# How long a sender waits for its data to be acknowledged: a hang detector,
# far beyond what the slowest emulated guest needs.
DRAIN_SECONDS = 300


def drain(s):
    """Waits until every byte sent on S has been acknowledged."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        left = struct.unpack("i", fcntl.ioctl(s, termios.TIOCOUTQ, b"\0" * 4))[0]
        if left == 0:
            return
        time.sleep(0.01)
    sys.exit(f"send queue did not drain in {DRAIN_SECONDS} s")


def tcp_recv(port, v6=None):
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("::" if v6 else "0.0.0.0", int(port)))
    ls.listen(1)
    print("listening", flush=True)
    c, _ = ls.accept()
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        n += len(b)
    print(n, flush=True)


def tcp_send(addr, port, nbytes, ctl=None):
    s = socket.create_connection((addr, int(port)))
    nbytes = int(nbytes)
    chunk = b"t" * 65536
    first = nbytes // 2 if ctl else nbytes

    def send(n):
        while n > 0:
            k = s.send(chunk[: min(n, len(chunk))])
            n -= k

    send(first)
    drain(s)
    if ctl:
        print("paused", flush=True)
        with open(ctl) as f:
            f.readline()
        send(nbytes - first)
        drain(s)
    s.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"write": write, "udp": udp, "tcp-recv": tcp_recv, "tcp-send": tcp_send}[cmd](*args)


if __name__ == "__main__":
    main()
