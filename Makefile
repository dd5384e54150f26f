# Liaison: `make run` sets everything up and starts Liaison; `make test` runs the tests.
# Needs Python 3.11+ and Node 20+ on the PATH. Everything else is installed into .venv/ and node_modules/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed

.PHONY: setup run test test-sqlite test-postgres bench lint clean

$(PY_STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Liaison needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(JS_STAMP): package.json package-lock.json
	node -e 'process.exit(parseInt(process.versions.node) >= 20 ? 0 : 1)' || (echo "Liaison needs Node 20 or newer" && exit 1)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(PY_STAMP) $(JS_STAMP)

run: setup
	$(BIN)/liaison migrate --noinput
	$(BIN)/liaison load-reference-data
	$(BIN)/liaison load-demo-data
	$(BIN)/liaison serve

test: setup
	$(BIN)/python scripts/run_tests.py

test-sqlite: setup
	$(BIN)/pytest

test-postgres: setup
	DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/liaison} $(BIN)/pytest -m "not browser"

bench: setup
	$(BIN)/python bench/run.py

lint: setup
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) node_modules var
