# tidecast: `make dev` runs the platform on embedded defaults; `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# What runs tidecast (requirements.lock) and, for tests only, the tools (requirements-dev.lock).
RUNTIME := $(VENV)/.runtime-installed
DEVTOOLS := $(VENV)/.dev-installed
# localstripe, a local fake of Stripe's API: `tidecast dev` runs it for the card path (no money).
DEVSTRIPE := $(VENV)/.localstripe-installed
# openapi-python-client in an environment of its own (it pins typer below tidecast's).
CODEGEN := $(VENV)/codegen/.installed

# Bytecode is kept (in __pycache__, which git ignores) even where the environment sets
# PYTHONDONTWRITEBYTECODE: without it every process compiled tidecast again and pytest rewrote
# every test module's asserts again, 12 of the 15 s each xdist worker spent collecting.
export PYTHONDONTWRITEBYTECODE :=

.PHONY: dev test test-fast setup setup-dev system-deps lint lint-js js-types js-types-check typecheck docs contracts client vendor bench clean

# pip says nothing while it works (--quiet), so each long step says what it is doing first: the
# first `make dev` on a fresh machine spends a minute or two here.
$(RUNTIME): requirements.lock pyproject.toml
	@test -x $(BIN)/python || { echo "make: creating the virtualenv $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "make: installing the pinned runtime dependencies (requirements.lock) into $(VENV): a minute or two the first time, quiet while pip works"
	$(PIP) -r requirements.lock
	@echo "make: installing tidecast itself (editable)"
	$(PIP) --no-deps -e . --config-settings editable_mode=compat
	@touch $(RUNTIME)
	@echo "make: $(VENV) is ready"

$(DEVTOOLS): $(RUNTIME) requirements-dev.lock
	@echo "make: installing the pinned test and docs tools (requirements-dev.lock): quiet while pip works"
	$(PIP) -r requirements.lock -r requirements-dev.lock
	@touch $(DEVTOOLS)

$(DEVSTRIPE): $(RUNTIME) requirements-dev.lock
	@echo "make: installing localstripe (requirements-dev.lock), the local fake of Stripe \`tidecast dev\` pays cards with"
	$(PIP) "$$(grep -E '^localstripe==' requirements-dev.lock)"
	@touch $(DEVSTRIPE)

$(CODEGEN): requirements-codegen.lock
	@test -x $(VENV)/codegen/bin/python || $(PYTHON) -m venv $(VENV)/codegen
	$(VENV)/codegen/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-codegen.lock
	@touch $(CODEGEN)

# Node tools for the tests (Anvil, a real Ethereum node; ethers.js), exactly as package-lock.json
# pins them. Install scripts are skipped: Anvil's binary ships in its platform package.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund && touch $@; \
	else \
		echo "npm not found: the Anvil and ethers.js tests will skip (and fail under CI=true)"; \
	fi

setup: $(RUNTIME)

setup-dev: $(DEVTOOLS) $(CODEGEN) node_modules/.installed

dev: setup $(DEVSTRIPE)
	@echo "make: starting the dev server (tidecast dev): migrating the database, the chain, IPFS, mail and the card fake come up first"
	$(BIN)/tidecast dev

# System packages the tests need (PostgreSQL server binaries, Redis, chromium); from apt when missing.
system-deps:
	@bash scripts/system-deps.sh

lint: setup-dev
	$(BIN)/ruff check tidecast tests bench
	$(BIN)/ruff format --check tidecast tests bench

typecheck: setup-dev
	$(BIN)/mypy tidecast

# The pages' JavaScript (public/, served as it is: `make dev` needs no Node): ESLint
# (eslint.config.js), then TypeScript's checker over the JSDoc types (tsconfig.json: checkJs,
# nothing emitted), after checking that the API's types (public/js/types/api.d.ts) are those
# openapi.json gives today. Without npm this skips with a word, and fails under CI=true.
NODE_BIN := node_modules/.bin
JS_TYPES := public/js/types/api.d.ts

lint-js: node_modules/.installed
	@if [ ! -x $(NODE_BIN)/eslint ] || [ ! -x $(NODE_BIN)/tsc ]; then \
		if [ "$$CI" = true ]; then echo "make: lint-js: ESLint and TypeScript are not installed (npm missing?) and CI=true: failing"; exit 1; fi; \
		echo "make: lint-js: npm not found, so the pages' JavaScript is not checked (run \`make setup-dev\` with Node installed)"; \
	else \
		failed=0; \
		$(MAKE) --no-print-directory js-types-check || failed=1; \
		echo "make: eslint (public/, eslint.config.js)"; $(NODE_BIN)/eslint --max-warnings 0 || failed=1; \
		echo "make: tsc -p tsconfig.json (checkJs over the pages)"; $(NODE_BIN)/tsc -p tsconfig.json || failed=1; \
		exit $$failed; \
	fi

# The API's types for the pages' JSDoc, generated from openapi.json by the pinned
# openapi-typescript and committed; public/js/types/index.d.ts gives them friendly names.
js-types: node_modules/.installed
	$(NODE_BIN)/openapi-typescript openapi.json --output $(JS_TYPES)

# Fails while the committed api.d.ts differs from a fresh generation (`make js-types` fixes it).
js-types-check: node_modules/.installed
	@fresh="$$(mktemp -d)"; trap 'rm -rf "$$fresh"' EXIT; \
	$(NODE_BIN)/openapi-typescript openapi.json --output "$$fresh/api.d.ts" >/dev/null 2>"$$fresh/log" || { cat "$$fresh/log"; exit 1; }; \
	diff -u $(JS_TYPES) "$$fresh/api.d.ts" >"$$fresh/diff" || { head -40 "$$fresh/diff"; echo "make: $(JS_TYPES) is stale against openapi.json: run \`make js-types\` and commit it"; exit 1; }

# Compile the Vyper contracts into the committed artifacts (tidecast/chain/artifacts/*.json);
# tests/unit/test_contract_artifacts.py fails while an artifact differs from a fresh compile.
contracts: setup-dev
	$(BIN)/python -m tidecast.chain.compile
	$(BIN)/python -m tidecast.chain.browser

# Generate the Python client (tidecast/client/_generated) from openapi.json with the pinned
# openapi-python-client; tests/unit/test_client_generated.py fails while it differs from a fresh one.
client: setup-dev
	$(BIN)/tidecast api client

# hls.js (the site's HLS player) and ethers (the pages' wallet and contract client, its ES module
# build) are committed under public/vendor/ so that `make dev` (which runs no npm) and any static
# host serve them as they are; this refreshes those copies from the versions package.json pins,
# and the contracts' ABIs the pages load (public/js/contracts.json) from the compiled artifacts.
# tests/unit/test_vendored_assets.py fails while a copy differs from the pinned package.
vendor: node_modules/.installed setup
	mkdir -p public/vendor/hls.js public/vendor/ethers public/vendor/swagger-ui-dist
	cp node_modules/hls.js/dist/hls.min.js node_modules/hls.js/LICENSE public/vendor/hls.js/
	cp node_modules/ethers/dist/ethers.min.js node_modules/ethers/LICENSE.md public/vendor/ethers/
	cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
		node_modules/swagger-ui-dist/LICENSE public/vendor/swagger-ui-dist/
	$(BIN)/python -m tidecast.chain.browser

# The documentation site (mkdocs.yml, docs/) into site/ (git-ignored). --strict turns every
# warning into a failure: a link to a page or an anchor that does not exist breaks the build.
docs: setup-dev
	$(BIN)/mkdocs build --strict --quiet --site-dir site

# The suite on several processes (pytest-xdist): most tests wait (blocks a second apart,
# subprocesses and servers starting, outages lasting) rather than compute, so more workers than
# the two cores of a CI machine still shorten the run. Tests that share a module-scoped fixture
# stay on one worker (`--dist loadgroup`, tests/conftest.py). TEST_WORKERS=0 runs them serially.
TEST_WORKERS ?= 3
PYTEST_PARALLEL := -n $(TEST_WORKERS) --dist loadgroup
# The edit loop has no long timing bounds to keep, and four workers beat three on two cores there
# (167 s against 175 s, BENCHMARKS.md); `make test` keeps three, its outages and leases are timed.
FAST_WORKERS ?= 4

test: setup-dev system-deps lint typecheck lint-js docs
	$(BIN)/pytest $(PYTEST_PARALLEL) --durations=25

# The edit loop: every test once, on the embedded defaults, in parallel, without the lint and
# type checks. It leaves out the tests marked `slow` (a whole platform, a browser, an outage that
# lasts, a long encode) and `engines` (the same tests again on PostgreSQL, Redis, Anvil, js-ipfs, SeaweedFS).
test-fast: setup-dev
	$(BIN)/pytest -n $(FAST_WORKERS) --dist loadgroup -m "not slow and not engines"

bench: setup-dev
	@bash scripts/system-deps.sh bench
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/devserver.py
	$(BIN)/python bench/email_outbox.py
	$(BIN)/python bench/auth.py
	$(BIN)/python bench/chain.py
	$(BIN)/python bench/keys.py
	$(BIN)/python bench/keys_cpu.py
	$(BIN)/python bench/ipfs.py
	$(BIN)/python bench/receiver.py
	$(BIN)/python bench/probe.py
	$(BIN)/python bench/hls.py --frontier
	$(BIN)/python bench/live.py
	$(BIN)/python bench/production_load.py
	$(BIN)/python bench/billing.py
	$(BIN)/python bench/site.py

clean:
	rm -rf $(VENV) .tidecast .pytest_cache .mypy_cache .ruff_cache node_modules site
