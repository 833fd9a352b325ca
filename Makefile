# Signoff — the two commands that matter are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= approval_site.settings.base

.PHONY: run test test-resilience lint fmt install migrate demo lock clean bench screenshots

# Python 3.11's venv brings setuptools 65 without `wheel`, which cannot build the
# editable install of pyproject.toml (it needs setuptools >= 69).
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip "setuptools>=69" wheel

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput

# The demo's logins share a published password, hence the explicit demo mode.
demo: export SIGNOFF_DEMO_MODE ?= true
demo: migrate
	$(BIN)/python manage.py load_demo

# Serves the app with a real Celery worker (and beat) beside it; Ctrl-C stops them all.
# DEBUG serves the static files from runserver, so no collectstatic. `exec` makes honcho
# make's own child: on Ctrl-C make waits for honcho, which waits for all three.
run: export DJANGO_DEBUG ?= true
run: export SIGNOFF_DEMO_MODE ?= true
run: export SIGNOFF_LOG_FORMAT ?= console
# The demo ERP calls this server's API and receives its pushes here.
run: export SIGNOFF_DEMO_ERP_BASE_URL ?= http://$(HOST):$(PORT)
run: demo
	@$(BIN)/python manage.py demo_banner --url http://$(HOST):$(PORT)/
	HOST=$(HOST) PORT=$(PORT) exec $(BIN)/honcho -f Procfile.dev start

# In parallel, one test process per core (pytest-xdist); each has its own test database
# and Celery queue (approval_site/settings/test.py). TEST_PROCESSES=0 runs in one process.
TEST_PROCESSES ?= auto
test: export DJANGO_SETTINGS_MODULE = approval_site.settings.test
test: install
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

# The resilience suite (tests/resilience, README "Resilience"): it starts its own
# PostgreSQL cluster (initdb from PG_BIN), Redis, gunicorn, Celery worker and beat on
# 127.0.0.1, injects faults by PID and checks INV-1..6; numbers go to
# var/resilience/report.json. A run takes about 4 minutes; bounded: SIGINT after 10 minutes
# (the fixtures then stop every process), SIGKILL 60 s later.
test-resilience: export DJANGO_SETTINGS_MODULE = approval_site.settings.test
test-resilience: export SIGNOFF_RESILIENCE = 1
test-resilience: export SIGNOFF_PG_BIN ?= /usr/lib/postgresql/15/bin
test-resilience: install
	timeout --signal=INT --kill-after=60 600 $(BIN)/python -m pytest tests/resilience -q -p no:xdist $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The benchmark suite (bench/README.md): seeds PostgreSQL (1 M documents unless
# BENCH_ARGS="--quick"), serves with gunicorn + Celery, measures, writes bench/results/.
bench: install
	@command -v wrk >/dev/null || { echo "bench: installing Debian's wrk"; \
	  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq wrk >/dev/null; }
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The browser tests (tests/browser) save each page at desktop and phone width into
# var/screenshots/; this runs them (failing if Chromium is missing) and refreshes the
# committed copies in docs/screenshots/.
screenshots: export DJANGO_SETTINGS_MODULE = approval_site.settings.test
screenshots: export SIGNOFF_SCREENSHOT_DIR = $(CURDIR)/var/screenshots
screenshots: install
	rm -rf var/screenshots
	SIGNOFF_REQUIRE_SERVICES=1 $(BIN)/python -m pytest tests/browser -q
	mkdir -p docs/screenshots
	cp var/screenshots/*.png docs/screenshots/

# Re-pin every dependency after editing pyproject.toml.
lock: $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) var
