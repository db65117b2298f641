#!/usr/bin/env bash
# The main job: set up, then execute the walkthrough notebook on the shipped demo model and
# write the executed notebook and its offline HTML export into out/ (or $GLASSBOX_OUT).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT=${GLASSBOX_OUT:-out}
.venv/bin/glassbox run notebooks/quickstart.ipynb --output "$OUT"
echo "open $OUT/quickstart.html in a browser, or run: .venv/bin/jupyter lab notebooks/quickstart.ipynb"
