#!/usr/bin/env bash
# Create benchmarks/.venv-glassbox2: a separate virtual environment for the real Glassbox 2.0 library
# (PyPI `glassbox-mech-interp`), run by benchmarks/glassbox2_runner.py for benchmarks/bench_compat.py.
#
# glassbox-mech-interp 4.6.0 requires torch<2.11, transformer-lens<3.0 and numpy<2; the main venv has
# torch 2.13 (CPU), transformer-lens 3.9 and numpy 2, so it cannot share it. No CPU build of torch 2.10
# is reachable here (only PyPI, whose Linux x86_64 torch wheels are CUDA builds: torch-2.10.0 is a
# 915 MB wheel plus ~3 GB of nvidia-* wheels; the venv is 7.7 GB installed); that build runs on the CPU. Measured
# here: the download ran at ~45 MB/s, so the whole venv takes a few minutes.
# The venv holds a `.gitignore` of `*` so that git ignores it without a change to the repo's .gitignore.
# Idempotent: when the venv already holds exactly these pins it exits at once, printing nothing.
#
# Usage: bash benchmarks/setup_glassbox2.sh        (PYTHON=/path/to/python3.11 to choose the interpreter)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv-glassbox2"
STAMP="$VENV/.glassbox2-pins"
LOG="$VENV/setup.log"

# Versions inside glassbox-mech-interp 4.6.0's bounds that run together
# (transformer-lens 2.18 / transformers 4.57 / numpy 1.26 are the set benchmarks/setup_acdc.sh verified; pyarrow 26,
# pulled in through transformer-lens -> datasets, needs numpy 2 and fails at import, so it is pinned to 25).
PINS="$(cat <<'PINS_EOF'
glassbox-mech-interp==4.6.0
torch==2.10.0
transformer-lens==2.18.0
transformers==4.57.6
numpy==1.26.4
pyarrow==25.0.1
PINS_EOF
)"
WANT="$(printf '%s\n' "$PINS" | sha256sum | cut -d' ' -f1)"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$VENV/bin/python" ]] &&
  "$VENV/bin/python" -I -c "import glassbox, transformer_lens, torch" >/dev/null 2>&1; then
  exit 0
fi

LOGGING=0
fail() {
  echo "setup_glassbox2.sh: FAILED: $1" >&2
  if [[ "$LOGGING" == 1 && -f "$LOG" ]]; then
    echo "--- last lines of $LOG:" >&2
    grep -v "WARNING: Location" "$LOG" | tail -n 15 >&2
  fi
  echo "Fix the cause and re-run; or start clean with: rm -rf '$VENV' && bash '$0'" >&2
  exit 1
}

PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
  for cand in python3.11 python3.12 python3.10 python3; do
    if command -v "$cand" >/dev/null 2>&1; then PY="$cand"; break; fi
  done
fi
[[ -n "$PY" ]] || fail "no python3 found (set PYTHON=/path/to/python3.11)"
"$PY" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] < (3, 13)))' ||
  fail "$PY is not Python 3.10-3.12 (set PYTHON=...)"

echo "setup_glassbox2.sh: creating $VENV (glassbox-mech-interp 4.6.0, torch 2.10 CUDA build from PyPI, 7.7 GB; a few minutes) ..." >&2
rm -f "$STAMP"
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV" || fail "python -m venv $VENV"
fi
printf '*\n' >"$VENV/.gitignore"
: >"$LOG"
LOGGING=1
PIP=("$VENV/bin/pip" --disable-pip-version-check --no-input)
REQS="$(mktemp)"
trap 'rm -f "$REQS"' EXIT
printf '%s\n' "$PINS" >"$REQS"
# PIP_CONSTRAINT="" : a machine-wide constraints file must not veto the pins above.
PIP_CONSTRAINT="" "${PIP[@]}" install -r "$REQS" >>"$LOG" 2>&1 || fail "pip install of the pinned Glassbox 2.0 stack"
"${PIP[@]}" check >>"$LOG" 2>&1 || fail "pip check (conflicting versions)"
# -I: run from the repo root, the path would otherwise put GlassBox's own `glassbox` package first.
"$VENV/bin/python" -I -c "
from glassbox import GlassboxV2
import transformer_lens, numpy, torch
from importlib.metadata import version
assert version('glassbox-mech-interp') == '4.6.0' and numpy.__version__.startswith('1.'), 'wrong versions'
" >>"$LOG" 2>&1 || fail "import check of glassbox (Glassbox 2.0) / transformer_lens"
"${PIP[@]}" freeze >"$VENV/freeze.txt" 2>>"$LOG" || true
echo "$WANT" >"$STAMP"
echo "setup_glassbox2.sh: ready: $VENV/bin/python benchmarks/glassbox2_runner.py INPUT.json [OUTPUT.json]" >&2
