#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# net_flow: packets of a container's tasks carry its class id as
# skb->priority, so an HTB qdisc puts them in that class without any filter.
# Two network namespaces joined by a veth pair; HTB on the sender's side
# with classes 1:10, 1:20 and the default 1:30; containers x (0x10010) and
# y (0x10020). Every check reads the classes' byte counters (Sent in `tc -s
# class show`), which the flow helper dumps over netlink.
# The suite's directory (without dirname: each program started costs about a
# second in the emulated guest).
DIR=${BASH_SOURCE[0]%/*}
[ "$DIR" != "${BASH_SOURCE[0]}" ] || DIR=.
DIR=$(cd "$DIR" && pwd)
source "$DIR/../lib/ktap_helpers.sh"
# shellcheck source=/dev/null
source "$DIR/../lib/shell_util.sh"

FLOW=("$DIR/flow")
# Bytes per TCP stream: 400 KB (each packet costs tens of milliseconds in
# the emulated guest); soaking (CONTAINER_SOAK, Documentation/testing.rst):
# 4 MB.
TCP_BYTES=400000
[ -z "${CONTAINER_SOAK:-}" ] || TCP_BYTES=4000000
NSA=ctnf-a-$$
NSB=ctnf-b-$$
M=
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ -n "$M" ]; then
		for d in "$M"/*/*/ "$M"/*/; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
		umount "$M" 2>/dev/null
		rmdir "$M" 2>/dev/null
	fi
	ip netns del "$NSA" 2>/dev/null
	ip netns del "$NSB" 2>/dev/null
}
trap cleanup EXIT

# parse_classes LINE: the flow helper's "classes 1:10=N 1:20=N 1:30=N" into
# N10 N20 N30.
parse_classes() {
	local w
	N10=0 N20=0 N30=0
	for w in $1; do
		case $w in
		1:10=*) N10=${w#*=} ;;
		1:20=*) N20=${w#*=} ;;
		1:30=*) N30=${w#*=} ;;
		esac
	done
}

# snapshot: the bytes HTB classes 1:10, 1:20 and 1:30 have sent, into B10
# B20 B30 (the flow helper's netlink dump, what `tc -s class show` calls
# Sent: each program started costs seconds in the emulated debug guest,
# tc more than most).
snapshot() {
	parse_classes "$("${FLOW[@]}" -n "$NSA" classes veth0)"
	B10=$N10 B20=$N20 B30=$N30
}

# deltas: bytes each class sent since the last snapshot into D10 D20 D30.
deltas() {
	parse_classes "$("${FLOW[@]}" -n "$NSA" classes veth0)"
	D10=$(( N10 - B10 ))
	D20=$(( N20 - B20 ))
	D30=$(( N30 - B30 ))
	ktap_print_msg "1:10 +$D10 bytes, 1:20 +$D20, 1:30 +$D30"
}

# counted C FLOW-ARGS...: in_container C FLOW-ARGS, the helper counting what
# each class sent meanwhile (it sends, waits until everything has left the
# qdisc, then counts): the bytes into D10 D20 D30.
counted() {
	local c=$1 line
	shift
	line=$(in_container "$c" -c veth0 "$@") || return 1
	parse_classes "$line"
	D10=$N10 D20=$N20 D30=$N30
	ktap_print_msg "1:10 +$D10 bytes, 1:20 +$D20, 1:30 +$D30"
}

# in_container C FLOW-ARGS...: runs the flow helper in namespace A as a task
# of container C ("" for the root): a subshell moves itself there and execs
# it.
in_container() {
	local c=$1
	shift
	( echo 0 > "$M/$c/tasks" || exit 99; exec "${FLOW[@]}" -n "$NSA" "$@" )
}

# The veth ends' addresses, fixed so that the neighbours can be static.
MAC_A=02:00:00:00:09:01
MAC_B=02:00:00:00:09:02

# veth_end NS DEV ADDR4 ADDR6 PEER4 PEER6 PEER_MAC: addresses, links up and
# static neighbours (no resolution traffic in the counters) of one end of
# the veth pair, in one batch.
veth_end() {
	ip -n "$1" -batch - <<-EOF
		addr add $3/24 dev $2
		addr add $4/64 dev $2 nodad
		link set lo up
		link set $2 up
		neigh replace $5 lladdr $7 dev $2 nud permanent
		neigh replace $6 lladdr $7 dev $2 nud permanent
	EOF
}

# Few program starts (each costs about a second in the emulated debug
# guest): one batch of commands per namespace and tool.
setup() {
	ip netns add "$NSA" && ip netns add "$NSB" || return 1
	ip link add veth0 netns "$NSA" address $MAC_A type veth \
		peer name veth1 netns "$NSB" address $MAC_B || return 1
	veth_end "$NSA" veth0 10.9.0.1 fd00:9::1 10.9.0.2 fd00:9::2 $MAC_B || return 1
	veth_end "$NSB" veth1 10.9.0.2 fd00:9::2 10.9.0.1 fd00:9::1 $MAC_A || return 1
	tc -n "$NSA" -batch - <<-EOF || return 1
		qdisc add dev veth0 root handle 1: htb default 30
		class add dev veth0 parent 1: classid 1:10 htb rate 200mbit quantum 60000
		class add dev veth0 parent 1: classid 1:20 htb rate 200mbit quantum 60000
		class add dev veth0 parent 1: classid 1:30 htb rate 200mbit quantum 60000
	EOF
	M=$(mktemp -d /tmp/ctnf.XXXXXX)
	mount -t container -o net_flow none "$M" || return 1
	mkdir "$M/x" "$M/y" || return 1
	echo 0x10010 > "$M/x/net_flow.classid" && echo 0x10020 > "$M/y/net_flow.classid"
}

# expect_writes FILE VALUE RESULT READ [VALUE RESULT READ]...: each write of
# VALUE to FILE gives RESULT ("ok" or the errno's name), after which FILE
# reads READ (one flow program for them all).
expect_writes() {
	local f=$1 values=() want=() got line i=0
	shift
	while [ $# -ge 3 ]; do
		values+=("$1")
		want+=("$2 $3")
		shift 3
	done
	got=$("${FLOW[@]}" write "$f" "${values[@]}") || return 1
	while IFS= read -r line; do
		[ "$line" = "${want[i]}" ] ||
			{ ktap_print_msg "write '${values[i]}' to $f: '$line', expected '${want[i]}'"; return 1; }
		i=$((i + 1))
	done <<< "$got"
	[ $i = ${#values[@]} ] || { ktap_print_msg "$i results for ${#values[@]} writes"; return 1; }
}

# expect_read FILE VALUE
expect_read() {
	local got
	got=$(< "$1")
	[ "$got" = "$2" ] || { ktap_print_msg "$1 reads '$got', expected '$2'"; return 1; }
}

test_classid_file() {
	mkdir "$M/z" || return 1
	local f=$M/z/net_flow.classid
	expect_read "$f" 0 &&
	expect_writes "$f" 0x10010 ok 65552 65568 ok 65568 &&
	mkdir "$M/z/c" && expect_read "$M/z/c/net_flow.classid" 65568 &&
	rmdir "$M/z/c" &&
	expect_writes "$f" abc EINVAL 65568 0x100000000 EINVAL 65568 -1 EINVAL 65568 \
		1:10 EINVAL 65568 "" EINVAL 65568 99999999999999999999 EINVAL 65568 0 ok 0 &&
	rmdir "$M/z"
}

# udp_lands ADDR CONTAINER CLASS OTHER: 200 datagrams of 1000 bytes sent
# from CONTAINER are in CLASS and not in OTHER.
udp_lands() {
	counted "$2" udp "$1" 9 200 1000 || return 1
	local d=D$3 o=D$4
	[ "${!d}" -ge 200000 ] && [ "${!o}" -eq 0 ]
}

test_udp_ipv4() {
	udp_lands 10.9.0.2 x 10 20 && udp_lands 10.9.0.2 y 20 10
}

test_udp_ipv6() {
	udp_lands fd00:9::2 x 10 20 && udp_lands fd00:9::2 y 20 10
}

# tcp_lands ADDR CONTAINER CLASS OTHER [BYTES]: a TCP stream of BYTES
# (default TCP_BYTES) from CONTAINER is in CLASS, and none of it in OTHER.
tcp_lands() {
	local out bytes=${5:-$TCP_BYTES}
	out=$(mktemp)
	local v6=
	[[ $1 == *:* ]] && v6=6
	"${FLOW[@]}" -n "$NSB" tcp-recv 5001 $v6 > "$out" &
	PIDS+=($!)
	wait_for_line "$out" listening || return 1
	counted "$2" tcp-send "$1" 5001 "$bytes" || return 1
	wait "${PIDS[-1]}"
	local d=D$3 o=D$4
	ktap_print_msg "received $(tail -n 1 "$out") bytes"
	rm -f "$out"
	[ "${!d}" -ge "$bytes" ] && [ "${!o}" -eq 0 ]
}

# wait_for_line FILE TEXT: waits for FILE to contain TEXT, up to 120 s (a
# hang detector: the guest may be very slow).
wait_for_line() {
	wait_for 120 has_text "$1" "$2" && return 0
	ktap_print_msg "timed out after 120 s waiting for '$2' in $1"
	return 1
}

test_tcp_ipv4() {
	tcp_lands 10.9.0.2 x 10 20 && tcp_lands 10.9.0.2 y 20 10
}

test_tcp_ipv6() {
	tcp_lands fd00:9::2 x 10 20
}

test_untagged_not_touched() {
	# An untagged task's packets keep skb->priority: the default class ...
	counted "" udp 10.9.0.2 9 100 1000 || return 1
	[ "$D30" -ge 100000 ] && [ "$D10" -eq 0 ] && [ "$D20" -eq 0 ] || return 1
	# ... or the class its own SO_PRIORITY names.
	counted "" udp 10.9.0.2 9 100 1000 0x10020 || return 1
	[ "$D20" -ge 100000 ] && [ "$D10" -eq 0 ]
}

test_tagged_wins_over_so_priority() {
	counted x udp 10.9.0.2 9 100 1000 0x10020 || return 1
	[ "$D10" -ge 100000 ] && [ "$D20" -eq 0 ]
}

test_move_midstream() {
	local out ctl rx sender
	out=$(mktemp)
	rx=$(mktemp)
	ctl=$(mktemp -u)
	mkfifo "$ctl"
	"${FLOW[@]}" -n "$NSB" tcp-recv 5002 > "$rx" &
	PIDS+=($!)
	wait_for_line "$rx" listening || return 1
	snapshot
	# Half of the stream, then a pause.
	local half=$((TCP_BYTES / 2))
	# (Not through in_container: $! must be the sender's pid.)
	( echo 0 > "$M/x/tasks" || exit 99
	  exec "${FLOW[@]}" -n "$NSA" tcp-send 10.9.0.2 5002 $((2 * half)) "$ctl" ) > "$out" &
	sender=$!
	PIDS+=($sender)
	wait_for_line "$out" paused || return 1
	deltas
	[ "$D10" -ge "$half" ] && [ "$D20" -eq 0 ] || return 1
	# Move the sender (its whole process) to y, then let it send the rest
	# on the same connection.
	echo "$sender" > "$M/y/container.procs" || return 1
	snapshot
	echo go > "$ctl"
	wait "$sender" || return 1
	deltas
	rm -f "$out" "$rx" "$ctl"
	[ "$D20" -ge "$half" ] && [ "$D10" -lt $((half / 10)) ]
}

# tcp_retrans: TCP's RetransSegs counter in namespace A.
tcp_retrans() {
	ip netns exec "$NSA" awk '$1 == "Tcp:" && !h { for (i = 1; i <= NF; i++) n[$i] = i; h = 1; next }
		$1 == "Tcp:" { print $n["RetransSegs"] }' /proc/net/snmp
}

test_retransmits_keep_class() {
	# Drop 5% of class 1:10's packets: TCP retransmits, from timers and
	# ACKs, i.e. softirq context, where no task is current. One segment
	# per packet (no GSO, for connections made from now on): 300 KB is
	# about 200 segments, about 10 losses, each recovered in the class.
	# (The other tests keep GSO: a stream is then a few dozen 64 KB
	# packets, each emulated packet costing tens of milliseconds.)
	ip -n "$NSA" link set veth0 gso_max_segs 1 || return 1
	tc -n "$NSA" qdisc add dev veth0 parent 1:10 handle 10: netem loss 5% || return 1
	local before after ok
	before=$(tcp_retrans)
	tcp_lands 10.9.0.2 x 10 20 300000
	ok=$?
	after=$(tcp_retrans)
	tc -n "$NSA" qdisc del dev veth0 parent 1:10 handle 10:
	ip -n "$NSA" link set veth0 gso_max_segs 65535
	ktap_print_msg "retransmitted segments: $((after - before))"
	[ $ok = 0 ] && [ "$after" -gt "$before" ] && [ "$D30" -lt 20000 ]
}

ktap_print_header
if [ "$(id -u)" != 0 ]; then
	ktap_skip_all "needs root"
	exit "$KSFT_SKIP"
fi
for t in ip tc; do
	if ! command -v $t > /dev/null; then
		ktap_skip_all "needs $t"
		exit "$KSFT_SKIP"
	fi
done
if ! grep -qw container /proc/filesystems && ! insmod "${CONTAINER_KO:-/nonexistent}" 2>/dev/null; then
	ktap_skip_all "container module not available"
	exit "$KSFT_SKIP"
fi

TESTS=(classid_file udp_ipv4 udp_ipv6 tcp_ipv4 tcp_ipv6 untagged_not_touched
	tagged_wins_over_so_priority move_midstream retransmits_keep_class)
ktap_set_plan ${#TESTS[@]}
start=$SECONDS
setup || ktap_exit_fail_msg "network setup failed"
ktap_print_msg "setup took $((SECONDS - start)) s"
for t in "${TESTS[@]}"; do
	start=$SECONDS
	if "test_$t"; then ok=1; else ok=0; fi
	ktap_print_msg "$t took $((SECONDS - start)) s"
	if [ $ok = 1 ]; then ktap_test_pass "$t"; else ktap_test_fail "$t"; fi
done
ktap_finished
