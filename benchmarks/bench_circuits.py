"""Circuit discovery benchmark: GlassBox's attributions against exact patching and against ACDC.

For each model in :func:`circuit_models.names` (the shipped IOI demo, two larger IOI transformers trained by
the demo's recipe, and the real pretrained SmolLM2-135M-Instruct, 30 layers × 9 query heads sharing 3 key/value
heads), on IOI prompts with ABC corruption (for the IOI models: training names in held-out sentence frames, where
all three are accurate; for SmolLM2: the IOI paper's templates with names that are single tokens in its
tokenizer):

* **ground truth**: exact activation patching of every head's ``hook_z`` (one ablated forward pass per
  head, clean run with the head's output taken from the corrupted prompt);
* **GlassBox attributions**: attribution patching (Taylor), integrated gradients, EAP and EAP-IG
  (per-head scores = sum of each head's outgoing edge scores), each timed and compared with the
  ground truth: Spearman ρ (signed scores) and ROC-AUC of recovering the heads whose exact effect is at
  least ``--threshold`` × (clean − corrupted logit difference) in absolute value (scored by |attribution|);
* **``CircuitAnalyzer.analyze``** wall time (ranking, minimum faithful circuit by exact ablation,
  exact faithfulness with bootstrap CIs, exact per-head effects, head typing) on the same prompts;
* **ACDC** as implemented by ``auto-circuit`` (in its own venv, ``benchmarks/setup_acdc.sh``), same
  token ids, same machine, same number of torch threads; a head's ACDC score is the largest threshold τ
  at which one of its outgoing edges survives. ACDC's edge order changes which of two redundant heads it
  keeps, so on the demo it is run with ``--acdc-orders`` visiting orders and its AUC reported as mean and
  range (one order on the larger models, where one ACDC run takes many minutes).

Approximations are named in the table: Taylor/EAP are first order; IG/EAP-IG use ``--steps`` midpoint
steps; ACDC optimises KL divergence of the whole output (auto-circuit offers no logit-difference target)
and patches at all positions; GlassBox patches heads at all positions.

ACDC is not run on SmolLM2: auto-circuit's ACDC makes one patched forward pass per edge per threshold, and
SmolLM2 has 30 × (9 + 1) = 300 components (so about 45,000 edges); the table says so and gives the estimate from
the measured time of one forward pass. Timings on SmolLM2 use ``--pretrained-repeats`` (1: one timed run after
the warm-up).

Run: ``python benchmarks/bench_circuits.py [--prompts 32] [--json benchmarks/results/bench_circuits.json]``
(``--no-acdc`` skips ACDC when its venv cannot be built; ``--models SmolLM2-135M-Instruct`` runs one model, and
its results replace that model's in an existing ``--json`` file).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import circuit_models  # noqa: E402

ACDC_PYTHON = HERE / ".venv-acdc" / "bin" / "python"


def timed(fn: Any, repeats: int) -> tuple[Any, float]:
    """The result of ``fn()`` and its median wall time over ``repeats`` runs (after one warm-up run)."""
    result = fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    labels = labels.ravel()
    return float(roc_auc_score(labels, np.abs(scores).ravel())) if 0 < labels.sum() < labels.size else float("nan")


def agreement(scores: np.ndarray, truth: dict[str, np.ndarray], signed: bool = True) -> dict[str, float]:
    """Spearman ρ against exact noising and denoising effects; ROC-AUC of |scores| for the important heads."""
    from scipy.stats import spearmanr

    s = np.asarray(scores, float).ravel()
    out = {}
    for direction in ("noising", "denoising"):
        e = truth[direction].ravel()
        out[f"spearman_{direction}"] = float(
            spearmanr(s, e).statistic if signed else spearmanr(np.abs(s), np.abs(e)).statistic
        )
    out["auc"] = _auc(truth["important"], s)
    out["auc_noising_only"] = _auc(truth["important_noising"], s)
    return out


def acdc_input(model: Any, card_config: dict, weights: Path, tokenizer: Path, prompts: list, threads: int) -> dict:
    task: dict[str, list] = {"name": "ioi", "clean": [], "corrupted": [], "correct": [], "incorrect": []}
    for prompt, correct, incorrect, corrupted in prompts:
        task["clean"].append(model.to_tokens(prompt)[0].tolist())
        task["corrupted"].append(model.to_tokens(corrupted)[0].tolist())
        task["correct"].append(model.to_single_token(correct))
        task["incorrect"].append(model.to_single_token(incorrect))
    return {
        "config": card_config,
        "weights": str(weights),
        "tokenizer": str(tokenizer),
        "tasks": [task],
        "eap": False,
        "threads": threads,
    }


def run_acdc(payload: dict, order_seed: int | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
        path.write_text(json.dumps(payload | {"order_seed": order_seed}), encoding="utf-8")
        done = subprocess.run(
            [str(ACDC_PYTHON), str(HERE / "acdc_runner.py"), str(path), str(out)], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"ACDC runner failed:\n{done.stderr[-2000:]}")
        return json.loads(out.read_text(encoding="utf-8"))["tasks"][0]


def model_files(name: str, card: dict) -> tuple[Path, Path]:
    from glassbox_jupyter.demos import ioi

    folder = ioi.MODELS if circuit_models.SIZES[name] is None else circuit_models.CACHE
    slug = "ioi" if circuit_models.SIZES[name] is None else name.replace(" ", "_")
    return folder / f"{slug}.safetensors", folder / card["tokenizer"]


def bench_model(name: str, args: argparse.Namespace) -> dict[str, Any]:
    import glassbox
    from glassbox_jupyter.circuits import edges, patching
    from glassbox_jupyter.circuits.prompts import PromptSet

    model, card = circuit_models.load(name)
    cfg = model.cfg
    pretrained = name in circuit_models.PRETRAINED
    repeats = args.pretrained_repeats if pretrained else args.repeats
    prompts = circuit_models.prompts(name, model, args.prompts, args.seed, args.split)
    prompt_set = PromptSet.build(model, prompts)
    clean, corrupted = patching.clean_and_corrupted(model, prompt_set)
    gap = float(clean.mean() - corrupted.mean())
    accuracy = float((clean > 0).mean())
    exact, t_exact = timed(lambda: patching.activation_patching(model, prompt_set)["heads"], repeats)
    restored = patching.activation_patching(model, prompt_set, direction="denoising")["heads"]
    cut = args.threshold * abs(gap)
    truth = {
        "noising": exact,
        "denoising": restored,
        "important_noising": np.abs(exact) >= cut,
        "important": (np.abs(exact) >= cut) | (np.abs(restored) >= cut),
    }
    important = truth["important"]
    rows = [
        {
            "method": "exact activation patching, noising",
            "approximation": "none: one ablated forward pass per head",
            "seconds": t_exact,
            **agreement(exact, truth),
        }
    ]
    precision = patching.gradient_precision(model)  # what attribution_patching and analyze pick ("auto")
    methods = {
        f"attribution patching (Taylor, {precision})": (
            lambda: patching.attribution_patching(model, prompt_set, "taylor")["heads"],
            "first order; 1 forward + 1 backward",
        ),
        f"integrated gradients ({args.steps} steps, {precision})": (
            lambda: patching.attribution_patching(model, prompt_set, "integrated_gradients", args.steps)["heads"],
            f"{args.steps}-step midpoint path integral of embeddings"
            + ("; bfloat16 matrix products, what analyze uses here" if precision == "bfloat16" else ""),
        ),
        **(
            {
                f"integrated gradients ({args.steps} steps, float32)": (
                    lambda: patching.attribution_patching(
                        model, prompt_set, "integrated_gradients", args.steps, "float32"
                    )["heads"],
                    f"{args.steps}-step midpoint path integral of embeddings, all in float32",
                )
            }
            if precision != "float32"
            else {}
        ),
        "EAP (edges, summed per head)": (
            lambda: edges.edge_attribution_patching(model, prompt_set, "eap").head_scores(),
            "first order over every edge",
        ),
        f"EAP-IG ({args.steps} steps; edges, summed per head)": (
            lambda: edges.edge_attribution_patching(model, prompt_set, "eap_ig", args.steps).head_scores(),
            f"{args.steps}-step path integral over every edge",
        ),
    }
    for label, (fn, note) in methods.items():
        scores, seconds = timed(fn, repeats)
        rows.append({"method": label, "approximation": note, "seconds": seconds, **agreement(scores, truth)})

    analyzer = glassbox.CircuitAnalyzer(model, method="integrated_gradients", n_boot=1000, seed=args.seed)
    finding, t_analyze = timed(lambda: analyzer.analyze(prompts=prompts), repeats)
    f = finding.faithfulness
    analyze_row = {
        "seconds": t_analyze,
        "circuit": ["L{}H{}".format(*h) for h in finding.circuit],
        "sufficiency": f["sufficiency"]["value"],
        "comprehensiveness": f["comprehensiveness"]["value"],
        "f1": f["f1"]["value"],
        "agreement": finding.fidelity.value,
    }

    acdc: dict[str, Any] | None = None
    acdc_skipped = None
    if pretrained:
        acdc_skipped = acdc_estimate(model, prompt_set)
    elif args.acdc:
        weights, tokenizer = model_files(name, card)
        payload = acdc_input(model, card["config"], weights, tokenizer, prompts, args.threads)
        runs = []
        orders = args.acdc_orders if name == next(iter(circuit_models.SIZES)) else 1
        for order in [None, *range(1, orders)]:
            result = run_acdc(payload, order)["acdc"]
            runs.append(
                {
                    "order_seed": order,
                    "seconds": result["wall_s"],
                    "forward_passes": result.get("forward_passes"),
                    **agreement(np.array(result["head_scores"]), truth, signed=False),
                }
            )
        aucs = [r["auc"] for r in runs]
        acdc = {
            "runs": runs,
            "seconds": statistics.median(r["seconds"] for r in runs),
            "auc_mean": float(np.mean(aucs)),
            "auc_min": float(np.min(aucs)),
            "auc_max": float(np.max(aucs)),
            "auc_noising_only_mean": float(np.mean([r["auc_noising_only"] for r in runs])),
            "spearman_noising_abs_mean": float(np.mean([r["spearman_noising"] for r in runs])),
            "spearman_denoising_abs_mean": float(np.mean([r["spearman_denoising"] for r in runs])),
        }
    return {
        "model": name,
        "shape": f"{cfg.n_layers}L×{cfg.n_heads}H, d_model {cfg.d_model}, {'attn-only' if cfg.attn_only else 'MLPs'}",
        "prompts": len(prompts),
        "accuracy": accuracy,
        "logit_diff": {"clean": float(clean.mean()), "corrupted": float(corrupted.mean())},
        "important_heads": int(important.sum()),
        "important_heads_noising": int(truth["important_noising"].sum()),
        "exact_noising": exact.tolist(),
        "exact_denoising": restored.tolist(),
        "heads": int(important.size),
        "methods": rows,
        "analyze": analyze_row,
        "acdc": acdc,
        "acdc_skipped": acdc_skipped,
        "repeats": repeats,
        "threads": args.threads,
        "measured": time.strftime("%Y-%m-%d"),
        "n_key_value_heads": cfg.n_key_value_heads,
    }


def acdc_estimate(model: Any, prompt_set: Any) -> str:
    """Why ACDC is not run on a large pretrained model, with the time it would take at one forward pass per
    edge per threshold (the measured time of one forward pass of the prompts × the edge count)."""
    import torch

    cfg = model.cfg
    components = cfg.n_layers * (cfg.n_heads + (0 if cfg.attn_only else 1))
    # edges: every component (and the embedding) to every later component and to the logits
    edges = components * (components + 1) // 2 + components
    with torch.no_grad():
        model(prompt_set.buckets[0].clean)
        start = time.perf_counter()
        for b in prompt_set.buckets:
            model(b.clean)
        one_pass = time.perf_counter() - start
    hours = edges * one_pass / 3600
    return (
        f"not run: {components} components → about {edges:,} edges; one forward pass of the {len(prompt_set)} "
        f"prompts takes {one_pass:.2f} s here, so ACDC's one patched pass per edge would take about {hours:.0f} h "
        "per threshold τ (auto-circuit sweeps several)"
    )


def table(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"circuits benchmark: IOI prompts (ABC corruption; the IOI models' from split {args.split}), median of the "
        f"timed runs after a warm-up (counts and torch threads per model below). Important head: exact noising "
        f"(clean run, head from the corrupted prompt) or denoising (corrupted run, head from the clean prompt) "
        f"effect >= {args.threshold:g} x (clean - corrupted logit diff) in absolute value, i.e. necessary or "
        "sufficient alone; AUC ranks heads by |score|. Same machine, same run, same token ids.",
        "",
    ]
    for r in results:
        kv = r.get("n_key_value_heads")
        shape = r["shape"] + (f", {kv} key/value heads shared by the query heads" if kv else "")
        lines.append(
            f"## {r['model']} ({shape}): accuracy {r['accuracy']:.3f}, logit diff clean "
            f"{r['logit_diff']['clean']:.2f} / corrupted {r['logit_diff']['corrupted']:.2f}, "
            f"{r['important_heads']} of {r['heads']} heads important ({r['important_heads_noising']} by noising alone)"
        )
        lines.append(
            "| method | approximation | seconds | ρ vs exact noising | ρ vs exact denoising | head AUC | "
            "head AUC (noising-only labels) |"
        )
        lines.append("|---|---|---|---|---|---|---|")
        for m in r["methods"]:
            lines.append(
                f"| {m['method']} | {m['approximation']} | {m['seconds']:.3f} | {m['spearman_noising']:.3f} | "
                f"{m['spearman_denoising']:.3f} | {m['auc']:.3f} | {m['auc_noising_only']:.3f} |"
            )
        a = r["acdc"]
        if r.get("acdc_skipped"):
            lines.append(f"| ACDC (auto-circuit) | {r['acdc_skipped']} | – | – | – | – | – |")
        if a is not None:
            lines.append(
                f"| ACDC (auto-circuit, {len(a['runs'])} edge orders) | greedy edge pruning, KL target, one patched "
                f"pass per edge per τ | {a['seconds']:.3f} | {a['spearman_noising_abs_mean']:.3f} (on |·|) | "
                f"{a['spearman_denoising_abs_mean']:.3f} (on |·|) | {a['auc_mean']:.3f} (range "
                f"{a['auc_min']:.3f}–{a['auc_max']:.3f}) | {a['auc_noising_only_mean']:.3f} |"
            )
        lines.append(
            f"\n{r['prompts']} prompts; timings: median of {r.get('repeats', args.repeats)} timed run(s) after a "
            f"warm-up, {r.get('threads', args.threads)} torch thread(s)"
            + (f"; measured {r['measured']}" if "measured" in r else "; measured in an earlier run of this script")
        )
        if r.get("note"):  # a remark written into the JSON by hand after the run (e.g. the machine was busy)
            lines.append(f"\nNote: {r['note']}")
        an = r["analyze"]
        lines.append(
            f"\n`CircuitAnalyzer(method='integrated_gradients').analyze`: {an['seconds']:.3f} s → circuit "
            f"{', '.join(an['circuit'])}; sufficiency {an['sufficiency']:.3f}, comprehensiveness "
            f"{an['comprehensiveness']:.3f}, F1 {an['f1']:.3f} (exact), held-out agreement {an['agreement']:.3f}"
        )
        if a is not None:
            eap_ig = next(m for m in r["methods"] if m["method"].startswith("EAP-IG"))
            lines.append(
                f"speed-up over ACDC: EAP-IG {a['seconds'] / eap_ig['seconds']:.0f}×, whole analyze "
                f"{a['seconds'] / an['seconds']:.1f}×; AUC EAP-IG {eap_ig['auc']:.3f} vs ACDC {a['auc_mean']:.3f}"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--split", default="test_templates")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=8, help="IG / EAP-IG steps")
    parser.add_argument("--threshold", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads, for GlassBox and ACDC alike")
    parser.add_argument(
        "--acdc-orders", type=int, default=3, help="ACDC runs with different edge orders on the demo (1 on the others)"
    )
    parser.add_argument("--no-acdc", dest="acdc", action="store_false")
    parser.add_argument(
        "--pretrained-repeats", type=int, default=1, help="timed runs on a pretrained model (after a warm-up)"
    )
    parser.add_argument("--models", nargs="*", default=circuit_models.names(), choices=circuit_models.names())
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--table-only", action="store_true", help="print (and rewrite) the table of --json; run nothing"
    )
    args = parser.parse_args()
    if args.table_only:
        text = table(json.loads(args.json.read_text(encoding="utf-8"))["results"], args)
        args.json.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
        print(text)
        return
    torch.set_num_threads(args.threads)
    if args.acdc and not ACDC_PYTHON.exists():
        subprocess.run(["bash", str(HERE / "setup_acdc.sh")], check=True)
    results: list[dict[str, Any]] = []
    if args.json and args.json.exists():  # keep the other models' results of an earlier run
        results = [
            r for r in json.loads(args.json.read_text(encoding="utf-8"))["results"] if r["model"] not in args.models
        ]
    for name in args.models:  # results are written after each model, so an interrupted run keeps them
        results.append(bench_model(name, args))
        results.sort(key=lambda r: circuit_models.names().index(r["model"]))
        text = table(results, args)
        print(table([r for r in results if r["model"] == name], args), flush=True)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            payload = {"args": vars(args) | {"json": str(args.json)}, "results": results}  # the last run's
            args.json.write_text(json.dumps(payload, indent=2), encoding="utf-8")
            args.json.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
