#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# container-rulesd against the real module: --check names the bad line;
# exec under a uid rule lands in the destination (and a % continuation in a
# second hierarchy); a uid change without exec moves the process; children
# forked right after the parent's exec follow it; a sticky process stays;
# template destinations are created on demand and removed once empty;
# inherit keeps children with their parent; SIGHUP reloads (keeping the old
# rules when the new ones are wrong); SIGTERM exits cleanly; and after lost
# events (a tiny SO_RCVBUF while the daemon is stopped) the rescan puts
# every matching process where it belongs.
#
# Processes are told apart by command name: each rule names a symlink in
# a scratch directory (comm is the name exec'ed; `exec -a` keeps argv[0]
# the real program's). Hierarchies are named ones without subsystems, so
# they clash with no other suite. The binaries are built by
# scripts/check.sh into build/tools (CONTAINER_TOOLS overrides).
# The suite's directory (without dirname: each program started costs about a
# second in the emulated guest).
DIR=${BASH_SOURCE[0]%/*}
[ "$DIR" != "${BASH_SOURCE[0]}" ] || DIR=.
DIR=$(cd "$DIR" && pwd)
# shellcheck source=/dev/null
source "$DIR/../lib/ktap_helpers.sh"
# shellcheck source=/dev/null
source "$DIR/../lib/shell_util.sh"
TOOLS=${CONTAINER_TOOLS:-$DIR/../../tools}
RULESD=$TOOLS/container-rulesd
CTL=$TOOLS/containerctl
# Copied into the scratch directory by setup (uid $U must be able to run
# it, whatever the permissions above the checkout).
HELPER=
NA=rulesd_test_a
NB=rulesd_test_b
# Seconds a condition may take: a hang detector, not a speed limit (the
# emulated debug kernel is slow, and slower still on a loaded host).
LIMIT=120
W='' A='' B='' D='' D2='' PIDS=()
# The uid the tests run processes as (no such user need exist).
U=1000



# in_container DIR PID: PID is in the container DIR.
in_container() { has_line "$1/container.procs" "$2"; }

# proc_state PID: the state letter of PID (R, S, Z, ...) into STATE.
proc_state() {
	local stat
	STATE=
	{ stat=$(< "/proc/$1/stat"); } 2>/dev/null || return 1
	stat=${stat##*) }
	STATE=${stat%% *}
}

# alive PID: PID exists and is not a zombie.
alive() { proc_state "$1" && [ -n "$STATE" ] && [ "$STATE" != Z ]; }

dead() { ! alive "$1"; }

# children_of PID: the pids whose parent is PID, into the array CHILDREN.
children_of() {
	local f stat rest
	CHILDREN=()
	for f in /proc/[0-9]*/stat; do
		{ stat=$(< "$f"); } 2>/dev/null || continue
		rest=${stat##*) }
		rest=${rest#* }
		[ "${rest%% *}" = "$1" ] && CHILDREN+=("${stat%% *}")
	done
	return 0
}

# comm_is PID NAME
comm_is() {
	local c
	{ read -r c < "/proc/$1/comm"; } 2>/dev/null && [ "$c" = "$2" ]
}

# kill_in DIR: kills every process in the (non-root) container DIR.
kill_in() {
	local p
	while read -r p; do
		kill -9 "$p" 2>/dev/null
	done 2>/dev/null < "$1/container.procs"
	wait_for $LIMIT is_empty "$1/container.procs"
}

# reap PID...: kills and waits for the test's own processes.
reap() {
	local p
	for p in "$@"; do
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	# (wait's status is the killed process's, not a verdict)
	return 0
}

# spawn NAME ARGV0 ARGS...: runs $W/NAME (a symlink) as root in the
# background with argv[0] ARGV0; its pid in SPAWNED.
spawn() {
	local name=$1 argv0=$2
	shift 2
	(exec -a "$argv0" "$W/$name" "$@") &
	SPAWNED=$!
	PIDS+=("$SPAWNED")
}

# spawn_as_user NAME ARGV0 ARGS...: the same as uid $U (setpriv sets the
# uid and gid, then bash execs the program: one pid throughout).
spawn_as_user() {
	local name=$1 argv0=$2
	shift 2
	# shellcheck disable=SC2016 # expanded by the inner bash
	setpriv --reuid=$U --regid=$U --clear-groups \
		bash -c 'a=$1; shift; exec -a "$a" "$@"' bash "$argv0" "$W/$name" "$@" &
	SPAWNED=$!
	PIDS+=("$SPAWNED")
}

stop_daemon() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	kill -CONT "$1" 2>/dev/null
	wait_for 10 dead "$1" || kill -9 "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

cleanup() {
	local m d
	stop_daemon "$D"
	stop_daemon "$D2"
	reap "${PIDS[@]}"
	for m in $A $B; do
		[ -d "$m" ] || continue
		# Whatever the rules moved in: test processes only (never the root).
		while read -r d; do
			kill_in "$d"
		done < <(find "$m" -mindepth 1 -type d 2>/dev/null)
		find "$m" -mindepth 1 -type d -delete 2>/dev/null
		while umount "$m" 2>/dev/null; do :; done
		rmdir "$m" 2>/dev/null
	done
	[ -n "$W" ] && rm -rf "$W"
}
trap cleanup EXIT

write_rules() {
	local line
	# (read and printf, not cat: no program started)
	while IFS= read -r line; do printf '%s\n' "$line"; done > "$W/rules.conf" <<-EOF
	# The test's rules (first match wins).
	$U:rdsleep	name=$NA	users/u$U
	%	name=$NB	sleepers	# continuation: a second hierarchy
	$U:rdpy	name=$NA	uidchange
	*:rdfork	name=$NA	forks
	*:rdstk	name=$NA	nonsticky
	$U:rdtpl	name=$NA	tpl/u%U
	*:rdinh	name=$NA	inh	inherit
	*:rdother	name=$NA	other
	*:rdlong	name=$NA	storm
	# Shadowed by the first rule for uid $U.
	*:rdsleep	name=$NA	never
	EOF
	[ -z "${1:-}" ] || echo "$1" >> "$W/rules.conf"
}

setup() {
	local l
	# One program for the three directories (uid $U execs the links in
	# W): each program started costs about a second in the guest.
	W=/tmp/rulesd.$$ A=/tmp/rulesd_a.$$ B=/tmp/rulesd_b.$$
	mkdir -m 755 "$W" "$A" "$B" || { W='' A='' B=''; return 1; }
	for l in rdsleep rdstk rdtpl rdother rdlong rdnew; do
		ln -s "$(command -v sleep)" "$W/$l" || return 1
	done
	ln -s "$(command -v bash)" "$W/rdinh" || return 1
	HELPER=$W/rulesd_helper
	install -m 755 "$DIR/rulesd_helper" "$HELPER" || return 1
	ln -s "$HELPER" "$W/rdpy" && ln -s "$HELPER" "$W/rdfork" || return 1
	mount -t container -o "none,name=$NA" none "$A" || fail "cannot mount name=$NA" || return 1
	mount -t container -o "none,name=$NB" none "$B" || fail "cannot mount name=$NB" || return 1
	mkdir -p "$A/users/u$U" "$B/sleepers" "$A/uidchange" "$A/forks" "$A/nonsticky" \
		"$A/inh" "$A/other" "$A/storm" "$A/never" "$A/newrule" || return 1
	write_rules
}

# start_daemon LOG ARGS...: starts the daemon (pid in DPID) and waits until
# it listens to the proc connector.
start_daemon() {
	local log=$1
	shift
	"$RULESD" -v --config "$W/rules.conf" "$@" 2> "$log" &
	DPID=$!
	if ! wait_for $LIMIT has_text "$log" ' rules from '; then
		ktap_print_msg "the daemon did not start: $(< "$log")"
		return 1
	fi
}

daemon_log() { ktap_print_msg "daemon log (tail): $(tail -n 5 "$W/daemon.log" | tr '\n' '|')"; }

test_check_reports_line_numbers() {
	local out rc
	printf '# comment\n\n*:rdsleep name=%s ok\n%s name=%s x stiky\n' "$NA" $U "$NA" > "$W/bad.conf"
	out=$("$RULESD" --check "$W/bad.conf" 2>&1)
	rc=$?
	ktap_print_msg "--check printed: $out"
	[ $rc = 1 ] || fail "exit status $rc, not 1" || return 1
	[[ $out == *"bad.conf:4: unknown option 'stiky'"* ]] || fail "no line number" || return 1
	"$RULESD" --check "$W/rules.conf" > /dev/null || fail "valid rules refused" || return 1
	"$RULESD" --config "$W/rules.conf" --check > /dev/null || fail "--config --check" || return 1
}

test_daemon_starts() {
	start_daemon "$W/daemon.log" --socket "$W/rulesd.sock" --rescan-interval 0 || return 1
	D=$DPID
	[ -S "$W/rulesd.sock" ] || fail "no socket" || return 1
}

need_daemon() {
	if [ -z "$D" ] || ! alive "$D"; then
		fail "no daemon"
	fi
}

test_exec_under_uid_rule() {
	need_daemon || return 1
	spawn_as_user rdsleep sleep 100
	local p=$SPAWNED
	wait_for $LIMIT in_container "$A/users/u$U" "$p" || { daemon_log; fail "not in users/u$U"; } || return 1
	wait_for $LIMIT in_container "$B/sleepers" "$p" || fail "continuation line not applied" || return 1
	in_container "$A/never" "$p" && fail "the first match did not win" && return 1
	grep -q "moved $p (rdsleep, uid $U) to $A/users/u$U" "$W/daemon.log" ||
		fail "move not logged" || return 1
	# How long after the kernel's exec event the move completed (reported,
	# not asserted: it depends on the host's speed).
	ktap_print_msg "$(grep -m1 "moved $p " "$W/daemon.log")"
	reap "$p"
}

test_uid_change_without_exec() {
	need_daemon || return 1
	spawn rdpy rdpy setuid-after "$W/go" $U
	local p=$SPAWNED
	wait_for $LIMIT comm_is "$p" rdpy || fail "the helper did not start" || return 1
	in_container "$A/uidchange" "$p" && fail "moved before its uid changed" && return 1
	touch "$W/go"
	wait_for $LIMIT in_container "$A/uidchange" "$p" || { daemon_log; fail "not moved on setresuid"; } ||
		return 1
	reap "$p"
}

# all_children_in DIR PID N: PID and at least N children of it are in DIR.
all_children_in() {
	local -A procs=()
	local p
	children_of "$2"
	[ ${#CHILDREN[@]} -ge "$3" ] || return 1
	while read -r p; do
		procs[$p]=1
	done 2>/dev/null < "$1/container.procs"
	for p in "$2" "${CHILDREN[@]}"; do
		[ -n "${procs[$p]:-}" ] || return 1
	done
}

test_forked_children_follow() {
	need_daemon || return 1
	# The matched parent forks 30 children right after its exec: those
	# forked before the daemon moved it must follow it.
	spawn rdfork rdfork forks 30
	local p=$SPAWNED
	if ! wait_for $LIMIT all_children_in "$A/forks" "$p" 30; then
		children_of "$p"
		ktap_print_msg "${#CHILDREN[@]} children, $(grep -c . "$A/forks/container.procs") in forks"
		daemon_log
		return 1
	fi
	reap "$p"
	kill_in "$A/forks"
}

test_sticky_stays() {
	need_daemon || return 1
	local reply
	# Only root or the process's owner may make it sticky.
	reply=$(setpriv --reuid=$U --regid=$U --clear-groups "$HELPER" ask "$W/rulesd.sock" 1)
	[[ $reply == error* ]] || fail "uid $U made pid 1 sticky: '$reply'" || return 1
	# A process registers itself, then execs a program a rule matches.
	"$HELPER" ask "$W/rulesd.sock" self "$W/rdstk" sleep 100 > "$W/sticky.out" &
	local p=$!
	PIDS+=("$p")
	wait_for $LIMIT comm_is "$p" rdstk || fail "no exec: $(< "$W/sticky.out")" || return 1
	[ "$(< "$W/sticky.out")" = ok ] || fail "reply '$(< "$W/sticky.out")'" || return 1
	# containerctl exec --sticky registers itself the same way.
	"$CTL" exec --sticky --socket "$W/rulesd.sock" "$A" -- "$W/rdstk" 100 &
	local e=$!
	PIDS+=("$e")
	wait_for $LIMIT comm_is "$e" rdstk || fail "containerctl exec --sticky did not run" || return 1
	# The same program not sticky, exec'ed later: once it has moved, the
	# daemon has seen the sticky process's exec too.
	spawn rdstk sleep 100
	local c=$SPAWNED
	wait_for $LIMIT in_container "$A/nonsticky" "$c" || fail "control not moved" || return 1
	in_container "$A/nonsticky" "$p" && fail "the sticky process was moved" && return 1
	in_container "$A/nonsticky" "$e" && fail "containerctl exec --sticky was moved" && return 1
	reap "$p" "$c" "$e"
}

test_template_created_and_removed() {
	need_daemon || return 1
	[ ! -e "$A/tpl" ] || fail "tpl exists beforehand" || return 1
	spawn_as_user rdtpl sleep 100
	local p=$SPAWNED
	wait_for $LIMIT in_container "$A/tpl/u$U" "$p" || { daemon_log; fail "not in tpl/u$U"; } || return 1
	reap "$p"
	# Empty: removed, with the directory created along.
	wait_for $LIMIT test ! -e "$A/tpl" || fail "left behind: $(find "$A/tpl")" || return 1
}

test_inherit_keeps_children() {
	need_daemon || return 1
	# The child of an `inherit` process execs a program another rule
	# matches: it stays with its parent.
	# shellcheck disable=SC2016 # expanded by the inner bash
	spawn rdinh bash -c '(exec -a sleep "$0" 100) & wait' "$W/rdother"
	local p=$SPAWNED child=
	# shellcheck disable=SC2317 # called through wait_for
	exec_child() { children_of "$p" && child=${CHILDREN[0]:-} && [ -n "$child" ] && comm_is "$child" rdother; }
	wait_for $LIMIT exec_child || fail "no child" || return 1
	# The same program exec'ed later, not a child: the rule applies.
	spawn rdother sleep 100
	local c=$SPAWNED
	wait_for $LIMIT in_container "$A/other" "$c" || fail "control not moved" || return 1
	wait_for $LIMIT in_container "$A/inh" "$child" || fail "child not with its parent" || return 1
	in_container "$A/inh" "$p" || fail "parent not in inh" || return 1
	reap "$p" "$c" "$child"
	kill_in "$A/inh"
}

test_sighup_reloads() {
	need_daemon || return 1
	# Wrong rules: refused, the old ones stay.
	echo "$U name=$NA x bogus" > "$W/rules.conf"
	kill -HUP "$D"
	wait_for $LIMIT has_text "$W/daemon.log" 'reload failed' || fail "bad rules not refused" || return 1
	grep -q 'rules.conf:1: unknown option' "$W/daemon.log" || fail "error not logged" || return 1
	alive "$D" || fail "daemon died" || return 1
	# A new rule.
	write_rules "*:rdnew	name=$NA	newrule"
	kill -HUP "$D"
	wait_for $LIMIT has_text "$W/daemon.log" 'reloaded 11 rules' || { daemon_log; fail "not reloaded"; } ||
		return 1
	spawn rdnew sleep 100
	local p=$SPAWNED
	wait_for $LIMIT in_container "$A/newrule" "$p" || fail "new rule not applied" || return 1
	reap "$p"
}

test_sigterm_exits_cleanly() {
	need_daemon || return 1
	kill -TERM "$D"
	wait_for $LIMIT dead "$D" || fail "still running" || return 1
	wait "$D"
	local rc=$?
	D=
	[ $rc = 0 ] || fail "exit status $rc" || return 1
	[ ! -e "$W/rulesd.sock" ] || fail "socket left behind" || return 1
}

test_lost_events_rescan() {
	# Nothing else classifies now (the first daemon has exited).
	[ -z "$D" ] || stop_daemon "$D"
	D=
	start_daemon "$W/storm.log" --socket "$W/storm.sock" --rescan-interval 0 --rcvbuf 4096 ||
		return 1
	D2=$DPID
	kill -STOP "$D2"
	# 25 processes, at most for 15 s (soaking: 5000, for CONTAINER_SOAK
	# seconds): a few dozen events fill a 4 KB buffer. Five long-lived
	# matching ones among them, whose exec events are lost with the rest
	# (they sleep a day: they must outlive the longest storm; reap kills
	# them).
	local i end=$((SECONDS + ${CONTAINER_SOAK:-15})) most=25 longs=() l true_bin
	[ -z "${CONTAINER_SOAK:-}" ] || most=5000
	true_bin=$(type -P true) || return 1
	for ((i = 0; i < most && SECONDS < end; i++)); do
		"$true_bin"
		if ((i % 10 == 5 && ${#longs[@]} < 5)); then
			spawn rdlong sleep 86400
			longs+=("$SPAWNED")
		fi
	done
	while [ ${#longs[@]} -lt 5 ]; do
		spawn rdlong sleep 86400
		longs+=("$SPAWNED")
	done
	ktap_print_msg "$i processes while the daemon was stopped"
	kill -CONT "$D2"
	for l in "${longs[@]}"; do
		alive "$l" || fail "$l exited before the daemon could place it" || return 1
		wait_for $LIMIT in_container "$A/storm" "$l" ||
			fail "$l not in storm: $(tail -n 5 "$W/storm.log" | tr '\n' '|')" || return 1
	done
	grep -q 'events lost (ENOBUFS)' "$W/storm.log" || fail "no events were lost" || return 1
	alive "$D2" || fail "daemon died" || return 1
	reap "${longs[@]}"
}

ktap_print_header
if [ "$(id -u)" != 0 ]; then
	ktap_skip_all "needs root"
	exit "$KSFT_SKIP"
fi
if ! grep -qw container /proc/filesystems; then
	ktap_skip_all "container module not loaded"
	exit "$KSFT_SKIP"
fi
if [ ! -x "$RULESD" ] || ! command -v setpriv > /dev/null; then
	ktap_skip_all "no $RULESD or no setpriv"
	exit "$KSFT_SKIP"
fi
TESTS=(check_reports_line_numbers daemon_starts exec_under_uid_rule uid_change_without_exec
	forked_children_follow sticky_stays template_created_and_removed inherit_keeps_children
	sighup_reloads sigterm_exits_cleanly lost_events_rescan)
ktap_set_plan ${#TESTS[@]}
if ! setup; then
	ktap_exit_fail_msg "setup failed"
fi
run_tests "${TESTS[@]}"
ktap_finished
