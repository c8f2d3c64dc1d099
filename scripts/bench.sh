#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: benchmarks, run in the test kernel and reported as ratios
# measured side by side in one boot (absolute times under TCG mean little).
# Currently: net_flow's per-packet cost (tests/bench/net_flow.sh).
source "$(dirname "$0")/lib.sh"

kdir_arg=()
for a in "$@"; do case $a in KDIR=*) kdir_arg=("$a") ;; esac; done
out=$ROOT/build/bench
mkdir -p "$out"
cc -O2 -Wall -Werror -o "$out/udp_blast" "$ROOT/tests/bench/udp_blast.c"
# -icount: guest time is instructions executed (1 ns each), so the ratios
# are of instruction counts, which host load does not disturb.
exec "$ROOT/scripts/vm.sh" "${kdir_arg[@]}" --out "$out" --icount -- \
	"$ROOT/tests/bench/net_flow.sh" "$out/udp_blast" "$ROOT/container.ko"
