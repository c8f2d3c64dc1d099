# SPDX-License-Identifier: GPL-2.0
# Helpers of the shell suites; sourced after ktap_helpers.sh.

# fail MESSAGE: logs MESSAGE and fails (use as `check || fail ... || return 1`).
fail() { ktap_print_msg "$*"; return 1; }

# wait_for SECONDS CMD...: polls CMD every 0.1 s until it succeeds; fails
# once SECONDS have passed.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.1
	done
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
