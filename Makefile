# The two set-up commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test lint bench migrate seed serve-gateway serve-admin pool

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

test: $(VENV)/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

bench: migrate
	$(PY) -m bench

serve-gateway: migrate
	MARUNTIME_SURFACE=gateway $(PY) manage.py serve --port $(PORT) --no-pool

serve-admin: migrate
	MARUNTIME_SURFACE=admin $(PY) manage.py serve --port 8001 --no-pool

pool: migrate
	$(PY) manage.py runpool
