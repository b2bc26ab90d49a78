# Back Stretch Coach. Two commands do all the set-up on a fresh clone:
#   make run    start the skill locally on http://127.0.0.1:5000/alexa (PORT overrides)
#   make test   run every test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp

.PHONY: run test validate model chat bench sysdeps clean

# (Re)create the virtualenv when it is missing or pyproject.toml changed.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools >/dev/null
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	@touch $@

# virtual-alexa (bespoken), pinned by package-lock.json, for the conversation tests.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian packages the tests use: espeak-ng and sox (timing), wrk (bench), PostgreSQL (storage).
sysdeps:
	@scripts/ensure_debian_packages.sh

run: $(STAMP)
	$(BIN)/python -m skill run

test: $(STAMP) $(NODE_STAMP) sysdeps
	scripts/with_postgres.sh $(BIN)/python -m pytest

validate: $(STAMP)
	$(BIN)/python -m skill validate

model: $(STAMP)
	$(BIN)/python -m skill model

chat: $(STAMP)
	$(BIN)/python -m skill chat

bench: $(STAMP) sysdeps
	$(BIN)/python scripts/bench.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis .pgdata
