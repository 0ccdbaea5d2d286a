# Glossa: `make run` sets up and serves the bundled sample corpus; `make test` sets up and runs the tests.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(PY) -m pip
DATA   ?= glossa-data
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run install install-test system-test-deps browser-test-tools lint test test-fast test-tantivy bench clean

run: install
	$(VENV)/bin/glossa --data $(DATA) demo --host $(HOST) --port $(PORT)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet "pip==26.3"

# Everything pinned: packages from the constraints file, the spaCy model by its hash.
install: $(VENV)/bin/python
	$(PIP) install --quiet -c requirements/constraints.txt -e .
	$(PIP) install --quiet --no-deps --require-hashes -r requirements/model.txt

install-test: install system-test-deps browser-test-tools
	$(PIP) install --quiet -c requirements/constraints.txt -e ".[test]"

# Browser tests need Debian's chromium; the annotation store's tests start a PostgreSQL server; the OCR tests run ocrmypdf.
system-test-deps:
	bash scripts/system-test-deps.sh

# axe-core, which the browser tests inject to check accessibility: pinned by its lock file.
browser-test-tools:
	npm ci --prefix tests/browser/axe --no-audit --no-fund --loglevel=error

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# The coverage floor is issue 14's 95%: the whole suite measured 95.19% at stop 20 (a clean
# clone, `make test`), with coverage following every process the tests start (setup.cfg: patch
# = subprocess, fork, _exit; the ingest zygote and its workers, `glossa serve` workers, the
# upload job runner). Two runs of one tree differed by 0.03 points at stop 19.
test: lint
	$(PY) -m pytest --cov --cov-report=term:skip-covered --cov-fail-under=95

test-fast: install-test
	$(PY) -m pytest -m "not browser"

# The search-facing tests again on the tantivy backend (issue 16: every test passes on both);
# not part of `make test`, which runs them on Whoosh, the default. Tests about Whoosh's
# internals are skipped with their reason (`whoosh_only` in setup.cfg).
test-tantivy: install-test
	GLOSSA_TEST_BACKEND=tantivy $(PY) -m pytest -m "not browser" tests/indexer tests/webui tests/functional tests/annotations tests/bench tests/test_stored_keys.py tests/corpus/test_pdf_latex.py tests/test_packaging.py

bench: install
	$(PY) -m bench.ingest
	$(PY) -m bench.query
	$(PY) -m bench.render
	$(PY) -m bench.annotations
	$(PY) -m bench.citations

clean:
	rm -rf $(VENV) $(DATA) build *.egg-info
