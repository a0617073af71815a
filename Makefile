# Two commands set everything up on a fresh clone: `make dev` and `make test`.
# Every target creates .venv when it is missing and installs what it needs.

# The Python the template deploys (Globals: Runtime: pythonX.Y): the tests run on it, and the layer's
# bytecode is compiled by it. infra/find-python finds one (PATH, pyenv, uv) or says how to get one.
RUNTIME_PYTHON := $(shell sed -n 's/^ *Runtime: python\([0-9.]*\) *$$/\1/p' template.yaml | head -n 1)
PYTHON ?= $(shell infra/find-python $(RUNTIME_PYTHON))
VENV := .venv
PY := $(VENV)/bin/python
# A .venv made by another Python (an older checkout's) is made again.
VENV_MADE := $(VENV)/.python$(RUNTIME_PYTHON)
STAMP := $(VENV)/.installed

.PHONY: dev dev-reset vendor templates test test-unit lint validate bench build deploy install clean browser shells openapi

$(VENV_MADE):
	@test -n "$(PYTHON)" || { echo "no Python $(RUNTIME_PYTHON): see infra/find-python's advice above" >&2; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	touch $@

$(STAMP): $(VENV_MADE) pyproject.toml layers/shared/requirements.txt
	$(PY) -m pip install --quiet --upgrade pip
	@# setuptools says each time that an editable install of mapped packages uses an import hook:
	@# information, not a fault, that a first run would take for an error.
	PYTHONWARNINGS="ignore:Editable installation" $(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the local stack: API on http://127.0.0.1:$${PORT:-3000}, AWS on http://127.0.0.1:$${AWS_PORT:-4566};
## users, coins, images and objects are kept between runs in $${DATA_DIR:-.devstack}
dev: $(STAMP)
	$(PY) -m devstack

## The local stack, started empty: what earlier runs kept (DATA_DIR, default .devstack) is deleted first
dev-reset: $(STAMP)
	rm -rf "$${DATA_DIR:-.devstack}" "$${DATA_DIR:-.devstack}.saving" "$${DATA_DIR:-.devstack}.previous"
	$(PY) -m devstack

# The front end's tests and `make bench` drive a real Chromium: Debian's package, installed when missing
# (needs root).
browser:
	@command -v chromium >/dev/null || { echo "installing Chromium for the front end's tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The README's commands are tested in bash and in zsh (macOS's shell), with jq: Debian's packages.
shells:
	@command -v zsh >/dev/null && command -v jq >/dev/null || { echo "installing zsh and jq for the README tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq zsh jq >/dev/null; }

## The fast tier alone: use cases on in-memory fakes, no moto, no network (sockets refused), in seconds.
## Its conftest stands alone (--confcutdir): none of the other tiers' fixtures (moto, stand-ins) load.
test-unit: $(STAMP)
	$(PY) -m pytest tests/fast --confcutdir=tests/fast -q

## Run every test: unit, integration (moto in-process), end-to-end (local stack over HTTP, the front end in Chromium)
test: $(STAMP) browser shells
	$(PY) -m pytest

# checkov pins dependencies of its own (boto3, pydantic...), so it lives in a venv of its own, made again
# when the pinned version changes. --skip-download: nothing is fetched from Prisma Cloud.
CHECKOV_VERSION := 3.3.30
CHECKOV_VENV := .venv-checkov
CHECKOV_MADE := $(CHECKOV_VENV)/.checkov-$(CHECKOV_VERSION)
$(CHECKOV_MADE):
	@test -n "$(PYTHON)" || { echo "no Python $(RUNTIME_PYTHON): see infra/find-python's advice above" >&2; exit 1; }
	rm -rf $(CHECKOV_VENV)
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	touch $@

## ruff, mypy, and checkov on template.yaml (a check that does not fit is skipped in the template, with why)
lint: $(STAMP) $(CHECKOV_MADE)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/shared/imagegen infra/local/devstack infra/local/standins infra/tools/stacktools infra/smoke.py infra/deploy.py \
		infra/redrive_failed_events.py functions bench
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --quiet --compact --skip-download

## Regenerate the OpenAPI document from the code (docs/openapi.json; a test fails when it is stale)
openapi: $(STAMP)
	$(PY) -m stacktools.openapi

validate: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml

## Every benchmark, written to BENCHMARKS.md; `$(PY) -m bench page` runs only the sections named (--help)
bench: $(STAMP) browser
	$(PY) -m bench

# SAM CLI pins its own pydantic, so it lives in a venv of its own.
SAM_VENV := .venv-sam
$(SAM_VENV)/bin/sam:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli

## Deployable artifacts in .aws-sam/build (layer for arm64 / Python 3.13, no container needed)
# The layer's Makefile compiles its bytecode with our .venv's Python, the runtime's version.
build: $(SAM_VENV)/bin/sam $(STAMP)
	LAMBDA_PYTHON=$(RUNTIME_PYTHON) BYTECODE_PYTHON=$(abspath $(PY)) $(SAM_VENV)/bin/sam build

## Build and deploy one environment of samconfig.toml: make deploy ENV=dev GOOGLE_CLIENT_ID=... (README)
# (Handed to the deploy alone: exported, an unset ADMIN_EMAILS would empty make dev's admins.)
ENV ?= dev
deploy: build
	GOOGLE_CLIENT_ID="$(GOOGLE_CLIENT_ID)" ALLOWED_ORIGINS="$(ALLOWED_ORIGINS)" ADMIN_EMAILS="$(ADMIN_EMAILS)" \
		ALARM_EMAIL="$(ALARM_EMAIL)" $(PY) infra/deploy.py $(ENV) --sam $(SAM_VENV)/bin/sam

## Vendor the front end's libraries again from npm, at the versions web/vendor/vendor.json pins (needs npm)
vendor:
	cd web/vendor && python3 -c 'import json; [print(p["package"], p["version"], p["from"], p["file"]) for p in json.load(open("vendor.json")).values()]' \
		| while read -r package version from file; do ./fetch.sh "$$package" "$$version" "$$from" "$$file"; done

## Compile the front end's templates (web/**/*.template.html) to the render functions beside them,
## with Vue's compiler at the vendored Vue's version (needs npm; a test says when they are due)
templates:
	cd infra/web-templates && npm ci --silent --no-audit --no-fund && node compile.mjs

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
