"""Exact per-head activation patching on a real pretrained model: batched vs one pass per component.

SmolLM2-135M-Instruct (``glassbox.demos.load("smollm2")``: 30 layers × 9 query heads, MLPs), ``--prompts``
IOI prompts from ``glassbox.demos.ioi_prompt_set`` (ABC corruption), on this machine, in one run:

* **one pass per component** (the peer: the textbook loop, and GlassBox's code before this change): a
  full forward pass of the clean prompts per head and per MLP with that component's ``hook_z`` /
  ``hook_mlp_out`` taken from the corrupted run;
* **batched** (``circuits/fast_patching.py``): the same numbers from runs that start at the patched
  layer, compute only the positions from the first one a patch changes (a frozen key-value cache holds
  the rest) and patch several heads per run along the batch; noising and denoising.

Printed: seconds, the largest difference from the one-pass numbers, and the peak resident memory.

Run: ``python benchmarks/bench_exact_patching.py [--prompts 24] [--json benchmarks/results/bench_exact_patching.json]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=24)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    import torch

    import glassbox
    from glassbox_jupyter.circuits import patching
    from glassbox_jupyter.circuits.prompts import PromptSet
    from tests.circuits.test_fast_patching import one_pass_per_component

    model = glassbox.demos.load("smollm2")
    prompts = PromptSet.build(model, glassbox.demos.ioi_prompt_set(model, args.prompts, seed=0))
    rows = []

    start = time.perf_counter()
    reference = one_pass_per_component(model, prompts, "corrupted", "noising")
    rows.append({"method": "one pass per component (peer), noising", "seconds": time.perf_counter() - start,
                 "max_diff": 0.0})  # fmt: skip
    for direction in ("noising", "denoising"):
        start = time.perf_counter()
        fast = patching.activation_patching(model, prompts, "corrupted", 0, direction)
        seconds = time.perf_counter() - start
        diff = float(np.abs(fast["heads"] - reference["heads"]).max()) if direction == "noising" else None
        rows.append({"method": f"batched, {direction}", "seconds": seconds, "max_diff": diff})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB

    heads = model.cfg.n_layers * model.cfg.n_heads
    print(f"## Exact patching on SmolLM2-135M ({heads} heads + {model.cfg.n_layers} MLPs), {args.prompts} IOI "
          f"prompts, torch threads {torch.get_num_threads()}; this machine\n")  # fmt: skip
    print("| method | seconds | × vs one pass per component | largest |Δ effect| vs it |")
    print("|---|---|---|---|")
    base = rows[0]["seconds"]
    for r in rows:
        diff = "—" if r["max_diff"] is None else f"{r['max_diff']:.1e}"
        print(f"| {r['method']} | {r['seconds']:.1f} | {base / r['seconds']:.1f}× | {diff} |")
    top = np.dstack(np.unravel_index(np.argsort(-reference["heads"].ravel())[:5], reference["heads"].shape))[0]
    print(f"\npeak resident memory of the whole run: {peak:.2f} GiB; target ≤ 30 s for batched noising: "
          f"{'met' if rows[1]['seconds'] <= 30 else 'NOT met'}")  # fmt: skip
    print("heads with the largest exact noising effect: " + ", ".join(
        f"L{l}H{h} {reference['heads'][l, h]:+.3f}" for l, h in top))  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "peak_gib": peak}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
