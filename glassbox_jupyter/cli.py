"""Command line: ``glassbox run NOTEBOOK`` executes a notebook headlessly and writes offline HTML.

Example:
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


def faithfulness_category(f1: float) -> str:
    """A word for the F1 of a circuit: faithful (≥ 0.8), partial (≥ 0.5) or weak."""
    return "faithful" if f1 >= 0.8 else "partial" if f1 >= 0.5 else "weak"


def analyze_command(args: argparse.Namespace) -> int:
    """``glassbox analyze``: circuit of one prompt, printed as numbers and a head table."""
    from glassbox_jupyter import demos
    from glassbox_jupyter.circuits import CircuitAnalyzer
    from glassbox_jupyter.teacher.loading import resolve_import_path

    names = [d["name"] for d in demos.list()]
    if args.model in names:
        model = demos.load(args.model)
    elif Path(args.model).is_dir():  # a local Hugging Face checkpoint folder, loaded offline
        from glassbox_jupyter.circuits.loading import load_hooked_transformer

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
    print(f"category           {faithfulness_category(f['f1']['value'])}")
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="glassbox", description="GlassBox for Jupyter command line")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute a notebook headlessly and export offline HTML")
    run.add_argument("notebook", type=Path)
    run.add_argument("--output", type=Path, default=Path("out"), help="folder for the results (default: out/)")
    run.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    commands.add_parser("demos", help="list the shipped demo models")
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
    args = parser.parse_args(argv)

    if args.command == "analyze":
        try:
            return analyze_command(args)
        except Exception as exc:  # a clear one-line error instead of a traceback on the command line
            print(f"glassbox analyze: {exc}", file=sys.stderr)
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
