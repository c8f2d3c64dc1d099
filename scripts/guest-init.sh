#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PID 1 of the test guest (vm.sh passes it as init= on the kernel command
# line, after virtme-ng's own). It does only what the tests need and runs
# the command at once: virtme-ng-init starts the host's udevd and waits for
# it to settle, which took 1.5 to 3 minutes per boot under TCG (and timed out
# when two guests booted at once).
#
# From the kernel command line (unknown parameters reach init's
# environment): container_cmd, a file holding the command to run (written
# by vm.sh into the output directory); container_out, that directory, which
# the host exports read-write under the 9p tag virtme.initmount0;
# container_cwd, the working directory; container_tty, 1 when vm.sh runs on
# a terminal. The root file system is the host's, read-only over 9p, as with
# virtme-ng; /tmp gets a writable overlay (the host's files stay visible).
# The command's output goes to virtme-ng's stdout/stderr ports, its status
# to the ret port, then the guest powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=linux
: "${container_out:?not on the kernel command line}" "${container_cmd:?not on the kernel command line}"

mount -t proc -o nosuid,noexec,nodev proc /proc
mount -t sysfs -o nosuid,noexec,nodev sys /sys
grep -q ' /dev ' /proc/mounts || mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
mount -t tmpfs -o mode=0755,nosuid,nodev run /run
mkdir -p /dev/pts /dev/shm /run/tmp/upper /run/tmp/work
mount -t devpts -o gid=5,mode=620,noexec,nosuid devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
for l in fd:/proc/self/fd stdin:/proc/self/fd/0 stdout:/proc/self/fd/1 stderr:/proc/self/fd/2; do
	[ -e "/dev/${l%%:*}" ] || ln -s "${l#*:}" "/dev/${l%%:*}"
done
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t configfs configfs /sys/kernel/config 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t overlay -o xino=off,lowerdir=/tmp,upperdir=/run/tmp/upper,workdir=/run/tmp/work tmp /tmp
mount -t 9p -o version=9p2000.L,trans=virtio,access=any,msize=512000 virtme.initmount0 "$container_out"
echo 1048576 > /proc/sys/fs/nr_open
echo container-test > /proc/sys/kernel/hostname
# lo stays down: no test uses the initial namespace's loopback (net_flow
# makes its own namespaces), and the first run of ip(8) costs about 10 s.

# The virtio serial port named $1 (virtme-ng creates them; without udev
# there are no /dev/virtio-ports links), else the console.
port() {
	local n name
	for n in /sys/class/virtio-ports/*/name; do
		n=${n%/name}
		read -r name < "$n/name" && [ "$name" = "$1" ] && { echo "/dev/${n##*/}"; return; }
	done
	echo /dev/console
}
out=$(port virtme.stdout) err=$(port virtme.stderr) ret=$(port virtme.ret)
# Standard input is the host's terminal (virtme-ng's stdin port) when vm.sh
# runs on one (container_tty=1: make run's shell), else nothing.
in=/dev/null
[ "${container_tty:-0}" = 1 ] && in=$(port virtme.stdin)

cd "${container_cwd:-/}" || exit 1
setsid bash "$container_cmd" < "$in" > "$out" 2> "$err"
rc=$?
[ "$ret" = /dev/console ] || echo "$rc" > "$ret"
sync
busybox poweroff -f
