# aweigh developer commands. Each target creates .venv when missing and installs what it
# needs; a stamp file per install set keeps a second run fast (it reinstalls only when
# pyproject.toml changes).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# `aweigh serve` runs under Python's -OO (see serve_lean in README): byte-compile its
# .opt-2.pyc files once here, or every server start would compile them (where bytecode
# is not written, e.g. PYTHONDONTWRITEBYTECODE) or the first one would. An optimisation
# only, so a file some package ships that does not compile is not an error.
OPT2   := $(BIN)/python -OO -m compileall -qq -j 0 $(VENV)/lib src > /dev/null 2>&1 || true
TEST_EXTRAS := dev,postgres,redis,onnx,lightgbm,xgboost,polars,torch,ray

.PHONY: demo test lint typecheck bench clean help

help:
	@echo "make demo   - install aweigh and run the demo on embedded defaults (./.aweigh)"
	@echo "make test   - install everything, start-able servers included, and run all checks"
	@echo "make lint   - ruff, mypy and import-linter only"
	@echo "make bench  - benchmarks under bench/ (results go to BENCHMARKS.md by hand)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-core: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e .
	@$(OPT2)
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install --quiet -e ".[$(TEST_EXTRAS)]"
	@$(OPT2)
	@touch $@

demo: $(VENV)/.installed-core
	$(BIN)/aweigh demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	./scripts/ensure-servers.sh
	./scripts/ensure-browser.sh
	$(BIN)/pytest

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
