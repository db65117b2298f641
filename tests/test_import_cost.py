"""Loading the package or the extension must not pull in heavy libraries (import time is
benchmarked in benchmarks/bench_import.py; here we check *what* gets imported)."""

import json
import subprocess
import sys

HEAVY = ["torch", "sklearn", "transformer_lens", "pyoperon", "sae_lens", "altair", "pandas", "scipy"]


def _loaded_after(code: str) -> list[str]:
    probe = code + f"\nimport sys, json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_glassbox_is_light():
    assert _loaded_after("import glassbox, glassbox_jupyter") == []


def test_load_ext_is_light():
    code = (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "shell.run_line_magic('load_ext', 'glassbox')\n"
        "assert 'glassbox' in shell.magics_manager.magics['line']\n"
    )
    assert _loaded_after(code) == []
