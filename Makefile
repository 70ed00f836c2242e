# Every target creates what it needs from nothing: a fresh clone needs only python3, npm and make.
SHELL := /bin/bash
# A failing command anywhere in a pipeline fails the recipe (setup pipes pip through a filter).
.SHELLFLAGS := -o pipefail -ec
.DEFAULT_GOAL := help

VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
NODE_BIN := $(CURDIR)/node_modules/.bin
# jsii warns that the machine's Node 20 is end-of-life: run it, and the CDK CLI, on the pinned Node 22.
export JSII_NODE := $(NODE_BIN)/node
export PATH := $(NODE_BIN):$(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: help setup synth lint test test-fast mutate bench demo dist docs integ-snapshot integ-deploy probe clean

help:
	@echo "make setup   - .venv (project + dev tools) and node_modules (Node 22, CDK CLI)"
	@echo "make demo    - synthesize the sample app and deploy it offline on a loopback AWS"
	@echo "make synth   - synthesize the sample app into cdk.out/ with the pinned CDK CLI"
	@echo "make test    - lint, type-check and run every test tier"
	@echo "make mutate  - mutation testing (mutmut) of the handler and the construct's checks; slow, not in make test"
	@echo "               MUTANTS='comprehend_cr.arns.*' re-tests only those mutants of the last run"
	@echo "make bench   - print the benchmark figures"
	@echo "make dist    - build the sdists and wheels of both distributions (construct, rehearsal) into dist/ and twine-check them"
	@echo "make docs    - the API reference of cdk_comprehend_endpoint, from its docstrings, into build/docs/ (offline)"
	@echo "make integ-snapshot - rewrite the committed snapshot of integ/integ_comprehend_endpoint.py (offline)"
	@echo "make integ-deploy MODEL_ARN=arn:... - deploy, assert, rename, assert, destroy on a real account (costs money)"
	@echo "make probe MODEL_ARN=arn:... [OTHER_MODEL_ARN=...] [FAILING_MODEL_ARN=...] [ENDPOINT_URL=...] - check the"
	@echo "               project's assumptions about AWS on a real account, report in probe-report/ (costs money);"
	@echo "               [QUOTA_PROBE_MAX_UNITS=N] lets the quota probe fill a regional quota of up to N units (costly)"
	@echo "make clean   - remove everything the targets create"

setup: $(VENV)/.installed node_modules/.installed

# Both distributions, editable: the construct (with its dev extra), then the rehearsal from ./loopback. The
# construct's `rehearse` extra is not asked for: it names cdk-comprehend-endpoint-rehearse, not on any index yet.
# The rehearsal comes last, in its own pip run: in a .venv made before the split, its console script belonged
# to the construct's distribution, and replacing that deletes it.
$(VENV)/.installed: pyproject.toml loopback/pyproject.toml requirements.txt
	@echo "==> Creating .venv/ and installing the project with its pinned dependencies (aws-cdk-lib, jsii," \
	      "boto3, crhelper and the dev tools): about a minute on a fresh machine ..."
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt -e '.[dev]' \
	  | awk '/^Collecting/ { sub(/ \(from .*/, ""); print "    " $$0; fflush() } \
	         /^Installing collected packages/ { print "    unpacking and installing them (the longest part) ..."; fflush() } \
	         /^Successfully installed/ { print "    installed " NF - 2 " packages"; fflush() }'
	$(PY) -m pip install --quiet --disable-pip-version-check -e ./loopback
	touch $@

node_modules/.installed: package.json package-lock.json
	@echo "==> Installing Node.js 22 and the pinned AWS CDK CLI into node_modules/ (npm ci) ..."
	npm ci --no-audit --no-fund --loglevel=error
	@echo "    node $$($(NODE_BIN)/node --version), cdk $$($(NODE_BIN)/cdk --version 2>/dev/null | cut -d' ' -f1)"
	touch $@

synth: setup
	cdk synth --quiet
	@echo "synthesized into cdk.out/: $$(ls cdk.out/*.template.json)"

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy constructs/cdk_comprehend_endpoint lambda loopback/comprehend_loopback app.py
	$(PY) -m mypy tests bench demo integ tools

test: lint
	$(PY) -m pytest -n 2 --dist loadgroup --cov --cov-branch --cov-report=term-missing:skip-covered

test-fast: setup
	$(PY) -m pytest -m "not slow" -q

# Mutation testing on the fast tier (see tools/mutate.py and docs/mutation.md): prints the figures per module
# and every mutant that is neither killed nor explained in docs/mutation-equivalents.md (exit 1 if any).
mutate: setup
	$(PY) tools/mutate.py $(MUTANTS)

bench: setup
	$(PY) -m bench

demo: setup
	$(PY) -m demo

# The release artifacts of both distributions, each an sdist and the wheel built from it: the construct's
# (cdk-comprehend-endpoint, from .) and the rehearsal's (cdk-comprehend-endpoint-rehearse, from loopback/).
# `make test` builds and checks the same in tests/consumer (test_packaging.py), with the construct's wheel
# installed at the pinned and the minimum versions and the rehearsal's beside it.
dist: setup
	rm -rf dist
	$(PY) -m build --outdir dist .
	$(PY) -m build --outdir dist loopback
	$(PY) -m twine check --strict dist/*

# The API reference: pdoc (pinned in the dev extra) renders the public API of cdk_comprehend_endpoint (its
# __all__) from the docstrings into $(DOCS_DIR)/, offline. Importing the library starts aws-cdk-lib's jsii
# kernel, a Node process, which pdoc refuses during an import unless PDOC_ALLOW_EXEC is set.
# tests/synth/test_api_reference.py runs this target.
DOCS_DIR := build/docs
docs: setup
	rm -rf $(DOCS_DIR)
	PDOC_ALLOW_EXEC=1 $(PY) -m pdoc --docformat restructuredtext --no-search \
	  --footer-text "cdk-comprehend-endpoint $$($(PY) -c 'import importlib.metadata as m; print(m.version("cdk-comprehend-endpoint"))')" \
	  --output-directory $(DOCS_DIR) cdk_comprehend_endpoint
	@echo "API reference written to $(DOCS_DIR)/cdk_comprehend_endpoint.html"

# The integ test's snapshot (integ/integ_comprehend_endpoint.py.snapshot/): synthesized offline with the
# pinned CDK CLI and a placeholder model. `make test` fails while it differs from the app: rerun this
# after changing the construct, the handler or the integ app, review the diff and commit it.
integ-snapshot: setup
	$(PY) -m integ.snapshot update

# Never run by CI: deploys real endpoints (about $2 a run, see README). Needs AWS credentials for a
# bootstrapped account and MODEL_ARN, a trained model in the region to test in.
integ-deploy:
	@if [ -z "$(strip $(MODEL_ARN))" ]; then \
	  echo "make integ-deploy needs MODEL_ARN, the ARN of a trained Comprehend model to serve, e.g." >&2; \
	  echo "  make integ-deploy MODEL_ARN=arn:aws:comprehend:us-east-1:123456789012:document-classifier/my-model" >&2; \
	  exit 2; \
	fi
	@$(MAKE) --no-print-directory setup
	MODEL_ARN='$(strip $(MODEL_ARN))' $(PY) -m integ.deploy

# Never run by CI: the probes of docs/probes.md on a real account (about $1.95-$5.55 a run, printed first;
# more with QUOTA_PROBE_MAX_UNITS, which lets the quota probe fill the regional inference-unit quota).
# Refuses (exit 2) without MODEL_ARN or without credentials, before any call; writes probe-report/.
probe:
	@if [ -z "$(strip $(MODEL_ARN))" ]; then \
	  echo "make probe needs MODEL_ARN, the ARN of a trained Comprehend model in the region to probe, e.g." >&2; \
	  echo "  make probe MODEL_ARN=arn:aws:comprehend:us-east-1:123456789012:document-classifier/my-model" >&2; \
	  exit 2; \
	fi
	@$(MAKE) --no-print-directory setup
	MODEL_ARN='$(strip $(MODEL_ARN))' OTHER_MODEL_ARN='$(strip $(OTHER_MODEL_ARN))' \
	  FAILING_MODEL_ARN='$(strip $(FAILING_MODEL_ARN))' ENDPOINT_URL='$(strip $(ENDPOINT_URL))' \
	  QUOTA_PROBE_MAX_UNITS='$(strip $(QUOTA_PROBE_MAX_UNITS))' $(PY) -m integ.probes --out probe-report

clean:
	rm -rf $(VENV) node_modules cdk.out integ/cdk-integ.out probe-report build dist .mypy_cache .pytest_cache .ruff_cache .coverage
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
