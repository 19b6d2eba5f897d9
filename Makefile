# actlog: `make demo` shows the library at work, `make test` runs the suite.

GO          ?= go
SHELL       := /bin/bash
GOBIN       ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
BENCHSTAT   := $(GOBIN)/benchstat
FUZZTIME    ?= 10s
BENCHCOUNT  ?= 10
BENCHTIME   ?= 1s

.PHONY: all demo test compile lint vet fmt-check unit bench bench-cmd fuzz fuzz-long tools integration etcd soak e2e

all: test

demo:
	$(GO) run ./cmd/actlog demo

test: tools fmt-check compile vet lint unit

tools: $(STATICCHECK)

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@v0.6.1

$(BENCHSTAT):
	$(GO) install golang.org/x/perf/cmd/benchstat@latest

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# prom and examples/invoker are modules of their own (Prometheus stays out
# of the library's go.mod): each check runs in every module.
MODULES := . prom examples/invoker

# Compiles what the suite runs, plain and with the race detector, naming
# each package as it compiles it: a cold build compiles client-go for
# minutes, and says so as it goes.
compile:
	@set -e; for m in $(MODULES); do echo "== compiling $$m"; (cd $$m && $(GO) build -o /dev/null -v ./... && $(GO) build -o /dev/null -race -v ./...); done

vet:
	@set -e; for m in $(MODULES); do echo "== $$m"; (cd $$m && $(GO) vet ./...); done

lint: $(STATICCHECK)
	@set -e; for m in $(MODULES); do (cd $$m && $(STATICCHECK) ./...); done

unit:
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) test -race -count=1 ./...); done

# The command as a whole process beside kubectl, curl and a naive loop.
bench-cmd:
	$(GO) run ./bench/cmdbench

# Each benchmark with its baseline, BENCHCOUNT times, then a benchstat summary.
bench: $(BENCHSTAT)
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -count=$(BENCHCOUNT) ./... | tee bench.out
	$(BENCHSTAT) bench.out

# Every fuzz target for FUZZTIME (fuzz-long: 60s each). Go minimizes every
# new interesting input for up to 60 s by default, during which nothing else
# runs; a bound in executions keeps the time for fuzzing.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=1000x $$pkg; \
		done; \
	done

fuzz-long:
	$(MAKE) fuzz FUZZTIME=60s

# The suite against a real kube-apiserver (built once per version, cached)
# and a real etcd (Debian's etcd-server, installed if missing).
integration: etcd
	ACTLOG_APISERVER=$$(integration/apiserver/build.sh) $(GO) test -tags integration -count=1 -timeout 30m -v ./integration/ 2>&1 | tee integration.out | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|integration_test.go'; \
	status=$${PIPESTATUS[0]}; [ $$status -eq 0 ] || tail -50 integration.out; exit $$status

etcd:
	@command -v etcd >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server; }

# 10,000 activations through one client against a server injecting random
# faults at a fixed seed, 10,000 from a CRI file rotated every 16 KiB, and
# 10,000 from a pod's files on the node, rotated every 10 KiB, the container
# restarting now and then: no line lost or repeated, heap and goroutines flat.
soak:
	$(GO) test -tags soak -run 'TestSoak|TestFileSoak|TestNodeSoak' -count=1 -v -timeout 30m ./k8slog/ ./logfile/ ./nodelog/

# The real node: containerd and runc (Debian's, installed if missing), a
# kubelet built once per version like kube-apiserver, registered with the
# real apiserver; action images built here from static binaries.
e2e: etcd
	@command -v containerd >/dev/null && command -v runc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq containerd runc; }
	ACTLOG_APISERVER=$$(integration/apiserver/build.sh) ACTLOG_KUBELET=$$(integration/kubelet/build.sh) $(GO) test -tags 'integration e2e' -run 'E2E' -count=1 -timeout 30m -v ./integration/ 2>&1 | tee e2e.out | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|e2e|_test.go'; \
	status=$${PIPESTATUS[0]}; [ $$status -eq 0 ] || tail -50 e2e.out; exit $$status
