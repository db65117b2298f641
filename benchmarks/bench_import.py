"""How long `import glassbox` and `%load_ext glassbox` take in fresh processes.

Target: under 0.5 s each on a 2-core machine. For scale, the table also times importing the
heavy libraries GlassBox defers until a command needs them.

    python benchmarks/bench_import.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

SNIPPETS = {
    "import glassbox": "import glassbox",
    "%load_ext glassbox": (
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "shell = InteractiveShell.instance()\n"
        "import time; t0 = time.perf_counter()\n"
        "shell.run_line_magic('load_ext', 'glassbox')\n"
        "print('T', time.perf_counter() - t0)"
    ),
    "import torch (deferred)": "import torch",
    "import sklearn (deferred)": "import sklearn",
    "import transformer_lens (deferred)": "import transformer_lens",
}
# %load_ext is timed inside the process (IPython itself is already loaded in any kernel);
# the imports are timed with a fresh interpreter each, minus the bare interpreter's start-up.
TIMER = "import time; t0 = time.perf_counter()\n{code}\nprint('T', time.perf_counter() - t0)"


def time_snippet(code: str) -> float:
    source = code if "print('T'" in code else TIMER.format(code=code)
    out = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, check=True)
    return float(next(line for line in out.stdout.splitlines() if line.startswith("T ")).split()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    for label, code in SNIPPETS.items():
        times = [time_snippet(code) for _ in range(args.repeats)]
        rows.append((label, statistics.median(times), min(times)))
    base = rows[0][1]
    print(f"{'what':<36} {'median s':>9} {'best s':>8} {'× import glassbox':>18} {'target':>8}")
    for label, median, best in rows:
        target = "< 0.5 s" if "glassbox" in label else ""
        ok = "" if not target else (" ok" if median < 0.5 else " SLOW")
        print(f"{label:<36} {median:>9.3f} {best:>8.3f} {median / base:>18.1f} {target:>8}{ok}")


if __name__ == "__main__":
    main()
