# GreenPort — the two commands a newcomer runs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint check install serve bench clean

$(STAMP): pyproject.toml setup.py greenport/protocol/_speedups.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Build the demo city (if absent) and serve it on http://127.0.0.1:8000 with live simulated devices.
demo: $(STAMP)
	GREENPORT_MODE=demo $(VENV)/bin/greenport demo

## Lint, type-check, import contracts, then the whole test suite.
test: $(STAMP) lint
	$(PY) -m pytest $(PYTEST_ARGS); status=$$?; if [ $$status -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$status

lint: $(STAMP)
	$(VENV)/bin/ruff check greenport tests bench
	$(VENV)/bin/ruff format --check greenport tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) greenport.db greenport.db-wal greenport.db-shm var
