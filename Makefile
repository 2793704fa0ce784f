# The two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app learning_app
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp
PO_FILES := $(wildcard learning_app/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: install run test test-postgres lint translations extract-messages bench clean

# plotly.js is vendored in static/vendor/plotly/ (a partial bundle; its README says how it was built).
install: $(STAMP) $(MO_FILES)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@ >/dev/null

# A jobs worker runs beside the server on the SQLite queue (instance/jobs.sqlite3), and stops with it.
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo-if-empty
	@echo "Serving on http://127.0.0.1:$(PORT)"
	@$(FLASK) worker & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# Two processes (pytest-xdist), a test file per process at a time so that a file's module fixtures
# (the browser's live server) are built once, but for the access-matrix files, spread test by test
# (tests/conftest.py: SPREAD_OVER_WORKERS): the suite takes about half as long on two cores.
PYTEST_WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

test: install
	$(PYTEST)

# The PostgreSQL run also runs the real-worker job tests on Redis (db 15), starting redis-server if it is down.
test-postgres: install
	redis-cli ping >/dev/null 2>&1 || redis-server --daemonize yes >/dev/null
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	TEST_JOBS_URL=$${TEST_JOBS_URL:-redis://127.0.0.1:6379/15} $(PYTEST)

# Ruff's rules and exclusions are in pyproject.toml; CI runs this before the tests.
lint: install
	$(BIN)/ruff check .

# Refresh the catalogs after changing user-facing strings, then translate the new entries.
extract-messages: install
	$(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -k lazy_ngettext:1,2 -o messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i messages.pot -d learning_app/translations
	rm -f messages.pot

# Benchmarks write bench/results/*.json; BENCH_SIZES=members:branches:courses,... picks the sizes.
bench: install $(BENCH_STAMP)
	$(BIN)/python bench/run.py

# The load benchmark drives gunicorn with locust, which only the benchmarks need.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
