# The director appliance. `make` builds the binary; `make test` runs every test;
# `make run` boots the appliance pair in QEMU.
SHELL := /bin/bash
DOTNET ?= dotnet
OUT := out
BIN := $(OUT)/bin/appliance
SRC := $(shell find src -name '*.cs' -o -name '*.csproj') Directory.Build.props

.PHONY: all build test unit deps clean
all: $(BIN)
build: $(BIN)

deps:
	tests/tools/install-deps.sh build host

$(BIN): $(SRC)
	tests/tools/install-deps.sh build
	$(DOTNET) publish src/Appliance.csproj -c Release -o $(OUT)/bin -nologo -v quiet -p:GenerateDocumentationFile=true
	rm -f $(OUT)/bin/appliance.dbg $(OUT)/bin/appliance.xml
	@ls -l $(BIN)

# Unit and host tests (xunit). Host tests use network namespaces, ptys and keepalived: root.
unit: deps $(BIN)
	APPLIANCE_BIN=$(abspath $(BIN)) $(DOTNET) test tests/Appliance.Tests/Appliance.Tests.csproj -c Release -nologo

# lab-test runs every default scenario, the IPVS suite (ipvs-scenarios) included.
test: unit lab-test run-check

clean:
	rm -rf $(OUT) src/bin src/obj tests/Appliance.Tests/bin tests/Appliance.Tests/obj firmware/out tests/lab/out

# --- Firmware image and QEMU lab (docs/firmware.md, docs/lab.md) ---------------------------
# Debian packages are fetched by name into firmware/cache/ (kept across builds).
FW_OUT := firmware/out
IMAGE := $(FW_OUT)/appliance.img
FW_INPUTS := $(shell find rootfs firmware -type f -not -path 'firmware/out/*' -not -path 'firmware/cache/*' -not -path 'firmware/br/*')
.PHONY: image lab lab-test board-check run stop
# Static helpers the guests run from the 9p-shared tests/lab (the connection-sync scenarios' client and echo server).
LAB_TOOLS := tests/lab/cache/connhold

image: $(IMAGE)
$(IMAGE): $(BIN) $(FW_INPUTS)
	tests/tools/install-deps.sh lab
	firmware/build-image.sh

# One scenario: make lab SCENARIO=boot (all when SCENARIO is empty).
lab: $(IMAGE) $(LAB_TOOLS)
	tests/tools/install-deps.sh lab
	tests/lab/lab.sh $(SCENARIO)

# Run by `make test` after the unit tests: the Buildroot tree's consistency, then every scenario.
lab-test: $(IMAGE) board-check $(LAB_TOOLS)
	tests/tools/install-deps.sh lab
	tests/lab/lab.sh

tests/lab/cache/connhold: tests/lab/tools/connhold.c
	mkdir -p $(@D)
	gcc -O2 -static -Wall -Werror -o $@ $<

# Connection sync, full size (docs/benchmarks.md "Connection sync"): appliance vs kernel defaults, ~10 min.
.PHONY: bench-sync
bench-sync: $(IMAGE) $(LAB_TOOLS)
	tests/tools/install-deps.sh lab
	tests/lab/lab.sh sync-bench

board-check:
	tests/lab/check-board.sh

# The director pair, real servers and a client in QEMU, with the consoles in tmux.
run: $(IMAGE)
	tests/tools/install-deps.sh lab
	tests/lab/run.sh

stop:
	tests/lab/run.sh stop

# What `make run` boots, checked end to end (own directory, no tmux; about 2 min under TCG):
# one MASTER with the VIPs, IPVS from the daemon serving the client, public cable cut and
# power loss of the master -> the backup serves. Part of `make test`.
.PHONY: run-check
run-check: $(IMAGE)
	tests/tools/install-deps.sh lab
	tests/lab/run/check.sh

# VRRP failover times, appliance pair vs keepalived 2.2.7 pair in the same run (docs/benchmarks.md). Root.
.PHONY: bench-vrrp
bench-vrrp: $(BIN)
	tests/tools/install-deps.sh host
	APPLIANCE_BIN=$(abspath $(BIN)) tests/Appliance.Tests/Vrrp/Bench/failover-bench.sh 5

# IPVS on Debian's real kernel in the QEMU lab (docs/ipvs.md), on the lab runner (docs/lab.md):
# the scenario suite (also part of `make lab-test`), the golden capture, the benchmark.
.PHONY: lab-ipvs lab-ipvs-golden bench-ipvs
lab-ipvs: $(IMAGE)
	tests/tools/install-deps.sh lab
	tests/lab/lab.sh ipvs-scenarios
lab-ipvs-golden: $(IMAGE)
	tests/tools/install-deps.sh build lab
	tests/lab/ipvs-golden-capture.sh
bench-ipvs: $(IMAGE)
	tests/tools/install-deps.sh build lab
	tests/lab/ipvs-bench.sh

# Split brain in the QEMU lab (docs/split-brain.md, docs/lab.md): every fault of issue 6 on two
# director VMs; `make test` runs the fast subset (SB_FAULTS=fast) through lab-test. Root.
.PHONY: bench-split-brain
bench-split-brain: $(IMAGE)
	tests/tools/install-deps.sh lab
	SB_FAULTS=all tests/lab/lab.sh split-brain

# Health checks in the QEMU lab: keepalived 2.2.7 vs the appliance, 100 and 1,000 real servers
# (docs/benchmarks.md, "Health checks in the lab"); about 10 minutes.
.PHONY: bench-health
bench-health: $(IMAGE)
	tests/tools/install-deps.sh build lab
	mkdir -p tests/lab/cache
	gcc -O2 -static -Wall -Werror -o tests/lab/cache/health-httpd tests/Appliance.Tests/Health/bench/httpd.c
	gcc -O2 -static -Wall -Werror -o tests/lab/cache/health-floor tests/Appliance.Tests/Health/bench/floor.c
	tests/lab/lab.sh health-bench
	grep -h -e 'HB-' -e 'LAB:' tests/lab/out/health-bench/vm-a.log
