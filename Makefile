# One command runs the product (make demo), one runs every test (make test), one re-locks the dependencies (make lock).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := frontend/static/vendor/socket.io.esm.min.js

LOCK := requirements/test.txt
# uv resolves the locks; installs use pip alone (--require-hashes: every file checked against the lock).
UV := uv==0.13.8
COMPILE := $(BIN)/uv pip compile --quiet --universal --generate-hashes --python-version 3.11

.PHONY: demo serve test install lock migrate bench-fanout cluster clean i18n i18n-check

$(STAMP): pyproject.toml $(LOCK) realtime/_fastsend.c
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# After editing the dependencies in pyproject.toml: requirements/main.txt (runtime, for deployments) and
# requirements/test.txt (runtime + test extras, what `make install` and CI install), both with hashes.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet '$(UV)'
	$(COMPILE) pyproject.toml -o requirements/main.txt
	$(COMPILE) --extra test pyproject.toml -o requirements/test.txt

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

# The linter and the formatter first (seconds; [tool.ruff] in pyproject.toml), the type checker ([tool.mypy]),
# then every test. `.venv/bin/ruff format .` formats the tree.
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -p no:cacheprovider

# UI strings and service messages: locale/<lang>/LC_MESSAGES/messages.po (read at start-up, no build step).
i18n: install
	$(BIN)/python -m app.i18n_catalog update
	@$(BIN)/python -m app.i18n_catalog check || echo "make i18n: fill in the texts listed above"

i18n-check: install
	$(BIN)/python -m app.i18n_catalog check

NODE_REF := bench/node_ref/node_modules/socket.io/package.json

$(NODE_REF): bench/node_ref/package.json bench/node_ref/package-lock.json
	cd bench/node_ref && npm ci --no-audit --no-fund --loglevel=error

# Three PostgreSQL-backed nodes on 8001-8003 behind HAProxy on 8000, demo loaded (docs/deployment.md).
cluster: install
	deploy/cluster.sh

bench-fanout: install $(NODE_REF)
	$(BIN)/python bench/fanout.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/static/vendor
