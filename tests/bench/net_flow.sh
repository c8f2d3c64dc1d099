#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-packet cost of net_flow, measured side by side in one boot (run by
# `make bench` in the test kernel). A task sends small UDP datagrams
# (sendmmsg, 64 at a time) to a dummy device, which drops them, in its own
# network namespace, in four configurations:
#   unloaded  the module is not loaded
#   loaded    loaded, net_flow mounted, no class id set: no hook registered
#   hooked    a container has a class id (hook registered); sender untagged
#   tagged    the sender is in the container with the class id
# Each round runs all four, in an order rotated from round to round, and
# divides each by that round's `unloaded`: these paired ratios cancel the
# drift of a noisy machine. Prints their median and quartiles.
set -u
BIN=$1
KO=$2
ROUNDS=${ROUNDS:-5}
COUNT=${COUNT:-4000}
NS=ctbench
M=/tmp/ctbench
PHASES=(unloaded loaded hooked tagged)

ip netns add $NS
ip -n $NS link add dummy0 type dummy
ip -n $NS addr add 10.8.0.1/24 dev dummy0
ip -n $NS link set dummy0 up
mkdir -p $M

# blast [CONTAINER]: ns per packet, optionally from inside CONTAINER.
blast() {
	( [ -n "${1:-}" ] && echo 0 > "$M/$1/tasks"; exec ip netns exec $NS "$BIN" 10.8.0.2 "$COUNT" )
}

# run PHASE: sets the module up as PHASE says, prints ns per packet.
run() {
	local loaded=0
	grep -qw container /proc/modules && loaded=1
	case $1 in
	unloaded)
		[ $loaded = 0 ] || rmmod container
		blast ;;
	*)
		[ $loaded = 1 ] || insmod "$KO"
		mountpoint -q $M || { mount -t container -o net_flow none $M && mkdir $M/t; }
		if [ "$1" = loaded ]; then
			echo 0 > $M/t/net_flow.classid
			blast
		else
			echo 0x10010 > $M/t/net_flow.classid
			if [ "$1" = tagged ]; then blast t; else blast; fi
		fi
		rmdir $M/t 2>/dev/null && mkdir $M/t
		;;
	esac
	if [ "$1" != unloaded ] && mountpoint -q $M; then
		rmdir $M/t; umount $M
	fi
}

declare -A ratios
for r in $(seq 0 $((ROUNDS - 1))); do
	declare -A ns=()
	for i in 0 1 2 3; do
		p=${PHASES[$(( (i + r) % 4 ))]}
		ns[$p]=$(run "$p")
	done
	for p in "${PHASES[@]}"; do
		ratios[$p]+="$(awk -v a="${ns[$p]}" -v b="${ns[unloaded]}" 'BEGIN { printf "%.4f", a / b }') "
	done
	echo "round $r: unloaded ${ns[unloaded]} loaded ${ns[loaded]} hooked ${ns[hooked]} tagged ${ns[tagged]} ns/packet"
done
grep -qw container /proc/modules || insmod "$KO"

# quartiles: "q1 median q3" of the numbers on stdin.
quartiles() {
	tr ' ' '\n' | grep . | sort -g |
		awk '{ v[NR] = $1 } END { printf "%.3f %.3f %.3f", v[int(NR / 4) + 1], v[int((NR + 1) / 2)], v[int(3 * NR / 4) + 1] }'
}
echo
echo "net_flow per-packet cost, $ROUNDS rounds of $COUNT UDP packets per configuration:"
echo "ratio to 'unloaded' in the same round: median [first quartile, third quartile]"
for p in loaded hooked tagged; do
	read -r q1 med q3 < <(echo "${ratios[$p]}" | quartiles)
	printf '  %-8s %s  [%s, %s]\n' "$p" "$med" "$q1" "$q3"
done
ip netns del $NS
rmdir $M
