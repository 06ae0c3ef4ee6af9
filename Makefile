# One entry point for set-up, demo, tests and benchmarks.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# One stamp per set of packages: `make demo` installs only what the demo needs (no Spark,
# no test tools); `make test` adds the test and spark extras to the same venv.
VENV_STAMP := $(VENV)/.created
DEMO_STAMP := $(VENV)/.installed-demo
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test check bench clean venv

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
test: $(TEST_STAMP) $(CHROMIUM)
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m pytest

check: $(TEST_STAMP)
	$(BIN)/python -m compileall -q src
	$(BIN)/python -m pytest -m "not slow"

bench: $(DEMO_STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/compare.py --persons 100000

clean:
	rm -rf out .pytest_cache
