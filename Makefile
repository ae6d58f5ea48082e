# One command runs the product (make demo), one runs every test (make test).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := frontend/static/vendor/socket.io.esm.min.js

.PHONY: demo serve test install migrate bench-fanout cluster clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(VENDOR): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p frontend/static/vendor
	cp frontend/node_modules/socket.io-client/dist/socket.io.esm.min.js $(VENDOR)

install: $(STAMP) $(VENDOR)

demo: install
	$(BIN)/ecabinet demo

serve: install
	$(BIN)/ecabinet serve

migrate: install
	$(BIN)/ecabinet migrate

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

# Three PostgreSQL-backed nodes on 8001-8003 behind HAProxy on 8000, demo loaded (docs/deployment.md).
cluster: install
	deploy/cluster.sh

bench-fanout: install
	$(BIN)/python bench/fanout.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/static/vendor
