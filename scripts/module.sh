#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build container.ko out of tree. KDIR=<built kernel tree> selects the kernel
# (default: the cached test kernel, built if needed); further VAR=value
# arguments go to Kbuild (e.g. CLIPPY=1). Prints the module's path.
source "$(dirname "$0")/lib.sh"

kdir=
args=()
for a in "$@"; do
	case $a in
	KDIR=*) kdir=${a#KDIR=} ;;
	*) args+=("$a") ;;
	esac
done
[ -n "$kdir" ] || kdir=$("$ROOT/scripts/kernel.sh")
[ -f "$kdir/rust/libkernel.rmeta" ] || die "$kdir is not a built kernel tree with CONFIG_RUST=y"

say "building container.ko against $kdir"
make -C "$kdir" -s "${KMAKE_VARS[@]}" M="$ROOT" CONFIG_TASK_CONTAINERS=m "${args[@]}" modules >&2
echo "$ROOT/container.ko"
