# Every target sets up .venv on first use, so a fresh machine needs only Python 3.11+.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The dashboard's chart library, fetched from the npm registry (api/chart_lib.py). A failed fetch is
# not fatal: the dashboard then serves its pages without charts, and the next make tries again.
CHART_LIB := api/static/vendor/uPlot.iife.min.js

.PHONY: run demo demo-serve test test-stress test-deploy bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(CHART_LIB): | $(STAMP)
	-$(PY) -m api.chart_lib

run: $(STAMP) $(CHART_LIB)
	$(PY) main.py run

demo: $(STAMP) $(CHART_LIB)
	$(PY) main.py demo

# The demo, then its dashboard and API kept open until Ctrl-C.
demo-serve: $(STAMP) $(CHART_LIB)
	$(PY) main.py demo --serve

# Three pytest-xdist workers: the suite mostly waits (subprocesses, servers, sleeps on scaled
# clocks), using about half of one core when run alone, so three share two cores well. Debian's
# chromium for the dashboard's browser tests (they skip, saying why, when it cannot be had).
test: $(STAMP) $(CHART_LIB)
	tests/dashboard/install-chromium.sh
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -n 3

# The whole suite pinned to one core that a busy loop shares for the whole run: a slower, busier
# machine than CI's. It passes only when no test depends on how fast the machine is. The busy
# loop is ended however pytest ends.
test-stress: $(STAMP) $(CHART_LIB)
	@command -v taskset >/dev/null || { echo "test-stress needs taskset (util-linux)"; exit 2; }
	taskset -c 0 sh -c 'while :; do :; done' & busy=$$!; \
	trap 'kill $$busy' EXIT; \
	taskset -c 0 $(PY) -m pytest -q $(PYTEST_ARGS)

# The Docker image built and docker-compose.yml run under podman against the sandbox (as root; it
# installs podman, runc and debootstrap with apt when missing). See deploy/test-deploy.sh.
test-deploy:
	deploy/test-deploy.sh

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) demo-output .pytest_cache
