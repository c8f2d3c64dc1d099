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

# Few programs: this early each one started costs a few seconds (its files
# come over 9p for the first time). /proc and /run first, then one mount(8)
# for the rest from a table in /run (X-mount.mkdir makes mount points).
mount -t proc -o nosuid,noexec,nodev proc /proc
mount -t tmpfs -o mode=0755,nosuid,nodev run /run
mkdir -p /run/tmp/upper /run/tmp/work
have_dev=0
while read -r _ mnt _; do [ "$mnt" = /dev ] && have_dev=1; done < /proc/mounts
{
	echo "sys /sys sysfs nosuid,noexec,nodev 0 0"
	[ $have_dev = 1 ] || echo "devtmpfs /dev devtmpfs mode=0755,nosuid 0 0"
	echo "devpts /dev/pts devpts gid=5,mode=620,noexec,nosuid,X-mount.mkdir 0 0"
	echo "shm /dev/shm tmpfs mode=1777,nosuid,nodev,X-mount.mkdir 0 0"
	echo "debugfs /sys/kernel/debug debugfs defaults 0 0"
	echo "tracefs /sys/kernel/tracing tracefs defaults 0 0"
	echo "configfs /sys/kernel/config configfs nofail 0 0"
	echo "cgroup2 /sys/fs/cgroup cgroup2 defaults 0 0"
	echo "tmp /tmp overlay xino=off,lowerdir=/tmp,upperdir=/run/tmp/upper,workdir=/run/tmp/work 0 0"
	echo "virtme.initmount0 $container_out 9p version=9p2000.L,trans=virtio,access=any,msize=512000 0 0"
} > /run/fstab
mount -a -T /run/fstab
# Bash's process substitution needs /dev/fd (devtmpfs has no such link).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
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
