# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
export FLASK_APP := wsgi.py

.PHONY: run test check deps-audit migrate serve seed screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changes.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

migrate: $(VENV)/.installed
	mkdir -p -m 700 instance
	$(BIN)/alembic -c credit_service/migrations/alembic.ini upgrade head

SIM_PORT ?= 8700

seed: migrate
	$(BIN)/flask catalogs load
	$(BIN)/flask tiers apply
	$(BIN)/flask demo seed --entities 2000
	$(BIN)/flask demo stories
	$(BIN)/flask sync demo-platform --port $(SIM_PORT)
	$(BIN)/flask demo account

# The service (gunicorn, with its settings in credit_service/web/gunicorn_conf.py: masked
# logs, request limits, problem+json errors), the provincial-platform simulator and the
# scheduler, together; Ctrl-C stops all three. The service writes its own access line per
# request, with the request id (docs/logging.md): gunicorn's access log is not added.
serve: $(VENV)/.installed
	@trap 'kill $$SIM $$SCHED 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python -m credit_service.simulator --platforms-file instance/platforms.yaml & SIM=$$!; \
	sleep 1; $(BIN)/flask sync demo-feed || true; \
	$(BIN)/python -m schedulers & SCHED=$$!; \
	$(BIN)/gunicorn -c python:credit_service.web.gunicorn_conf --workers $(WORKERS) \
	  --bind $(HOST):$(PORT) wsgi:app

run: seed serve

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

check: $(VENV)/.installed-dev
	$(BIN)/ruff check credit_service schedulers tests benchmarks wsgi.py
	$(BIN)/lint-imports --no-logo
	$(BIN)/bandit -q -c pyproject.toml -r credit_service schedulers
	$(MAKE) --no-print-directory deps-audit

# pip-audit needs PyPI's vulnerability API; where it cannot be reached the audit says it
# was skipped (it must not pass silently having checked nothing).
deps-audit: $(VENV)/.installed-dev
	@if $(BIN)/python -c "import urllib.request; urllib.request.urlopen('https://pypi.org/pypi/flask/3.1.3/json', timeout=10)" 2>/dev/null; then \
		$(BIN)/pip-audit --strict -r requirements.txt --progress-spinner off; \
	else \
		echo "pip-audit SKIPPED: the PyPI vulnerability API is unreachable from this machine; run 'make deps-audit' where it is reachable."; \
	fi

# The browser tests write every page at desktop and phone width to build/screenshots;
# the README shows these few, kept in docs/screenshots.
README_SHOTS := home-desktop list-phone entry-desktop statistics-desktop \
	enterprise-application-phone console-dashboard-desktop console-repairs-desktop console-case-desktop

screenshots: $(VENV)/.installed-dev
	$(BIN)/python -m pytest tests/browser -q --sqlite-only
	mkdir -p docs/screenshots
	for shot in $(README_SHOTS); do cp build/screenshots/$$shot.png docs/screenshots/; done

# Every benchmark at its stated size on SQLite and PostgreSQL (about two hours; the serving
# ones need wrk: apt-get install wrk; the mixed load test uses locust, from
# requirements-dev.txt). Figures go in docs/performance.md.
bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/import.py
	$(BIN)/python benchmarks/tiers.py
	$(BIN)/python benchmarks/public_list.py
	$(BIN)/python benchmarks/sync.py
	$(BIN)/python benchmarks/metrics.py
	$(BIN)/python benchmarks/checks.py
	$(BIN)/python benchmarks/checks.py --database-url postgresql
	$(BIN)/python benchmarks/load.py
	$(BIN)/python benchmarks/load.py --database-url postgresql

clean:
	rm -rf instance $(VENV)
