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
