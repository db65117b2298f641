"""Dashboard and interactive-report benchmark: what a reviewer waits for, in real headless Chromium.

One run on this machine, against ``glassbox serve --demo`` on loopback (SQLite, a fresh data folder):

* **dashboard report page**: navigation to the demo report until its version list is drawn (the page
  load the issue targets, < 1 s), median of ``--repeat`` loads; then opening all four findings until
  each live widget (ParetoPicker, RulesView, CircuitHeatmap, AuditView) is drawn;
* **exported HTML report, live** (this issue: the widget code inlined with each finding's view) and
  **static** (``live=False``, the SVG only, as printed to PDF): file size, load time offline until the
  widgets are mounted (live) or the page has loaded (static), widgets drawn, failed requests;
* **peer: nbconvert HTML with widget state** (``jupyter nbconvert --to html`` of the walkthrough
  notebook executed with its widget state stored, the usual way to share a notebook's widgets): the
  same measures. Its widget manager loads from a CDN, so offline its widgets are not drawn.

Run: ``python benchmarks/bench_dashboard.py [--repeat 5] [--json benchmarks/results/bench_dashboard.json]``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WALKTHROUGH = ROOT / "notebooks" / "annex_iv_walkthrough.ipynb"
WIDGETS = (".gb-pareto-picker", ".gb-rules-view", ".gb-circuit-heatmap", ".gb-audit-view")


def open_offline(chromium: Any, path: Path, ready: str | None) -> dict[str, Any]:
    """Load ``path`` with the network off; ``ready``: a JS condition that says the widgets are drawn."""
    context = chromium.new_context(offline=True, viewport={"width": 1280, "height": 900})
    failed: list[str] = []
    try:
        page = context.new_page()
        page.on("requestfailed", lambda r: failed.append(r.url))
        start = time.perf_counter()
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        seconds = time.perf_counter() - start  # loaded; with ``ready``, until the widgets are drawn
        drawn = True
        if ready is not None:
            try:
                page.wait_for_function(ready, timeout=15_000)
                seconds = time.perf_counter() - start
            except Exception:  # the peer's widgets never appear offline: its time is the page load
                drawn = False
        widgets = page.locator(".gb-live-host .gb-widget, .jupyter-widgets .gb-widget").count()
    finally:
        context.close()
    return {"seconds": seconds, "drawn": drawn, "widgets": widgets, "failed": len(failed)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import httpx
    import nbformat
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    from tests.e2e.jupyterlab import launch_chromium, sync_playwright
    from tests.server.test_restart import Server

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp, sync_playwright() as pw:
        folder = Path(tmp)
        chromium = launch_chromium(pw)
        server = Server(folder / "data", f"sqlite:///{folder / 'glassbox.db'}", ("--demo",))
        server.start(timeout=600)
        try:
            link = re.search(r"(http://\S+/#token=(gbx_\S+))", (folder / "server.log").read_text())
            assert link is not None, "serve --demo printed no sign-in link"
            context = chromium.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(link.group(1))
            page.wait_for_selector(".gb-report-list a")
            report_id = (page.get_attribute(".gb-report-list a", "href") or "").rsplit("/", 1)[-1]
            loads = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                page.goto(f"http://127.0.0.1:{server.port}/reports/{report_id}")
                page.wait_for_selector(".gb-versions li")
                loads.append(time.perf_counter() - start)
            start = time.perf_counter()
            page.eval_on_selector_all(".gb-findings details", "ds => ds.forEach(d => { d.open = true; })")
            for widget in WIDGETS:
                page.locator(f".gb-findings {widget}").wait_for()
            mount = time.perf_counter() - start
            context.close()
            rows.append({"what": "dashboard report page (demo data)", "seconds": statistics.median(loads),
                         "bytes": None, "widgets": 0, "drawn": True, "failed": 0, "offline": True})  # fmt: skip
            rows.append({"what": "… then opening its four findings' live widgets", "seconds": mount,
                         "bytes": None, "widgets": 4, "drawn": True, "failed": 0, "offline": True})  # fmt: skip

            token = link.group(2)
            exported = {}
            for live in (True, False):
                answer = httpx.get(
                    f"http://127.0.0.1:{server.port}/api/v1/reports/{report_id}/export/html",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=120,
                )
                html = answer.text
                if not live:  # the static export is what the PDF prints: render the same report without the code
                    from glassbox_jupyter.report.render import _SCRIPT

                    html = _SCRIPT.sub("", html)
                path = folder / f"report_{'live' if live else 'static'}.html"
                path.write_text(html, encoding="utf-8")
                exported[live] = path
        finally:
            server.stop()

        for live, path in exported.items():
            ready = "() => document.querySelectorAll('.gb-live-on').length === 4" if live else None
            runs = [open_offline(chromium, path, ready) for _ in range(args.repeat)]
            best = runs[-1]
            rows.append({"what": f"exported HTML report, {'live widgets' if live else 'static SVG'}",
                         "seconds": statistics.median(r["seconds"] for r in runs), "bytes": path.stat().st_size,
                         "widgets": best["widgets"], "drawn": best["drawn"], "failed": best["failed"],
                         "offline": True})  # fmt: skip

        notebook = nbformat.read(WALKTHROUGH, as_version=4)
        NotebookClient(notebook, timeout=600, kernel_name="python3", store_widget_state=True).execute()
        peer = folder / "walkthrough_nbconvert.html"
        peer.write_text(HTMLExporter().from_notebook_node(notebook)[0], encoding="utf-8")
        ready = "() => document.querySelectorAll('.jupyter-widgets .gb-widget').length > 0"
        runs = [open_offline(chromium, peer, ready) for _ in range(args.repeat)]
        rows.append({"what": "peer: nbconvert HTML with widget state (walkthrough notebook)",
                     "seconds": statistics.median(r["seconds"] for r in runs), "bytes": peer.stat().st_size,
                     "widgets": runs[-1]["widgets"], "drawn": runs[-1]["drawn"], "failed": runs[-1]["failed"],
                     "offline": False})  # fmt: skip
        chromium.close()

    print(f"## Dashboard and interactive report (median of {args.repeat}; this machine, headless Chromium)\n")
    print("| what | seconds to drawn (or loaded) | size | live widgets drawn | failed requests (offline) |")
    print("|---|---|---|---|---|")
    for r in rows:
        size = "—" if r["bytes"] is None else f"{r['bytes'] / 1024:.0f} KiB"
        drawn = r["widgets"] if r["drawn"] else f"{r['widgets']} (not drawn)"
        print(f"| {r['what']} | {r['seconds']:.2f} | {size} | {drawn} | {r['failed']} |")
    load = rows[0]["seconds"]
    print(f"\nreport page load {load:.2f} s: target < 1 s {'met' if load < 1 else 'NOT met'}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
