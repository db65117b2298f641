"""Command line: run notebooks, build Annex IV reports, list demos, analyse a transformer circuit.

Example:
    $ glassbox demo                                   # walkthrough → ./glassbox-demo/ (HTML, PDF, JSON)
    $ glassbox report notebook.ipynb --to html pdf json --execute
    $ glassbox run notebooks/quickstart.ipynb --output out/
    $ glassbox demos
    $ glassbox analyze --model ioi --prompt "When Mary and John went to the store, John gave a drink to" \
          --correct " Mary" --incorrect " John"
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def run_notebook(notebook: Path, output: Path, timeout: int = 600) -> tuple[Path, Path]:
    """Execute ``notebook`` top to bottom; write the executed ``.ipynb`` and its offline ``.html``.

    Cells run with the notebook's folder as working directory. A failing cell stops the run
    with its error, and the partially executed notebook is still written so nothing is lost.
    """
    import nbformat

    from glassbox_jupyter.report.execute import execute_and_save
    from glassbox_jupyter.report.notebook_html import notebook_to_html

    executed = output / notebook.name
    html = output / f"{notebook.stem}.html"
    try:
        execute_and_save(notebook, executed, timeout)
    finally:  # the offline HTML of what ran, also when a cell failed
        if executed.exists():
            html.write_text(notebook_to_html(nbformat.read(executed, as_version=4)), encoding="utf-8")
    return executed, html


def analyze_command(args: argparse.Namespace) -> int:
    """``glassbox analyze``: circuit of one prompt, printed as numbers and a head table."""
    from glassbox_jupyter import demos
    from glassbox_jupyter.circuits import CircuitAnalyzer
    from glassbox_jupyter.compat.v2_results import CATEGORY_RULES, faithfulness_category
    from glassbox_jupyter.teacher.loading import resolve_import_path

    names = [d["name"] for d in demos.list()]
    if args.model in names:
        model = demos.load(args.model)
    elif Path(args.model).is_dir():  # a local Hugging Face checkpoint folder, loaded offline
        from glassbox_jupyter.teacher.hf_loading import load_hooked_transformer

        model = load_hooked_transformer(args.model)
    else:
        factory = resolve_import_path(args.model)  # "package.module:make_model" returning a HookedTransformer
        model = factory() if callable(factory) else factory
    finding = CircuitAnalyzer(model, method=args.method).analyze(
        args.prompt, args.correct, args.incorrect, args.corrupted
    )
    f = finding.faithfulness
    print(f"logit difference: clean {finding.logit_diff['clean']:.3f}, corrupted {finding.logit_diff['corrupted']:.3f}")
    for key in ("sufficiency", "comprehensiveness", "f1"):
        ci = f[key]["ci"]
        interval = f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
        print(f"{key:<18} {f[key]['value']:.3f}{interval} ({'exact' if f[key]['exact'] else 'approx.'})")
    category = faithfulness_category(f["sufficiency"]["value"], f["comprehensiveness"]["value"])
    rule = dict(CATEGORY_RULES).get(category, "a number is undefined")
    print(f"category           {category} ({rule}; exact numbers)")
    print(f"\n{'head':<6} {'attribution':>12} {'exact effect':>13} {'type':<16} in circuit")
    cfg = model.cfg
    exact = finding.exact_effects
    rows = sorted(finding.attributions.items(), key=lambda kv: -abs(kv[1]))
    for (layer, head), score in rows[: args.top]:
        kind = (finding.head_types or [[None] * cfg.n_heads] * cfg.n_layers)[layer][head] or ""
        effect = f"{exact[layer, head]:>13.4f}" if exact is not None else f"{'':>13}"
        mark = "yes" if (layer, head) in finding.circuit else ""
        print(f"L{layer}H{head:<4} {score:>12.4f} {effect} {kind:<16} {mark}")
    if args.json:
        finding.to_json(args.json)
        print(f"\nwrote {args.json}")
    return 0


WALKTHROUGH = "annex_iv_walkthrough.ipynb"


def walkthrough_notebook() -> Path:
    """The shipped walkthrough notebook (inside the package, or in a source checkout's notebooks/)."""
    candidates = [
        Path(__file__).resolve().parent / "demos" / "notebooks" / WALKTHROUGH,
        Path(__file__).resolve().parent.parent / "notebooks" / WALKTHROUGH,
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(f"the walkthrough notebook {WALKTHROUGH} is not installed (looked in {candidates})")


def print_export(result: Any, started: float) -> None:
    """Paths written and the fields a person still has to fill."""
    print(f"Annex IV report built in {time.perf_counter() - started:.1f} s")
    for kind, path in result.paths.items():
        print(f"  {kind:<5} {path}")
    missing = result.report.missing()
    print(f"\n{len(missing)} fields still need human input:")
    for field in missing:
        print(f"  {field.id:<20} {field.title}")


def report_command(args: argparse.Namespace) -> int:
    """``glassbox report``: an annotated notebook → Annex IV HTML / PDF / JSON."""
    from glassbox_jupyter.report.export import export_notebook

    started = time.perf_counter()
    result = export_notebook(
        args.notebook,
        args.to,
        out=args.out,
        execute=args.execute,
        include_code=args.include_code,
        timeout=args.timeout,
    )
    print_export(result, started)
    return 0


def demo_command(args: argparse.Namespace) -> int:
    """``glassbox demo``: execute the walkthrough on the shipped demo models and write its report."""
    from glassbox_jupyter.report.export import export_notebook

    started = time.perf_counter()
    notebook = walkthrough_notebook()
    print(f"executing {notebook.name} on the shipped demo models …", flush=True)
    result = export_notebook(notebook, ("html", "pdf", "json"), out=args.out, execute=True, timeout=args.timeout)
    print_export(result, started)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="glassbox", description="GlassBox for Jupyter command line")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute a notebook headlessly and export offline HTML")
    run.add_argument("notebook", type=Path)
    run.add_argument("--output", type=Path, default=Path("out"), help="folder for the results (default: out/)")
    run.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    commands.add_parser("demos", help="list the shipped demo models")
    report = commands.add_parser("report", help="build the Annex IV report of an annotated notebook")
    report.add_argument("notebook", type=Path)
    report.add_argument("--to", nargs="+", choices=("html", "pdf", "json"), default=["html"], help="formats")
    report.add_argument("--execute", action="store_true", help="run the notebook first (fresh kernel)")
    report.add_argument("--out", type=Path, default=None, help="folder for the files (default: beside the notebook)")
    report.add_argument("--include-code", action="store_true", help="append the code of annotated cells")
    report.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell with --execute")
    demo = commands.add_parser("demo", help="run the Annex IV walkthrough on shipped models; write its report")
    demo.add_argument("--out", type=Path, default=Path("glassbox-demo"), help="folder (default: ./glassbox-demo)")
    demo.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    analyze = commands.add_parser("analyze", help="find the attention heads behind one transformer prediction")
    analyze.add_argument(
        "--model",
        required=True,
        help="a demo name (e.g. ioi), a local Hugging Face checkpoint folder (read offline) or module:factory",
    )
    analyze.add_argument("--prompt", required=True)
    analyze.add_argument("--correct", required=True, help="single-token answer, e.g. ' Mary'")
    analyze.add_argument("--incorrect", required=True, help="the competing token, e.g. ' John'")
    analyze.add_argument(
        "--corrupted", default=None, help="corrupted prompt of equal length (default: answers swapped)"
    )
    analyze.add_argument(
        "--method", choices=("taylor", "integrated_gradients", "exact"), default="integrated_gradients"
    )
    analyze.add_argument("--top", type=int, default=12, help="rows of the head table")
    analyze.add_argument("--json", type=Path, default=None, help="also write the CircuitFinding as JSON")
    from glassbox_jupyter.server.cli import add_commands as add_server_commands

    add_server_commands(commands)
    args = parser.parse_args(argv)

    if args.command in ("serve", "users"):
        from glassbox_jupyter.server.cli import run as run_server_command

        return run_server_command(args)

    if args.command == "analyze":
        try:
            return analyze_command(args)
        except Exception as exc:  # a clear one-line error instead of a traceback on the command line
            print(f"glassbox analyze: {exc}", file=sys.stderr)
            return 1

    if args.command in ("report", "demo"):
        command = report_command if args.command == "report" else demo_command
        try:
            return command(args)
        except Exception as exc:  # one clear line; partial outputs stay on disk
            print(f"glassbox {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1

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
