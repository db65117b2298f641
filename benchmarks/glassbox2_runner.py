"""Run the real Glassbox 2.0 (``glassbox-mech-interp`` 4.6.0) README quickstart on a local model; write JSON.

Runs INSIDE ``benchmarks/.venv-glassbox2`` (made by ``benchmarks/setup_glassbox2.sh``: torch 2.10,
transformer-lens 2.18, numpy 1.26), never in the main venv, and never imports ``glassbox_jupyter`` (in that
venv ``import glassbox`` is Glassbox 2.0 itself). ``benchmarks/bench_compat.py`` writes the input and calls::

    benchmarks/.venv-glassbox2/bin/python benchmarks/glassbox2_runner.py input.json [output.json]

Input JSON::

    {"config": {HookedTransformerConfig kwargs}, "weights": "ioi.safetensors",
     "tokenizer": "ioi_tokenizer.json", "special_token": "<|endoftext|>",
     "prompts": [{"prompt": str, "correct": " Mary", "incorrect": " John"}, ...],
     "method": "taylor", "threads": 1, "warmup": true}

The model is built from the config and the safetensors weights (no pickle). Each prompt runs
``GlassboxV2(model).analyze(prompt=..., correct=..., incorrect=..., method=...)`` exactly as the library's
README does; ``seconds`` is that call's wall time (``time.perf_counter``). One untimed call on the first prompt
runs first (the warm-up: first-call costs such as lazy imports are not charged to a prompt). If that call fails
on an attention-only model (Glassbox 2.0's ``analyze`` always runs ``mlp_attribution``, which reads
``hook_mlp_out``, a hook an attention-only model never runs: ``KeyError``), the error is recorded as
``unpatched_error`` and ``GlassboxV2.mlp_attribution`` is replaced by one returning ``{}`` (there are no MLPs to
attribute; GlassBox's layer returns ``{}`` too), listed under ``patches``; nothing else is changed.

Output JSON: ``{"versions": {...}, "threads": n, "load_s": float, "unpatched_error": str | None,
"patches": [str, ...], "runs": [{"seconds": float,
"result": <analyze's dict, JSON-safe: tuples as lists>}, ...]}``.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

SPECIAL_TOKEN = "<|endoftext|>"


def load_model(config: dict, weights: str, tokenizer_file: str, special: str) -> Any:
    """An eval-mode HookedTransformer (transformer-lens 2.x) from a config, safetensors weights and a tokenizer."""
    from safetensors.torch import load_file
    from transformer_lens import HookedTransformer, HookedTransformerConfig
    from transformers import PreTrainedTokenizerFast

    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=tokenizer_file,
        bos_token=special,
        eos_token=special,
        pad_token=special,
        add_bos_token=True,
        name_or_path="glassbox-demo-ioi",
        padding_side="right",
    )
    cfg = HookedTransformerConfig(**(config | {"init_weights": False, "device": "cpu"}))
    model = HookedTransformer(cfg, tokenizer=tokenizer, move_to_device=False)
    # transformer-lens 3.x saves blocks.{L}.attn.mask as an empty (0, 0) placeholder; 2.x keeps its own causal
    # mask buffer. Only that placeholder is dropped; every other tensor must match (strict load below).
    source, target = load_file(weights), model.state_dict()
    for key in [k for k in source if k.endswith(".attn.mask")]:
        if key in target and source[key].shape != target[key].shape:
            if source[key].numel() != 0:
                raise ValueError(f"{key}: a non-empty mask of shape {tuple(source[key].shape)} does not fit")
            source[key] = target[key]
    model.load_state_dict(source, strict=True)
    return model.eval()


def json_safe(value: Any) -> Any:
    """Tuples to lists, numpy/torch scalars to Python numbers, anything else unknown to its str."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def main(spec: dict) -> dict:
    import torch

    from glassbox import GlassboxV2

    torch.set_num_threads(int(spec.get("threads", 1)))
    start = time.perf_counter()
    model = load_model(spec["config"], spec["weights"], spec["tokenizer"], spec.get("special_token", SPECIAL_TOKEN))
    load_s = time.perf_counter() - start
    method = spec.get("method", "taylor")
    prompts = spec["prompts"]
    patches = []
    try:  # the quickstart as published (untimed; it doubles as the warm-up)
        first = prompts[0]
        GlassboxV2(model).analyze(
            prompt=first["prompt"], correct=first["correct"], incorrect=first["incorrect"], method=method
        )
        unpatched_error = None
    except Exception as exc:  # recorded and reported, then worked around below where we can
        unpatched_error = f"{type(exc).__name__}: {exc}"
        if not model.cfg.attn_only:
            raise
        # Glassbox 2.0's analyze() always calls mlp_attribution(), which caches blocks.{L}.hook_mlp_out; an
        # attention-only model never runs that hook, so the lookup raises KeyError. An attention-only model has
        # no MLPs to attribute: the same empty dict GlassBox's layer returns. Nothing else is changed.
        GlassboxV2.mlp_attribution = lambda self, *args, **kwargs: {}
        patches.append("GlassboxV2.mlp_attribution returns {} (attention-only model; 2.0 raises KeyError)")
        if spec.get("warmup", True):
            GlassboxV2(model).analyze(
                prompt=first["prompt"], correct=first["correct"], incorrect=first["incorrect"], method=method
            )
    runs = []
    for item in prompts:
        start = time.perf_counter()
        result = GlassboxV2(model).analyze(
            prompt=item["prompt"], correct=item["correct"], incorrect=item["incorrect"], method=method
        )
        runs.append({"seconds": time.perf_counter() - start, "result": json_safe(result)})
    return {
        "versions": {name: version(name) for name in ("glassbox-mech-interp", "torch", "transformer-lens", "numpy")},
        "threads": torch.get_num_threads(),
        "load_s": load_s,
        "unpatched_error": unpatched_error,
        "patches": patches,
        "runs": runs,
    }


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: glassbox2_runner.py INPUT.json [OUTPUT.json]")
    out = json.dumps(main(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))), indent=1)
    if len(sys.argv) == 3:
        Path(sys.argv[2]).write_text(out, encoding="utf-8")
    else:
        print(out)
