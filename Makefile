# Two commands for a fresh machine:  `make demo`  and  `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime
STAMP := $(VENV)/.installed

.PHONY: install runtime demo demo-marketplace test lint typecheck bench bench-trade bench-workbench bench-monitor bench-patrol fuzz clean system-deps node-deps

# The runtime with every extra (no test tools): what `make demo` and the README's walkthrough need.
# `pip install wildtrace` alone is the core (scanning); see wildtrace/extras.py.
$(RUNTIME): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[all]'
	touch $(RUNTIME)

# Plus the test and dev tools (pytest, mypy, ruff, Playwright, hypothesis, ...).
$(STAMP): $(RUNTIME) pyproject.toml
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

runtime: $(RUNTIME)

install: $(STAMP)

demo: runtime
	$(BIN)/wildtrace demo

# The loopback demo marketplace (three shapes: grid, JSON-LD shop, JavaScript feed) on 127.0.0.1:8151,
# until Ctrl-C; in another terminal: wildtrace monitor run examples/sources/*.yaml (docs/monitor.md).
demo-marketplace: runtime
	$(BIN)/wildtrace demo --marketplace

lint: install
	$(BIN)/ruff check src tests benchmarks scripts

typecheck: install
	$(BIN)/mypy

system-deps:
	scripts/system-deps.sh

# axe-core (package.json, pinned in package-lock.json) for the browser accessibility test
# (tests/web/test_pages_a11y.py); fetched from the npm registry once, when it is missing.
# Debian's npm only where none is on the PATH (NodeSource's nodejs bundles its own and conflicts with it).
node-deps: system-deps
	@test -f node_modules/axe-core/axe.min.js || { command -v npm >/dev/null || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm; \
	  npm ci --no-audit --no-fund; }

# On both cores (pytest-xdist), each test file whole on one worker (its module fixtures, servers and
# browsers stay together).
test: system-deps node-deps install lint typecheck
	$(BIN)/pytest -n 2 --dist loadfile

# Each prints its figure beside a floor measured in the same run (README, Benchmarks): the scan per
# shape (orjson and a keyword pass), start-up (bare python), --db (the scan alone; the scan command
# without --db), --jobs 2 (one process), network metrics (igraph's bare betweenness), trade load
# and reconcile on 3M rows (DuckDB's read_csv; one permit join) and the queue API (a bare FastAPI
# endpoint, SQLite and PostgreSQL). The full-size trade, workbench-pages, patrol and monitor runs
# are their own targets below.
bench: install
	$(BIN)/python benchmarks/bench_scan.py
	$(BIN)/python benchmarks/bench_startup.py --repeats 5
	$(BIN)/python benchmarks/bench_store.py --n 3000 --repeats 3
	$(BIN)/python benchmarks/bench_jobs.py --n 96000 --repeat 3
	$(BIN)/python benchmarks/bench_network.py --accounts 100000 --repeat 3
	$(BIN)/python benchmarks/bench_trade.py --rows 3000000 --load-repeat 3 --repeat 3 --analyses reconcile --keep --workdir /tmp/bench_trade_3m
	$(BIN)/python benchmarks/bench_workbench.py --rows 20000 --backend both --skip-pages --workers 2 --clients 20 --seconds 8 --repeats 3

# The 30M-row trade benchmark (about 40 minutes here): load, reconcile, screen, trends, routes,
# DuckDB's own read_csv of the same files as the floor, peak memory.
bench-trade: install
	$(BIN)/python benchmarks/bench_trade.py --rows 30000000 --repeat 3 --workdir /tmp/bench_trade

# Every workbench page at 1M listings, sequentially, on SQLite and PostgreSQL: p50/p95 per page
# (the stores are built once, about 15 minutes each here, and cached in /tmp/bench_workbench).
bench-workbench: install
	$(BIN)/python benchmarks/bench_workbench.py --rows 1000000 --backend both --requests 30

# The patrol loop at the issue's size: a 2,000 km² SYNTHETIC park, five years of daily patrols
# (~500k waypoints) written as SMART XML, then import, effort, features, evaluation, training and a
# monthly map, each timed with peak memory; import beside parsing the same files and nothing else.
bench-patrol: install
	$(BIN)/python benchmarks/bench_patrol.py --area-km2 2000 --years 5 --repeat 3 --workdir /tmp/bench_patrol

# The monitor against the loopback demo marketplace (about 13 minutes): pages/s and CPU per page
# beside a bare Scrapy spider over the same pages, memory over 10,000 pages, the polite rate held.
bench-monitor: install
	$(BIN)/python benchmarks/bench_monitor.py --profile --json /tmp/bench_monitor.json

# The readers' property tests with a long budget (the default suite runs 200 examples each).
fuzz: install
	WILDTRACE_FUZZ_EXAMPLES=5000 $(BIN)/pytest -q tests/scan/test_readers_fuzz.py

clean:
	rm -rf $(VENV) build *.egg-info node_modules
