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

test: unit

clean:
	rm -rf $(OUT) src/bin src/obj tests/Appliance.Tests/bin tests/Appliance.Tests/obj

# VRRP failover times, appliance pair vs keepalived 2.2.7 pair in the same run (docs/benchmarks.md). Root.
.PHONY: bench-vrrp
bench-vrrp: $(BIN)
	tests/tools/install-deps.sh host
	APPLIANCE_BIN=$(abspath $(BIN)) tests/Appliance.Tests/Vrrp/Bench/failover-bench.sh 5
