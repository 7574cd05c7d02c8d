# Two commands for a fresh machine:  `make demo`  and  `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench fuzz clean system-deps

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/wildtrace demo

lint: install
	$(BIN)/ruff check src tests benchmarks scripts

typecheck: install
	$(BIN)/mypy

system-deps:
	scripts/system-deps.sh

test: system-deps install lint typecheck
	$(BIN)/pytest

bench: install
	$(BIN)/python benchmarks/bench_scan.py

# The readers' property tests with a long budget (the default suite runs 200 examples each).
fuzz: install
	WILDTRACE_FUZZ_EXAMPLES=5000 $(BIN)/pytest -q tests/scan/test_readers_fuzz.py

clean:
	rm -rf $(VENV) build *.egg-info
