# One entry point for set-up, demo, tests and benchmarks.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check bench clean venv

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,spark]"
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/spinelink run sample_data/demo_job.yaml

# headless Chromium for the report rendering tests (Debian's package; CI runs as root).
# Without it those tests are skipped, with a warning here.
CHROMIUM := $(VENV)/.chromium
$(CHROMIUM): | $(STAMP)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || echo "warning: could not install chromium; report rendering tests will be skipped"
	@if command -v chromium >/dev/null 2>&1; then touch $(CHROMIUM); fi

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest

check: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/compare.py --persons 100000

clean:
	rm -rf out .pytest_cache
