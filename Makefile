# ToyGAN Lab: `make run` sets up and starts the lab, `make test` sets up and runs every test.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian's Chromium; Playwright cannot download its own browser here.
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup run test test-fast lint bench clean chromium

$(BIN)/python:
	$(PY) -m venv $(VENV)

# CPU torch first, from its own pinned release: a bare `torch` pulls a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[test]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(BIN)/toygan serve --host 127.0.0.1 --port 8000

# The browser tests drive Debian's Chromium; install it when missing and we may (root or sudo).
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  elif command -v sudo >/dev/null; then sudo apt-get update && sudo apt-get install -y chromium; \
	  else echo "Chromium not found at $(CHROMIUM): apt-get install -y chromium (or set CHROMIUM=...)"; exit 1; fi; }

test: setup chromium
	TOYGAN_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -p no:cacheprovider --durations=15

test-fast: setup
	$(BIN)/python -m pytest -m "not slow and not browser"

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/bench_trainer.py

clean:
	rm -rf $(VENV) build dist *.egg-info
