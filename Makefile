# SPDX-License-Identifier: GPL-2.0
#
# Task containers for Linux, in Rust. `make help` lists the targets.
# Inside a kernel tree this directory is built by Kbuild; this file is only
# for out-of-tree use.

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

SHELL := /bin/bash
SCRIPTS := $(CURDIR)/scripts

# The kernel to build against: the cached test kernel unless KDIR is given.
KDIR ?=
# Out of tree, Kconfig is not read: select the module and its parts here.
CONTAINER_CONFIG := CONFIG_TASK_CONTAINERS=m

.PHONY: help deps kernel module tools clippy fmt fmtcheck host-test check run vm bench clean

help:
	@echo 'Task containers (container.ko), targets:'
	@echo '  make run          boot the test kernel, load the module, show containers working'
	@echo '                    (a shell in the guest when stdin is a terminal, else a demo)'
	@echo '  make check        all tests: host cargo tests, guest kselftests, splat check'
	@echo '  make vm CMD=...   run CMD in the test kernel with the module loaded'
	@echo '  make bench        benchmarks in the release test kernel (ratios, one boot)'
	@echo '  make module       build container.ko (KDIR=/path/to/built/kernel to use your own)'
	@echo '  make tools        build containerctl and container-rulesd into build/tools'
	@echo '  make kernel       build or reuse the cached test kernel'
	@echo '  make deps         install build and test dependencies (idempotent)'
	@echo '  make host-test    only the host cargo tests'
	@echo '  make clippy       build the module with the kernel lints (CLIPPY=1)'
	@echo '  make fmt          rustfmt the sources (fmtcheck: only check)'
	@echo '  make clean        remove build outputs from the tree'

deps:
	@$(SCRIPTS)/deps.sh

kernel: deps
	@$(SCRIPTS)/kernel.sh >/dev/null

module: deps
	@$(SCRIPTS)/module.sh $(if $(KDIR),KDIR=$(KDIR))

tools: deps
	@$(SCRIPTS)/tools.sh

clippy: deps
	@$(SCRIPTS)/module.sh $(if $(KDIR),KDIR=$(KDIR)) CLIPPY=1

fmt:
	@rustfmt --edition 2021 rust/container_main.rs tests/host/src/lib.rs
	@cd tools && cargo fmt

fmtcheck:
	@rustfmt --edition 2021 --check rust/container_main.rs tests/host/src/lib.rs
	@cd tools && cargo fmt --check

host-test:
	@cd tests/host && cargo test --quiet
	@cd tools && CARGO_TARGET_DIR=$${CONTAINER_CACHE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/container}/tools-target cargo test --quiet

check: deps
	@$(SCRIPTS)/check.sh $(if $(KDIR),KDIR=$(KDIR))

run: deps
	@$(SCRIPTS)/run.sh $(if $(KDIR),KDIR=$(KDIR))

vm: deps
	@$(SCRIPTS)/vm.sh $(if $(KDIR),KDIR=$(KDIR)) -- $(CMD)

bench: deps
	@$(SCRIPTS)/bench.sh $(if $(KDIR),KDIR=$(KDIR))

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	@find . \( -name '*.o' -o -name '*.ko' -o -name '*.mod' -o -name '*.mod.c' \
		-o -name '.*.cmd' -o -name '*.d' -o -name 'modules.order' \
		-o -name 'Module.symvers' -o -name 'bindings_generated.rs' \) \
		-not -path './tests/host/target/*' -delete
	@rm -rf tests/host/target build

endif
