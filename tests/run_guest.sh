#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test kernel (make check): every kselftest program listed
# in build/selftests/run.list, TAP output on stdout, then a kmemleak scan
# whose report is left in OUT/kmemleak.txt. Usage: run_guest.sh OUT
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/selftests
export CONTAINER_KO=$root/container.ko
# Built by scripts/check.sh with only the sample subsystem (samples suite).
export CONTAINER_VARIANT_KO=$out/variant/container.ko

rc=0
while read -r suite prog; do
	[ -n "$prog" ] || continue
	echo "# suite $suite: $prog"
	(cd "$bin/$suite" && timeout --foreground -k 10 "${CONTAINER_TEST_TIMEOUT:-600}" "./$prog") || rc=1
done < "$bin/run.list"

# Leaks: objects unreferenced for > 5 s are reported after a scan. Tests have
# unmounted everything and the module is still loaded; unloading it is
# itself tested by the module suite.
if [ -w /sys/kernel/debug/kmemleak ]; then
	sleep 6
	echo scan > /sys/kernel/debug/kmemleak
	sleep 1
	echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak > "$out/kmemleak.txt"
fi
exit $rc
