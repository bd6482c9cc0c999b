# The two commands of the README: `make run` and `make test`. Everything else supports them.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# The translated languages: every catalogue on disk (a test checks they are the configured ones).
LANGUAGES := $(patsubst translations/%/LC_MESSAGES/messages.po,%,$(wildcard translations/*/LC_MESSAGES/messages.po))
CATALOGUES := $(foreach lang,$(LANGUAGES),translations/$(lang)/LC_MESSAGES/messages.mo)
FLASK := $(BIN)/flask --app wsgi

.DEFAULT_GOAL := all
.PHONY: all install translations messages run admin test test-fast lint db letters bench bench-snapshots bench-smoke bench-servers bench-capacity bench-updates bench-instructions deploy-test clean

all: install translations

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# axe-core for the browser tests, pinned by package-lock.json and served from disk.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# pybabel comes with the package's own dependencies, so `make translations` after a production
# `pip install .` compiles with it and installs nothing; only where it is missing does the
# development install run first.
$(BIN)/pybabel:
	$(MAKE) install

# Fuzzy entries are left out of the compiled catalogue (and a test fails on them).
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po | $(BIN)/pybabel
	$(BIN)/pybabel compile --statistics -l $* -i $< -o $@

translations: $(CATALOGUES)

# Extract the strings of the code and templates, then merge them into every catalogue.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 --no-location --sort-output \
		--add-comments=TRANSLATORS: \
		--project campaign -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

# Development settings made once per checkout; never used in production (see README).
RANDOM_KEY := $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))'

instance/development.env: | $(VENV)/.installed $(CATALOGUES)
	mkdir -p instance
	{ printf 'FLASK_SECRET_KEY=%s\n' "$$($(RANDOM_KEY))"; \
	  printf 'FLASK_EMAIL_HASH_KEY=%s\n' "$$($(RANDOM_KEY))"; \
	  printf 'FLASK_CLIENT_HASH_KEY=%s\n' "$$($(RANDOM_KEY))"; \
	  FLASK_DEBUG=1 $(FLASK) keys generate --private-key-file instance/seal-private.key; \
	  test -f instance/snapshot-signing.key || \
	    FLASK_DEBUG=1 $(FLASK) keys generate-signing --private-key-file instance/snapshot-signing.key >/dev/null; \
	  printf 'FLASK_SNAPSHOT_SIGNING_KEY_FILE=%s\n' "$(CURDIR)/instance/snapshot-signing.key"; } > $@.tmp
	mv $@.tmp $@

# wsgi.py loads instance/development.env itself (see campaign.config.load_development_settings).
DEV_ENV := export FLASK_SITE_URL=$${FLASK_SITE_URL:-http://127.0.0.1:$(PORT)} &&

db: all instance/development.env
	$(DEV_ENV) $(FLASK) db upgrade

letters: db
	$(DEV_ENV) $(FLASK) letters load

# An admin account for this checkout: prompts for the password, prints the second factor's QR code.
admin: letters
	@test -n "$(EMAIL)" || { echo "usage: make admin EMAIL=you@example.org"; exit 2; }
	$(DEV_ENV) $(FLASK) admin create --role admin $(EMAIL)

# The outbox worker runs beside the development server and stops with it.
run: letters
	$(DEV_ENV) { $(FLASK) outbox run & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT); }

# ruff over the code and tests, mypy over the package (every function annotated): part of make test.
lint: install
	$(BIN)/ruff check campaign tests bench migrations tools wsgi.py gunicorn.conf.py
	$(BIN)/mypy

test: all lint node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Everything but the browser suite (which needs Debian's chromium at /usr/bin/chromium and npm).
test-fast: all lint
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

# The benchmark of issue 7: real stack, wrk over loopback, results in BENCHMARKS.md. Needs wrk (Debian).
bench: all
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py
	$(BIN)/python -m bench.servers
	$(BIN)/python -m bench.capacity
	$(MAKE) bench-snapshots
	$(MAKE) bench-updates

# CPU per signature and per page by part of the stack, PostgreSQL's ceiling for our write (issue 23).
bench-capacity: all
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.capacity

# Instructions per sign flow (GET of the form, POST of a signature) counted by callgrind, in-process
# against PostgreSQL and Redis: how to judge a change to the signing path (BENCHMARKS.md). Needs valgrind.
bench-instructions: all
	command -v valgrind >/dev/null || (apt-get update -qq && apt-get install -y -qq valgrind)
	$(BIN)/python -m bench.instructions

# gunicorn against granian's WSGI mode on the same load (issue 23); part of make bench.
bench-servers: all
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.servers

# Signed snapshots of 1,000,000 entries: publishing (time, memory) and proofs (BENCHMARKS.md).
bench-snapshots: all
	$(BIN)/python bench/snapshots.py 1000000

bench-smoke: all
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	BENCH_SMOKE=1 $(BIN)/python bench/run.py

# Queuing a campaign update for 100,000 signers and the outbox's rate on it (issue 20), in BENCHMARKS.md.
bench-updates: all
	$(BIN)/python bench/updates.py 100000

# The reference deployment of deploy/ on this machine (issue 23): nginx with the shipped site file in
# front of two app nodes, two outbox workers, PostgreSQL and Redis; a few minutes. What the tests run
# besides (as .ci/run does, from Debian's packages, only when missing): nginx, openssl for the test
# certificate, wrk for the read spike, curl for the HTTP/2 check, pg_dump and pg_restore for the backup.
deploy-test: all
	missing=""; \
	command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	{ command -v pg_dump >/dev/null && command -v pg_restore >/dev/null; } || missing="$$missing postgresql-client"; \
	if [ -n "$$missing" ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi
	$(BIN)/python -m pytest tests/deploy $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache node_modules screenshots $(CATALOGUES)
