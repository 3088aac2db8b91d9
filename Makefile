# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: venv run test bench chromium

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

venv: $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt

run: venv
	$(PY) -m bot serve --host 127.0.0.1 --port $${PORT:-8000}

# Debian's chromium for the Playwright page tests; skipped quietly when already there.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || \
	    sudo sh -c 'apt-get update -qq && apt-get install -y -qq chromium' >/dev/null 2>&1 || \
	    echo "note: could not install chromium; page tests will be skipped"; }

test: venv chromium
	$(PIP) install -q -r requirements-dev.txt
	$(PY) -m pytest -q

bench: venv
	$(PY) bench/run.py
