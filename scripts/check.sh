#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: every test tier, then one summary line.
#  1. host: `cargo test` of the pure logic shared with the module;
#  2. guest: the kselftest suites under tests/selftests, in the debug test
#     kernel with the freshly built module;
#  3. splat check: any WARNING, BUG, lockdep, KASAN or kmemleak report in
#     the guest kernel log fails the run (and the log is printed).
# Between 1 and 2, the house rules (unsafe only in rust/ffi, SAFETY comments,
# rustfmt, the kernel's clippy lints) and a build with every optional
# subsystem off and the sample on (Kconfig options honoured out of tree).
# Ends with "N passed, N failed, N skipped" and exits non-zero on failure.
source "$(dirname "$0")/lib.sh"

kdir_arg=()
for a in "$@"; do case $a in KDIR=*) kdir_arg=("$a") ;; esac; done

out=$ROOT/build/check
rm -rf "$out"
mkdir -p "$out"
passed=0 failed=0 skipped=0

# --- 1. host tests ---------------------------------------------------------
say "host tests (cargo test in tests/host)"
if (cd "$ROOT/tests/host" && cargo test 2>&1) | tee "$out/host.log" | grep -E '^test |^test result|error' >&2; then :; fi
while read -r p f; do
	passed=$((passed + p)); failed=$((failed + f))
done < <(sed -nE 's/^test result: .*\. ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/p' "$out/host.log")
if ! grep -q '^test result: ok' "$out/host.log" || grep -q '^test result: FAILED' "$out/host.log"; then
	grep -q '^test result:' "$out/host.log" || { echo "host tests did not run" >&2; failed=$((failed + 1)); }
fi

# --- house rules: unsafe only in the abstraction layer, each with SAFETY ----
leaf=$(git -C "$ROOT" ls-files 'rust/*.rs' | grep -v -E '^rust/(ffi\.rs|ffi/)' || true)
bad=$(cd "$ROOT" && grep -n -E '^[^/]*\bunsafe\b' $leaf /dev/null | grep -v -E ':[[:space:]]*//' || true)
if [ -n "$bad" ]; then
	echo "not ok - unsafe outside rust/ffi:"; echo "$bad"; failed=$((failed + 1))
else
	echo "ok - unsafe appears only in rust/ffi"; passed=$((passed + 1))
fi
# A SAFETY comment block must end at most three lines above the unsafe
# block (or share its line): "// SAFETY:" may run over many comment lines.
nosafety=$(cd "$ROOT" && awk '
	FNR == 1 { inblock = 0; safe = 0; end = -10 }
	/^[[:space:]]*\/\// { if (!inblock) { inblock = 1; safe = 0 } if (/SAFETY/) safe = 1; if (safe) end = FNR; next }
	{ inblock = 0 }
	/unsafe *\{/ && !/SAFETY/ && FNR - end > 3 { print FILENAME":"FNR": "$0 }
' $(git ls-files 'rust/*.rs'))
if [ -n "$nosafety" ]; then
	echo "not ok - unsafe blocks without a SAFETY comment:"; echo "$nosafety"; failed=$((failed + 1))
else
	echo "ok - every unsafe block has a SAFETY comment"; passed=$((passed + 1))
fi

if (cd "$ROOT" && rustfmt --edition 2021 --check rust/container_main.rs tests/host/src/lib.rs >/dev/null 2>&1); then
	echo "ok - rustfmt clean"; passed=$((passed + 1))
else
	echo "not ok - rustfmt: run 'make fmt'"; failed=$((failed + 1))
fi

[ ${#kdir_arg[@]} -gt 0 ] || kdir_arg=(KDIR="$("$ROOT/scripts/kernel.sh")")
kdir=${kdir_arg[0]#KDIR=}

# lint_build NAME DIR VAR=value...: builds the module in DIR with the
# kernel's clippy lints; any warning or error fails the check.
lint_build() {
	local name=$1 dir=$2 log
	shift 2
	log=$out/build-$name.log
	if make -C "$kdir" -s "${KMAKE_VARS[@]}" M="$dir" CONFIG_TASK_CONTAINERS=m CLIPPY=1 "$@" \
		modules > "$log" 2>&1 && ! grep -qE '^(warning|error)' "$log"; then
		echo "ok - $name builds clean under CLIPPY=1"; passed=$((passed + 1))
	else
		echo "not ok - $name: warnings or errors under CLIPPY=1 (see $log)"
		grep -E -A8 '^(warning|error)' "$log" | head -n 60
		failed=$((failed + 1))
	fi
}
say "building the module with the kernel's clippy lints"
lint_build module "$ROOT"
# The same sources with every optional subsystem off and the sample on,
# loaded by the samples suite.
variant=$out/variant
mkdir -p "$variant"
(cd "$ROOT" && git ls-files -co --exclude-standard Kbuild rust samples | tar cf - -T -) | tar xf - -C "$variant"
lint_build "variant (sample only)" "$variant" CONFIG_TASK_CONTAINERS_CPUSET=n \
	CONFIG_TASK_CONTAINERS_MEMSET=n CONFIG_TASK_CONTAINERS_NET_FLOW=n \
	CONFIG_TASK_CONTAINERS_DEBUG=n CONFIG_TASK_CONTAINERS_SAMPLE=y

# --- 2. guest tests --------------------------------------------------------
say "building guest tests"
make -s -C "$ROOT/tests/selftests" KSRC="$kdir" >&2
set +e
"$ROOT/scripts/vm.sh" "${kdir_arg[@]}" --out "$out" -- "$ROOT/tests/run_guest.sh" "$out" \
	| tee "$out/guest.log"
vm_rc=${PIPESTATUS[0]}
set -e
# TAP results of every suite: "ok N name", "not ok N name", "# SKIP".
p=$(grep -cE '^ok [0-9]+ ' "$out/guest.log") || true
s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out/guest.log") || true
f=$(grep -cE '^not ok [0-9]+ ' "$out/guest.log") || true
passed=$((passed + p - s)); skipped=$((skipped + s)); failed=$((failed + f))
if [ "$vm_rc" != 0 ] && [ "$f" = 0 ]; then
	echo "guest run failed (exit $vm_rc) without a failing test: counted as a failure" >&2
	failed=$((failed + 1))
fi

# --- 3. splat check --------------------------------------------------------
splat='(WARNING:|BUG:|Oops|general protection|Kernel panic|KASAN|UBSAN|kmemleak: [0-9]+ new suspected|unreferenced object|possible recursive locking|circular locking|inconsistent lock state|suspicious RCU usage|lock held when returning|sleeping function called from invalid context|refcount_t:|INFO: task .* blocked|rcu_.*detected stall|list_(add|del) corruption)'
# kmemleak's report (written by run_guest.sh) is checked with the log.
cat "$out/kmemleak.txt" >> "$out/dmesg.txt" 2>/dev/null || true
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

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
