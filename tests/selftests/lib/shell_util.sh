# SPDX-License-Identifier: GPL-2.0
# Helpers of the shell suites; sourced after ktap_helpers.sh.
#
# Starting a program costs about a second of the emulated debug
# guest's only host core, which the code under test needs too: what is
# done often (polling, reading a file, looking a line up) is done with
# bash builtins here, without starting any program.

# fail MESSAGE: logs MESSAGE and fails (use as `check || fail ... || return 1`).
fail() { ktap_print_msg "$*"; return 1; }

# A FIFO this shell holds open both ways, on which nothing ever arrives:
# read's timeout on it is a sleep that starts no program.
CT_SLEEP_FD=
ct_sleep_fifo=$(mktemp -u /tmp/ct_sleep.XXXXXX) && mkfifo "$ct_sleep_fifo" &&
	exec {CT_SLEEP_FD}<>"$ct_sleep_fifo"
rm -f "$ct_sleep_fifo"
unset ct_sleep_fifo

# ct_sleep SECONDS: sleeps (fractions allowed).
ct_sleep() {
	if [ -n "$CT_SLEEP_FD" ]; then
		read -r -t "$1" -u "$CT_SLEEP_FD" _
		return 0
	fi
	sleep "$1"
}

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds; fails
# once SECONDS have passed.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		ct_sleep 0.1
	done
}

# has_line FILE LINE: FILE has the whole line LINE (grep -qx, without grep).
has_line() {
	local l
	while IFS= read -r l || [ -n "$l" ]; do
		[ "$l" = "$2" ] && return 0
	done 2>/dev/null < "$1"
	return 1
}

# has_text FILE TEXT: FILE contains TEXT (grep -qF, without grep).
has_text() {
	local s
	{ s=$(< "$1"); } 2>/dev/null || return 1
	[[ $s == *"$2"* ]]
}

# line_matches TEXT REGEX: a line of TEXT matches the extended regular
# expression REGEX (grep -qE, without grep).
line_matches() {
	local l
	while IFS= read -r l; do
		[[ $l =~ $2 ]] && return 0
	done <<< "$1"
	return 1
}

# is_empty FILE: FILE exists and is empty (or only a newline).
is_empty() {
	local s
	{ s=$(< "$1"); } 2>/dev/null || return 1
	[ -z "$s" ]
}

# run_tests NAME...: runs test_NAME for each NAME, reporting each as a KTAP
# result (a return of $KSFT_SKIP is a skip) with how long it took.
run_tests() {
	local t rc start
	for t in "$@"; do
		start=$SECONDS
		"test_$t"
		rc=$?
		ktap_print_msg "$t took $((SECONDS - start)) s"
		case $rc in
		0) ktap_test_pass "$t" ;;
		"$KSFT_SKIP") ktap_test_skip "$t" ;;
		*) ktap_test_fail "$t" ;;
		esac
	done
}
