# The two commands of the README. Both build .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
PORT   ?= 8866
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip
KIT     = $(VENV)/bin/connect-kit

.PHONY: demo test clean-venv

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

## make demo: install, prepare the database and a demo account, serve on loopback
demo: export CONNECT_BASE_URL ?= http://127.0.0.1:$(PORT)
demo: $(VENV)/.installed
	@$(KIT) init
	@echo
	@echo "== Connect demo =="
	@$(KIT) demo-account
	@echo
	@echo "Open the url above in a browser; stop the server with Ctrl+C."
	@$(KIT) serve --port $(PORT)

## make test: install with test extras and run every test (unit, screens, notebooks, browser)
test: $(VENV)/.installed-test
	$(PY) -m pytest

clean-venv:
	rm -rf $(VENV)
