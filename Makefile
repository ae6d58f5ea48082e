# One command runs the product (make demo), one runs every test (make test).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := frontend/static/vendor/socket.io.esm.min.js

.PHONY: demo serve test install migrate bench-fanout clean i18n i18n-check

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

# UI strings and service messages: locale/<lang>/LC_MESSAGES/messages.po (read at start-up, no build step).
i18n: install
	$(BIN)/python -m app.i18n_catalog update
	@$(BIN)/python -m app.i18n_catalog check || echo "make i18n: fill in the texts listed above"

i18n-check: install
	$(BIN)/python -m app.i18n_catalog check

bench-fanout: install
	$(BIN)/python bench/fanout.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/static/vendor
