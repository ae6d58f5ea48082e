# One command runs the product (make demo), one runs every test (make test).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := frontend/static/vendor/socket.io.esm.min.js

.PHONY: demo serve test install migrate bench-fanout clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

$(VENDOR): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p frontend/static/vendor
	cp frontend/node_modules/socket.io-client/dist/socket.io.esm.min.js $(VENDOR)
	# libsodium (sumo: ristretto255) for secret ballots; the wrapper's bare import points at the vendored core
	cp frontend/node_modules/libsodium-sumo/dist/modules-sumo-esm/libsodium-sumo.mjs frontend/static/vendor/libsodium-sumo.mjs
	sed 's#from"libsodium-sumo"#from"./libsodium-sumo.mjs"#' frontend/node_modules/libsodium-wrappers-sumo/dist/modules-sumo-esm/libsodium-wrappers.mjs \
	  > frontend/static/vendor/libsodium-wrappers-sumo.mjs
	grep -q 'from"./libsodium-sumo.mjs"' frontend/static/vendor/libsodium-wrappers-sumo.mjs

install: $(STAMP) $(VENDOR)

demo: install
	$(BIN)/ecabinet demo

serve: install
	$(BIN)/ecabinet serve

migrate: install
	$(BIN)/ecabinet migrate

test: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench-fanout: install
	$(BIN)/python bench/fanout.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/static/vendor
