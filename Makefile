# pgshape. `make demo` runs the whole job end to end; `make test` runs every test on a
# real PostgreSQL (scripts/with-postgres picks or starts one).
GO        ?= go
WITH_PG   := scripts/with-postgres
BIN       := bin/loader
DEMO_OUT      := demo-out
DEMO_REAL_OUT := demo-real-out
# The version `loader --version` prints: the tag (v0.1.0), or tag-commits-hash, -dirty.
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null)

.PHONY: build test demo demo-real bench vet fuzz clean clean-db

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN) ./cmd/loader

# vet: go vet, gofmt, staticcheck (a tool dependency in go.mod: `go tool staticcheck`)
# and `go mod tidy -diff` (go.mod lists exactly what the code imports).
vet:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	$(GO) mod tidy -diff
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

test: vet
	$(WITH_PG) $(GO) test -count=1 ./...

demo: build
	$(WITH_PG) scripts/demo.sh $(BIN) $(DEMO_OUT)

# demo-real: the same loop on sql/demo_real_data.sql (a year of team chat with heavy
# senders, single-sender threads, lifetimes from minutes to weeks; 365-day window),
# into $(DEMO_REAL_OUT). Ends with validate's decision (exit 1 on NO-GO).
demo-real: build
	$(WITH_PG) scripts/demo.sh $(BIN) $(DEMO_REAL_OUT) real

bench: build
	$(WITH_PG) $(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./...

# fuzz: run every fuzz target (func Fuzz* in FUZZPKGS) for FUZZTIME each, one after
# the other; a failing input is written to the package's testdata/fuzz/<Fuzz…>/ and
# stops the run. `make test` runs only the committed seed corpora. Example:
# make fuzz FUZZTIME=3m FUZZFLAGS='-parallel 1'. See docs/testing.md.
FUZZTIME  ?= 10s
FUZZPKGS  ?= ./...
FUZZFLAGS ?=

fuzz:
	@for pkg in $$($(GO) list $(FUZZPKGS)); do \
		for name in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$name ($$pkg) for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf bin $(DEMO_OUT) $(DEMO_REAL_OUT)

# Drop the test databases pgtestdb keeps (failed tests' instances, old templates) and
# the two databases of `make demo` and of `make demo-real`.
clean-db:
	$(WITH_PG) scripts/drop-test-databases
