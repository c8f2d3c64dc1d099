#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test kernel (make check): the kselftest programs listed in
# LIST ("<suite> <program>" per line, default build/selftests/run.list), TAP
# output on stdout and in OUT/tap.log, then two kmemleak scans whose report
# is left in OUT/kmemleak.txt.
#   run_guest.sh OUT [LIST]
# Per program: its duration and exit status in OUT/durations.txt
# ("<suite> <program> <seconds> <status>"). A program still running after
# CONTAINER_TEST_TIMEOUT seconds (default 1800, more when soaking) is killed and the output
# says which test it was running and for how long.
out=$1
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/selftests
list=${2:-$bin/run.list}
export CONTAINER_KO=$root/container.ko
# Built by scripts/check.sh with only the sample subsystem (samples suite).
export CONTAINER_VARIANT_KO=$root/build/check/variant/container.ko
# The soak knob and the seed of sampled tests (Documentation/testing.rst),
# handed over by check.sh in OUT/env.
[ -f "$out/env" ] && source "$out/env"
export CONTAINER_SOAK CONTAINER_SEED
# Soaking: each stress test runs CONTAINER_SOAK seconds; room for a dozen.
limit=${CONTAINER_TEST_TIMEOUT:-$(( 1800 + 12 * ${CONTAINER_SOAK:-0} ))}

: > "$out/durations.txt"
run_all() {
local rc=0 suite prog log start st secs what pid line
while read -r suite prog; do
	[ -n "$prog" ] || continue
	echo "# suite $suite: $prog"
	log=$out/$suite-${prog%.*}.log
	# Builtins where a program would do (each program started costs about
	# a second of the emulated guest): $SECONDS, not date; read, not cat.
	start=$SECONDS
	# Output to a file, not a pipe: a task the program left behind would
	# hold a pipe open for ever. timeout runs the program in a process
	# group of its own; whatever is left of that group is killed after.
	(cd "$bin/$suite" && exec timeout -k 10 "$limit" "./$prog") > "$log" 2>&1 &
	pid=$!
	wait $pid
	st=$?
	kill -9 -- "-$pid" 2>/dev/null
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s\n' "$line"
	done < "$log"
	secs=$(( SECONDS - start ))
	echo "$suite $prog $secs $st" >> "$out/durations.txt"
	if [ "$st" = 124 ] || [ "$st" = 137 ]; then
		# What was running: the harness's last "#  RUN" line, or the
		# last line of a shell suite.
		what=$(grep -E '^#  RUN ' "$log" | tail -n 1)
		[ -n "$what" ] || what=$(tail -n 1 "$log")
		echo "not ok - $suite/$prog killed after $secs s (limit $limit s) while running: $what"
	fi
	echo "# suite $suite: $prog took $secs s (exit $st)"
	[ "$st" = 0 ] || [ "$st" = 4 ] || rc=1
done < "$list"
return $rc
}
run_all 2>&1 | tee "$out/tap.log"
rc=${PIPESTATUS[0]}

# Leaks. Tests have unmounted everything and the module is still loaded;
# unloading it is itself tested by the module suite. kmemleak reports an
# object at the second scan that finds it unreferenced and unchanged, if it
# is then older than 5 s: the first scan starts at once, the second at
# least 6 s after the first started ($SECONDS counts whole seconds; a scan
# takes about 20 s in this guest, more on a loaded host, so there is no
# wait; a fast host waits the rest).
if [ -w /sys/kernel/debug/kmemleak ]; then
	start=$SECONDS
	echo scan > /sys/kernel/debug/kmemleak
	rest=$(( start + 7 - SECONDS ))
	[ "$rest" -le 0 ] || sleep "$rest"
	echo scan > /sys/kernel/debug/kmemleak
	echo "# kmemleak: two scans took $(( SECONDS - start )) s"
	cat /sys/kernel/debug/kmemleak > "$out/kmemleak.txt"
fi
exit $rc
