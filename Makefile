# The two set-up commands: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Builds and downloads that CI on a fresh clone of this machine reuses.
MARUNTIME_CACHE ?= $(HOME)/.cache/maruntime
ANCHORS := $(MARUNTIME_CACHE)/anchors

.PHONY: run test test-browser browser-deps lint bench bench-anchors migrate seed serve-gateway \
	serve-admin pool llama-server llama-models test-real conformance sgr-agent-core-sdist open-webui \
	test-open-webui node-clients chaos

LLAMA_REQUIREMENTS := tests/real_servers/requirements.txt
LLAMA_CPP_VERSION := $(shell sed -n 's/^llama-cpp-python.*==//p' $(LLAMA_REQUIREMENTS))
# llama.cpp for any x86-64 with AVX2, not -march=native: a native build uses every extension
# the CPU advertises, and this machine's virtual CPU advertises AMX, whose first instruction
# is then illegal. The multimodal library (mtmd) is left out: no handler used here needs it.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_BMI2=ON -DLLAVA_BUILD=OFF
# The cached wheel is only valid for these build options: its folder is named after them.
LLAMA_WHEELS := $(MARUNTIME_CACHE)/wheels/llama-cpp-python-$(LLAMA_CPP_VERSION)-avx2
# llama-cpp-python's OpenAI-compatible server lives in its own venv, never the project's
# (tests/real_servers/llama_server.py finds it there).
LLAMA_VENV := $(MARUNTIME_CACHE)/llama-cpp-python-$(LLAMA_CPP_VERSION)

OPEN_WEBUI_VERSION := 0.12.4
OPEN_WEBUI_VENV := $(MARUNTIME_CACHE)/open-webui-$(OPEN_WEBUI_VERSION)
# openai-node (and zod, for its structured-output helper) for tests/e2e/test_node_client.py.
OPENAI_NODE_VERSION := 7.55.0
NODE_CLIENTS := $(MARUNTIME_CACHE)/node-clients-$(OPENAI_NODE_VERSION)
NODE_PACKAGES := openai@$(OPENAI_NODE_VERSION) zod@4.6.7

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
test: $(VENV)/.installed node-clients
	$(PY) -m pytest -m "not browser"

# Debian's Chromium for the browser tests; Playwright (requirements.txt) brings its own
# driver, so `playwright install` (a download of other browser builds) is never run.
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser-deps:
	test -x $(CHROMIUM) || { $(SUDO) apt-get update -o DPkg::Lock::Timeout=600 && \
		$(SUDO) apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 chromium; }

# Headless Chromium against real servers; screenshots are kept under test-artifacts/.
# Open WebUI's test has its own target (it needs Open WebUI installed, and minutes).
test-browser: $(VENV)/.installed browser-deps
	$(PY) -m pytest -m "browser and not open_webui" tests/browser

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

# sgr-agent-core 0.7.1's source distribution (its whole tree), which
# tests/catalog/seeding/test_release_07.py seeds when it is in the cache.
SGR_SDIST_DIR := $(MARUNTIME_CACHE)/sgr-agent-core
sgr-agent-core-sdist: $(VENV)/.installed
	test -f $(SGR_SDIST_DIR)/sgr_agent_core-0.7.1.tar.gz || $(VENV)/bin/pip download \
		--quiet --no-deps --no-binary :all: sgr-agent-core==0.7.1 -d $(SGR_SDIST_DIR)

serve-gateway: migrate
	MARUNTIME_SURFACE=gateway $(PY) manage.py serve --port $(PORT) --no-pool

serve-admin: migrate
	MARUNTIME_SURFACE=admin $(PY) manage.py serve --port 8001 --no-pool

pool: migrate
	$(PY) manage.py runpool

# llama-cpp-python builds llama.cpp from source (~13 min on 2 cores the first time); the wheel is
# kept in $(LLAMA_WHEELS), so a later venv, or CI on a fresh clone, installs it in seconds.
$(LLAMA_VENV)/.installed:
	mkdir -p $(LLAMA_WHEELS)
	ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
		nice -n 10 $(PYTHON) -m pip wheel --quiet --no-cache-dir \
		--disable-pip-version-check --no-deps -w $(LLAMA_WHEELS) \
		llama-cpp-python==$(LLAMA_CPP_VERSION)
	$(PYTHON) -m venv $(LLAMA_VENV)
	$(LLAMA_VENV)/bin/pip install --quiet --disable-pip-version-check \
		--find-links $(LLAMA_WHEELS) -r $(LLAMA_REQUIREMENTS)
	touch $@

# The llama.cpp server and the GGUF models of the real-server tests and `make conformance`.
llama-server: $(LLAMA_VENV)/.installed

LLAMA_MODELS ?= smollm2 qwen2.5-coder gemma3
llama-models:
	$(PYTHON) -m tests.real_servers.models $(LLAMA_MODELS)

# The real-server tests (tests/real_servers, marker `real_server`): every built-in model
# against llama.cpp's server on SmolLM2-135M, in both chat handlers. They take minutes, so
# `make test` skips them (saying why); this target builds what they need and runs them.
test-real: $(VENV)/.installed llama-server
	$(PYTHON) -m tests.real_servers.models smollm2
	$(PY) -m pytest -m real_server tests/real_servers

# Durability under real faults (bench/chaos.py): its own Redis and PostgreSQL, two gateways,
# two workers, SIGKILL/SIGTERM and restarts mid-run; results in bench/results/chaos.json.
chaos: migrate
	$(PY) -m bench chaos

# The same tasks through every built-in model against every server runnable here. Not
# niced: the llama.cpp servers it starts inherit its priority, and seconds per step are
# measured.
conformance: migrate llama-server llama-models
	$(PY) -m bench conformance

# Open WebUI in its own venv (its dependencies would clash with ours; ~5 minutes the first time).
$(OPEN_WEBUI_VENV)/.installed:
	$(PYTHON) -m venv $(OPEN_WEBUI_VENV)
	$(OPEN_WEBUI_VENV)/bin/pip install --quiet --disable-pip-version-check open-webui==$(OPEN_WEBUI_VERSION)
	touch $@

open-webui: $(OPEN_WEBUI_VENV)/.installed

# Open WebUI in Chromium against the all-in-one server (tests/browser/test_open_webui.py): a
# three-turn conversation with a clarification; its first start takes minutes.
test-open-webui: $(VENV)/.installed browser-deps open-webui
	MARUNTIME_OPEN_WEBUI=$(OPEN_WEBUI_VENV)/bin/open-webui $(PY) -m pytest -m open_webui tests/browser

$(NODE_CLIENTS)/.installed:
	mkdir -p $(NODE_CLIENTS)
	npm install --silent --no-audit --no-fund --prefix $(NODE_CLIENTS) $(NODE_PACKAGES)
	touch $@

node-clients: $(NODE_CLIENTS)/.installed
