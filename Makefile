# GeoCM entry points. Each target bootstraps what it needs first (apt packages when
# missing, .venv, the private PostGIS in var/pg), so a fresh Debian/Ubuntu checkout needs
# only `make run` or `make test`; the second time they take seconds.
#
# Variables: PYTEST_ARGS (passed to pytest), TEST_WORKERS (pytest processes, default 2;
# 0 runs in one process), RUNSERVER_ADDR (default 127.0.0.1:8000), DATABASE_URL
# (environment: use that PostGIS database instead of the private cluster).

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv/bin
RUNSERVER_ADDR ?= 127.0.0.1:8000
PYTEST_ARGS ?=
TEST_WORKERS ?= 2

.PHONY: help bootstrap run test fuzz serve backup restore stop lint format bench psql

help:
	@echo "make run        bootstrap, load demo data once, serve on http://$(RUNSERVER_ADDR)/"
	@echo "make test       bootstrap (with browser packages), then pytest \$$PYTEST_ARGS"
	@echo "make fuzz       fuzz the import readers longer (FUZZ_EXAMPLES per format, new inputs)"
	@echo "make serve      production profile: gunicorn + job worker, DEBUG off, settings from .env"
	@echo "make backup     database and media files into var/backups/geocm-<time>.tar (OUTPUT=file)"
	@echo "make restore FILE=archive [FORCE=1]   restore a backup into an empty database and media"
	@echo "make stop       stop the private PostGIS cluster in var/pg"
	@echo "make lint       ruff check and ruff format --check"
	@echo "make format     ruff check --fix and ruff format"
	@echo "make bench      run benchmarks/*.py against the private cluster"
	@echo "make bootstrap  packages, .venv, database and migrations only"
	@echo "make psql       psql into the development database"

bootstrap:
	@bash scripts/bootstrap.sh db

run:
	@bash scripts/bootstrap.sh run
	@echo "==> GeoCM on http://$(RUNSERVER_ADDR)/"
	@echo "    map                 http://$(RUNSERVER_ADDR)/"
	@echo "    OGC API - Features  http://$(RUNSERVER_ADDR)/ogc/"
	@echo "    API docs (Swagger)  http://$(RUNSERVER_ADDR)/api/docs/"
	@echo "    admin               http://$(RUNSERVER_ADDR)/admin/"
	@echo "    shared parking      http://$(RUNSERVER_ADDR)/parking/"
	@echo "    field app           http://$(RUNSERVER_ADDR)/field/"
	@echo "    coverage (planners) http://$(RUNSERVER_ADDR)/coverage/"
	@echo "    plan targets        http://$(RUNSERVER_ADDR)/plans/"
	@echo "    imports (GIS staff) http://$(RUNSERVER_ADDR)/imports/"
	@echo "    (Ctrl-C stops the web server and the job worker; 'make stop' stops the database)"
	@# The job worker runs beside the web server and stops with it.
	@$(VENV)/python manage.py run_jobs > var/jobs.log 2>&1 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(VENV)/python manage.py runserver $(RUNSERVER_ADDR)

# pytest's exit code 5 (no tests collected) fails the target like any other failure.
# Test files are spread over TEST_WORKERS processes (pytest-xdist, a file stays on one);
# tests/progress.py prints a line as each file finishes.
test:
	@bash scripts/bootstrap.sh test
	@echo "==> pytest in $(TEST_WORKERS) processes, a line per test file as it finishes $(PYTEST_ARGS)"
	@PYTHONPATH="$(CURDIR)" $(VENV)/pytest -p tests.progress -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The readers' fuzz test with many more inputs than `make test` runs, random each time;
# the counts (inputs, read, refused, crashes) are printed from var/fuzz-summary.json.
FUZZ_EXAMPLES ?= 600
fuzz:
	@bash scripts/bootstrap.sh db
	@rm -f var/fuzz-summary.json
	@PYTHONPATH="$(CURDIR)" GEOCM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) GEOCM_FUZZ_RANDOM=1 \
	  $(VENV)/pytest -p no:cacheprovider -n 0 -q tests/imports/test_fuzz_readers.py; \
	  status=$$?; echo "==> fuzz counts: $$(cat var/fuzz-summary.json 2>/dev/null)"; exit $$status

serve:
	@bash scripts/serve.sh

# Backups work on the private cluster or on DATABASE_URL (and GEOCM_MEDIA_ROOT).
backup:
	@bash scripts/bootstrap.sh venv
	@if [ -z "$${DATABASE_URL:-}" ]; then bash scripts/pg.sh start; fi
	@$(VENV)/python manage.py backup $(if $(OUTPUT),--output "$(OUTPUT)")

restore:
	@if [ -z "$(FILE)" ]; then echo "usage: make restore FILE=var/backups/geocm-....tar [FORCE=1]" >&2; exit 2; fi
	@bash scripts/bootstrap.sh venv
	@if [ -z "$${DATABASE_URL:-}" ]; then bash scripts/pg.sh start; fi
	@$(VENV)/python manage.py restore "$(FILE)" $(if $(FORCE),--force)

stop:
	@bash scripts/pg.sh stop

lint:
	@bash scripts/bootstrap.sh venv
	$(VENV)/ruff check . && $(VENV)/ruff format --check .

format:
	@bash scripts/bootstrap.sh venv
	$(VENV)/ruff check --fix . && $(VENV)/ruff format .

# Each benchmarks/*.py runs on its own (files starting with _ are helpers), from the
# repository root with the project importable.
bench:
	@bash scripts/bootstrap.sh db
	@shopt -s nullglob; files=(benchmarks/[!_]*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "==> no benchmarks/*.py to run"; exit 0; fi; \
	for f in "$${files[@]}"; do \
	  echo "==> $$f"; \
	  PYTHONPATH="$(CURDIR)" DJANGO_SETTINGS_MODULE=geo_cm.settings $(VENV)/python "$$f" || exit 1; \
	done

psql:
	@bash scripts/pg.sh psql
