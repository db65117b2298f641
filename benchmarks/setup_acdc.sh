#!/usr/bin/env bash
# Create benchmarks/.venv-acdc: a separate virtual environment for auto-circuit's ACDC (benchmarks/acdc_runner.py).
#
# auto-circuit 1.0.1 needs transformer-lens 2.x (the main venv has 3.9), numpy < 2 and pyarrow 25, so it
# cannot share the main venv. Every package is pinned to the set verified to work (see benchmarks/ACDC.md).
# Idempotent: when the venv already holds exactly these pins it exits at once, printing nothing.
#
# Usage: bash benchmarks/setup_acdc.sh            (PYTHON=/path/to/python3.11 to choose the interpreter)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv-acdc"
STAMP="$VENV/.acdc-pins"
LOG="$VENV/setup.log"

# torch first, on its own: 2.13.0 is the local CPU build (an unpinned torch would pull a multi-GB CUDA build).
TORCH_PIN="torch==2.13.0"
# `pip freeze` of the working venv (torch excluded: installed above). auto-circuit's own pins are loose
# (torch>=2.1.1, transformer-lens>=1.13.0); these are the versions that resolve and run together.
PINS="$(cat <<'EOF'
auto-circuit==1.0.1
transformer-lens==2.18.0
transformers==4.57.6
numpy==1.26.4
pyarrow==25.0.1
absl-py==2.5.1
accelerate==1.15.0
aiohappyeyeballs==2.7.1
aiohttp==3.14.5
aiosignal==1.4.0
annotated-types==0.8.0
anyio==4.16.0
attrs==26.1.0
beartype==0.14.1
better-abc==0.0.3
blobfile==3.3.0
certifi==2026.10.18
charset-normalizer==3.5.2
chex==0.1.92
click==8.5.1
cwevals==0.0.1b1
datasets==5.0.1
dill==0.4.1
distro==1.9.0
dm-haiku==0.0.17
einops==0.8.2
fancy-einsum==0.0.3
filelock==4.2.11
frozenlist==1.8.0
fsspec==2026.6.0
googleapis-common-protos==1.76.0
h11==0.16.0
hf-xet==1.8.0
httpcore==1.0.9
httpx==0.28.1
huggingface_hub==0.36.2
idna==3.20
jax==0.7.1
jaxlib==0.7.1
jaxtyping==0.3.11
Jinja2==3.1.6
jmp==0.0.4
kaleido==0.2.1
lxml==6.1.3
markdown-it-py==4.3.0
MarkupSafe==3.0.4
mdurl==0.1.2
ml_dtypes==0.5.4
mpmath==1.3.0
multidict==7.2.1
multiprocess==0.70.19
narwhals==2.29.0
networkx==3.6.1
opentelemetry-api==1.45.2
opentelemetry-exporter-http-transport==0.66b2
opentelemetry-exporter-otlp-common==0.66b2
opentelemetry-exporter-otlp-proto-common==1.45.2
opentelemetry-exporter-otlp-proto-http==1.45.2
opentelemetry-proto==1.45.2
opentelemetry-sdk==1.45.2
opentelemetry-semantic-conventions==0.66b2
opt_einsum==3.4.0
ordered-set==4.1.0
packaging==26.3
pandas==2.0.3
platformdirs==4.14.7
plotly==7.1.0
propcache==0.5.4
protobuf==7.36.2
psutil==7.2.2
pycryptodomex==3.24.2
pydantic==2.14.3
pydantic_core==2.50.4
Pygments==2.21.0
python-dateutil==4.0.0
pytz==2026.6
PyYAML==6.0.3
regex==2026.11.15
requests==2.34.2
rich==15.0.0
safetensors==0.8.0
scipy==1.17.1
sentencepiece==0.2.3
sniffio==1.3.1
sympy==1.14.0
tabulate==0.10.0
tokenizers==0.22.2
toolz==1.2.0
tqdm==4.70.1
tracr-pypi==1.0.0
transformers-stream-generator==0.0.5
typeguard==4.6.0
typing-inspection==0.4.5
typing_extensions==4.16.0
tzdata==2026.6
urllib3==2.8.0
vscode-tqdm==4.66.2
wadler_lindig==0.1.8
wandb==0.31.0
wget==3.2
word2word==1.0.0
xxhash==4.1.0
yarl==1.25.1
EOF
)"
WANT="$(printf '%s\n%s\n' "$TORCH_PIN" "$PINS" | sha256sum | cut -d' ' -f1)"

# Fast path: already set up with exactly these pins and importable.
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$VENV/bin/python" ]] &&
  "$VENV/bin/python" -c "import importlib.util as u; assert u.find_spec('auto_circuit') and u.find_spec('torch')" \
    >/dev/null 2>&1; then
  exit 0
fi

LOGGING=0
fail() {
  echo "setup_acdc.sh: FAILED: $1" >&2
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
command -v "$PY" >/dev/null 2>&1 || fail "PYTHON=$PY is not an executable (set PYTHON=/path/to/python3.11)"
"$PY" -c 'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] < (3, 13)))' ||
  fail "$PY is Python $("$PY" -c 'import sys; print(sys.version.split()[0])'); auto-circuit needs 3.10-3.12 (set PYTHON=...)"

echo "setup_acdc.sh: creating $VENV (torch 2.13 CPU, auto-circuit 1.0.1, transformer-lens 2.18; a few minutes) ..." >&2
rm -f "$STAMP"
if [[ ! -x "$VENV/bin/python" ]]; then
  "$PY" -m venv "$VENV" || fail "python -m venv $VENV"
fi
: >"$LOG"
LOGGING=1
PIP=("$VENV/bin/pip" --disable-pip-version-check --no-input)
"${PIP[@]}" install "$TORCH_PIN" >>"$LOG" 2>&1 || fail "pip install $TORCH_PIN"
REQS="$(mktemp)"
trap 'rm -f "$REQS"' EXIT
printf '%s\n' "$TORCH_PIN" "$PINS" >"$REQS"
"${PIP[@]}" install -r "$REQS" >>"$LOG" 2>&1 || fail "pip install of the pinned auto-circuit stack"
"${PIP[@]}" check >>"$LOG" 2>&1 || fail "pip check (conflicting versions)"
"$VENV/bin/python" -c "
import auto_circuit.prune_algos.ACDC, transformer_lens, numpy, torch
from importlib.metadata import version
assert version('transformer-lens') == '2.18.0' and numpy.__version__.startswith('1.'), 'wrong versions'
" >>"$LOG" 2>&1 || fail "import check of auto_circuit / transformer_lens"
echo "$WANT" >"$STAMP"
echo "setup_acdc.sh: ready: $VENV/bin/python benchmarks/acdc_runner.py INPUT.json [OUTPUT.json]" >&2
