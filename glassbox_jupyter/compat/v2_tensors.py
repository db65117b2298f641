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
