# Kobling — the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run test lint check clean messages schema

install: $(STAMP)

# Reinstall only when the dependency list changes; `make install` is idempotent.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

run: install
	$(BIN)/kobling migrate --noinput
	$(BIN)/kobling demo --if-empty
	$(BIN)/kobling serve --port $(PORT)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

check: install
	$(BIN)/kobling check --fail-level WARNING
	$(BIN)/kobling makemigrations --check --dry-run
	$(BIN)/kobling spectacular --lang en --validate --fail-on-warn --file $(VENV)/openapi-check.yaml
	diff -u docs/openapi.yaml $(VENV)/openapi-check.yaml

schema: install
	$(BIN)/kobling spectacular --lang en --validate --file docs/openapi.yaml

messages: install
	cd src/kobling && ../../$(BIN)/kobling makemessages -l nb --ignore=static --ignore="*/migrations/*"
	cd src/kobling && ../../$(BIN)/kobling compilemessages -l nb

clean:
	rm -rf $(VENV) var staticfiles
