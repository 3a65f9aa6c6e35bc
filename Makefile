# Kobling — the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run test lint check clean messages schema browser

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

# Two processes (pytest-xdist): the suite is mostly database-bound and each worker gets its own
# test database; more than two does not pay on a small machine.
test: install browser
	$(BIN)/pytest -n 2

# The headless-browser tests (marked `browser`) drive Chromium through Playwright. Debian's
# chromium is installed when it is missing and apt-get can run; elsewhere point
# KOBLING_CHROMIUM at a Chromium binary (or set KOBLING_SKIP_BROWSER=1 to leave them out).
browser:
	@command -v chromium >/dev/null 2>&1 || test -n "$$KOBLING_CHROMIUM" || test "$$KOBLING_SKIP_BROWSER" = 1 \
	  || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null 2>&1 \
	       && DEBIAN_FRONTEND=noninteractive apt-get update -qq \
	       && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || { echo "Chromium is missing: install it (apt-get install chromium), set KOBLING_CHROMIUM, or KOBLING_SKIP_BROWSER=1"; exit 1; }

# lint-imports: the layer contracts in pyproject.toml ([tool.importlinter]).
lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

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
