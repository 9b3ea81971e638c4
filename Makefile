# The two commands of the README (demo, test), and the edit loop (test-fast, lint).
# All build .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8866
DEMO_DNS_PORT ?= 5354
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip
KIT     = $(VENV)/bin/connect-kit

.PHONY: demo test test-fast lint clean-venv

# Reinstall when the project's metadata changes; editable, so code edits need nothing.
$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

## make demo: install, prepare the database and the demo accounts, serve on loopback
demo: export CONNECT_BASE_URL ?= http://127.0.0.1:$(PORT)
demo: export CONNECT_TRAINER_ENABLED ?= true
demo: export CONNECT_DEMO_DNS_PORT ?= $(DEMO_DNS_PORT)
demo: $(VENV)/.installed
	@$(KIT) init
	@echo
	@echo "== Connect demo =="
	@$(KIT) demo-account
	@echo
	@$(KIT) demo seed
	@echo
	@# serve prints the trainer, console, Connect and team URLs once every page is ready
	@$(KIT) serve --port $(PORT)

# Test processes (pytest-xdist): one a core, at most 4. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
PYTEST_XDIST = -n $(TEST_WORKERS) --maxprocesses 4

## make test: install with test extras and run every test (unit, screens, notebooks, browser)
# Two runs: everything but the browser tests in parallel (each file whole in one process,
# the longest first: conftest.py), then the browser tests one after another with the machine
# to themselves, as a person's browser would have it (beside a busy second process, on 2
# cores, pages missed their timeouts). Both run even if the first fails; either fails make.
test: $(VENV)/.installed-test
	rm -rf test-artifacts/browser
	@status=0; \
	$(PY) -m pytest $(PYTEST_XDIST) --dist loadfile --no-loadscope-reorder -m "not browser or fresh_install or benchmark" || status=1; \
	$(PY) -m pytest -m "browser and not fresh_install and not benchmark" || status=1; \
	exit $$status

## make test-fast: the edit loop; every test but the browser, integration and slow (race) ones, in parallel
test-fast: $(VENV)/.installed-test
	$(PY) -m pytest $(PYTEST_XDIST) -m "not browser and not integration and not slow"

## make lint: ruff (lint and format) and mypy, as CI runs them
lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

clean-venv:
	rm -rf $(VENV)
