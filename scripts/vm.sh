#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot the test kernel under QEMU (virtme-ng) with container.ko loaded and
# run a command in it:  vm.sh [KDIR=dir] [--out DIR] [--noload] [--icount] -- CMD...
#
# The guest sees the host filesystem read-only (as virtme-ng does), with the
# repository root as working directory and --out (default build/vm) writable.
# The command's exit status is the script's; the guest kernel log is left in
# $out/dmesg.txt (the console log if the guest crashed). TCG by default: KVM hangs in early boot on these machines
# (CONTAINER_KVM=1 opts in). Topology: 4 vCPUs, 2 sockets, 2 NUMA nodes.
# QEMU 10.0's TCG aborts (iotlb_to_section assertion) while the guest probes
# PCI when the CPU model has 5-level paging, so '-cpu max' is used with
# la57=off. The guest's init is scripts/guest-init.sh (see below).
# --icount runs the guest with QEMU's -icount: its clock advances by
# instructions executed, so timings taken in the guest count instructions
# and do not depend on host load (for benchmarks).
source "$(dirname "$0")/lib.sh"

kdir=
out=$ROOT/build/vm
load=1
icount=
while [ $# -gt 0 ]; do
	case $1 in
	KDIR=*) kdir=${1#KDIR=} ;;
	--out) out=$2; shift ;;
	--noload) load=0 ;;
	--icount) icount="-icount shift=0 " ;;
	--) shift; break ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || set -- true

[ -n "$kdir" ] || kdir=$("$ROOT/scripts/kernel.sh")
ko=$("$ROOT/scripts/module.sh" KDIR="$kdir")
bzimage=$kdir/arch/x86/boot/bzImage
[ -f "$bzimage" ] || die "$bzimage not found"
mkdir -p "$out"

kvm=(--disable-kvm)
[ "${CONTAINER_KVM:-0}" = 1 ] && kvm=()

# The guest runs scripts/guest.sh, which loads the module, runs the command
# and saves the status and kernel log into $out.
cmd=$(printf '%q ' "$ROOT/scripts/guest.sh" "$out" "$ko" "$load" "$@")
accel=TCG; [ ${#kvm[@]} = 0 ] && accel=KVM
say "booting $(basename "$kdir") under $accel: $*"
export PATH=$VENV/bin:$PATH
kargs="console=hvc0 ignore_loglevel oops=panic panic=-1"
# The guest's PID 1 is scripts/guest-init.sh, not virtme-ng-init, whose
# wait for udev made most of each boot (and timed out when two guests
# booted at once): a second -append, after virtme-ng's, replaces the kernel
# command line with virtme-ng's root options (plus cache=loose, see
# guest-init.sh), ours, and that init. A boot from 9p to the module loaded
# took 205 s with virtme-ng-init, 87 s with this. CONTAINER_VNG_INIT=1
# keeps virtme-ng-init (it finds its I/O ports through udev's
# /dev/virtio-ports links, hence the udev package in deps.sh).
printf '%s\n' "$cmd" > "$out/cmd"
init=
if [ "${CONTAINER_VNG_INIT:-0}" != 1 ]; then
	tty=0
	[ -t 0 ] && [ -t 1 ] && tty=1
	init="-append $(printf '%q' "rootfstype=9p rootflags=version=9p2000.L,trans=virtio,access=any,msize=524288,cache=loose ro raid=noautodetect $kargs container_out=$out container_cmd=$out/cmd container_cwd=$ROOT container_tty=$tty init=$ROOT/scripts/guest-init.sh")"
fi
# The guest's memory in MiB (CONTAINER_GUEST_MB), two NUMA nodes of half.
mem=${CONTAINER_GUEST_MB:-2048}
run_vng() {
	"$VNG" --run "$bzimage" "${kvm[@]}" --cpus 4 --memory "${mem}M" \
	--numa "$((mem / 2))M,cpus=0-1" --numa "$((mem / 2))M,cpus=2-3" \
	--qemu-opts="$icount-cpu max,la57=off -accel tcg,thread=single -smp 4,sockets=2,cores=2,threads=1 -device virtio-serial-pci,id=klog -chardev file,id=klogf,path=$out/console.log -device virtconsole,bus=klog.0,chardev=klogf $init" \
	--rwdir="$out" --cwd "$ROOT" --user root \
	--append "$kargs" \
	--exec "$cmd"
}
# A boot that never reaches the command (seen under load: udev's settle
# times out and virtme-ng falls back to the console, "cannot find script I/O
# ports") is retried, up to CONTAINER_BOOT_TRIES times (default 3). A guest
# that ran the command is never rerun: its verdict stands.
tries=${CONTAINER_BOOT_TRIES:-3}
for try in $(seq "$tries"); do
	rm -f "$out/dmesg.txt" "$out/status" "$out/console.log" "$out/started"
	set +e
	if [ -t 0 ] && [ -t 1 ]; then
		run_vng
		vng_rc=$?
	else
		# QEMU opens /proc/self/fd/1 and 2 for the guest's output, which
		# truncates them when they are files: always hand it pipes.
		run_vng </dev/null 2>&1 | cat
		vng_rc=${PIPESTATUS[0]}
	fi
	set -e
	[ -f "$out/started" ] && break
	echo "vm: boot $try of $tries never ran the command (vng exit $vng_rc)" >&2
	tail -n 20 "$out/console.log" >&2 2>/dev/null || true
	[ "$try" -lt "$tries" ] && sleep $((try * 10))
done
if [ ! -f "$out/status" ]; then
	# The kernel log up to the crash is on the virtio console (hvc0).
	cp "$out/console.log" "$out/dmesg.txt" 2>/dev/null || true
	echo "vm: the guest did not finish (vng exit $vng_rc); kernel log: $out/dmesg.txt" >&2
	exit 125
fi
exit "$(cat "$out/status")"
