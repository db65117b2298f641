#!/usr/bin/env bash
# Set up, then run every test: lint, the JS unit tests (vitest), and the Python suite including
# the browser end-to-end test (JupyterLab driven in headless Chromium). Fails if no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo; echo "== ruff"
.venv/bin/ruff check .

echo; echo "== layers (import-linter: no import cycles, finding/ at the bottom, capabilities independent)"
.venv/bin/lint-imports

echo; echo "== types (mypy; strict on finding/, teacher/, widgets/)"
.venv/bin/mypy

echo; echo "== JS tests (vitest) and types (tsc)"
(cd js && npm test --silent && npm run typecheck --silent)

echo; echo "== Python tests (pytest)"
# pytest exits 5 when it collects nothing, which fails this script too.
.venv/bin/python -m pytest -p no:cacheprovider -q -rs --durations=10 "$@"
