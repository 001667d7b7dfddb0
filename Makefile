# CriShim: a CRI runtime in C#. `sudo make run` sets up and starts the daemon; `make test` runs every test.
SHELL := /bin/bash
PREFIX ?= /usr/local
OUT := out/crishim
CONFIG ?= /etc/crishim/crishim.json
DEB_PACKAGES := runc crun runsc conmon containernetworking-plugins iptables iproute2 docker-registry busybox-static \
                umoci skopeo jq curl zstd util-linux gcc libc6-dev
DOTNET := dotnet
# What `make bench` needs beyond DEB_PACKAGES: the runtime it is compared with (containerd-shim-runc-v2 comes with it).
BENCH_PACKAGES := containerd
BENCH_ARGS ?=
# `make publish` compiles the daemon with Native AOT (AOT=0: framework-dependent ReadyToRun, as before); the AOT
# compiler (the ILCompiler NuGet package, which the SDK picks) links with clang and lld.
AOT ?= 1
AOT_PACKAGES := clang lld zlib1g-dev

.PHONY: deps build publish run test clean bench

# Installs those of the Debian packages $(1) that are missing.
define install-missing
@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
if [ -n "$$missing" ]; then echo "installing:" $$missing; \
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi
endef

# Debian packages the daemon and its tests need (installs only what is missing), then the host cgroup step
# the crun handler needs on hybrid cgroup hosts (scripts/setup-cgroups.sh).
deps:
	$(call install-missing,$(DEB_PACKAGES))
	@scripts/setup-cgroups.sh || true

build:
	$(DOTNET) build CriShim.sln -c Release -nologo -v q

# Native AOT (default): one self-contained native executable, no JIT; idle RSS about 44 MiB instead of 82, first RPC
# served in about a third of the time (README, Memory). AOT=0: framework-dependent ReadyToRun (the daemon's own code
# precompiled, the JIT a single tier: TieredCompilation is off for memory). Either way out/crishim/crishim.
# The AOT build takes several minutes on 2 cores; it installs $(AOT_PACKAGES) when missing (not needed by `make test`).
RID := linux-$(shell uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')
publish:
	rm -rf $(OUT)
ifeq ($(AOT),1)
	$(call install-missing,$(AOT_PACKAGES))
	$(DOTNET) publish src/CriShim.csproj -c Release -nologo -v q -r $(RID) -p:PublishAot=true -o $(OUT)
else
	$(DOTNET) publish src/CriShim.csproj -c Release -nologo -v q -r $(RID) --self-contained false -p:PublishReadyToRun=true -o $(OUT)
endif

# Set up (packages, default CNI network) and start the daemon in the foreground with embedded defaults.
run: deps publish
	@scripts/install-cni-default.sh
	exec $(OUT)/crishim $$( [ -f $(CONFIG) ] && echo --config $(CONFIG) )

# Every test: unit, then integration against real runc, a real registry and real CNI plugins.
test: deps
	@scripts/run-tests.sh

clean:
	$(DOTNET) clean CriShim.sln -nologo -v q || true
	rm -rf out TestResults

# CriShim against containerd's CRI plugin, side by side on a realistic setup (make run's CNI chain, kubelet-shaped
# pods, gRPC and crictl rows; not part of `make test`); writes bench/results/latest.{md,png} and README's table.
# Refuses a busy machine (load > 1.0 on 2 cores after up to 4 min) unless BENCH_ARGS=--force (then add --out DIR).
# BENCH_ARGS=--quick for a ~2-minute smoke run, BENCH_ARGS=--micro for the BenchmarkDotNet micro-benchmarks.
bench: deps publish
	$(call install-missing,$(BENCH_PACKAGES))
	$(DOTNET) build bench/CriShim.Bench.csproj -c Release -nologo -v q
	bench/bin/Release/net10.0/crishim-bench $(BENCH_ARGS)
