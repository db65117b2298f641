"""Annex IV report benchmark: the walkthrough notebook → HTML and → PDF, execution included and excluded.

Rows, on this machine, in one run (each timing the median of ``--repeat`` runs, cold Python caches aside):

* **GlassBox, HTML** and **GlassBox, PDF**: ``export_notebook`` on ``notebooks/annex_iv_walkthrough.ipynb``
  with ``execute=True`` (a fresh kernel runs every cell: the loan rules, the gas-law equation, the IOI circuit
  and the audit of the local language model) and on the already executed notebook (report building and
  rendering only; the PDF adds printing through headless Chromium);
* **nbconvert HTML** (the peer: ``jupyter nbconvert --to html``'s ``HTMLExporter`` on the same executed
  notebook, which loads require.js and MathJax from CDNs and knows nothing of Annex IV) for scale. nbconvert's
  ``webpdf`` cannot run here (it needs a Playwright-managed Chromium; Debian's is not found), so there is no PDF
  peer row.

Targets (issue 7): HTML under 20 s and PDF under 30 s including execution, on 2 cores.

Run: ``python benchmarks/bench_report.py [--repeat 3] [--json benchmarks/results/bench_report.json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WALKTHROUGH = ROOT / "notebooks" / "annex_iv_walkthrough.ipynb"


def timed(fn: Callable[[], Any], repeat: int) -> float:
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--notebook", type=Path, default=WALKTHROUGH)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import nbformat
    from nbconvert import HTMLExporter

    from glassbox_jupyter.report.export import export_notebook

    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        out = Path(tmp)
        rows = []
        for fmt, target in (("html", 20.0), ("pdf", 30.0)):
            with_exec = timed(lambda fmt=fmt: export_notebook(args.notebook, fmt, out=out, execute=True), args.repeat)
            executed = out / args.notebook.name
            without = timed(lambda fmt=fmt, nb=executed: export_notebook(nb, fmt, out=out / "again"), args.repeat)
            rows.append({"tool": f"GlassBox Annex IV, {fmt.upper()}", "with": with_exec, "without": without,
                         "target": target})  # fmt: skip
        nb = nbformat.read(out / args.notebook.name, as_version=4)
        peer = timed(lambda: HTMLExporter().from_notebook_node(nb), args.repeat)
        rows.append({"tool": "nbconvert HTMLExporter (peer; no report)", "with": None, "without": peer, "target": None})

    print(f"## {args.notebook.name} → report (median of {args.repeat}; this machine)\n")
    print("| export | seconds incl. execution | seconds excl. execution | target (incl.) | met |")
    print("|---|---|---|---|---|")
    for r in rows:
        incl = "—" if r["with"] is None else f"{r['with']:.2f}"
        target = "—" if r["target"] is None else f"< {r['target']:.0f} s"
        met = "—" if r["target"] is None else ("yes" if r["with"] < r["target"] else "NO")
        print(f"| {r['tool']} | {incl} | {r['without']:.2f} | {target} | {met} |")
    html = rows[0]["without"]
    print(f"\nreport building + rendering vs nbconvert's plain HTML export of the same notebook: {html / peer:.1f}×")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
