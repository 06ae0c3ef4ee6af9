# One entry point for set-up, demo, tests and benchmarks.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# One stamp per set of packages: `make demo` installs only what the demo needs (no Spark,
# no test tools); `make test` adds the test and spark extras to the same venv.
VENV_STAMP := $(VENV)/.created
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test

# A second venv on pandas 3 (see test-pandas3 below)
VENV3 ?= .venv-pandas3
BIN3 := $(VENV3)/bin
PANDAS3_STAMP := $(VENV3)/.installed-test-core

.PHONY: demo test test-pandas3 check bench clean venv

$(VENV_STAMP):
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@touch $(VENV_STAMP)

$(DEMO_STAMP): pyproject.toml setup.py | $(VENV_STAMP)
	$(BIN)/python -m pip install --quiet -e .
	@touch $(DEMO_STAMP)

$(TEST_STAMP): pyproject.toml setup.py | $(VENV_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	@touch $(TEST_STAMP) $(DEMO_STAMP)

venv: $(TEST_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/spinelink run sample_data/demo_job.yaml

# headless Chromium for the report rendering tests (Debian's package; CI runs as root).
# Without it those tests are skipped, with a warning here.
CHROMIUM := $(VENV)/.chromium
$(CHROMIUM): | $(TEST_STAMP)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "warning: could not install chromium; report rendering tests will be skipped"
	@if command -v chromium >/dev/null 2>&1; then touch $(CHROMIUM); fi

# Byte-compile src/ first: the tests start hundreds of `python -m spinelink` processes, and
# where PYTHONDONTWRITEBYTECODE is set (as in the development containers) each would compile every
# module again (~0.25 s a process); the .pyc files are read whatever that variable says.
# Then the fast tests again on pandas 3 (test-pandas3); both run whatever the first gives,
# and either failing fails the target.
# Both run on PYTEST_WORKERS processes (pytest-xdist), a test file to a worker (`--dist
# loadfile`: a file's module fixtures are made once); PYTEST_WORKERS=0 runs them in this one.
PYTEST_WORKERS ?= 2
XDIST := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)
test: $(TEST_STAMP) $(CHROMIUM)
	$(BIN)/python -m compileall -q src
	@status=0; $(BIN)/python -m pytest $(XDIST) --durations=15 || status=$$?; \
	$(MAKE) --no-print-directory test-pandas3 || status=$$?; exit $$status

# pandas 3: what `make demo` and `pip install -e .` resolve to, while the `test` extra's
# pseudopeople and recordlinkage pin pandas < 3, so .venv runs every test on pandas 2.
# .venv-pandas3 has the package and the `test-core` extra only (pytest, hypothesis): the tests
# that need pseudopeople, recordlinkage, playwright or pyspark skip there.
$(PANDAS3_STAMP): pyproject.toml setup.py
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV3)
	$(BIN3)/python -m pip install --quiet --upgrade pip
	$(BIN3)/python -m pip install --quiet -e ".[test-core]" "pandas>=3"
	@touch $(PANDAS3_STAMP)

# The subset, by measured time (benchmarks/RESULTS.md, session 35 helper F): the tests not
# marked slow or spark (Spark 3.5 is not installed there; in CI test_spark fails without it):
# intake, standardise, deterministic, probabilistic, integrate, quality, coding and review on
# the project's generator, less three whose time goes to statistics or memory sizing rather
# than frames (dual-system and three-list estimates, 96 s CPU; DuckDB's memory limit, 29 s
# CPU): 1,046 of 1,542 tests. Measured on pandas 3: all 1,079 tests not slow, 608 s CPU
# (31 min wall on a machine shared 3-fold); this subset about 480 s CPU, under 10 min idle.
PANDAS3_TESTS ?= -m "not slow and not spark" --ignore=tests/test_analysis_dual_system.py \
	--ignore=tests/test_analysis_three_lists.py --ignore=tests/test_memory_limit.py
test-pandas3: $(PANDAS3_STAMP)
	$(BIN3)/python -m compileall -q src
	$(BIN3)/python -c "import pandas; print('pandas', pandas.__version__)"
	$(BIN3)/python -m pytest $(XDIST) $(PANDAS3_TESTS) -p no:cacheprovider

check: $(TEST_STAMP)
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m pytest -m "not slow"

bench: $(DEMO_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/compare.py --persons 100000

clean:
	rm -rf out .pytest_cache
