"""Command line: ``glassbox run NOTEBOOK`` executes a notebook headlessly and writes offline HTML.

Example:
    $ glassbox run notebooks/quickstart.ipynb --output out/
    $ glassbox demos
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def run_notebook(notebook: Path, output: Path, timeout: int = 600) -> tuple[Path, Path]:
    """Execute ``notebook`` top to bottom; write the executed ``.ipynb`` and its offline ``.html``.

    Cells run with the notebook's folder as working directory. A failing cell stops the run
    with its error, and the partially executed notebook is still written so nothing is lost.
    """
    import nbformat
    from nbclient import NotebookClient

    from glassbox_jupyter.report.html import notebook_to_html

    if not notebook.exists():
        raise FileNotFoundError(f"no notebook at {notebook}")
    output.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}}
    )
    executed = output / notebook.name
    html = output / f"{notebook.stem}.html"
    try:
        client.execute()
    finally:
        nbformat.write(nb, executed)
        html.write_text(notebook_to_html(nb), encoding="utf-8")
    return executed, html


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="glassbox", description="GlassBox for Jupyter command line")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute a notebook headlessly and export offline HTML")
    run.add_argument("notebook", type=Path)
    run.add_argument("--output", type=Path, default=Path("out"), help="folder for the results (default: out/)")
    run.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    commands.add_parser("demos", help="list the shipped demo models")
    args = parser.parse_args(argv)

    if args.command == "demos":
        from glassbox_jupyter import demos

        print(json.dumps(demos.list(), indent=2))
        return 0
    start = time.perf_counter()
    try:
        executed, html = run_notebook(args.notebook, args.output, args.timeout)
    except Exception as exc:  # report, keep the partial outputs, exit non-zero
        print(f"glassbox run: {args.notebook} failed: {exc}", file=sys.stderr)
        return 1
    print(f"executed {args.notebook} in {time.perf_counter() - start:.1f} s")
    print(f"  notebook: {executed}\n  html:     {html}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
