# lvs-xdp — build, test and lab entry points. Run as root (sudo make …) on a
# Debian-like machine; `make setup` installs what is missing and is quiet when
# everything is there already.
SHELL := /bin/bash
.DEFAULT_GOAL := build

OUTPUT   := .output
ARCH     := $(shell uname -m)
CLANG    ?= clang
BPF_CFLAGS := -O2 -g -Wall -Werror -target bpf -mcpu=v3 -I/usr/include/$(ARCH)-linux-gnu
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_HDRS := $(wildcard bpf/include/*.h)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/%.bpf.o,$(BPF_SRCS))
TS_SRCS  := $(shell find src ui bench -name '*.ts' -o -name '*.tsx' 2>/dev/null)
PREFIX   ?= /usr/local
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
V ?= 0
Q := $(if $(filter 1,$(V)),,@)

APT_PKGS := clang llvm libbpf-dev libbpf1 bpftool iproute2 ethtool util-linux \
            nginx-light curl wrk tcpdump socat tmux libc6-dev gcc-multilib
# Which command or file proves each package is there (setup stays quiet when all are).
APT_PROBES := clang:clang llc:llvm bpftool:bpftool ip:iproute2 ethtool:ethtool \
              nsenter:util-linux nginx:nginx-light curl:curl wrk:wrk tcpdump:tcpdump \
              socat:socat tmux:tmux

.PHONY: setup deps npm build bpf ts bundle gen test test-unit test-bpf test-lab bench demo \
        lab-up lab-down lint install clean vagrant-deps vagrant-check

setup: deps npm

deps:
	$(Q)missing=""; \
	for p in $(APT_PROBES); do cmd=$${p%%:*}; pkg=$${p##*:}; \
	  command -v $$cmd >/dev/null 2>&1 || [ -x /usr/sbin/$$cmd ] || missing="$$missing $$pkg"; done; \
	[ -f /usr/include/bpf/bpf_helpers.h ] || missing="$$missing libbpf-dev"; \
	[ -f /usr/include/$(ARCH)-linux-gnu/asm/types.h ] || missing="$$missing libc6-dev"; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $(APT_PKGS) >/dev/null; \
	fi

npm: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	$(Q)echo "setup: npm ci"; npm ci --no-audit --no-fund --loglevel=silent 2>/dev/null || { \
	  echo "setup: npm ci refused the lock file (a registry without other platforms' optional"; \
	  echo "       packages makes npm think it is stale); installing from the same lock with npm install"; \
	  npm install --no-audit --no-fund --loglevel=error; }
	$(Q)touch $@

build: setup bpf ts

bpf: $(BPF_OBJS)

$(OUTPUT)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(OUTPUT)
	$(Q)echo "  BPF   $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUTPUT):
	$(Q)mkdir -p $@

ts: $(OUTPUT)/ts.stamp

$(OUTPUT)/ts.stamp: $(TS_SRCS) tsconfig.json | $(OUTPUT)
	$(Q)echo "  TSC   dist/"
	$(Q)npx tsc -p tsconfig.json
	$(Q)$(MAKE) --no-print-directory bundle
	$(Q)touch $@

# bin/lvs-xdp runs the CLI bundled into one CommonJS file, dist/cli/main.cjs (from tsc's
# output, type-checked above): Node 20's ESM loader handles each of the ~60 modules a
# command needs on its own, half of `lvs-xdp --version`. See scripts/bundle.mjs.
bundle:
	$(Q)echo "  ESB   dist/cli/"
	$(Q)node scripts/bundle.mjs

# Regenerates the TypeScript struct layouts from the compiled object's BTF.
# The generator is compiled on its own: the rest of the tree may not type-check
# until the new layout exists.
gen: setup bpf
	$(Q)npx tsc --module NodeNext --moduleResolution NodeNext --target ES2022 --strict \
	  --skipLibCheck --outDir $(OUTPUT)/gen --rootDir . src/bpf/gen/main.ts
	$(Q)node $(OUTPUT)/gen/src/bpf/gen/main.js $(OUTPUT)/lb.bpf.o src/bpf/generated/layout.ts
	$(Q)npx tsc -p tsconfig.json && $(MAKE) --no-print-directory bundle && touch $(OUTPUT)/ts.stamp

test: build vagrant-deps
	$(Q)bash scripts/run-tests.sh all

# `vagrant validate` is part of the tests (test/unit/vagrant-validate.test.ts): as root,
# install vagrant from Debian's packages when missing (it is not needed for anything else).
vagrant-deps:
	$(Q)if [ "$$(id -u)" = 0 ] && ! { command -v vagrant >/dev/null && dpkg -s vagrant-libvirt >/dev/null 2>&1; }; then \
	  echo "setup: installing vagrant vagrant-libvirt (for vagrant validate)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends vagrant vagrant-libvirt >/dev/null; \
	fi

vagrant-check:
	$(Q)bash vagrant/check.sh

test-unit: build
	$(Q)bash scripts/run-tests.sh unit

test-bpf: build
	$(Q)bash scripts/run-tests.sh bpf

test-lab: build
	$(Q)bash scripts/run-tests.sh lab

bench: build
	$(Q)bash bench/run.sh

demo: build
	$(Q)bash scripts/demo.sh

lab-up: build
	$(Q)./bin/lvs-xdp lab up $(if $(SCENARIO),--scenario $(SCENARIO))

lab-down:
	$(Q)./bin/lvs-xdp lab down

lint: build
	$(Q)npx tsc -p tsconfig.test.json
	$(Q)echo "lint: ok"

install: build
	$(Q)install -d $(DESTDIR)$(PREFIX)/bin
	$(Q)ln -sf $(CURDIR)/bin/lvs-xdp $(DESTDIR)$(PREFIX)/bin/lvs-xdp
	$(Q)install -D -m 644 docs/lvs-xdp.8 $(DESTDIR)$(MANDIR)/man8/lvs-xdp.8
	$(Q)install -D -m 644 completion/lvs-xdp.bash $(DESTDIR)$(BASHCOMPDIR)/lvs-xdp
	$(Q)echo "installed $(DESTDIR)$(PREFIX)/bin/lvs-xdp -> $(CURDIR)/bin/lvs-xdp"

clean:
	rm -rf $(OUTPUT) dist
