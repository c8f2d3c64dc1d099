#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test kernel (make run without a terminal): shows the
# container filesystem working, step by step, and fails on the first error.
set -euo pipefail
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
sh_step() { printf '\n\033[1m$ %s\033[0m\n' "$1"; bash -c "$1"; }

step uname -r
step grep container /proc/filesystems
step mkdir -p /tmp/containers
step mount -t container -o debug,name=demo none /tmp/containers
step grep ' /tmp/containers ' /proc/mounts
step mkdir /tmp/containers/batch
step ls /tmp/containers/batch
sleep 1000 &
job=$!
sh_step "echo $job > /tmp/containers/batch/tasks"
step cat /tmp/containers/batch/tasks
step cat /tmp/containers/batch/debug.taskcount
# A child forked inside the container starts there.
sh_step "echo \$\$ > /tmp/containers/batch/tasks; sleep 1000 & echo child \$!; cat /tmp/containers/batch/tasks; kill \$!"
kill "$job"
wait "$job" 2>/dev/null || true
step cat /tmp/containers/batch/tasks
step rmdir /tmp/containers/batch
step umount /tmp/containers
step rmmod container
if grep -q container /proc/filesystems; then
	echo "container still registered after rmmod" >&2
	exit 1
fi
echo
echo "demo: containers created, tasks moved and inherited on fork, everything removed and the module unloaded"
