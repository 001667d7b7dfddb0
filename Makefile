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

.PHONY: deps build publish run test clean bench

# Debian packages the daemon and its tests need (installs only what is missing), then the host cgroup step
# the crun handler needs on hybrid cgroup hosts (scripts/setup-cgroups.sh).
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi
	@scripts/setup-cgroups.sh || true

build:
	$(DOTNET) build CriShim.sln -c Release -nologo -v q

# ReadyToRun: the daemon's own code comes precompiled, so a restart serves in about half the time (the JIT is a
# single, fully optimizing tier: TieredCompilation is off for memory); RSS is the same.
RID := linux-$(shell uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')
publish:
	$(DOTNET) publish src/CriShim.csproj -c Release -nologo -v q -r $(RID) --self-contained false -p:PublishReadyToRun=true -o $(OUT)

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
	@missing=$$(for p in $(BENCH_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then echo "installing:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; fi
	$(DOTNET) build bench/CriShim.Bench.csproj -c Release -nologo -v q
	bench/bin/Release/net10.0/crishim-bench $(BENCH_ARGS)
