#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test kernel (started by vm.sh):
#   guest.sh OUT KO LOAD CMD...
# Loads the module (when LOAD is 1), runs CMD, writes CMD's exit status to
# OUT/status and the kernel log to OUT/dmesg.txt.
out=$1 ko=$2 load=$3
shift 3
# The userspace tools (scripts/tools.sh) come first on PATH, from a copy in
# the guest's own tmpfs: run from the host's 9p tree, every exec of them
# takes seconds under TCG (the tools suite runs them hundreds of times).
tools=$(cd "$(dirname "$0")/.." && pwd)/build/tools
if [ -d "$tools" ] && mkdir -p /tmp/container-tools && cp "$tools"/* /tmp/container-tools/; then
	chmod 755 /tmp/container-tools
	tools=/tmp/container-tools
fi
export PATH=$tools:$PATH CONTAINER_TOOLS=$tools
# Tells vm.sh (and check.sh) that the guest booted and runs the command.
date +%s > "$out/started"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
# Forget leak suspects from boot: only what happens from here on counts.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
fi

rc=0
if [ "$load" = 1 ] && ! grep -qw container /proc/modules; then
	insmod "$ko" || rc=$?
fi
if [ $rc = 0 ]; then
	"$@"
	rc=$?
fi
dmesg > "$out/dmesg.txt"
echo "$rc" > "$out/status"
exit "$rc"
