#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) the test kernel: Debian's linux-source-6.12, the project's
# patches (scripts/patches/*.patch, applied in order) and config fragments
# (scripts/config/*.config on top of allnoconfig; KERNEL_FLAVOR=release
# leaves out debug.config), built with clang 19 and CONFIG_RUST=y. The
# result is cached in $CONTAINER_CACHE/kernel-<key>/linux (release:
# kernel-release-<key>), keyed by package version + fragments + patches +
# toolchain, and printed on stdout (the KDIR the module is built against).
source "$(dirname "$0")/lib.sh"

dir=$(kernel_dir)
ksrc=$dir/linux
stamp=$dir/.built

mkdir -p "$CONTAINER_CACHE"
exec 9>"$CONTAINER_CACHE/kernel.lock"
flock 9

if [ -f "$stamp" ]; then
	echo "$ksrc"
	exit 0
fi

tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "$tarball missing: run scripts/deps.sh (Debian package linux-source-6.12)"

start=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
say "unpacking Debian linux-source $(ksrc_version) into $dir"
tar -C "$dir" -xf "$tarball"
mv "$dir/linux-source-6.12" "$ksrc"

for p in "$ROOT"/scripts/patches/*.patch; do
	[ -e "$p" ] || continue
	say "applying $(basename "$p")"
	patch -d "$ksrc" -p1 --quiet --forward < "$p" || die "patch $(basename "$p") does not apply"
done

say "configuring the $KERNEL_FLAVOR kernel (allnoconfig + $(kernel_fragments | xargs -n1 basename | tr '\n' ' '))"
kernel_fragments | xargs cat > "$dir/fragment.config"
make -C "$ksrc" -s "${KMAKE_VARS[@]}" KCONFIG_ALLCONFIG="$dir/fragment.config" allnoconfig >/dev/null
# Kconfig silently drops options whose dependencies are unmet: check that
# every option the fragments ask for made it into .config.
bad=0
while IFS='=' read -r opt want; do
	got=$(sed -n "s/^$opt=//p" "$ksrc/.config")
	if [ "$want" = n ]; then [ -z "$got" ] && continue; fi
	if [ "$got" != "$want" ]; then
		echo "config: $opt wanted $want, got ${got:-unset}" >&2
		bad=1
	fi
done < <(grep -E '^CONFIG_[A-Z0-9_]+=' "$dir/fragment.config")
[ $bad = 0 ] || die "kernel config fragments do not apply cleanly (see above)"

jobs=$(( $(nproc) + 1 ))
say "building the test kernel with $jobs jobs (a cold build takes about 20 minutes on 2 cores)"
log=$dir/build.log
make -C "$ksrc" "${KMAKE_VARS[@]}" -j"$jobs" > "$log" 2>&1 &
pid=$!
# Progress: one line a minute with the last object built.
while kill -0 $pid 2>/dev/null; do
	sleep 60 &
	wait $! || true
	kill -0 $pid 2>/dev/null && say "  ... $(( ($(date +%s) - start) / 60 )) min: $(tail -n 1 "$log" | cut -c1-80)"
done
if ! wait $pid; then
	tail -n 40 "$log" >&2
	die "kernel build failed (full log: $log)"
fi
touch "$stamp"
say "test kernel built in $(( ($(date +%s) - start) / 60 )) min: $ksrc"
# Keep only this build of the flavor: older keys are stale sources and
# objects (GBs each).
prefix=$(kernel_prefix)
for old in "$CONTAINER_CACHE/$prefix"*; do
	if [ "$old" = "$dir" ] || [ ! -d "$old" ]; then continue; fi
	# kernel-* matches the release builds too: those are the other flavor's.
	if [ "$prefix" = kernel- ] && [[ $old == */kernel-release-* ]]; then continue; fi
	rm -rf "$old"
done
echo "$ksrc"
