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

from glassbox_jupyter.circuits.fast_patching import BatchedPatcher
from glassbox_jupyter.circuits.patching import Head, ablation_values, run_ablated_many, z_name
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet, sliceable
from glassbox_jupyter.circuits.recorded import recorded_run
from glassbox_jupyter.finding.stats import bootstrap_ci


def ablated_logit_diffs(model: Any, prompts: PromptSet, heads: list[Head], ablation: str, seed: int) -> np.ndarray:
    """The logit difference of each prompt with ``heads`` ablated (``ablation``: what an ablated head outputs)."""
    return ablated_logit_diffs_many(model, prompts, [heads], ablation, seed)[0]


def ablated_logit_diffs_many(
    model: Any, prompts: PromptSet, head_sets: list[list[Head]], ablation: str, seed: int
) -> np.ndarray:
    """``[len(head_sets) prompts]``: :func:`ablated_logit_diffs` of each set of heads, the sets batched into
    shared forward passes that start at the first patched layer and compute only the positions the
    ablation changes (:meth:`~glassbox_jupyter.circuits.fast_patching.BatchedPatcher.patched_sets`; a
    model that cannot start a pass at a layer runs whole passes,
    :func:`~glassbox_jupyter.circuits.patching.run_ablated_many`)."""
    out = np.zeros((len(head_sets), len(prompts)))
    names = [z_name(layer) for layer in range(model.cfg.n_layers)]
    for b in prompts.buckets:
        # the ablated values depend only on the bucket: a circuit search (or clicks) asks many times
        cache = b.ablation_cache
        if cache.get("model") is not model or cache.get("how") != (ablation, seed):
            cache.clear()
            cache.update(model=model, how=(ablation, seed), values=ablation_values(model, b, names, ablation, seed))
        if sliceable(model):  # from the first patched layer, over the positions the ablation changes
            if "patcher" not in cache:
                run = recorded_run(model, b, "clean")
                cache["patcher"] = BatchedPatcher(model, b.clean, cache["values"], b.correct, b.incorrect, run)
            out[:, b.rows] = cache["patcher"].patched_sets(head_sets).numpy()
        else:
            out[:, b.rows] = run_ablated_many(model, b, head_sets, cache["values"]).numpy()
    return out


METRICS = ("sufficiency", "comprehensiveness", "f1")
#: Prefixes of the head ranking whose sufficiency one batched pass measures in the circuit search.
PREFIXES_PER_PASS = 4


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
    keep_only, without = ablated_logit_diffs_many(model, prompts, [outside, circuit], ablation, seed)
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

    def sufficiencies(candidates: list[list[Head]]) -> list[float]:  # one batched set of forward passes
        sets = [sorted(everything - set(heads)) for heads in candidates]
        keep_only = ablated_logit_diffs_many(model, prompts, sets, ablation, seed)
        return [float(_scores(clean, corrupted, row, row)[0]) for row in keep_only]

    # growing: the first prefix of the ranking that is sufficient (PREFIXES_PER_PASS prefixes measured at once)
    circuit = list(order)
    for start in range(0, len(order), PREFIXES_PER_PASS):
        prefixes = [order[: i + 1] for i in range(start, min(start + PREFIXES_PER_PASS, len(order)))]
        hit = next((p for p, s in zip(prefixes, sufficiencies(prefixes)) if s >= target), None)
        if hit is not None:
            circuit = hit
            break
    # pruning, weakest head first: every remaining removal is measured at once; the first that keeps the
    # target is made and the heads after it are tried against the smaller circuit (as one at a time would)
    queue = sorted(circuit, key=lambda h: scores[h])
    while queue:
        trials = [[h for h in circuit if h != head] for head in queue]
        passed = [i for i, (trial, s) in enumerate(zip(trials, sufficiencies(trials))) if trial and s >= target]
        if not passed:
            break
        circuit, queue = trials[passed[0]], queue[passed[0] + 1 :]
    return sorted(circuit)
