#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: every test tier, then one summary line.
#  1. builds: the module (the kernel's clippy lints), a variant with every
#     optional subsystem off and the sample on (Kconfig options honoured
#     out of tree), the userspace tools and the kselftest programs;
#  2. guest: the kselftest suites under tests/selftests, in the debug test
#     kernel with the freshly built module, in two guests side by side;
#  3. host, while the guests run: `cargo test` of the pure logic shared
#     with the module and of the userspace tools (tools/), the house rules
#     (unsafe only in rust/ffi, SAFETY comments, layering, rustfmt, clippy)
#     and the PREEMPT_RT build that must refuse;
#  4. the guests' results, and
#  5. the splat check: any WARNING, BUG, lockdep, KASAN or kmemleak report
#     in the guest kernel log fails the run (and the log is printed).
# Ends with "N passed, N failed, N skipped" and exits non-zero on failure.
source "$(dirname "$0")/lib.sh"

# Each step is announced with the time since the start, so the slow host
# steps are visible too (also in build/check/steps.txt).
say() { printf '\033[1m==> [%4d s] %s\033[0m\n' "$SECONDS" "$*" >&2; echo "$SECONDS $*" >> "$ROOT/build/check/steps.txt"; }

kdir_arg=()
for a in "$@"; do case $a in KDIR=*) kdir_arg=("$a") ;; esac; done

out=$ROOT/build/check
start_time=$(date +%s)
rm -rf "$out"
mkdir -p "$out"
passed=0 failed=0 skipped=0

# --- 1. what the guests run -------------------------------------------------
# The module (with the kernel's clippy lints) and its sample-only variant,
# the userspace tools (build/tools) and the kselftest programs, side by
# side; the guests boot once they are built, and the host tests run beside
# them (section 3).
[ ${#kdir_arg[@]} -gt 0 ] || kdir_arg=(KDIR="$("$ROOT/scripts/kernel.sh")")
kdir=${kdir_arg[0]#KDIR=}

# The kernel's clippy lints apply to every build of this run, including
# the one vm.sh asks for (the same command line: nothing is rebuilt).
export CLIPPY=1

# lint_build NAME DIR VAR=value...: builds the module in DIR with the
# kernel's clippy lints; any warning or error fails the check. Prints one
# "ok"/"not ok" line (and the offending log lines).
lint_build() {
	local name=$1 dir=$2 log
	shift 2
	log=$out/build-$name.log
	if make -C "$kdir" -s "${KMAKE_VARS[@]}" M="$dir" CONFIG_TASK_CONTAINERS=m "$@" \
		modules > "$log" 2>&1 && ! grep -qE '^(warning|error)' "$log"; then
		echo "ok - $name builds clean under CLIPPY=1"
	else
		echo "not ok - $name: warnings or errors under CLIPPY=1 (see $log)"
		grep -E -A8 '^(warning|error)' "$log" | head -n 60
	fi
}

# The same sources with every optional subsystem off and the sample on,
# loaded by the samples suite.
variant_build() {
	local variant=$out/variant
	mkdir -p "$variant"
	(cd "$ROOT" && git ls-files -co --exclude-standard Kbuild rust samples | tar cf - -T -) | tar xf - -C "$variant"
	lint_build "variant (sample only)" "$variant" CONFIG_TASK_CONTAINERS_CPUSET=n \
		CONFIG_TASK_CONTAINERS_MEMSET=n CONFIG_TASK_CONTAINERS_NET_FLOW=n \
		CONFIG_TASK_CONTAINERS_DEBUG=n CONFIG_TASK_CONTAINERS_SAMPLE=y
}

# The module refuses to build for PREEMPT_RT (Documentation/locking.rst):
# the same sources, built as if the kernel had CONFIG_PREEMPT_RT, must stop
# with that error.
preempt_rt_build() {
	local rt=$out/preempt-rt
	mkdir -p "$rt"
	(cd "$ROOT" && git ls-files -co --exclude-standard Kbuild rust samples | tar cf - -T -) | tar xf - -C "$rt"
	if make -C "$kdir" -s "${KMAKE_VARS[@]}" M="$rt" CONFIG_TASK_CONTAINERS=m \
		KRUSTFLAGS=--cfg=CONFIG_PREEMPT_RT modules > "$rt.log" 2>&1; then
		echo "not ok - the module builds for PREEMPT_RT (see $rt.log)"
	elif grep -q 'does not support PREEMPT_RT' "$rt.log"; then
		echo "ok - the module refuses to build for PREEMPT_RT"
	else
		echo "not ok - the PREEMPT_RT build failed for another reason (see $rt.log)"
		tail -n 20 "$rt.log"
	fi
}

# count_results FILE: prints FILE and adds its "ok"/"not ok" lines to the
# totals.
count_results() {
	local n
	cat "$1"
	n=$(grep -c '^ok - ' "$1") || true; passed=$((passed + n))
	n=$(grep -c '^not ok - ' "$1") || true; failed=$((failed + n))
}

# tools_build: the userspace tools, built into build/tools for the guest's
# tools suite; one "ok"/"not ok" line.
tools_build() {
	if "$ROOT/scripts/tools.sh" > "$out/tools-build.log" 2>&1; then
		echo "ok - the tools build"
	else
		echo "not ok - the tools do not build (see $out/tools-build.log)"; tail -n 20 "$out/tools-build.log"
	fi
}

say "building the module and its sample-only variant (the kernel's clippy lints), the tools and the guest tests"
variant_build > "$out/variant.result" 2>&1 &
variant_pid=$!
tools_build > "$out/tools-build.result" 2>&1 &
tools_pid=$!
make -s -j"$(nproc)" -C "$ROOT/tests/selftests" KSRC="$kdir" > "$out/selftests-build.log" 2>&1 &
selftests_pid=$!
lint_build module "$ROOT" > "$out/module.result" 2>&1
wait "$variant_pid" "$tools_pid" || true
for r in module variant tools-build; do count_results "$out/$r.result"; done
if ! wait "$selftests_pid"; then
	cat "$out/selftests-build.log" >&2
	echo "the guest tests do not build (see $out/selftests-build.log)" >&2
	exit 1
fi

# --- 2. guest tests, started -----------------------------------------------
# The guest is emulated by single-threaded TCG: one QEMU uses one host core.
# The suites are split over CONTAINER_GUESTS guests (default: one per host
# core, at most 2) booted side by side. Each program goes to the guest with
# the least work, longest first, weighed by the durations of the last run
# on this machine (else by rough defaults); results, kernel logs and
# durations are merged below.
cores=$(nproc)
guests=${CONTAINER_GUESTS:-$(( cores < 2 ? 1 : 2 ))}
history=$CONTAINER_CACHE/suite-seconds
declare -A weight=([tools]=60 [fault]=300 [net_flow]=300 [cpuset]=200 [tasks]=120 [events]=90
	[soundness]=200 [memset]=90 [hierarchy]=60 [dir]=40 [module]=60 [samples]=60 [system]=30)
declare -A load
for g in $(seq "$guests"); do
	load[$g]=0; mkdir -p "$out/g$g"; : > "$out/g$g/run.list"
done
while read -r w suite prog; do
	best=1
	for g in $(seq "$guests"); do [ "${load[$g]}" -lt "${load[$best]}" ] && best=$g; done
	load[$best]=$(( ${load[$best]} + w ))
	echo "$suite $prog" >> "$out/g$best/run.list"
done < <(while read -r suite prog; do
		w=0
		[ -f "$history" ] && w=$(awk -v s="$suite" -v p="$prog" '$1 == s && $2 == p { w = $3 } END { print w + 0 }' "$history")
		[ "${w:-0}" -gt 0 ] || w=${weight[$suite]:-60}
		echo "$w $suite $prog"
	done < "$ROOT/build/selftests/run.list" | sort -rn)
# Each guest has 1 GiB (the kmemleak scans at the end take about a third
# less than with 2 GiB); soaking, 2 GiB (20,000 sibling containers).
if [ -n "${CONTAINER_SOAK:-}" ]; then
	export CONTAINER_GUEST_MB=${CONTAINER_GUEST_MB:-2048}
else
	export CONTAINER_GUEST_MB=${CONTAINER_GUEST_MB:-1024}
fi
# The soak knob and the seed of sampled tests go to every guest.
seed=${CONTAINER_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
say "guest tests in $guests guest(s); CONTAINER_SEED=$seed${CONTAINER_SOAK:+, soaking (CONTAINER_SOAK=$CONTAINER_SOAK s per stress test)}"
pids=()
# Each guest runs in its own process group: if check.sh stops early, no
# guest is left running (vm.sh would otherwise retry a boot on its own).
stop_guests() { for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || true; done; }
trap stop_guests EXIT
for g in $(seq "$guests"); do
	printf 'CONTAINER_SOAK=%q\nCONTAINER_SEED=%q\n' "${CONTAINER_SOAK:-}" "$seed" > "$out/g$g/env"
	setsid "$ROOT/scripts/vm.sh" "${kdir_arg[@]}" --out "$out/g$g" -- \
		"$ROOT/tests/run_guest.sh" "$out/g$g" "$out/g$g/run.list" > "$out/g$g/vm.log" 2>&1 &
	pids+=($!)
	say "guest $g started ($(wc -l < "$out/g$g/run.list") programs; log: $out/g$g/vm.log)"
	# vm.sh makes sure container.ko is built (it is: nothing to do) before
	# it boots: the next guest starts once this one has said it boots, so
	# that no two makes run in the tree at once.
	for _ in $(seq 600); do
		grep -q 'booting' "$out/g$g/vm.log" 2>/dev/null && break
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 1
	done
done
# --- 3. host tests and house rules, beside the guests ---------------------
# At a lower priority than the guests (started above at the usual one): on
# a 2-core host the guests' boots would otherwise wait for these builds;
# this way they take what the guests leave (their idle moments, and the
# core of the guest that finishes first).
renice -n 10 -p $$ > /dev/null 2>&1 || true
say "host tests and house rules, beside the guests (cargo test in tests/host and tools)"
if { (cd "$ROOT/tests/host" && CARGO_TARGET_DIR=$CONTAINER_CACHE/host-target cargo test 2>&1)
	(cd "$ROOT/tools" && CARGO_TARGET_DIR=$TOOLS_TARGET cargo test --locked 2>&1); } |
	tee "$out/host.log" | grep -E '^test |^test result|error' >&2; then :; fi
while read -r p f; do
	passed=$((passed + p)); failed=$((failed + f))
done < <(sed -nE 's/^test result: .*\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' "$out/host.log")
if ! grep -q '^test result: ok' "$out/host.log" || grep -q '^test result: FAILED' "$out/host.log"; then
	grep -q '^test result:' "$out/host.log" || { echo "host tests did not run" >&2; failed=$((failed + 1)); }
fi

# --- house rules: unsafe and raw bindings only in the abstraction layer
# (rust/ffi) and the C entry points above the domain (rust/vfs), each
# unsafe block with SAFETY ----
# (samples/subsys_sample.rs is built into the crate as a subsystem.)
leaf=$(git -C "$ROOT" ls-files 'rust/*.rs' 'samples/*.rs' | grep -v -E '^rust/(ffi\.rs|ffi/|vfs\.rs|vfs/)' || true)
bad=$(cd "$ROOT" && grep -n -E '^[^/]*(\bunsafe\b|\bbindings::)' $leaf /dev/null |
	grep -v -E ':[[:space:]]*//' || true)
if [ -n "$bad" ]; then
	echo "not ok - unsafe or raw bindings outside rust/ffi and rust/vfs:"; echo "$bad"; failed=$((failed + 1))
else
	echo "ok - unsafe and raw bindings appear only in rust/ffi and rust/vfs"; passed=$((passed + 1))
fi
# A SAFETY comment block must end at most three lines above the unsafe
# block (or share its line): "// SAFETY:" may run over many comment lines.
nosafety=$(cd "$ROOT" && awk '
	FNR == 1 { inblock = 0; safe = 0; end = -10 }
	/^[[:space:]]*\/\// { if (!inblock) { inblock = 1; safe = 0 } if (/SAFETY/) safe = 1; if (safe) end = FNR; next }
	{ inblock = 0 }
	/unsafe *\{/ && !/SAFETY/ && FNR - end > 3 { print FILENAME":"FNR": "$0 }
' $(git ls-files 'rust/*.rs' 'samples/*.rs'))
if [ -n "$nosafety" ]; then
	echo "not ok - unsafe blocks without a SAFETY comment:"; echo "$nosafety"; failed=$((failed + 1))
else
	echo "ok - every unsafe block has a SAFETY comment"; passed=$((passed + 1))
fi

# Layers point down: the bottom layer, rust/ffi/ (safe wrappers of the
# kernel's C API), names nothing of the domain: only itself, the pure
# logic/ and the kernel crate. Its callbacks reach the domain through
# traits the domain implements (TaskHooks, LocalOut, Placed). The top
# layer, rust/vfs/ (the C entry points of the pseudo-filesystem and the
# /proc files), calls down into the domain; nothing else names it but the
# crate root, which registers it.
up=$(cd "$ROOT" && grep -n 'crate::' rust/ffi.rs rust/ffi/*.rs |
	grep -v -E '^[^:]+:[0-9]+:[[:space:]]*//' | grep -v -E 'crate::(ffi|logic)\b' || true)
down=$(cd "$ROOT" && git ls-files 'rust/*.rs' 'samples/*.rs' | grep -v -E '^rust/(vfs\.rs|vfs/|container_main\.rs)' |
	xargs -r grep -Hn -E '\bvfs\b' | grep -v -E '^[^:]+:[0-9]+:[[:space:]]*//' || true)
if [ -n "$up$down" ]; then
	echo "not ok - a layer names one above it:"; echo "$up$down"; failed=$((failed + 1))
else
	echo "ok - layers point down (rust/ffi names no domain, nothing names rust/vfs)"; passed=$((passed + 1))
fi

if (cd "$ROOT" && rustfmt --edition 2021 --check rust/container_main.rs samples/*.rs tests/host/src/lib.rs >/dev/null 2>&1) &&
	(cd "$ROOT/tools" && cargo fmt --check >/dev/null 2>&1); then
	echo "ok - rustfmt clean"; passed=$((passed + 1))
else
	echo "not ok - rustfmt: run 'make fmt'"; failed=$((failed + 1))
fi

# The userspace tools are clippy-clean.
if (cd "$ROOT/tools" && CARGO_TARGET_DIR=$TOOLS_TARGET cargo clippy --locked --quiet --workspace --all-targets -- -D warnings) > "$out/tools-clippy.log" 2>&1; then
	echo "ok - the tools are clippy clean"; passed=$((passed + 1))
else
	echo "not ok - the tools: clippy warnings (see $out/tools-clippy.log)"; head -n 40 "$out/tools-clippy.log"; failed=$((failed + 1))
fi

say "the PREEMPT_RT build (it must refuse)"
preempt_rt_build > "$out/preempt-rt.result" 2>&1
count_results "$out/preempt-rt.result"

# --- 4. guest results --------------------------------------------------------
vm_rcs=()
for i in "${!pids[@]}"; do
	set +e; wait "${pids[$i]}"; vm_rcs+=($?); set -e
done
trap - EXIT
say "guests finished"
# When each guest had booted (its tests started), in seconds from the start.
for g in $(seq "$guests"); do
	if [ -e "$out/g$g/started" ]; then
		say "guest $g had booted at $(( $(stat -c %Y "$out/g$g/started") - start_time )) s"
	fi
done
: > "$out/guest.log"; : > "$out/dmesg.txt"; : > "$out/durations.txt"
for g in $(seq "$guests"); do
	gd=$out/g$g
	echo "# guest $g"
	# The TAP stream as the guest wrote it (when the guest never ran the
	# command, the VM log says why).
	if [ -s "$gd/tap.log" ]; then cat "$gd/tap.log"; else cat "$gd/vm.log"; fi
	cat "$gd/tap.log" >> "$out/guest.log" 2>/dev/null || true
	cat "$gd/durations.txt" >> "$out/durations.txt" 2>/dev/null || true
	if [ -s "$gd/dmesg.txt" ]; then
		{ echo "=== guest $g"; cat "$gd/dmesg.txt" "$gd/kmemleak.txt" 2>/dev/null; } >> "$out/dmesg.txt"
	else
		echo "splat check: no kernel log from guest $g ($gd/dmesg.txt)" >&2
		failed=$((failed + 1))
	fi
done
# TAP results of every suite: "ok N name", "not ok N name", "# SKIP".
p=$(grep -cE '^ok [0-9]+ ' "$out/guest.log") || true
s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out/guest.log") || true
f=$(grep -cE '^not ok [0-9]+ ' "$out/guest.log") || true
passed=$((passed + p - s)); skipped=$((skipped + s)); failed=$((failed + f))
# A suite killed by its time limit, or a guest that failed without a failing
# test (crash, boot failure), is a failure too.
k=$(grep -cE '^not ok - .* killed after' "$out/guest.log") || true
failed=$((failed + k))
for i in "${!vm_rcs[@]}"; do
	g=$((i + 1))
	if [ "${vm_rcs[$i]}" != 0 ] && ! grep -qE '^not ok ' "$out/g$g/tap.log" 2>/dev/null; then
		echo "guest $g failed (exit ${vm_rcs[$i]}) without a failing test: counted as a failure (see $out/g$g/vm.log)" >&2
		failed=$((failed + 1))
	fi
done
# Every program must have run: one durations line each.
want=$(wc -l < "$ROOT/build/selftests/run.list")
got=$(wc -l < "$out/durations.txt")
if [ "$got" != "$want" ]; then
	echo "guest tests: $got of $want programs ran" >&2
	failed=$((failed + 1))
fi

# --- 5. splat check --------------------------------------------------------
splat='(WARNING:|BUG:|Oops|general protection|Kernel panic|KASAN|UBSAN|kmemleak: [0-9]+ new suspected|unreferenced object|possible recursive locking|circular locking|inconsistent lock state|suspicious RCU usage|lock held when returning|sleeping function called from invalid context|refcount_t:|INFO: task .* blocked|rcu_.*detected stall|list_(add|del) corruption)'
if [ ! -s "$out/dmesg.txt" ]; then
	echo "splat check: no guest kernel log ($out/dmesg.txt)" >&2
	failed=$((failed + 1))
elif grep -qE "$splat" "$out/dmesg.txt"; then
	echo "splat check: FAILED, the guest kernel log has a splat:" >&2
	grep -nE -A 25 "$splat" "$out/dmesg.txt" | head -n 200 >&2
	echo "not ok - kernel splat (full log: $out/dmesg.txt)"
	failed=$((failed + 1))
else
	echo "ok - no kernel splat in the guest log"
	passed=$((passed + 1))
fi

# --- durations ------------------------------------------------------------
# Per program, slowest first (also in build/check/durations.txt); kept for
# the next run's split over the guests.
if [ -s "$out/durations.txt" ]; then
	echo "# durations per program (seconds; CONTAINER_SEED=$seed):"
	sort -k3,3nr "$out/durations.txt" | awk '{ printf "#   %5d  %s/%s%s\n", $3, $1, $2, ($4 == 0 || $4 == 4) ? "" : "  (exit " $4 ")" }'
	for g in $(seq "$guests"); do
		echo "#   guest $g: $(awk '{ t += $3 } END { print t + 0 }' "$out/g$g/durations.txt" 2>/dev/null) s in all"
	done
	[ -n "${CONTAINER_SOAK:-}" ] || cp "$out/durations.txt" "$history" 2>/dev/null || true
fi
say "done"
echo "# steps (seconds since the start):"
sed 's/^/#   /' "$out/steps.txt"
echo "# make check took $(( SECONDS / 60 )) min $(( SECONDS % 60 )) s"

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
