"""The transformers ``bench_circuits.py`` measures: the shipped IOI demo and two larger IOI models.

The larger ones are trained here with the demo's own seeded recipe
(:func:`glassbox_jupyter.demos.training.ioi.train`, other ``HookedTransformerConfig`` sizes, with
MLPs) and cached in ``benchmarks/.cache/circuits`` so later runs only load them. The shipped model
is the one ``glassbox.demos.load("ioi")`` returns.

Example:
    >>> from circuit_models import load  # doctest: +SKIP
    >>> model, card = load("ioi-3L")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parent / ".cache" / "circuits"

#: name -> (config overrides of the demo's CONFIG, training steps); None = the shipped demo.
SIZES: dict[str, tuple[dict[str, Any], int] | None] = {
    "ioi (shipped demo)": None,
    "ioi-3L": ({"n_layers": 3, "d_model": 128, "n_heads": 8, "d_head": 16, "attn_only": False, "d_mlp": 256}, 1500),
    "ioi-4L": ({"n_layers": 4, "d_model": 128, "n_heads": 8, "d_head": 16, "attn_only": False, "d_mlp": 256}, 1500),
}


def load(name: str) -> tuple[Any, dict[str, Any]]:
    """The model called ``name`` (training and caching it on first use) and its card."""
    import torch

    import glassbox
    from glassbox_jupyter.demos import ioi
    from glassbox_jupyter.demos.training import ioi as recipe
    from glassbox_jupyter.demos.training.common import save_demo

    if SIZES[name] is None:
        model = glassbox.demos.load("ioi")
        card = json.loads((ioi.MODELS / "ioi.json").read_text(encoding="utf-8"))
        return model, card
    slug = name.replace(" ", "_")
    if not (CACHE / f"{slug}.json").exists():
        overrides, steps = SIZES[name]
        torch.set_num_threads(1)  # the recipe is CPU-deterministic on one thread
        start = time.perf_counter()
        model, metrics = recipe.train(steps=steps, config=overrides, tokenizer_path=CACHE / ioi.TOKENIZER_FILE)
        print(f"trained {name} in {time.perf_counter() - start:.0f} s: {metrics}", flush=True)
        card = {
            "name": slug,
            "kind": "hooked_transformer",
            "config": {k: v for k, v in model.cfg.to_dict().items() if k in recipe.CONFIG or k in overrides},
            "tokenizer": ioi.TOKENIZER_FILE,
            "metrics": metrics,
        }
        save_demo(slug, model, card, CACHE)
        torch.set_num_threads(torch.get_num_threads())
    model = ioi.load_hooked_transformer(slug, models_dir=CACHE)
    card = json.loads((CACHE / f"{slug}.json").read_text(encoding="utf-8"))
    return model, card


if __name__ == "__main__":
    for size in SIZES:
        m, c = load(size)
        print(size, {k: c["config"][k] for k in ("n_layers", "n_heads", "d_model", "attn_only")}, c.get("metrics"))
