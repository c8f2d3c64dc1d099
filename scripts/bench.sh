#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: benchmarks, run in the release test kernel (the debug
# kernel's lockdep and KASAN multiply every code path's cost and would hide
# ours; KDIR=... picks another) and reported as ratios measured side by side
# in one boot (absolute times under TCG mean little).
# Currently: net_flow's per-packet cost (tests/bench/net_flow.sh).
source "$(dirname "$0")/lib.sh"

kdir=
for a in "$@"; do case $a in KDIR=*) kdir=${a#KDIR=} ;; esac; done
[ -n "$kdir" ] || kdir=$(KERNEL_FLAVOR=release "$ROOT/scripts/kernel.sh")
out=$ROOT/build/bench
mkdir -p "$out"
cc -O2 -Wall -Werror -o "$out/udp_blast" "$ROOT/tests/bench/udp_blast.c"
# The module is built in the tree vm.sh runs from: run from a copy, so that
# the working tree's container.ko (built for the debug kernel) is kept.
src=$out/src
rm -rf "$src"
mkdir -p "$src"
(cd "$ROOT" && git ls-files -co --exclude-standard | tar cf - -T -) | tar xf - -C "$src"
# -icount: guest time is instructions executed (1 ns each), so the ratios
# are of instruction counts, which host load does not disturb.
exec "$src/scripts/vm.sh" KDIR="$kdir" --out "$out" --icount -- \
	"$src/tests/bench/net_flow.sh" "$out/udp_blast" "$src/container.ko"
