"""How faithful a circuit (a set of heads) is, measured by exact ablation, with bootstrap CIs.

With ``M`` the mean logit difference, ``clean``/``corrupted`` the two unablated runs:

- sufficiency = (M(ablate every head outside the circuit) − M(corrupted)) / (M(clean) − M(corrupted))
- comprehensiveness = (M(clean) − M(ablate the circuit)) / (M(clean) − M(corrupted))
- F1 = harmonic mean of the two (each clipped to [0, 1])

Ablation replaces a head's output ``hook_z`` by its value on the paired corrupted prompt (default).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from glassbox_jupyter.circuits.patching import Head, ablation_values, run_ablated, z_name
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet
from glassbox_jupyter.finding.stats import bootstrap_ci


def ablated_logit_diffs(model: Any, prompts: PromptSet, heads: list[Head], ablation: str, seed: int) -> np.ndarray:
    """The logit difference of each prompt with ``heads`` ablated (``ablation``: what an ablated head outputs)."""
    out = np.zeros(len(prompts))
    names = [z_name(layer) for layer in range(model.cfg.n_layers)]
    for b in prompts.buckets:
        # the ablated values depend only on the bucket: a circuit search (or clicks) asks many times
        cache = b.ablation_cache
        if cache.get("model") is not model or cache.get("how") != (ablation, seed):
            cache.update(model=model, how=(ablation, seed), values=ablation_values(model, b, names, ablation, seed))
        out[b.rows] = run_ablated(model, b, heads, values=cache["values"]).numpy()
    return out


METRICS = ("sufficiency", "comprehensiveness", "f1")


def _scores(clean: np.ndarray, corrupted: np.ndarray, keep_only: np.ndarray, without: np.ndarray) -> np.ndarray:
    """Sufficiency, comprehensiveness and F1 from per-prompt logit differences along the last axis.

    Inputs are ``(..., prompts)``; the result is ``(..., 3)`` (NaN where clean and corrupted do not differ).
    """
    span = clean.mean(axis=-1) - corrupted.mean(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        sufficiency = (keep_only.mean(axis=-1) - corrupted.mean(axis=-1)) / span
        comprehensiveness = (clean.mean(axis=-1) - without.mean(axis=-1)) / span
        s, c = np.clip(sufficiency, 0, 1), np.clip(comprehensiveness, 0, 1)
        f1 = np.where(s + c == 0, 0.0, 2 * s * c / (s + c))
    scores = np.stack([sufficiency, comprehensiveness, f1], axis=-1)
    return np.where(np.abs(span)[..., None] < 1e-9, np.nan, scores)


def faithfulness(
    model: Any,
    prompts: PromptSet,
    circuit: Iterable[Head],
    clean: np.ndarray,
    corrupted: np.ndarray,
    ablation: str = "corrupted",
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Exact sufficiency, comprehensiveness and F1 of ``circuit``, each with a bootstrap CI over prompts."""
    cfg = model.cfg
    circuit = sorted({(int(layer), int(head)) for layer, head in circuit})
    for layer, head in circuit:
        if not (0 <= layer < cfg.n_layers and 0 <= head < cfg.n_heads):
            raise PromptError(
                f"head L{layer}H{head} is out of range: the model has {cfg.n_layers} layers × {cfg.n_heads} heads"
            )
    everything = [(layer, head) for layer in range(cfg.n_layers) for head in range(cfg.n_heads)]
    outside = [h for h in everything if h not in circuit]
    keep_only = ablated_logit_diffs(model, prompts, outside, ablation, seed)
    without = ablated_logit_diffs(model, prompts, circuit, ablation, seed)
    runs = (clean, corrupted, keep_only, without)
    point = _scores(*runs)
    out: dict[str, dict[str, Any]] = {}
    for k, key in enumerate(METRICS):
        ci = bootstrap_ci(lambda *r, k=k: _scores(*r)[:, k], *runs, n_boot=n_boot, seed=seed)
        out[key] = {"value": float(point[k]), "ci": None if ci is None else list(ci), "exact": True}
    return out


def minimum_faithful_circuit(
    model: Any,
    prompts: PromptSet,
    scores: np.ndarray,
    clean: np.ndarray,
    corrupted: np.ndarray,
    target: float = 0.8,
    ablation: str = "corrupted",
    seed: int = 0,
) -> list[Head]:
    """Greedy: add heads by descending ``scores`` until exact sufficiency reaches ``target``,
    then drop any head whose removal keeps it there (exact ablation runs throughout)."""
    layer_ids, head_ids = np.unravel_index(np.argsort(-scores, axis=None), scores.shape)
    order: list[Head] = [(int(layer), int(head)) for layer, head in zip(layer_ids, head_ids)]
    circuit: list[Head] = []
    everything = set(order)

    def sufficiency(heads: list[Head]) -> float:
        keep_only = ablated_logit_diffs(model, prompts, sorted(everything - set(heads)), ablation, seed)
        return float(_scores(clean, corrupted, keep_only, keep_only)[0])

    for head in order:
        circuit.append(head)
        if sufficiency(circuit) >= target:
            break
    for head in sorted(circuit, key=lambda h: scores[h]):
        smaller = [h for h in circuit if h != head]
        if smaller and sufficiency(smaller) >= target:
            circuit = smaller
    return sorted(circuit)
