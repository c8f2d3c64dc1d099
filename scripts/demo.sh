#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test kernel (make run without a terminal): shows the
# container filesystem working, step by step, and fails on the first error.
set -euo pipefail
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
sh_step() { printf '\n\033[1m$ %s\033[0m\n' "$1"; bash -c "$1"; }

step uname -r
step grep container /proc/filesystems

# The tool first: a hierarchy, a delegated container, a command in it.
step containerctl list-subsys
step containerctl mount /tmp/containers cpuset memset
step containerctl create --cpus 1 --mems 1 --owner 1000 /tmp/containers/job
step containerctl get /tmp/containers/job cpuset.cpus memset.mems
sleep 1000 &
job=$!
step containerctl classify /tmp/containers/job "$job"
step containerctl exec /tmp/containers/job -- sh -c 'grep -E "^(Cpus|Mems)_allowed_list" /proc/self/status'
step containerctl tree /tmp/containers/job
step containerctl ps "$job"
# A refusal says why.
sh_step "containerctl create --cpus 0 /tmp/containers/job/inner || true"
kill "$job"
wait "$job" 2>/dev/null || true
step containerctl delete /tmp/containers/job
step containerctl umount /tmp/containers

# The same kernel interface by hand: mount, mkdir, echo PID > tasks.
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

# CPU and memory placement: a task confined to CPU 1 and node 1.
step mkdir -p /tmp/cpuset
step mount -t container -o cpuset,memset,noprefix none /tmp/cpuset
step mkdir /tmp/cpuset/job
sh_step "echo 1 > /tmp/cpuset/job/cpus; echo 1 > /tmp/cpuset/job/mems"
sleep 1000 &
job=$!
sh_step "echo $job > /tmp/cpuset/job/tasks"
sh_step "grep -E '^(Cpus|Mems)_allowed_list' /proc/$job/status"
step cat /tmp/cpuset/cpu_enforcement
# With the test kernel's patch the task cannot widen its own affinity.
sh_step "taskset -p f $job || true; grep ^Cpus_allowed_list /proc/$job/status"
kill "$job"
wait "$job" 2>/dev/null || true
step rmdir /tmp/cpuset/job
step umount /tmp/cpuset

# A traffic class for a container's packets.
step mkdir -p /tmp/net
step mount -t container -o net_flow none /tmp/net
step mkdir /tmp/net/backup
sh_step "echo 0x10010 > /tmp/net/backup/net_flow.classid; cat /tmp/net/backup/net_flow.classid"
step rmdir /tmp/net/backup
step umount /tmp/net
step rmmod container
if grep -q container /proc/filesystems; then
	echo "container still registered after rmmod" >&2
	exit 1
fi
echo
echo "demo: containerctl mounted, created, ran and listed; containers created, tasks moved and inherited on fork, a task confined to CPU 1 and node 1, a class id set, everything removed and the module unloaded"
