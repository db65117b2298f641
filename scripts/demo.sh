#!/usr/bin/env bash
# The main job: set up, then run `glassbox demo`: execute notebooks/annex_iv_walkthrough.ipynb on the
# shipped demo models and write the Annex IV report (HTML, PDF, JSON) and the executed notebook into
# ./glassbox-demo/ under the current directory (extra arguments go to `glassbox demo`, e.g. --out DIR).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
bash "$REPO/scripts/setup.sh"
"$REPO/.venv/bin/glassbox" demo "$@"
