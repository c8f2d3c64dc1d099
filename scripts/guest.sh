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
# (Builtins where they do: each program started costs seconds this early.)
root=${0%/*}/..
[ "$root" != "$0/.." ] || root=..
tools=$(cd "$root" && pwd)/build/tools
if [ -d "$tools" ] && install -D -m 755 -t /tmp/container-tools "$tools"/*; then
	tools=/tmp/container-tools
fi
export PATH=$tools:$PATH CONTAINER_TOOLS=$tools
# Tells vm.sh (and check.sh) that the guest booted and runs the command.
printf '%(%s)T\n' -1 > "$out/started"

# listed FILE WORD [2]: WORD is the first field of a line of FILE (the
# second with 2).
listed() {
	local a b
	while read -r a b _; do
		[ "${3:-1}" = 2 ] && a=$b
		[ "$a" = "$2" ] && return 0
	done < "$1"
	return 1
}
listed /proc/mounts /sys/kernel/debug 2 || mount -t debugfs none /sys/kernel/debug
# No kmemleak scan here: kmemleak reports an object only when a scan finds
# it unreferenced and unchanged since the scan before, so the first scan
# of a boot reports nothing, and a "clear" after it would forget nothing
# (and it took about 15 s under TCG). The run's own two scans
# (tests/run_guest.sh) cover boot and tests alike.

rc=0
if [ "$load" = 1 ] && ! listed /proc/modules container; then
	insmod "$ko" || rc=$?
fi
if [ $rc = 0 ]; then
	"$@"
	rc=$?
fi
dmesg > "$out/dmesg.txt"
echo "$rc" > "$out/status"
exit "$rc"
