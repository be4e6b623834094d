# plasticity: set-up and entry points. Everything installs into .venv with the
# machine's python3 (>= 3.11); nothing is needed beforehand but a C++ compiler.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON313 ?= python3.13
VENV313 ?= .venv313

.PHONY: install demo test test-fast lint smoke313 clean-builds

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[test]"
	touch $@

install: $(VENV)/.installed

## The quickstart experiment end to end: simulate, write HDF5, draw figures.
demo: install
	$(VENV)/bin/plasticity run configs/quickstart.yaml -o results/quickstart.h5
	$(VENV)/bin/plasticity plot results/quickstart.h5 -o results/quickstart_plots

## The test suite (unit, integration, the long science checks) and the linter,
## one pytest worker per core (PYTEST_WORKERS=0 runs it in one process); a test
## file stays on one worker, so its module fixtures run once.
PYTEST_WORKERS ?= auto
test: install
	$(VENV)/bin/ruff check plasticity tests experiments
	$(PY) -m pytest -q -ra -n $(PYTEST_WORKERS) --dist loadfile --durations=15

## The same without the tests marked slow (the long science checks), while iterating.
test-fast: install
	$(VENV)/bin/ruff check plasticity tests experiments
	$(PY) -m pytest -q -ra -m "not slow" -n $(PYTEST_WORKERS) --dist loadfile

lint: install
	$(VENV)/bin/ruff check plasticity tests experiments

## Smoke test on Python 3.13 (brian2 2.11, current numpy), where installed.
smoke313:
	@if PYENV_VERSION=3.13.0 $(PYTHON313) --version >/dev/null 2>&1; then \
	  [ -x $(VENV313)/bin/python ] || PYENV_VERSION=3.13.0 $(PYTHON313) -m venv $(VENV313); \
	  $(VENV313)/bin/python -m pip install -q --upgrade pip && \
	  $(VENV313)/bin/python -m pip install -q -e ".[test]" && \
	  $(VENV313)/bin/python -m pytest -q -ra -m smoke -p no:cacheprovider; \
	else echo "python 3.13 not installed: smoke test skipped"; fi

clean-builds:
	rm -rf $${PLASTICITY_BUILD_DIR:-$$HOME/.cache/plasticity/builds} .plasticity_cache/test-builds
