# ToyGAN Lab: `make run` sets up the lab and starts it, `make test` also installs the test tools
# and runs every test. The other targets run what README.md shows.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian's Chromium; Playwright cannot download its own browser here.
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup setup-test run test test-fast lint bench bench-server bench-render presets reproduce claims clean chromium

$(BIN)/python:
	$(PY) -m venv $(VENV)

# The lab alone (what `make run` needs). CPU torch first, from its own pinned release: a bare
# `torch` pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e .
	touch $@

# The test tools on top (pytest, Playwright, ruff, hadolint): only `make test` and friends.
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -e '.[test]'
	touch $@

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test

run: setup
	$(BIN)/toygan serve --host 127.0.0.1 --port 8000

# The browser tests drive Debian's Chromium; install it when missing and we may (root or sudo).
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  elif command -v sudo >/dev/null; then sudo apt-get update && sudo apt-get install -y chromium; \
	  else echo "Chromium not found at $(CHROMIUM): apt-get install -y chromium (or set CHROMIUM=...)"; exit 1; fi; }

test: setup-test chromium
	TOYGAN_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -p no:cacheprovider --durations=15

test-fast: setup-test
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: setup-test
	$(BIN)/ruff check .

# Headless commands of the lab (README.md, "The CLI"): `make presets`, `make reproduce`,
# `make claims` (ARGS="ring-collapse --seeds 10" passes arguments on).
presets: setup
	$(BIN)/toygan presets

reproduce: setup
	$(BIN)/toygan reproduce $(ARGS)

claims: setup
	$(BIN)/toygan claims $(ARGS)

bench: setup
	$(BIN)/python bench/bench_trainer.py

bench-server: setup
	$(BIN)/python bench/bench_server.py $(ARGS)

bench-render: setup-test chromium
	TOYGAN_CHROMIUM=$(CHROMIUM) $(BIN)/python bench/bench_render.py $(ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
