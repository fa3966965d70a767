# One entry point. `make run` and `make test` each set up everything they need on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.install-stamp
CHROMIUM := /usr/bin/chromium
INITDB   := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb) /usr/lib/postgresql/15/bin/initdb)
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: help install run test test-fast lint eval bench bench-load clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install pinned dependencies (torch 2.13.0 CPU first)

$(CHROMIUM):  # Debian's chromium for the browser test (playwright drives it; it never downloads a browser)
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

$(INITDB):  # Debian's PostgreSQL server for the store tests against PostgreSQL (each test starts its own cluster)
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null

run: $(STAMP)  ## set up, prepare what is missing, and serve the app on 127.0.0.1
	$(BIN)/qmm serve

test: $(STAMP) $(CHROMIUM) $(INITDB)  ## set up, lint, type-check and run every test tier (what .ci/run runs)
	$(BIN)/ruff check assistant tests eval app.py
	$(BIN)/mypy
	$(BIN)/pytest -q

test-fast: $(STAMP)  ## the default fast tier only
	$(BIN)/pytest -q -m "not slow"

lint: $(STAMP)  ## ruff and mypy
	$(BIN)/ruff check assistant tests eval app.py
	$(BIN)/mypy

eval: $(STAMP)  ## retrieval, extraction and dialogue evaluations (print their figures)
	$(BIN)/python -m eval retrieval
	$(BIN)/python -m eval extraction
	$(BIN)/python -m eval dialogue

bench: $(STAMP)  ## per-turn latency of a scripted interview (extract + follow-up + store + guidance)
	$(BIN)/python -m eval bench

bench-load: $(STAMP)  ## issue 11's load (200 interviewees, a turn per 10 s each) on 1 and 2 app processes, 127.0.0.1
	$(BIN)/python -m eval bench-load --users 200 --turns 5 --interval 10 --ramp 60 --processes 1
	$(BIN)/python -m eval bench-load --users 200 --turns 5 --interval 10 --ramp 60 --processes 2

clean:  ## remove the virtual environment and caches (keeps data/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
