# The two commands a newcomer needs: `make run` and `make test`.
# Everything else is for contributors and CI.

CARGO ?= cargo
PG_URL ?= postgres://postgres@127.0.0.1:5432

.PHONY: run build demo test test-postgres bench lint fmt clippy buf k8s-check contract guide clean

## Build and start all four services on SQLite (./data); Ctrl-C stops them.
run: build
	./scripts/run-suite.sh

build:
	$(CARGO) build --bins

## Drive the whole backorder lifecycle against a running suite (`make run` in another shell).
demo: build
	./target/debug/demo

## Every test: unit tests and the end-to-end suite on SQLite, and on
## PostgreSQL too when BACKORDER_TEST_DATABASE_URL names a server.
test: build
	@echo "== every test on SQLite"
	env -u BACKORDER_TEST_DATABASE_URL $(CARGO) test --workspace --no-fail-fast
	@if [ -n "$${BACKORDER_TEST_DATABASE_URL:-}" ]; then \
	  echo "== every test on PostgreSQL"; \
	  $(CARGO) test --workspace --no-fail-fast; \
	fi

## Every test on the local PostgreSQL only.
test-postgres: build
	BACKORDER_TEST_DATABASE_URL=$(PG_URL) $(CARGO) test --workspace --no-fail-fast

## Benchmarks (release build) on PostgreSQL (PG_URL); prints each figure beside
## the database doing the same work alone, measured in the same run.
## `BACKORDER_TEST_DATABASE_URL= make bench` runs it on SQLite.
bench:
	$(CARGO) build --release --bins
	BACKORDER_TEST_DATABASE_URL="$${BACKORDER_TEST_DATABASE_URL-$(PG_URL)}" ./target/release/bench

lint: fmt clippy buf

fmt:
	$(CARGO) fmt --all -- --check

clippy:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

buf:
	./scripts/buf.sh lint

k8s-check:
	./scripts/k8s-check.sh

contract: build
	./scripts/contract.sh

## The README's grpcurl operator's guide, run as written (old grpcurl, v1alpha reflection).
guide: build
	./scripts/operator-guide.sh

clean:
	$(CARGO) clean
	rm -rf data
