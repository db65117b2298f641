"""Compatibility benchmark: GlassBox's ``GlassboxV2`` layer against the real Glassbox 2.0 on the same calls.

The real library (PyPI ``glassbox-mech-interp`` 4.6.0, which needs torch < 2.11, transformer-lens < 3 and
numpy < 2) runs in its own venv (``benchmarks/setup_glassbox2.sh``) through ``benchmarks/glassbox2_runner.py``;
GlassBox's layer (``from glassbox import GlassboxV2``) runs here. Both load the shipped IOI demo transformer
from the same files (``glassbox_jupyter/demos/models/ioi.json`` + ``ioi.safetensors`` + its tokenizer) and run
Glassbox 2.0's README quickstart ``GlassboxV2(model).analyze(prompt=..., correct=..., incorrect=...)`` on the
same IOI prompts (``glassbox.demos.ioi_prompts``), on the same machine, in the same run, with the same number
of torch threads (``--threads``, default 1). Each side makes one untimed warm-up call first; ``seconds`` is the
wall time of each timed call (constructor included, model loading excluded).

Both sides build the corrupted prompt the same way (the two answer names swapped; the table checks that the
corrupted prompts and the clean logit differences agree, i.e. both venvs run the same model). What differs:

* Glassbox 2.0's ``sufficiency`` is a first-order estimate, ``Σ attribution(circuit) / LD_clean`` clipped to
  [0, 1] (``suff_is_approx`` True); its ``comprehensiveness`` is an activation-patching ratio; ``f1`` and
  ``category`` follow from those two.
* GlassBox's numbers are exact ablations (heads outside / inside the circuit take their corrupted values),
  normalised by ``LD_clean − LD_corrupted`` (``suff_is_approx`` False).
* "exact suff of theirs" is GlassBox's exact sufficiency (and comprehensiveness, F1, category) of the circuit
  *Glassbox 2.0 returned*, measured with :func:`glassbox_jupyter.circuits.faithfulness.faithfulness` on the
  same prompt and corrupted prompt: how far their estimate is from the measured value.
* GlassBox's ``analyze`` does more per call (exact minimum-circuit search, bootstrap CIs, head roles, logit
  lens), so its time is the cost of the whole compat call, not of a like-for-like algorithm.

Run: ``python benchmarks/bench_compat.py [--prompts 10] [--threads 1]`` (writes ``benchmarks/results/
bench_compat.json`` and ``.md``; ``--table-only`` re-renders the table from the JSON).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PEER_PYTHON = HERE / ".venv-glassbox2" / "bin" / "python"

Head = tuple[int, int]


def heads(circuit: list) -> list[Head]:
    return [(int(layer), int(head)) for layer, head in circuit]


def run_peer(payload: dict) -> dict:
    """Glassbox 2.0's results from ``glassbox2_runner.py`` in its own venv."""
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        done = subprocess.run(
            [str(PEER_PYTHON), "-I", str(HERE / "glassbox2_runner.py"), str(path), str(out)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"Glassbox 2.0 runner failed:\n{done.stderr[-3000:]}")
        return json.loads(out.read_text(encoding="utf-8"))


def exact_measure(model: Any, prompt: str, correct: str, incorrect: str, corrupted: str, circuit: list[Head]) -> dict:
    """GlassBox's exact sufficiency, comprehensiveness, F1 and category of ``circuit`` on one prompt."""
    from glassbox_jupyter.circuits import patching
    from glassbox_jupyter.circuits.faithfulness import faithfulness
    from glassbox_jupyter.circuits.prompts import PromptSet
    from glassbox_jupyter.compat.v2_results import faithfulness_category

    prompt_set = PromptSet.build(model, [(prompt, correct, incorrect, corrupted)])
    clean, corrupt = patching.clean_and_corrupted(model, prompt_set)
    measured = faithfulness(model, prompt_set, circuit, clean, corrupt)
    out = {key: measured[key]["value"] for key in ("sufficiency", "comprehensiveness", "f1")}
    out["category"] = faithfulness_category(out["sufficiency"], out["comprehensiveness"])
    out["clean_ld"], out["corrupted_ld"] = float(clean[0]), float(corrupt[0])
    return out


def run_ours(model: Any, prompts: list, method: str) -> list[dict]:
    from glassbox import GlassboxV2

    first = prompts[0]
    GlassboxV2(model).analyze(prompt=first.prompt, correct=first.correct, incorrect=first.incorrect, method=method)
    runs = []
    for item in prompts:
        start = time.perf_counter()
        result = GlassboxV2(model).analyze(
            prompt=item.prompt, correct=item.correct, incorrect=item.incorrect, method=method
        )
        seconds = time.perf_counter() - start
        result.pop("glassbox_finding", None)  # the native finding's JSON; large, and not part of 2.0's dict
        result["circuit"] = [list(h) for h in result["circuit"]]
        runs.append({"seconds": seconds, "result": result})
    return runs


def compare(model: Any, item: Any, ours: dict, theirs: dict | None) -> dict:
    row: dict[str, Any] = {
        "prompt": item.prompt,
        "correct": item.correct,
        "incorrect": item.incorrect,
        "ours": {
            "seconds": ours["seconds"],
            "circuit": heads(ours["result"]["circuit"]),
            "clean_ld": ours["result"]["clean_ld"],
            "corr_prompt": ours["result"]["corr_prompt"],
            "faithfulness": ours["result"]["faithfulness"],
        },
    }
    if theirs is None:
        return row
    result = theirs["result"]
    circuit = heads(result["circuit"])
    a, b = set(row["ours"]["circuit"]), set(circuit)
    row["theirs"] = {
        "seconds": theirs["seconds"],
        "circuit": circuit,
        "clean_ld": result["clean_ld"],
        "corr_prompt": result["corr_prompt"],
        "corruption_strategy": result.get("corruption_metadata", {}).get("strategy"),
        "faithfulness": result["faithfulness"],
        "evidence_tier": (result.get("evidence_tier") or {}).get("tier"),
        "counterfactual_sufficient": (result.get("counterfactual_validation") or {}).get("sufficient"),
    }
    row["overlap"] = len(a & b)
    row["jaccard"] = len(a & b) / len(a | b) if a | b else 1.0
    row["ratio_ours_over_theirs"] = ours["seconds"] / theirs["seconds"]
    row["exact_of_theirs"] = exact_measure(
        model, item.prompt, item.correct, item.incorrect, result["corr_prompt"], circuit
    )
    return row


def fmt_heads(circuit: list) -> str:
    return " ".join(f"L{layer}H{head}" for layer, head in sorted(circuit)) or "–"


def table(payload: dict) -> str:
    rows, meta = payload["rows"], payload["meta"]
    peer = payload.get("peer_error")
    lines = [
        "# GlassBox `GlassboxV2` (compat layer) vs the real Glassbox 2.0 (`glassbox-mech-interp`)",
        "",
        f"IOI demo transformer ({meta['model']}), {len(rows)} prompts of `ioi_prompts(n={meta['prompts']}, "
        f"seed={meta['seed']}, split={meta['split']!r})`, `analyze(..., method={meta['method']!r})`; "
        f"{meta['threads']} torch thread(s) for both; one machine, one run ({meta['date']}, {meta['cpu']}).",
        f"Ours: glassbox-jupyter {meta['ours_versions']}. "
        + (f"Theirs: {meta['theirs_versions']}." if not peer else f"Theirs: NOT RUN ({peer})"),
        "",
    ]
    if peer:
        lines.append("Glassbox 2.0 could not be run, so only GlassBox's side is shown.")
        lines.append("")
    if meta.get("theirs_unpatched_error"):
        lines.append(
            f"Glassbox 2.0's quickstart as published fails on this model: `{meta['theirs_unpatched_error']}` "
            "(its `analyze` always runs `mlp_attribution`, which reads `hook_mlp_out`, never run in an "
            "attention-only model). Worked around for the numbers below: "
            + "; ".join(meta["theirs_patches"] or ["none"])
            + "."
        )
        lines.append("")
    lines += [
        "## Time and circuits",
        "",
        "| # | s ours | s theirs | ours/theirs | circuit ours | circuit theirs | overlap | Jaccard "
        "| same LD_clean, corr. prompt |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for k, r in enumerate(rows, 1):
        o, t = r["ours"], r.get("theirs")
        if t is None:
            lines.append(f"| {k} | {o['seconds']:.3f} | – | – | {fmt_heads(o['circuit'])} | – | – | – | – |")
            continue
        same_ld = abs(o["clean_ld"] - t["clean_ld"]) < 1e-3 * max(1.0, abs(o["clean_ld"]))
        same = f"{same_ld}, {o['corr_prompt'] == t['corr_prompt']}"
        lines.append(
            f"| {k} | {o['seconds']:.3f} | {t['seconds']:.3f} | {r['ratio_ours_over_theirs']:.2f} | "
            f"{fmt_heads(o['circuit'])} | {fmt_heads(t['circuit'])} | {r['overlap']} | {r['jaccard']:.2f} | {same} |"
        )
    med = payload["median"]
    if "theirs_seconds" in med:
        lines.append(
            f"| **median** | {med['ours_seconds']:.3f} | {med['theirs_seconds']:.3f} | {med['ratio']:.2f} | "
            f"{med['ours_n_heads']:g} heads | {med['theirs_n_heads']:g} head(s) | {med['overlap']:g} | "
            f"{med['jaccard']:.2f} | |"
        )
    else:
        median_ours = f"{med['ours_seconds']:.3f} | – | – | {med['ours_n_heads']:g} heads"
        lines.append(f"| **median** | {median_ours} | – | – | – | |")
    lines += [
        "",
        "## Faithfulness: their estimate, the exact value of their circuit, and ours",
        "",
        "suff / comp / F1 / category. *Theirs (reported)*: Glassbox 2.0's own numbers (`suff_is_approx` as it "
        "reports it). *Exact of theirs*: GlassBox's exact ablation of Glassbox 2.0's circuit. *Ours*: GlassBox's "
        "circuit, exact (`suff_is_approx` False).",
        "",
        "| # | theirs (reported) | suff_is_approx | exact of theirs | suff error (reported − exact) | ours |",
        "|---|---|---|---|---|---|",
    ]

    def fcell(f: dict) -> str:
        return f"{f['sufficiency']:.3f} / {f['comprehensiveness']:.3f} / {f['f1']:.3f} / {f['category']}"

    for k, r in enumerate(rows, 1):
        o, t = r["ours"], r.get("theirs")
        if t is None:
            lines.append(f"| {k} | – | – | – | – | {fcell(o['faithfulness'])} |")
            continue
        err = t["faithfulness"]["sufficiency"] - r["exact_of_theirs"]["sufficiency"]
        lines.append(
            f"| {k} | {fcell(t['faithfulness'])} | {t['faithfulness']['suff_is_approx']} | "
            f"{fcell(r['exact_of_theirs'])} | {err:+.3f} | {fcell(o['faithfulness'])} |"
        )
    if "theirs_suff" in med:
        lines.append(
            f"| **median** | {med['theirs_suff']:.3f} / {med['theirs_comp']:.3f} / {med['theirs_f1']:.3f} | | "
            f"{med['exact_theirs_suff']:.3f} / {med['exact_theirs_comp']:.3f} / {med['exact_theirs_f1']:.3f} | "
            f"{med['suff_error']:+.3f} (median abs {med['abs_suff_error']:.3f}) | "
            f"{med['ours_suff']:.3f} / {med['ours_comp']:.3f} / {med['ours_f1']:.3f} |"
        )
    lines += [
        "",
        "How each side measures (the columns are not the same formula): Glassbox 2.0's sufficiency is "
        "Σ attribution(circuit) / LD_clean clipped to [0, 1], a first-order estimate, and its comprehensiveness "
        "is also divided by LD_clean; GlassBox's are exact ablations (heads outside / inside the circuit set to "
        "their corrupted values) divided by LD_clean − LD_corrupted. Times are one `analyze` call each, after "
        "one untimed warm-up call; GlassBox's call also does the exact circuit search, bootstrap CIs, head "
        "roles and the logit lens.",
        "",
        "Prompts:",
        "",
    ]
    for k, r in enumerate(rows, 1):
        lines.append(f"{k}. `{r['prompt']}` → `{r['correct']}` vs `{r['incorrect']}`")
    return "\n".join(lines)


def medians(rows: list[dict]) -> dict:
    med = statistics.median
    out: dict[str, float] = {
        "ours_seconds": med(r["ours"]["seconds"] for r in rows),
        "ours_n_heads": med(len(r["ours"]["circuit"]) for r in rows),
        "ours_suff": med(r["ours"]["faithfulness"]["sufficiency"] for r in rows),
        "ours_comp": med(r["ours"]["faithfulness"]["comprehensiveness"] for r in rows),
        "ours_f1": med(r["ours"]["faithfulness"]["f1"] for r in rows),
    }
    if rows and "theirs" in rows[0]:
        out |= {
            "theirs_seconds": med(r["theirs"]["seconds"] for r in rows),
            "ratio": med(r["ratio_ours_over_theirs"] for r in rows),
            "theirs_n_heads": med(len(r["theirs"]["circuit"]) for r in rows),
            "overlap": med(r["overlap"] for r in rows),
            "jaccard": med(r["jaccard"] for r in rows),
            "theirs_suff": med(r["theirs"]["faithfulness"]["sufficiency"] for r in rows),
            "theirs_comp": med(r["theirs"]["faithfulness"]["comprehensiveness"] for r in rows),
            "theirs_f1": med(r["theirs"]["faithfulness"]["f1"] for r in rows),
            "exact_theirs_suff": med(r["exact_of_theirs"]["sufficiency"] for r in rows),
            "exact_theirs_comp": med(r["exact_of_theirs"]["comprehensiveness"] for r in rows),
            "exact_theirs_f1": med(r["exact_of_theirs"]["f1"] for r in rows),
            "suff_error": med(
                r["theirs"]["faithfulness"]["sufficiency"] - r["exact_of_theirs"]["sufficiency"] for r in rows
            ),
            "abs_suff_error": med(
                abs(r["theirs"]["faithfulness"]["sufficiency"] - r["exact_of_theirs"]["sufficiency"]) for r in rows
            ),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--prompts", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--split", default="test")
    parser.add_argument("--method", default="taylor", choices=("taylor", "integrated_gradients"))
    parser.add_argument("--threads", type=int, default=1, help="torch threads, for both sides")
    parser.add_argument("--json", type=Path, default=RESULTS / "bench_compat.json")
    parser.add_argument("--md", type=Path, default=RESULTS / "bench_compat.md")
    parser.add_argument("--table-only", action="store_true", help="print (and rewrite) the table of --json")
    args = parser.parse_args()
    if args.table_only:
        text = table(json.loads(args.json.read_text(encoding="utf-8")))
        args.md.write_text(text + "\n", encoding="utf-8")
        print(text)
        return

    import torch

    import glassbox
    from glassbox_jupyter.demos import ioi

    torch.set_num_threads(args.threads)
    model = glassbox.demos.load("ioi")
    card = json.loads((ioi.MODELS / "ioi.json").read_text(encoding="utf-8"))
    prompts = ioi.ioi_prompts(args.prompts, seed=args.seed, split=args.split)

    peer, peer_error = None, None
    try:
        if not PEER_PYTHON.exists():
            subprocess.run(["bash", str(HERE / "setup_glassbox2.sh")], check=True)
        peer = run_peer(
            {
                "config": card["config"],
                "weights": str(ioi.MODELS / "ioi.safetensors"),
                "tokenizer": str(ioi.MODELS / card["tokenizer"]),
                "special_token": ioi.SPECIAL_TOKEN,
                "prompts": [{"prompt": p.prompt, "correct": p.correct, "incorrect": p.incorrect} for p in prompts],
                "method": args.method,
                "threads": args.threads,
                "warmup": True,
            }
        )
    except (subprocess.CalledProcessError, RuntimeError, OSError) as exc:
        peer_error = str(exc).strip().splitlines()[-1][:300]
        print(f"Glassbox 2.0 not run: {exc}", file=sys.stderr)

    ours = run_ours(model, prompts, args.method)
    rows = [
        compare(model, item, mine, None if peer is None else peer["runs"][k])
        for k, (item, mine) in enumerate(zip(prompts, ours, strict=True))
    ]
    meta = {
        "model": card["config"]["model_name"],
        "prompts": args.prompts,
        "seed": args.seed,
        "split": args.split,
        "method": args.method,
        "threads": args.threads,
        "theirs_threads": None if peer is None else peer["threads"],
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": f"{platform.processor() or platform.machine()}, {__import__('os').cpu_count()} cores",
        "ours_versions": f"{glassbox.__version__}, torch {torch.__version__}, "
        f"transformer-lens {version('transformer-lens')}, numpy {version('numpy')}",
        "theirs_versions": None if peer is None else ", ".join(f"{k} {v}" for k, v in peer["versions"].items()),
        "theirs_load_s": None if peer is None else peer["load_s"],
        "theirs_unpatched_error": None if peer is None else peer["unpatched_error"],
        "theirs_patches": [] if peer is None else peer["patches"],
    }
    payload = {"meta": meta, "peer_error": peer_error, "median": medians(rows), "rows": rows}
    text = table(payload)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    args.md.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
