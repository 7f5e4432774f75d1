# xgeth build entry points. Every target first materialises the patched op-geth copy
# (patches/apply.sh is idempotent and cheap when nothing changed).
GO ?= go
GOTEST_FLAGS ?=
FUZZTIME ?= 20s
PKGS := ./...

.PHONY: all build test test-main e2e-devnet test-patches test-race devnet lint bench fuzz opgeth clean e2e-opstack opstack-bins e2e-app tutorial

all: build

opgeth:
	@./patches/apply.sh

build: opgeth
	$(GO) build -o build/bin/xgeth ./cmd/xgeth

devnet: build
	./build/bin/xgeth devnet

# test runs the unit tests, the conformance vectors, the op-geth-backed vm and chain tests and
# op-geth's own tests of the packages our patches touch. The race detector's run
# (`make test-race`, which builds op-geth a second time) and the end-to-end tests of running
# devnets and xgeth processes (`make e2e-devnet`) are separate targets that CI runs next.
test: opgeth lint test-patches test-main

# E2E_PKGS wait for blocks of real chains and real processes; they run in e2e-devnet.
E2E_PKGS := ./cmd/xgeth/ ./cmd/xgeth/devnet/
test-main: opgeth
	$(GO) test $(GOTEST_FLAGS) -timeout 20m $(filter-out $(E2E_PKGS),$(shell $(GO) list -f '{{.Dir}}' ./... | sed "s|^$$(pwd)|.|;s|$$|/|"))

# e2e-devnet runs the end-to-end tests of devnets (real op-geth nodes, real sockets) and of
# xgeth processes (killed and restarted, consoles in tmux). They mostly wait for blocks, so
# -parallel 8 runs a package's parallel tests together.
e2e-devnet: opgeth
	$(GO) test $(GOTEST_FLAGS) -parallel 8 -timeout 20m $(E2E_PKGS)

# The packages where readers race writers (index, checker, safety engine, followers, service,
# pool filter) also run under the race detector.
RACE_PKGS := ./interop/logindex/ ./interop/checker/ ./interop/crosssafety/ ./interop/follower/ ./interop/service/ ./txpool/
test-race: opgeth
	$(GO) test -race $(GOTEST_FLAGS) -timeout 15m $(RACE_PKGS)

# Packages of op-geth changed by patches/: their own tests must keep passing.
PATCHED_PKGS := ./core/vm/ ./miner/ ./core/txpool/ ./core/txpool/legacypool/ ./eth/interop/ ./eth/ethconfig/ ./node/ ./console/
test-patches: opgeth
	cd third_party/op-geth && $(GO) test $(GOTEST_FLAGS) -p 4 -timeout 15m $(PATCHED_PKGS)
	cd third_party/op-geth && $(GO) test $(GOTEST_FLAGS) -run 'TestForgetPayloads' ./eth/catalyst/

lint: opgeth
	$(GO) vet $(PKGS)
	$(GO) vet -tags opstack ./e2e/...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1)

# e2e-opstack runs build/bin/xgeth under a real op-node and op-batcher (optimism v1.19.6) over a
# geth L1, all as processes on 127.0.0.1 (e2e/opstack, build tag opstack). opstack-bins builds
# op-node, op-batcher and the L1 geth into build/opstack/bin, once per version.
E2E_TIMEOUT ?= 30m
opstack-bins: opgeth
	@./scripts/opstack/build.sh

e2e-opstack: build opstack-bins
	$(GO) test -tags opstack -v -count=1 -timeout $(E2E_TIMEOUT) ./e2e/opstack/

# e2e-app runs the interop test suite @eth-optimism/viem 0.4.13 ships for supersim, unchanged,
# against build/bin/xgeth devnet on supersim's ports (9545, 9546); npm fetches the pinned
# packages (package-lock.json) into e2e/supersim-app/node_modules.
e2e-app: build
	cd e2e/supersim-app && npm ci --no-audit --no-fund && npx vitest run

# tutorial runs the README tutorial's commands as written (cast from npm, curl) against a
# fresh devnet on the default ports.
tutorial: build
	./scripts/tutorial.sh

bench: opgeth
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# fuzz runs every fuzz target for FUZZTIME each (go test allows one target per invocation).
fuzz: opgeth
	@./scripts/fuzz-all.sh $(FUZZTIME)

clean:
	rm -rf build third_party
