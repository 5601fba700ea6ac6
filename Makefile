# Two commands matter: `make run` and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test chromium bench bench-stack bench-deliveries soak clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) run.py

chromium:  # and nginx: the browser tests drive Debian's chromium, the stack's tests put nginx in front
	@bash .ci/ensure-chromium
	@bash .ci/ensure-nginx

test: $(STAMP) chromium
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench.ingest

bench-stack: $(STAMP) chromium  # the set behind nginx (docs/benchmarks.md): ingest, readers, failover
	$(PY) -m pip install --quiet -e '.[test,bench]'
	$(PY) -m bench.stack ingest
	$(PY) -m bench.stack readers
	$(PY) -m bench.stack failover

bench-deliveries: $(STAMP)  # subscriptions' callbacks: 50 subscribers, 500 events/s, then a backlog
	$(PY) -m bench.deliveries

soak: $(STAMP) chromium
	$(PY) -m bench.soak

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
