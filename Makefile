# Two commands do all the set-up on a fresh Debian 12 machine with Python 3.11:
#   make build   -> installs what building needs, then writes the four documents to output/
#   make test    -> installs what testing needs (LibreOffice, poppler, Hunspell too), then runs the tests
# Each step installs only what is missing, so running them again is cheap.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BUILD_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core libicu-dev pkg-config g++
TEST_DEBS  := $(BUILD_DEBS) poppler-utils libreoffice-writer-nogui python3-uno hunspell hunspell-en-us hunspell-fr
ARGS ?=

.PHONY: build test check bench clean debs-build debs-test

build: debs-build $(VENV)/.installed
	$(PY) build.py $(ARGS)

test: debs-test $(VENV)/.installed
	$(PY) -m pytest $(ARGS)

check: $(VENV)/.installed
	$(PY) build.py --check

bench: debs-build $(VENV)/.installed
	$(PY) bench/run.py $(ARGS)

# Debian packages: install only those not yet installed.
debs-build:
	@./tools/apt-ensure $(BUILD_DEBS)
debs-test:
	@./tools/apt-ensure $(TEST_DEBS)

# requirements.lock pins every package, transitive ones too, with hashes (made from pyproject.toml by
# pip-compile: see its first lines); the project itself is installed without resolving anything more.
$(VENV)/.installed: pyproject.toml requirements.lock
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

clean:
	rm -rf output $(VENV)
