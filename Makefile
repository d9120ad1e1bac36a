# Two commands: `make run` (set up, ingest, serve) and `make test` (set up, run every test).
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

CHROMIUM := /usr/bin/chromium

.PHONY: setup run test lint clean browser audit

setup: $(STAMP)

# Reinstalls only when pyproject.toml changes; a second `make run` or `make test` reuses the venv.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e '.[test]'
	touch $(STAMP)

run: setup
	$(VENV)/bin/alliance-qa serve

# Browser tests drive Debian's Chromium (Playwright's own browser download cannot work offline).
browser: $(CHROMIUM)

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# The dependency audit runs after the tests and prints every finding; see .ci/audit.py.
test: setup browser
	$(VENV)/bin/pytest -q
	$(PY) .ci/audit.py

audit: setup
	$(PY) .ci/audit.py

lint: setup
	$(VENV)/bin/ruff format --check rag ingest ui eval tests
	$(VENV)/bin/ruff check rag ingest ui eval tests

clean:
	rm -rf .alliance-qa test-artifacts
