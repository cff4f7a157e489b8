# harden: `make demo` sets everything up and applies the bundled lab; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := debootstrap systemd-container zstd iproute2 openssh-client git nftables
STAMP_APT := .harden/.apt-stamp
STAMP_VENV := $(VENV)/.installed
# actionlint checks examples/ci/github-actions.yml; a Go module, built once into the venv
ACTIONLINT_VERSION := v1.7.12
GO ?= $(shell command -v go || echo /usr/local/go/bin/go)

.PHONY: setup demo test lint unit integration generate lab-up lab-down artifacts bench clean

setup: $(STAMP_APT) $(STAMP_VENV) $(BIN)/promtool

$(STAMP_APT): Makefile
	@mkdir -p -m 700 .harden
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; fi
	@touch $@

$(STAMP_VENV): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

# promtool, from Debian's prometheus package, unpacked (no server installed or started here): the
# unit tests run `promtool test rules` on every role's alert rules.
$(BIN)/promtool: | $(STAMP_APT) $(STAMP_VENV)
	@rm -rf .harden/promtool && mkdir -p .harden/promtool
	cd .harden/promtool && { apt-get download -qq prometheus 2>/dev/null || { apt-get update -qq && apt-get download -qq prometheus 2>/dev/null; }; } && dpkg-deb -x prometheus_*.deb root
	install -m 0755 .harden/promtool/root/usr/bin/promtool $@
	@rm -rf .harden/promtool

$(BIN)/actionlint: | $(STAMP_VENV)
	GOBIN=$(abspath $(BIN)) $(GO) install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

generate: setup
	$(BIN)/python -m orchestrator.codegen

lint: setup $(BIN)/actionlint
	$(BIN)/ruff check orchestrator tests bench plugins
	$(BIN)/mypy
	$(BIN)/python -m orchestrator.unused_vars
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint --profile production -q roles playbooks
	$(BIN)/actionlint -config-file examples/ci/actionlint.yaml examples/ci/github-actions.yml

unit: setup
	$(BIN)/pytest -q tests/unit

# The lab tests in two shards at once, each with its own lab (tests/run_suite.py says why).
integration: setup
	$(BIN)/python -m tests.run_suite --durations=15

# The whole suite: lint, unit tests, then the real labs (each brought up by its shard's fixture).
test: lint
	$(BIN)/pytest -q --durations=15 tests/unit
	$(BIN)/python -m tests.run_suite --durations=15

# Components Debian does not ship, gathered once from the registries (bao, traefik, the Patroni
# wheelhouse, Kafka and its jars).
artifacts: setup
	$(BIN)/harden lab artifacts

lab-up: setup
	$(BIN)/harden lab up

lab-down: setup
	$(BIN)/harden lab down

demo: setup
	$(BIN)/harden validate --env lab
	$(BIN)/harden lab artifacts
	$(BIN)/harden lab up
	$(BIN)/harden apply --env lab --yes
	$(BIN)/harden plan --env lab
	$(BIN)/harden pg switchover --env lab --yes
	$(BIN)/harden audit --env lab

# bench/baseline.py compares with dev-sec's hardening collection: give a clone of its repository
# (github.com/dev-sec/ansible-collection-hardening), which nothing here vendors.
DEVSEC ?=

bench: setup
	@test -n "$(DEVSEC)" || { echo "make bench DEVSEC=<clone of dev-sec/ansible-collection-hardening> (bench/baseline.py)"; exit 2; }
	$(BIN)/python -m bench.baseline --devsec "$(DEVSEC)"
	$(BIN)/python -m bench.lab_bench
	$(BIN)/python -m bench.vault_failover
	$(BIN)/python -m bench.redis_failover
	$(BIN)/python -m bench.postgres_stall
	$(BIN)/python -m bench.postgres_failover
	$(BIN)/python -m bench.kafka_failover
	$(BIN)/python -m bench.kafka_tools
	$(BIN)/python -m bench.edge
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.ansible_strategy
	$(BIN)/python -m bench.overhead --no-apply
	$(BIN)/python -m bench.plan_scale
	$(BIN)/python -m bench.audit
	$(BIN)/python -m bench.monitoring

clean:
	rm -rf .harden/runs .mypy_cache .ruff_cache .pytest_cache
