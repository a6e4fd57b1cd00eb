# The commands people type; CI calls the same targets (.ci/run → make test).
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo
ENV_FILE := .local/env
# Load DATABASE_URL / REDIS_URL chosen by deploy/local/ensure-backing-services.sh.
WITH_ENV = set -a; source $(ENV_FILE); set +a;

.PHONY: help run test lint fmt build backing-services stop-backing-services tools \
        bench-auth bench-ratelimit bench-gateway bench-admin bench-partner bench-smoke bench-generation clean-local \
        test-cargo test-k8s sdks-setup sdks-build sdks-gen-types test-sdks test-sdks-run docs

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

run: backing-services tools ## Start the whole platform locally (gateway on 127.0.0.1:8080); Ctrl-C stops it
	@$(WITH_ENV) deploy/local/run.sh

test: backing-services tools lint sdks-setup ## Lint, build, then every suite (cargo, benchmark smoke runs, SDKs, k8s checks) in parallel lanes
	$(CARGO) build --workspace --bins --examples
	$(CARGO) nextest run --workspace --profile ci --no-run
	@# Lanes run side by side, the suites of a lane one after the other (deploy/ci/suites.sh);
	@# every suite starts what it needs on free ports with databases of its own.
	@$(WITH_ENV) deploy/ci/suites.sh 'rust: test-cargo bench-smoke' 'clients: test-sdks-run' 'offline: test-k8s'

test-cargo: ## (binaries built) the cargo test suite: unit, service integration and black-box platform tests
	$(CARGO) nextest run --workspace --profile ci

sdks-setup: ## Install what the SDKs need (npm ci, Python venv, Debian chromium) and build them
	@sdks/e2e/setup.sh

sdks-build: sdks-setup ## Build @sumeru/sdk and @sumidata/sdk (ESM, CJS, browser bundle)

sdks-gen-types: sdks-setup ## Regenerate the SDKs' types from the OpenAPI documents (ADMIN_OPENAPI=url|path overrides)
	cd sdks && npm run gen:types
	sdks/python/.venv/bin/python sdks/python/scripts/gen_models.py
	sdks/python/.venv/bin/python sdks/python/scripts/unasync.py
	$(MAKE) --no-print-directory sdks-setup

test-sdks: backing-services sdks-setup ## The SDK suites (Node, pytest, headless Chromium) against a platform of their own
	$(CARGO) build --workspace --bins
	@$(WITH_ENV) sdks/e2e/platform.sh sdks/e2e/run-tests.sh

test-sdks-run: # (binaries built) start a platform on free ports and run the SDK suites
	@sdks/e2e/platform.sh sdks/e2e/run-tests.sh

docs: ## Build the API reference and narrative pages into docs/site (served by make run)
	@docs/build.sh

test-k8s: ## Offline checks of k8s/ and the images: render, schemas, policy, hadolint, rules, coherence with the code
	@k8s/tests/install-tools.sh
	@.local/k8s-venv/bin/python k8s/tests/check.py

lint: ## rustfmt check and clippy with -D warnings
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: ## Format the code
	$(CARGO) fmt --all

build: ## Build every binary (debug)
	$(CARGO) build --workspace --bins

backing-services: ## Make PostgreSQL and Redis available (existing ones, else private ones under .local/)
	@deploy/local/ensure-backing-services.sh

stop-backing-services: ## Stop the private PostgreSQL/Redis under .local/ (if any)
	@deploy/local/stop-backing-services.sh

tools: ## Install what the tests need when missing: cargo-nextest, redis-server (outage tests start private ones), ffmpeg (generation's local provider, ffprobe in tests), pgbench (bench-generation smoke)
	@command -v cargo-nextest >/dev/null || $(CARGO) install --locked cargo-nextest
	@command -v redis-server >/dev/null || deploy/local/apt-install.sh redis-server
	@command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || deploy/local/apt-install.sh ffmpeg
	@command -v pgbench >/dev/null || deploy/local/apt-install.sh postgresql-contrib

bench-auth: backing-services ## Authenticate calls/s and p50/p99, cached and uncached
	@$(WITH_ENV) deploy/bench/auth.sh
bench-ratelimit: backing-services ## Decisions/s through gRPC vs the Lua script directly
	@$(WITH_ENV) deploy/bench/ratelimit.sh
bench-gateway: backing-services ## wrk: upstream direct vs gateway vs nginx proxy_pass (plain, and adding the gateway's headers)
	@$(WITH_ENV) deploy/bench/gateway.sh
bench-admin: backing-services ## Admin list latency at page 1 vs page 10,000 over 1M customers; GET by id
	@$(WITH_ENV) deploy/bench/admin.sh
bench-partner: backing-services ## Ingest events/s vs raw COPY; list p50/p99 over many events
	@$(WITH_ENV) deploy/bench/partner.sh
bench-generation: backing-services tools ## Image job create→succeeded p50/p99; queue jobs/s (2 workers) vs a pgbench SKIP LOCKED loop
	@$(WITH_ENV) deploy/bench/generation.sh

bench-smoke: backing-services ## Every benchmark once in smoke mode (debug build, ~1 s of load, tiny data); fails if one cannot run
	@$(WITH_ENV) deploy/bench/smoke.sh

clean-local: stop-backing-services ## Remove .local/ (private databases, demo tokens)
	rm -rf .local
