# The two set-up commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Builds and downloads that CI on a fresh clone of this machine reuses.
MARUNTIME_CACHE ?= $(HOME)/.cache/maruntime
ANCHORS := $(MARUNTIME_CACHE)/anchors

.PHONY: run test test-browser browser-deps lint bench bench-anchors migrate seed serve-gateway serve-admin pool

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_builtin

run: seed
	$(PY) manage.py serve --port $(PORT)

# Browser tests (tests/browser, marked `browser`) run in `make test-browser` instead.
test: $(VENV)/.installed
	$(PY) -m pytest -m "not browser"

# Debian's Chromium for the browser tests; Playwright (requirements.txt) brings its own
# driver, so `playwright install` (a download of other browser builds) is never run.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser-deps:
	test -x $(CHROMIUM) || { $(SUDO) apt-get update -o DPkg::Lock::Timeout=600 && \
		$(SUDO) apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 chromium; }

# Headless Chromium against real servers; screenshots are kept under test-artifacts/.
test-browser: $(VENV)/.installed browser-deps
	$(PY) -m pytest -m browser tests/browser

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

# The anchors bench/head_to_head.py runs beside maruntime, each in its own venv (pinned in
# bench/anchors.txt), installed once into the cache.
bench-anchors: $(ANCHORS)/litellm/.installed $(ANCHORS)/sgr/.installed

$(ANCHORS)/litellm/.installed: bench/anchors.txt
	$(PYTHON) -m venv $(@D)
	$(@D)/bin/pip install --quiet --disable-pip-version-check "$$(grep '^litellm' $<)"
	touch $@

$(ANCHORS)/sgr/.installed: bench/anchors.txt
	$(PYTHON) -m venv $(@D)
	$(@D)/bin/pip install --quiet --disable-pip-version-check "$$(grep '^sgr-agent-core' $<)"
	touch $@

bench: migrate bench-anchors
	MARUNTIME_CACHE=$(MARUNTIME_CACHE) $(PY) -m bench

serve-gateway: migrate
	MARUNTIME_SURFACE=gateway $(PY) manage.py serve --port $(PORT) --no-pool

serve-admin: migrate
	MARUNTIME_SURFACE=admin $(PY) manage.py serve --port 8001 --no-pool

pool: migrate
	$(PY) manage.py runpool
