#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# containerctl against the real module: every subcommand does what it says
# (values land in the files, processes in the containers), refusals come
# back with the errno explained and change nothing, apply is idempotent and
# snapshot | apply round-trips. The binary is built by scripts/check.sh
# into build/tools (CONTAINER_TOOLS overrides).
# The suite's directory (without dirname: each program started costs about a
# second in the emulated guest).
DIR=${BASH_SOURCE[0]%/*}
[ "$DIR" != "${BASH_SOURCE[0]}" ] || DIR=.
DIR=$(cd "$DIR" && pwd)
source "$DIR/../lib/ktap_helpers.sh"
# shellcheck source=/dev/null
source "$DIR/../lib/shell_util.sh"
TOOLS=${CONTAINER_TOOLS:-$DIR/../../tools}
CTL=$TOOLS/containerctl
M= N= PIDS=()

cleanup() {
	local p m
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for m in $N $M; do
		[ -d "$m" ] || continue
		# Children first (deepest paths first).
		find "$m" -mindepth 1 -type d -delete 2>/dev/null
		while umount "$m" 2>/dev/null; do :; done
		rmdir "$m" 2>/dev/null
	done
	[ -n "${M2:-}" ] && { umount "$M2" 2>/dev/null; rmdir "$M2" 2>/dev/null; }
}
trap cleanup EXIT


# expect_fail ERRTEXT CMD...: CMD must exit 1 and say ERRTEXT on stderr.
expect_fail() {
	local want=$1 err rc
	shift
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	ktap_print_msg "$* -> exit $rc: $err"
	[ $rc = 1 ] || fail "exit status $rc, not 1" || return 1
	[[ $err == *"$want"* ]] || fail "message lacks '$want'" || return 1
}


test_help_man_and_completions() {
	# Every subcommand's --help and man page: the host tests (the same
	# binary); here, that the binary runs in the guest and prints them.
	"$CTL" --help | grep -q '^Usage: containerctl' || fail "no usage" || return 1
	"$CTL" man exec | grep -q "^.TH containerctl-exec " || fail "no man page for exec" || return 1
	"$CTL" man | grep -q '^.SH NAME' || fail "no man page" || return 1
	"$CTL" completions bash | grep -q 'complete' || fail "no bash completion" || return 1
	"$CTL" nonsense 2>/dev/null
	[ $? = 2 ] || fail "bad usage is not exit 2" || return 1
}

test_mount_and_list_subsys() {
	M=$(mktemp -d /tmp/ctctl.XXXXXX)
	"$CTL" mount "$M" cpuset memset || return 1
	grep -q " $M container .*cpuset" /proc/mounts || fail "not mounted" || return 1
	"$CTL" list-subsys | grep -qE "^cpuset +[0-9]+ +1 +$M\$" || fail "list-subsys" || return 1
	"$CTL" --json list-subsys | grep -q "\"mountpoint\": \"$M\"" || fail "json" || return 1
	# The same options again: the same hierarchy.
	M2=$(mktemp -d /tmp/ctctl2.XXXXXX)
	"$CTL" mount "$M2" memset,cpuset || return 1
	mkdir "$M/same" && [ -d "$M2/same" ] && rmdir "$M/same" || fail "not the same hierarchy" || return 1
	"$CTL" umount "$M2" && rmdir "$M2" && M2= || return 1
	# A subsystem bound elsewhere: EBUSY, explained.
	local x
	x=$(mktemp -d /tmp/ctctl3.XXXXXX)
	expect_fail "EBUSY" "$CTL" mount "$x" cpuset || return 1
	grep -q " $x " /proc/mounts && fail "mounted anyway" && return 1
	rmdir "$x"
}

test_create_configures_and_delegates() {
	"$CTL" create --cpus 1 --mems 0 --owner 1000:1000 "$M/a" || return 1
	[ "$(< "$M/a/cpuset.cpus")" = 1 ] || fail "cpus $(< "$M/a/cpuset.cpus")" || return 1
	[ "$(< "$M/a/memset.mems")" = 0 ] || fail "mems" || return 1
	local owners
	owners=$(stat -c %u:%g "$M/a" "$M/a/tasks" "$M/a/container.procs" "$M/a/cpuset.cpus")
	ktap_print_msg "owners of a, tasks, container.procs, cpuset.cpus: $(echo $owners)"
	[ "$(echo $owners)" = "1000:1000 1000:1000 1000:1000 0:0" ] || fail "wrong owners" || return 1
	# Outside the parent's CPUs: EACCES explained with the parent's list,
	# and nothing is left behind.
	expect_fail "EACCES (Permission denied): cpus must be a subset of the parent's 1" \
		"$CTL" create --cpus 2 "$M/a/b" || return 1
	[ -e "$M/a/b" ] && fail "half-made container left" && return 1
	# Several at once, parents first, each configured.
	"$CTL" create --cpus 0 --mems 0 "$M/x" "$M/x/y" "$M/x/y/z" || return 1
	[ "$(< "$M/x/y/z/cpuset.cpus")" = 0 ] || fail "x/y/z not configured" || return 1
}

test_get_and_set() {
	"$CTL" set "$M/a" cpuset.cpus=0-1 || return 1
	[ "$(< "$M/a/cpuset.cpus")" = 0-1 ] || fail "set" || return 1
	"$CTL" get "$M/a" cpuset.cpus | grep -qx 'cpuset.cpus: 0-1' || fail "get" || return 1
	"$CTL" get "$M/a" | grep -qx 'memset.mems: 0' || fail "get all" || return 1
	"$CTL" --json get "$M/a" | grep -q '"cpuset.cpus": "0-1"' || fail "get --json" || return 1
	expect_fail "EINVAL (Invalid argument): not a CPU list" "$CTL" set "$M/a" cpuset.cpus=banana || return 1
	[ "$(< "$M/a/cpuset.cpus")" = 0-1 ] || fail "changed by a refused write" || return 1
	# A child holds CPU 1: the parent cannot drop it (EBUSY, with the child's list).
	"$CTL" create --cpus 1 "$M/a/kid" || return 1
	expect_fail "/a/kid has 1" "$CTL" set "$M/a" cpuset.cpus=0 || return 1
	"$CTL" delete "$M/a/kid" || return 1
}

test_exec_and_classify() {
	local out
	out=$("$CTL" exec "$M/a" -- sh -c 'grep ^Cpus_allowed_list: /proc/self/status; cat /proc/container_membership')
	ktap_print_msg "exec printed: $(echo $out)"
	[[ $out == *"Cpus_allowed_list:"*"0-1"* ]] || fail "not confined" || return 1
	[[ $out == *":/a"* ]] || fail "not in /a" || return 1
	"$CTL" exec "$M/a" -- sh -c 'exit 7'
	[ $? = 7 ] || fail "exit status not passed on" || return 1
	"$CTL" exec "$M/nonexistent" -- true 2>/dev/null
	[ $? = 125 ] || fail "unplaceable command not 125" || return 1
	"$CTL" exec "$M/a" -- /nonexistent/program 2>/dev/null
	[ $? = 127 ] || fail "missing program not 127" || return 1
	sleep 300 &
	local pid=$!
	PIDS+=($pid)
	"$CTL" classify "$M/x" $pid || return 1
	has_line "$M/x/container.procs" $pid || fail "classify" || return 1
	expect_fail "ESRCH" "$CTL" classify "$M/x" 999999 || return 1
}

test_tree_and_ps() {
	local pid=${PIDS[-1]} out
	out=$("$CTL" tree)
	"$CTL" tree "$M/x" | sed 's/^/# /'
	line_matches "$out" "^$M \\(cpuset,memset\\)" || fail "no hierarchy line" || return 1
	line_matches "$out" "^(├|└)─ x$" || fail "no x" || return 1
	line_matches "$out" "^(│| )  (├|└)─ $pid sleep 300$" || fail "no process under x" || return 1
	"$CTL" tree -c "$M/x" | grep -qE "^   +└─ z$" || fail "subtree" || return 1
	"$CTL" --json tree "$M/x" | grep -q "\"pid\": $pid" || fail "tree --json" || return 1
	out=$("$CTL" ps $pid)
	ktap_print_msg "ps: $(echo $out)"
	line_matches "$out" "^$pid +cpuset,memset +$M/x +sleep 300$" || fail "ps" || return 1
}

test_events() {
	local pid=${PIDS[-1]} log=/tmp/ctctl-events.$$
	"$CTL" events "$M/x" | grep -qx "$M/x populated" || fail "not populated" || return 1
	"$CTL" events --watch --timeout 600 "$M/x" > "$log" &
	local w=$!
	wait_for 120 has_text "$log" populated || fail "watch printed nothing" || return 1
	kill $pid
	wait $pid 2>/dev/null
	wait_for 120 has_line "$log" "$M/x empty" || fail "no empty transition: $(< "$log")" || return 1
	kill $w 2>/dev/null
	wait $w 2>/dev/null
	rm -f "$log"
}

test_delete() {
	sleep 300 &
	local pid=$!
	PIDS+=($pid)
	"$CTL" classify "$M/x/y/z" $pid || return 1
	expect_fail "EBUSY" "$CTL" delete "$M/x" || return 1
	"$CTL" delete -r "$M/x" || return 1
	[ -e "$M/x" ] && fail "x left" && return 1
	has_line "$M/container.procs" $pid || fail "process not moved to the parent" || return 1
	expect_fail "root of its hierarchy" "$CTL" delete "$M" || return 1
}

test_apply_and_snapshot() {
	N=$(mktemp -d /tmp/ctctl-n.XXXXXX)
	local setup=/tmp/ctctl-setup.$$.toml out
	cat > "$setup" <<-TOML
	[[hierarchy]]
	mount = "$N"
	subsystems = ["net_flow"]

	[[container]]
	path = "$N/web"
	owner = "1000"
	values = { "net_flow.classid" = "1:10", "notify_on_release" = true }

	[[container]]
	path = "$N/web/inner"
	values = { "container.max.depth" = 3 }
	TOML
	out=$("$CTL" apply --dry-run "$setup") || return 1
	ktap_print_msg "dry run: $(echo $out)"
	grep -q " $N " /proc/mounts && fail "dry run mounted" && return 1
	out=$("$CTL" apply "$setup") || return 1
	ktap_print_msg "apply: $(echo $out)"
	[[ $out == *"create $N/web/inner"* ]] || fail "no create in the output" || return 1
	[ "$(< "$N/web/net_flow.classid")" = 65552 ] || fail "classid" || return 1
	[ "$(< "$N/web/notify_on_release")" = 1 ] || fail "notify_on_release" || return 1
	[ "$(< "$N/web/inner/container.max.depth")" = 3 ] || fail "max.depth" || return 1
	[ "$(stat -c %u "$N/web")" = 1000 ] || fail "owner" || return 1
	# Twice: nothing changes.
	out=$("$CTL" apply "$setup" 2>/dev/null) || return 1
	[ -z "$out" ] || fail "second apply changed: $out" || return 1
	# snapshot | apply: nothing to change.
	"$CTL" snapshot > "$setup.snap" || return 1
	grep -q "path = \"$N/web/inner\"" "$setup.snap" || fail "snapshot lacks inner" || return 1
	out=$("$CTL" apply "$setup.snap" 2>/dev/null) || fail "snapshot does not apply" || return 1
	[ -z "$out" ] || fail "snapshot | apply changed: $out" || return 1
	# A bad setup: the line is named, nothing changes.
	printf '[[hierarchy]]\nmount = "%s"\nbogus = 1\n' "$N" > "$setup"
	expect_fail "line 3" "$CTL" apply "$setup" || return 1
	# Parents on demand.
	"$CTL" create -p "$N/p/q/r" && [ -d "$N/p/q/r" ] || fail "create -p" || return 1
	"$CTL" delete -r "$N/p" || return 1
	# tc notation for class ids.
	"$CTL" create --classid 1:20 "$N/bulk" || return 1
	[ "$(< "$N/bulk/net_flow.classid")" = 65568 ] || fail "classid 1:20" || return 1
	rm -f "$setup" "$setup.snap"
}

test_umount() {
	"$CTL" delete -r "$N/web" "$N/bulk" || return 1
	"$CTL" umount net_flow || return 1
	grep -q " $N " /proc/mounts && fail "net_flow still mounted" && return 1
	"$CTL" delete -r "$M/a" || return 1
	"$CTL" umount cpuset || return 1
	grep -q " $M " /proc/mounts && fail "cpuset still mounted" && return 1
	rmdir "$M" "$N" && M= N=
}

ktap_print_header
if [ "$(id -u)" != 0 ]; then
	ktap_skip_all "needs root"
	exit "$KSFT_SKIP"
fi
if [ ! -x "$CTL" ]; then
	ktap_skip_all "no containerctl at $CTL (built by scripts/check.sh)"
	exit "$KSFT_SKIP"
fi
if ! grep -qw container /proc/filesystems && ! insmod "${CONTAINER_KO:-/nonexistent}" 2>/dev/null; then
	ktap_skip_all "container module not available"
	exit "$KSFT_SKIP"
fi
TESTS=(help_man_and_completions mount_and_list_subsys create_configures_and_delegates
	get_and_set exec_and_classify tree_and_ps events delete apply_and_snapshot umount)
ktap_set_plan ${#TESTS[@]}
run_tests "${TESTS[@]}"
ktap_finished
