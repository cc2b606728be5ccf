# The front door. Every target installs what it needs itself.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
ENV ?= staging
export SAM_CLI_TELEMETRY := 0
export POWERTOOLS_TRACE_DISABLED := true

.PHONY: setup demo local test unit integration e2e lint format build bench deploy clean fuzz security lock

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

setup: $(STAMP) ## create .venv and install the package with dev extras

demo: setup ## scripted scenario against an embedded moto server, with a Slack transcript
	POWERTOOLS_LOG_LEVEL=WARNING $(PY) -m devtools.demo

local: setup ## keep the offline stack up and send one signed slash command at a time
	POWERTOOLS_LOG_LEVEL=WARNING $(PY) -m devtools.cli

# The security tests mostly wait out botocore's retry back-off, so two pytest-xdist workers share the run.
# TEST_JOBS=0 runs them in this process (pdb, -s).
TEST_JOBS ?= 2
test: setup ## unit + integration tests, and the fast subset of the fuzzing and security campaign (no network, no docker)
	$(PY) -m pytest tests/unit tests/integration tests/fuzz tests/security -n $(TEST_JOBS) --dist worksteal

fuzz: setup ## property-based fuzzing of every parser and renderer: 10,000 examples per target (Hypothesis; long)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/fuzz -p no:cacheprovider -q

# The campaign mostly waits out botocore's retry back-off: three workers keep two cores about busy.
SECURITY_JOBS ?= 3
security: setup ## the reliability and security campaign in full, in SECURITY_JOBS processes; prints its figures (docs/security.md)
	POWERTOOLS_LOG_LEVEL=WARNING $(PY) -m devtools.security --jobs $(SECURITY_JOBS)

e2e: setup ## sam build + sam local invoke of every function with every event (installs docker itself)
	bash scripts/e2e/prepare.sh
	$(PY) -m pytest tests/e2e -m e2e -p no:cacheprovider

lint: setup ## ruff, mypy and sam validate --lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/sam validate --lint --region af-south-1

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

build: setup
	$(VENV)/bin/sam build

bench: setup ## ack latency, storm, layer sizes, Lambda-like cold start and memory table (docker; ~15 min)
	bash scripts/e2e/prepare.sh  # docker and the python3.13 image: the build compiles bytecode with it
	$(VENV)/bin/sam build
	POWERTOOLS_LOG_LEVEL=WARNING $(PY) -m devtools.bench

deploy: build ## sam deploy --config-env $(ENV) (needs AWS credentials)
	$(VENV)/bin/sam deploy --config-env $(ENV)

lock: ## regenerate layers/dependencies/requirements.txt (all pins, hashed) from requirements.in; LOCK_ARGS=--upgrade
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && python3 -m venv "$$tmp" && \
		"$$tmp/bin/pip" install --quiet --disable-pip-version-check pip-tools==7.7.0 && \
		cd layers/dependencies && CUSTOM_COMPILE_COMMAND="make lock  (edit requirements.in, not this file)" \
		"$$tmp/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links --no-emit-trusted-host $(LOCK_ARGS) --output-file requirements.txt requirements.in

clean:
	rm -rf .aws-sam $(VENV) .pytest_cache .mypy_cache .ruff_cache
