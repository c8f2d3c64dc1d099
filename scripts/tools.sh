#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds the userspace tools (the cargo workspace in tools/: containerctl,
# container-rulesd) with the host's cargo, into $TOOLS_TARGET, and copies
# the binaries into build/tools/, which the guest puts first on PATH
# (scripts/guest.sh) and the tools suite runs.
source "$(dirname "$0")/lib.sh"
export CARGO_TARGET_DIR=$TOOLS_TARGET
command -v cargo >/dev/null || die "cargo is needed for the userspace tools (tools/)"
(cd "$ROOT/tools" && cargo build --release --locked --quiet --bins) || die "building the tools failed"
mkdir -p "$ROOT/build/tools"
for b in containerctl container-rulesd; do
	# Replaced, not rewritten in place: a guest may be running the old one.
	cp "$TOOLS_TARGET/release/$b" "$ROOT/build/tools/.$b.new"
	mv -f "$ROOT/build/tools/.$b.new" "$ROOT/build/tools/$b"
done
