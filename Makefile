# One entry point per task; every target runs `setup` first, which is idempotent and quick when done.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BV := $(VENV)/bin/batchvideo
APT_PACKAGES := ffmpeg espeak-ng fonts-noto-cjk fontconfig chromium
export DAGSTER_HOME := $(CURDIR)/dagster_home

.PHONY: setup demo test dev bench clean

setup: $(VENV)/.installed
	@$(BV) init

$(VENV)/.installed: pyproject.toml
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

demo: setup
	$(BV) demo

test: setup
	$(PY) -m pytest -q $(PYTEST_ARGS)

dev: setup
	$(VENV)/bin/dagster dev -w workspace.yaml

bench: setup
	$(PY) bench/compose.py

clean:
	rm -rf $(VENV) var dagster_home/storage dagster_home/history dagster_home/schedules dagster_home/logs
