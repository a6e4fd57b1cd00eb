# The commands people type; CI calls the same targets (.ci/run → make test).
SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo
ENV_FILE := .local/env
# Load DATABASE_URL / REDIS_URL chosen by deploy/local/ensure-backing-services.sh.
WITH_ENV = set -a; source $(ENV_FILE); set +a;

.PHONY: help run test test-k8s lint fmt build backing-services stop-backing-services tools \
        bench-auth bench-ratelimit bench-gateway bench-admin bench-partner bench-generation clean-local

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

run: backing-services tools ## Start the whole platform locally (gateway on 127.0.0.1:8080); Ctrl-C stops it
	@$(WITH_ENV) deploy/local/run.sh

test: backing-services tools lint ## Lint, build, and run every test against real PostgreSQL and Redis (and test-k8s beside them)
	@mkdir -p .local; $(MAKE) --no-print-directory test-k8s > .local/test-k8s.log 2>&1 & k8s=$$!; \
	$(CARGO) build --workspace --bins; rc=$$?; \
	if [ $$rc -eq 0 ]; then $(WITH_ENV) $(CARGO) nextest run --workspace --profile ci; rc=$$?; fi; \
	wait $$k8s; k8s_rc=$$?; cat .local/test-k8s.log; \
	exit $$(( rc || k8s_rc ))

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

clean-local: stop-backing-services ## Remove .local/ (private databases, demo tokens)
	rm -rf .local
