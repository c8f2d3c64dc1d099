#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The samples and the Kconfig options:
# - samples/container_run.c creates a container, runs a command in it with
#   its configuration applied, passes the exit status on and cleans up;
# - a module built with every optional subsystem off and the sample on
#   (CONTAINER_VARIANT_KO, built by scripts/check.sh) has exactly the
#   sample subsystem, which counts forks and moves and vetoes moves.
# The suite's directory (without dirname: each program started costs about a
# second in the emulated guest).
DIR=${BASH_SOURCE[0]%/*}
[ "$DIR" != "${BASH_SOURCE[0]}" ] || DIR=.
DIR=$(cd "$DIR" && pwd)
source "$DIR/../lib/ktap_helpers.sh"
RUN=$DIR/container_run
M=

cleanup() {
	if [ -n "$M" ]; then
		for d in "$M"/*/; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
		umount "$M" 2>/dev/null
		rmdir "$M" 2>/dev/null
	fi
	# Leave the regular module loaded for the suites that follow.
	if [ -n "${CONTAINER_KO:-}" ] && ! grep -q '^cpuset' /proc/containers 2>/dev/null; then
		rmmod container 2>/dev/null
		insmod "$CONTAINER_KO"
	fi
}
trap cleanup EXIT

# fail MESSAGE: logs MESSAGE and fails (use as `check || fail ... || return 1`).
fail() { ktap_print_msg "$*"; return 1; }

test_container_run() {
	M=$(mktemp -d /tmp/ctsample.XXXXXX)
	mount -t container -o cpuset none "$M" || return 1
	container_run_checks
	local rc=$?
	umount "$M" && rmdir "$M" && M=
	return $rc
}

container_run_checks() {
	local out rc
	# Configured, inside, and gone afterwards.
	out=$("$RUN" "$M" job cpuset.cpus=1 -- sh -c \
		'grep ^Cpus_allowed_list: /proc/self/status; grep -c "^$$\$" '"$M"'/job/tasks')
	rc=$?
	ktap_print_msg "container_run printed: $(echo $out)"
	[ $rc = 0 ] || fail "exit status $rc" || return 1
	[[ $out == *"Cpus_allowed_list:"*1*$'\n'1 ]] || fail "not confined or not inside" || return 1
	[ ! -e "$M/job" ] || fail "container left behind" || return 1
	# The command's exit status is passed on.
	"$RUN" "$M" job cpuset.cpus=0 -- sh -c 'exit 7'
	[ $? = 7 ] || fail "exit status not passed on" || return 1
	# A new cpuset has no CPUs: moving in fails (ENOSPC), nothing is left.
	"$RUN" "$M" job -- true 2>/dev/null
	[ $? = 125 ] && [ ! -e "$M/job" ] || fail "empty cpuset not refused" || return 1
	# A configuration the container refuses: 125 and nothing left.
	"$RUN" "$M" job cpuset.cpus=99 -- true 2>/dev/null
	[ $? = 125 ] && [ ! -e "$M/job" ] || fail "bad configuration not refused" || return 1
}

# write_err FILE VALUE: the error bash reports for the write, or "ok".
write_err() {
	local err
	err=$( { echo "$2" > "$1"; } 2>&1 ) && echo ok || echo "${err##*: }"
}

test_variant_has_only_the_sample() {
	if [ ! -f "${CONTAINER_VARIANT_KO:-}" ]; then
		ktap_print_msg "no variant module (CONTAINER_VARIANT_KO)"
		return 1
	fi
	rmmod container || fail "cannot unload the module" || return 1
	insmod "$CONTAINER_VARIANT_KO" || fail "cannot load the variant" || return 1
	local subsys
	subsys=$(awk '!/^#/ { print $1 }' /proc/containers | xargs)
	[ "$subsys" = sample ] || fail "/proc/containers lists '$subsys'" || return 1
	M=$(mktemp -d /tmp/ctsample.XXXXXX)
	mount -t container -o cpuset none "$M" 2>/dev/null && fail "cpuset mounted" && return 1
	# No options: every subsystem built in, i.e. the sample.
	mount -t container none "$M" || return 1
	grep " $M container " /proc/mounts | grep -q 'sample' || fail "not bound" || return 1
	mkdir "$M/job" || return 1
	local j=$M/job
	[ "$(< "$j/sample.forks") $(< "$j/sample.attaches") $(< "$j/sample.locked")" = "0 0 0" ] ||
		fail "fresh state" || return 1
	# One task moved in, which forks two children inside.
	# (`:` last: bash would exec, not fork, the last command.)
	( echo 0 > "$j/tasks" && /bin/true && /bin/true && : ) || return 1
	[ "$(< "$j/sample.attaches")" = 1 ] || fail "attaches $(< "$j/sample.attaches")" || return 1
	[ "$(< "$j/sample.forks")" = 2 ] || fail "forks $(< "$j/sample.forks")" || return 1
	# Locked: moving in is refused with EPERM, and nothing moves.
	[ "$(write_err "$j/sample.locked" x)" = "Invalid argument" ] || fail "garbage accepted" || return 1
	echo 1 > "$j/sample.locked" || return 1
	sleep 100 &
	local pid=$!
	[ "$(write_err "$j/tasks" $pid)" = "Operation not permitted" ] || fail "move not vetoed" || return 1
	grep -qx "$pid" "$j/tasks" && fail "vetoed task moved" && return 1
	[ "$(< "$j/sample.attaches")" = 1 ] || fail "vetoed move counted" || return 1
	kill $pid
	wait $pid 2>/dev/null
	rmdir "$j" && umount "$M" && rmdir "$M" && M=
}

ktap_print_header
if [ "$(id -u)" != 0 ]; then
	ktap_skip_all "needs root"
	exit "$KSFT_SKIP"
fi
if ! grep -qw container /proc/filesystems && ! insmod "${CONTAINER_KO:-/nonexistent}" 2>/dev/null; then
	ktap_skip_all "container module not available"
	exit "$KSFT_SKIP"
fi
TESTS=(container_run variant_has_only_the_sample)
ktap_set_plan ${#TESTS[@]}
for t in "${TESTS[@]}"; do
	if "test_$t"; then ktap_test_pass "$t"; else ktap_test_fail "$t"; fi
done
ktap_finished
