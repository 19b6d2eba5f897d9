# actlog: `make demo` shows the library at work, `make test` runs the suite.

GO          ?= go
GOBIN       ?= $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
BENCHSTAT   := $(GOBIN)/benchstat
FUZZTIME    ?= 10s
BENCHCOUNT  ?= 10
BENCHTIME   ?= 1s

.PHONY: all demo test lint vet fmt-check unit bench fuzz fuzz-long tools

all: test

demo:
	$(GO) run ./examples/actlog demo

test: tools fmt-check vet lint unit

tools: $(STATICCHECK)

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@v0.6.1

$(BENCHSTAT):
	$(GO) install golang.org/x/perf/cmd/benchstat@latest

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

lint: $(STATICCHECK)
	$(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 ./...

# Each benchmark with its baseline, BENCHCOUNT times, then a benchstat summary.
bench: $(BENCHSTAT)
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) -count=$(BENCHCOUNT) ./... | tee bench.out
	$(BENCHSTAT) bench.out

# Every fuzz target for FUZZTIME (fuzz-long: 60s each).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "== $$pkg $$f"; \
			$(GO) test -run='^$$' -fuzz="^$$f\$$" -fuzztime=$(FUZZTIME) $$pkg; \
		done; \
	done

fuzz-long:
	$(MAKE) fuzz FUZZTIME=60s
