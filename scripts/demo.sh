#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test kernel (make run without a terminal): shows the
# container filesystem working, step by step, and fails on the first error.
set -euo pipefail
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step uname -r
step grep container /proc/modules
step grep container /proc/filesystems
step mkdir -p /containers
step mount -t container none /containers
step grep ' /containers ' /proc/mounts
step ls -la /containers
step umount /containers
step rmmod container
if grep -q container /proc/filesystems; then
	echo "container still registered after rmmod" >&2
	exit 1
fi
echo
echo "demo: container module loaded, mounted, unmounted and unloaded cleanly"
