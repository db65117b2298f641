"""Glassbox 2.0's token-tensor methods (``gb.attribution_patching(tokens_c, tokens_corr, t_tok, d_tok)`` and
friends) as a mixin of :class:`~glassbox_jupyter.compat.v2.GlassboxV2`: each converts its tensors to a
one-prompt :class:`~glassbox_jupyter.circuits.prompts.PromptSet`, calls the native engine, and reshapes the
result into Glassbox 2.0's return value.

Example:
    >>> gb = GlassboxV2(glassbox.demos.load("ioi"))                               # doctest: +SKIP
    >>> tokens = gb.model.to_tokens("When Mary and John went to the store, John gave a drink to")  # doctest: +SKIP
    >>> gb.logit_lens(tokens, " Mary", " John")["logit_diffs"]                    # doctest: +SKIP
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.circuits import lens, patching
from glassbox_jupyter.circuits.alignment import align_circuits, head_functions
from glassbox_jupyter.circuits.attention import attention_patterns as native_attention_patterns
from glassbox_jupyter.circuits.prompts import PromptSet
from glassbox_jupyter.circuits.tokens import token_attribution as native_token_attribution
from glassbox_jupyter.compat.v2_results import head_dict, token_prompt_set

if TYPE_CHECKING:
    from glassbox_jupyter.circuits.analyzer import CircuitAnalyzer

Head = tuple[int, int]


def _label(head: Head) -> str:
    return f"L{head[0]:02d}H{head[1]:02d}"


class TensorMethods:
    """The token-tensor half of Glassbox 2.0's ``GlassboxV2`` (attributes set by ``GlassboxV2.__init__``)."""

    model: Any
    n_layers: int
    _native: CircuitAnalyzer

    def attribution_patching(
        self,
        clean_tokens: Any,
        corrupted_tokens: Any,
        target_token: Any,
        distractor_token: Any,
        method: str = "taylor",
        n_steps: int = 10,
    ) -> tuple[dict[Head, float], float]:
        """``({(layer, head): score}, clean_ld)``: native attribution patching on one clean/corrupted pair."""
        if method not in ("taylor", "integrated_gradients"):
            raise ValueError(f"method must be 'taylor' or 'integrated_gradients', got {method!r}")
        prompts = token_prompt_set(self.model, clean_tokens, corrupted_tokens, target_token, distractor_token)
        scores = patching.attribution_patching(self.model, prompts, method, n_steps, self._native.precision)
        clean, _ = patching.clean_and_corrupted(self.model, prompts, corrupted=False)
        return head_dict(scores["heads"]), float(clean[0])

    def mlp_attribution(
        self, clean_tokens: Any, corrupted_tokens: Any, target_token: Any, distractor_token: Any
    ) -> dict[int, float]:
        """``{layer: score}``: each MLP's first-order (Taylor) attribution on one clean/corrupted pair."""
        prompts = token_prompt_set(self.model, clean_tokens, corrupted_tokens, target_token, distractor_token)
        return self.mlp_attribution_scores(prompts, "taylor", 10)

    def mlp_attribution_scores(self, prompts: PromptSet, method: str, n_steps: int) -> dict[int, float]:
        """``{layer: score}`` from the native attribution patching (an attention-only model has no MLPs: error)."""
        self._native._require_mlps()
        mlps = patching.attribution_patching(self.model, prompts, method, n_steps, self._native.precision)["mlps"]
        return {layer: float(v) for layer, v in enumerate(mlps)}

    # ------------------------------------------------------------------ logit lens
    def logit_lens(self, tokens: Any, target_token: Any, distractor_token: Any) -> dict[str, Any]:
        """Logit difference after each block and each head's and MLP's direct effect (native ``logit_lens``)."""
        prompts = token_prompt_set(self.model, tokens, tokens, target_token, distractor_token)
        target, distractor = (
            given if isinstance(given, str) else text
            for given, text in zip((target_token, distractor_token), prompts.texts[0][1:3])
        )
        return self._lens_dict(lens.logit_lens(self.model, prompts), target, distractor)

    def _lens_dict(self, result: dict[str, Any], target: str, distractor: str) -> dict[str, Any]:
        """Glassbox 2.0's lens dict from the native one (its ``mlp_direct_effects`` is ``{}`` without MLPs)."""
        diffs = [float(v) for v in result["by_layer"]]
        direct = np.asarray(result["direct_effects"])
        mlp = result.get("mlp_direct_effects")
        return {
            "logit_diffs": diffs,
            "logit_shifts": [b - a for a, b in itertools.pairwise(diffs)],
            "head_direct_effects": {layer: [float(v) for v in direct[layer]] for layer in range(len(direct))},
            "mlp_direct_effects": {} if mlp is None else {layer: float(v) for layer, v in enumerate(mlp)},
            "target_token": target,
            "distractor_token": distractor,
        }

    # ------------------------------------------------------------------ attention and tokens
    def attention_patterns(self, tokens: Any, heads: Sequence[Head] | None = None, top_k: int = 10) -> dict[str, Any]:
        """Full attention matrices, entropy and head type for ``heads`` (native ``attention_patterns``).

        With ``heads=None`` the ``top_k`` most focused heads are chosen (lowest normalised entropy of the
        last position's attention). ``entropy`` is the native entropy (nats) of the last position's row;
        ``head_types`` are the native types on repeated random tokens (``"mixed"`` when none fits).
        """
        last = int(tokens.reshape(-1)[-1])  # no answers in this signature: a pair that is never IOI-shaped
        prompts = token_prompt_set(self.model, tokens, tokens, last, last)
        if heads is None:
            native = native_attention_patterns(self.model, prompts, "auto", 3, n_auto=top_k)
        else:
            native = native_attention_patterns(self.model, prompts, list(heads), 3)
        records = list(native.records)
        chosen = [(r.layer, r.head) for r in records]
        return {
            "heads": [_label(h) for h in chosen],
            "patterns": {_label((r.layer, r.head)): r.matrix.astype(np.float32) for r in records},
            "entropy": {_label((r.layer, r.head)): float(r.entropy[0]) for r in records},
            "last_tok_attn": {_label((r.layer, r.head)): r.pattern for r in records},
            "head_types": {_label((r.layer, r.head)): r.head_type or "mixed" for r in records},
            "token_strs": list(native.tokens),
        }

    def token_attribution(self, tokens: Any, target_token: Any, distractor_token: Any) -> dict[str, Any]:
        """Gradient × embedding per input token (native ``token_attribution``, ``grad_x_input`` from a zero
        baseline: exactly ``embed(t_i) · ∂LD/∂embed(t_i)``)."""
        prompts = token_prompt_set(self.model, tokens, tokens, target_token, distractor_token)
        result = native_token_attribution(self.model, prompts, method="grad_x_input", baseline="zero")
        scores = [float(v) for v in result.scores[0]]
        ids = [int(t) for t in prompts.buckets[0].clean[0]]
        strs = result.tokens[0]
        ranked = sorted(range(len(scores)), key=lambda i: -abs(scores[i]))[:5]
        return {
            "token_ids": ids,
            "token_strs": strs,
            "attributions": scores,
            "abs_attributions": [abs(v) for v in scores],
            "top_tokens": [
                {"rank": r + 1, "token_str": strs[i], "token_id": ids[i], "attribution": scores[i], "position": i}
                for r, i in enumerate(ranked)
            ],
        }

    # ------------------------------------------------------------------ two models
    def functional_circuit_alignment(
        self,
        heads_a: Sequence[dict[str, Any]],
        heads_b: Sequence[dict[str, Any]],
        top_k: int = 3,
        n_null: int = 1000,
        seed: int = 42,
        *,
        model_b: Any = None,
        prompts: Sequence[Sequence[str]] | None = None,
    ) -> dict[str, Any]:
        """Glassbox 2.0's FCAS on the native :func:`~glassbox_jupyter.circuits.alignment.align_circuits`.

        ``heads_a`` (this model's) and ``heads_b``: :meth:`get_top_heads` lists (``layer``, ``head``,
        ``rel_depth``); their first ``top_k`` heads are the circuits. Heads are matched one-to-one by relative
        depth (Glassbox 2.0 paired them by rank), so ``fcas = 1 − mean |Δdepth|`` over the best matching. The
        null is the native one, random circuits of the same sizes drawn from each model's heads; ``p_value``
        is added. Without ``model_b`` B's layer count is read off ``heads_b`` (``layer / rel_depth``) and heads
        are matched by depth alone; with ``model_b`` and ``prompts`` (IOI-style rows) they are also matched by
        function (IOI role, else head type; ``matched_by`` says which).
        """
        k = min(int(top_k), len(heads_a), len(heads_b))
        if k < 1:
            raise ValueError("heads_a and heads_b must each list at least one head (from get_top_heads) and top_k >= 1")
        circuit_a, circuit_b = (
            _circuit_of(heads[:k], name) for heads, name in ((heads_a, "heads_a"), (heads_b, "heads_b"))
        )
        cfg = self.model.cfg
        shape_a = (cfg.n_layers, cfg.n_heads)
        shape_b = _shape_of(heads_b[:k]) if model_b is None else (model_b.cfg.n_layers, model_b.cfg.n_heads)
        for heads, shape, name in ((heads_a, shape_a, "heads_a"), (heads_b, shape_b, "heads_b")):
            _check_depths(heads[:k], shape[0], name)
        functions_a = functions_b = None
        if model_b is not None and prompts is not None:
            functions_a = head_functions(self.model, PromptSet.build(self.model, [tuple(p) for p in prompts]))
            functions_b = head_functions(model_b, PromptSet.build(model_b, [tuple(p) for p in prompts]))
        result = align_circuits(
            circuit_a, circuit_b, shape_a, shape_b, functions_a, functions_b, n_null=n_null, seed=seed
        )
        return {
            "fcas": result.score,
            "null_mean": result.null_mean,
            "null_std": float(result.null.std()),  # Glassbox 2.0's population std
            "z_score": 0.0 if result.z is None else float((result.score - result.null_mean) / result.null.std()),
            "p_value": result.p_value,
            "matched_by": result.matched_by,
            "pairs": [
                {
                    "rank": pair["rank_a"],
                    "model_a": f"{pair['head_a']} (depth={pair['depth_a']:.3f})",
                    "model_b": f"{pair['head_b']} (depth={pair['depth_b']:.3f})",
                    "depth_diff": abs(pair["depth_a"] - pair["depth_b"]),
                    "aligned": abs(pair["depth_a"] - pair["depth_b"]) < 0.15,
                    "similarity": pair["similarity"],
                }
                for pair in result.pairs
            ],
        }


def _circuit_of(heads: Sequence[dict[str, Any]], name: str) -> list[Head]:
    try:
        return [(int(h["layer"]), int(h["head"])) for h in heads]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"{name} must be get_top_heads() output: dicts with 'layer', 'head' and 'rel_depth'") from None


def _shape_of(heads: Sequence[dict[str, Any]]) -> tuple[int, int]:
    """A model's ``(n_layers, n_heads)`` as far as its top heads tell: ``n_layers − 1 = layer / rel_depth``
    from any head below the first layer, else the deepest layer listed; heads up to the largest index listed."""
    deep = [h for h in heads if float(h["rel_depth"]) > 0]
    n_layers = (
        round(int(deep[0]["layer"]) / float(deep[0]["rel_depth"])) + 1
        if deep
        else max(int(h["layer"]) for h in heads) + 1
    )
    return n_layers, max(int(h["head"]) for h in heads) + 1


def _check_depths(heads: Sequence[dict[str, Any]], n_layers: int, name: str) -> None:
    for h in heads:
        expected = int(h["layer"]) / max(n_layers - 1, 1)
        if "rel_depth" in h and abs(float(h["rel_depth"]) - expected) > 1e-6:
            raise ValueError(
                f"{name}: head L{h['layer']}H{h['head']} has rel_depth {h['rel_depth']} but layer {h['layer']} of "
                f"{n_layers} layers is at {expected:.3f}; pass heads from get_top_heads of that model (or model_b=)"
            )
