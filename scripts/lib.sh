# SPDX-License-Identifier: GPL-2.0
# Common settings for the project's scripts; sourced, never run.
#
# Everything the scripts download or build lives under $CONTAINER_CACHE
# (default ~/.cache/container), never inside the repository, so a fresh clone
# on the same machine (which is what CI is) reuses the kernel build.

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONTAINER_CACHE=${CONTAINER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/container}
TOOLS=$CONTAINER_CACHE/tools
# Cargo's target directory for the userspace tools (tools/): outside the
# repository, so a fresh clone reuses the compiled crates.
TOOLS_TARGET=$CONTAINER_CACHE/tools-target

# Pinned tool versions (see README "What gets installed").
BINDGEN_VERSION=0.73.2
VNG_VERSION=1.42
LLVM_SUFFIX=-19

BINDGEN=$TOOLS/bindgen-$BINDGEN_VERSION/bin/bindgen
VENV=$TOOLS/venv-vng-$VNG_VERSION
VNG=$VENV/bin/vng
# The kernel's Rust code must be built by Debian's rustc-web, not the rustup
# rustc that is first on PATH (their versions differ, and the kernel refuses
# metadata built by another compiler).
KRUSTC=/usr/bin/rustc
export LIBCLANG_PATH=/usr/lib/llvm${LLVM_SUFFIX}/lib

# Make variables for every kernel and module build.
KMAKE_VARS=(LLVM=$LLVM_SUFFIX RUSTC=$KRUSTC HOSTRUSTC=$KRUSTC BINDGEN=$BINDGEN
	CLIPPY_DRIVER=/usr/bin/clippy-driver)

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# as_root CMD...: run as root, through sudo when we are not root.
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"
	elif command -v sudo >/dev/null; then sudo "$@"
	else die "need root to run: $*"; fi
}

# Version of Debian's linux-source-6.12 package (empty if not installed).
ksrc_version() { dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true; }

# Which test kernel: `debug` (the default, what `make check` runs: with
# debug.config's lockdep, KASAN, kmemleak and fault injection) or `release`
# (release.config instead: what `make bench` measures, since the debug
# options multiply the cost of every packet and would hide ours).
KERNEL_FLAVOR=${KERNEL_FLAVOR:-debug}
case $KERNEL_FLAVOR in debug|release) ;; *) die "KERNEL_FLAVOR must be debug or release" ;; esac

# The config fragments of the flavor, in the order they are applied: every
# scripts/config/*.config except the other flavor's (debug.config or
# release.config).
kernel_fragments() {
	local f other=release.config
	[ "$KERNEL_FLAVOR" = release ] && other=debug.config
	for f in "$ROOT"/scripts/config/*.config; do
		[ "$(basename "$f")" = "$other" ] || echo "$f"
	done
}

# Cache key of the test kernel: Debian package version + config fragments +
# kernel patches + toolchain versions. Any change gives a new build directory.
kernel_key() {
	{
		ksrc_version
		kernel_fragments | xargs cat
		cat "$ROOT"/scripts/patches/*.patch 2>/dev/null || true
		"$KRUSTC" --version
		"clang$LLVM_SUFFIX" --version | head -n 1
		echo "bindgen $BINDGEN_VERSION"
	} | sha256sum | cut -c1-12
}

# The cache directory prefix of the flavor (the debug kernel keeps the
# plain name it always had).
kernel_prefix() {
	if [ "$KERNEL_FLAVOR" = release ]; then echo kernel-release-; else echo kernel-; fi
}

# Where the test kernel is built (the KDIR the module builds against).
kernel_dir() { echo "$CONTAINER_CACHE/$(kernel_prefix)$(kernel_key)"; }
