# Two commands set everything up on a fresh machine with only python3 and make:
#   make demo   create .venv, install, migrate, seed, serve http://127.0.0.1:8000/
#   make test   create .venv, install the test extras, run the whole suite
PYTHON ?= python3
VENV ?= .venv
# Pinned environment: requirements/django52.txt (Python >= 3.11) or django61.txt (>= 3.12).
REQUIREMENTS ?= requirements/django52.txt
PORT ?= 8000
PYTEST_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# The django-oscar example shop's tests (examples/oscar_shop): own pinned environment, since
# django-oscar 4.2 supports Django 5.2 and 6.0 and django-phonenumber-field < 9.
OSCAR_VENV ?= .venv-oscar
OSCAR_REQUIREMENTS ?= requirements/oscar.txt

.PHONY: venv demo test test-oscar lint check bench clean

$(STAMP): $(REQUIREMENTS) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r $(REQUIREMENTS)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@echo "$(REQUIREMENTS)" > $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Demo shop: http://127.0.0.1:$(PORT)/  (admin: admin/admin, personas: password 'demo')"
	DEMO_PORT=$(PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-oscar:
	$(MAKE) venv VENV=$(OSCAR_VENV) REQUIREMENTS=$(OSCAR_REQUIREMENTS)
	cd examples/oscar_shop && ../../$(OSCAR_VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: $(STAMP)
	$(BIN)/python -m bench
	@$(BIN)/python -c "import redis; redis.Redis(socket_timeout=1).ping()" 2>/dev/null \
		&& $(BIN)/python -m bench redis || echo "Redis not reachable: page overhead with Redis skipped"
	@case "$$DATABASE_URL" in postgres*) $(BIN)/python -m bench load \
		&& $(BIN)/python -m bench api && $(BIN)/python -m bench journeys \
		&& $(BIN)/python -m bench bandits && $(BIN)/python -m bench partitions ;; \
		*) echo "DATABASE_URL is not PostgreSQL: load, API and journey benchmarks skipped" ;; esac

clean:
	rm -rf $(VENV) $(OSCAR_VENV) db.sqlite3 var
