#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install everything the build and the tests need, idempotently: a second run
# only checks and takes seconds. Debian packages come from bookworm (+security)
# and bookworm-backports (QEMU 10); bindgen-cli from crates.io and virtme-ng
# from PyPI, both at pinned versions, into $CONTAINER_CACHE/tools.
source "$(dirname "$0")/lib.sh"

APT_PACKAGES=(
	linux-source-6.12
	rustc-web rust-web-src rust-web-clippy
	clang$LLVM_SUFFIX lld$LLVM_SUFFIX llvm$LLVM_SUFFIX libclang$LLVM_SUFFIX-dev
	make flex bison bc libelf-dev libssl-dev cpio xz-utils kmod
	gcc libc6-dev python3-venv
	iproute2 numactl busybox-static udev
)
# QEMU must come from bookworm-backports: bookworm's 7.2 under multi-threaded
# TCG oopses guests that live-patch code (static keys, tracepoints).
QEMU_PACKAGE=qemu-system-x86
QEMU_MIN_MAJOR=10

missing=()
for p in "${APT_PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
qemu_ok() {
	local v
	v=$(dpkg-query -W -f='${Version}' "$QEMU_PACKAGE" 2>/dev/null) || return 1
	v=${v#*:}
	[ "${v%%.*}" -ge "$QEMU_MIN_MAJOR" ] 2>/dev/null
}

if [ ${#missing[@]} -gt 0 ] || ! qemu_ok; then
	backports=/etc/apt/sources.list.d/container-bookworm-backports.sources
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		say "adding bookworm-backports to apt sources (for $QEMU_PACKAGE >= $QEMU_MIN_MAJOR)"
		as_root tee "$backports" >/dev/null <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	fi
	say "apt-get update"
	as_root apt-get update -qq || die "apt-get update failed"
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing Debian packages: ${missing[*]}"
		for p in "${missing[@]}"; do
			apt-cache show "$p" >/dev/null 2>&1 || die "Debian package '$p' cannot be found in the configured apt sources"
		done
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
			|| die "could not install: ${missing[*]}"
	fi
	if ! qemu_ok; then
		say "installing $QEMU_PACKAGE from bookworm-backports"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			-t bookworm-backports "$QEMU_PACKAGE" || die "could not install $QEMU_PACKAGE from bookworm-backports"
		qemu_ok || die "$QEMU_PACKAGE >= $QEMU_MIN_MAJOR is required (bookworm-backports)"
	fi
fi

[ -x "$KRUSTC" ] || die "$KRUSTC missing (Debian package rustc-web)"
[ -d "$("$KRUSTC" --print sysroot)/lib/rustlib/src/rust/library" ] \
	|| die "Rust library sources for $KRUSTC missing (Debian package rust-web-src)"

if [ ! -x "$BINDGEN" ]; then
	command -v cargo >/dev/null || die "cargo is needed to install bindgen-cli"
	say "installing bindgen-cli $BINDGEN_VERSION from crates.io"
	cargo install --quiet --locked bindgen-cli --version "$BINDGEN_VERSION" \
		--root "$TOOLS/bindgen-$BINDGEN_VERSION" || die "could not install bindgen-cli $BINDGEN_VERSION"
fi

# The userspace tools (tools/) are built, linted and formatted with the
# machine's cargo: clippy and rustfmt are rustup components.
command -v cargo >/dev/null || die "cargo is needed for the userspace tools (tools/)"
for c in clippy rustfmt; do
	sub=$c; [ $c = rustfmt ] && sub=fmt
	if ! cargo "$sub" --version >/dev/null 2>&1; then
		command -v rustup >/dev/null || die "cargo $sub missing and no rustup to add it"
		say "adding the rustup component $c"
		rustup component add "$c" || die "could not add the rustup component $c"
	fi
done

if [ ! -x "$VNG" ]; then
	say "installing virtme-ng $VNG_VERSION from PyPI"
	rm -rf "$VENV"
	python3 -m venv "$VENV" || die "python3 -m venv failed (Debian package python3-venv)"
	"$VENV/bin/pip" install --quiet "virtme-ng==$VNG_VERSION" || die "could not install virtme-ng $VNG_VERSION"
fi
exit 0
