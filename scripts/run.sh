#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make run`: boot the test kernel with container.ko loaded. With a terminal
# on stdin you get a shell in the guest; otherwise scripts/demo.sh shows
# containers working and the guest powers off.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/tools.sh"
if [ -t 0 ] && [ -t 1 ]; then
	say "starting a shell in the guest (container.ko is loaded; exit to power off)"
	exec "$ROOT/scripts/vm.sh" "$@" -- bash -i
fi
exec "$ROOT/scripts/vm.sh" "$@" -- "$ROOT/scripts/demo.sh"
