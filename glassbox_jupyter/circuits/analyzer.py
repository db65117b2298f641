"""CircuitAnalyzer: find the attention heads that cause a transformer's prediction.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> analyzer = glassbox.CircuitAnalyzer(glassbox.demos.load("ioi"))  # doctest: +SKIP
    >>> finding = analyzer.analyze("When Mary and John went to the store, John gave a drink to",
    ...                            " Mary", " John")  # doctest: +SKIP
    >>> finding.circuit, finding.faithfulness["f1"]["value"]  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np

from glassbox_jupyter.circuits import lens, patching
from glassbox_jupyter.circuits.faithfulness import faithfulness, minimum_faithful_circuit
from glassbox_jupyter.circuits.finding import CircuitFinding
from glassbox_jupyter.circuits.measured import MeasuredResult, capture
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet, require_hooked_transformer
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.teacher.transformer import TransformerAdapter

if TYPE_CHECKING:
    import altair as alt

    from glassbox_jupyter.circuits.attention import AttentionPatterns
    from glassbox_jupyter.circuits.composition import HeadCompositionAnalyzer
    from glassbox_jupyter.circuits.edges import EdgeAttribution
    from glassbox_jupyter.circuits.roles import HeadRoles
    from glassbox_jupyter.circuits.sae import FeatureAttribution
    from glassbox_jupyter.circuits.stability import StabilityResult
    from glassbox_jupyter.circuits.tokens import TokenAttribution


@dataclass
class MLPAttribution(MeasuredResult):
    """Each MLP's attribution ``[layer]`` beside its exact effect (``mlp_attribution(prompts, exact=True)``).

    ``scores``: the gradient estimate by ``method`` of ``M(clean) − M(clean with the MLP's output from the
    corrupted prompt)``; ``exact``: that drop measured by activation patching (one patched run per MLP);
    ``correlation``: Pearson's r between the two over layers (NaN with fewer than two layers or a constant
    side); ``max_abs_error``: the largest ``|scores − exact|``.
    """

    scores: np.ndarray
    exact: np.ndarray
    method: str
    correlation: float
    max_abs_error: float
    provenance: Provenance | None = None
    kind = "mlp_attribution"

    def result_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "scores": self.scores,
            "exact": self.exact,
            "correlation": self.correlation,
            "max_abs_error": self.max_abs_error,
        }


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2 or np.std(a) == 0 or np.std(b) == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


class CircuitAnalyzer:
    """Circuit discovery for any TransformerLens ``HookedTransformer``.

    Args:
        model: the HookedTransformer (with a tokenizer).
        method: head attribution used to rank heads: ``"integrated_gradients"`` (default; ``n_steps``
            gradient passes from the corrupted to the clean embeddings), ``"taylor"`` (attribution
            patching, one backward pass; first order, so it can badly underrate heads whose effect is
            non-linear — on the IOI demo it gives the subject reader L0H0 0.13 where exact patching
            gives 4.7, see ``benchmarks/results/bench_circuits.txt``) or ``"exact"`` (activation patching).
        ablation: what an ablated head outputs: ``corrupted`` (its value on the paired corrupted
            prompt), ``mean``, ``zero`` or ``resample``.
        target: sufficiency the minimum faithful circuit must reach.
        n_boot: bootstrap resamples for the faithfulness CIs.
        precision: what the gradient attributions run in: ``"auto"`` (bfloat16 matrix products for a model of
            20M+ parameters on a processor with native bfloat16, else float32; see
            :func:`~glassbox_jupyter.circuits.patching.gradient_precision`), ``"float32"`` or ``"bfloat16"``.
            It only affects the ranking; faithfulness, agreement and exact patching run in the model's own
            precision. The finding's provenance records the precision used.
    """

    def __init__(
        self,
        model: Any,
        method: str = "integrated_gradients",
        ablation: str = "corrupted",
        target: float = 0.8,
        n_boot: int = 1000,
        seed: int = 0,
        n_steps: int = 8,
        precision: str = "auto",
    ):
        self.model = require_hooked_transformer(model)
        self.precision = patching.gradient_precision(self.model, precision)
        if method not in ("taylor", "integrated_gradients", "exact"):
            raise ValueError(f"method must be 'taylor', 'integrated_gradients' or 'exact', got {method!r}")
        if ablation not in patching.ABLATIONS:
            raise ValueError(f"ablation must be one of {patching.ABLATIONS}, got {ablation!r}")
        self.method, self.ablation, self.target = method, ablation, target
        self.n_boot, self.seed, self.n_steps = n_boot, seed, n_steps

    # ------------------------------------------------------------------ entry points
    def prompts(self, prompts: Sequence[Sequence[Any]]) -> PromptSet:
        return PromptSet.build(self.model, prompts)

    def analyze(
        self,
        prompt: str | None = None,
        correct: str | None = None,
        incorrect: str | None = None,
        corrupted_prompt: str | None = None,
        *,
        prompts: Sequence[Sequence[Any]] | None = None,
        held_out: float = 0.3,
    ) -> CircuitFinding:
        """Rank heads, find the minimum faithful circuit and measure it exactly.

        Give one prompt with its answers, or ``prompts=[(prompt, correct, incorrect, corrupted), ...]``.
        With 8 or more prompts, ``held_out`` of them measure the circuit's agreement with the model.
        """
        if prompts is None:
            if prompt is None or correct is None or incorrect is None:
                raise PromptError("give prompt, correct and incorrect, or prompts=[...]")
            prompts = [(prompt, correct, incorrect, corrupted_prompt)]
        items = list(prompts)
        if not items:
            raise PromptError("the prompt set is empty; pass at least one (prompt, correct, incorrect[, corrupted])")
        rng = np.random.default_rng(self.seed)
        held = None
        if len(items) >= 8 and held_out > 0:
            order = rng.permutation(len(items))
            cut = max(2, round(len(items) * held_out))
            held = PromptSet.build(self.model, [items[i] for i in order[:cut]])
            items = [items[i] for i in order[cut:]]
        prompt_set = PromptSet.build(self.model, items)
        clean, corrupted = patching.clean_and_corrupted(self.model, prompt_set)
        scores = self.head_scores(prompt_set)
        circuit = minimum_faithful_circuit(
            self.model, prompt_set, scores, clean, corrupted, self.target, self.ablation, self.seed
        )
        from glassbox_jupyter.circuits.roles import combined_head_types, ioi_head_roles

        roles = ioi_head_roles(self.model, prompt_set)
        extras: dict[str, Any] = {
            "head_types": combined_head_types(lens.head_types(self.model, self.seed), roles),
            "head_roles": roles,
            "logit_lens": lens.logit_lens(self.model, prompt_set),  # one cached forward pass per bucket
        }
        cfg = self.model.cfg
        if self.method != "exact" and cfg.n_layers * cfg.n_heads <= 256:
            extras["exact_effects"] = patching.activation_patching(self.model, prompt_set, self.ablation, self.seed)[
                "heads"
            ]
        elif self.method == "exact":
            extras["exact_effects"] = scores
        provenance = Provenance.capture(
            TransformerAdapter(self.model),
            probe={"prompts": len(prompt_set), "held_out": 0 if held is None else len(held)},
            seed=self.seed,
            method={
                "name": "circuit",
                "attribution": self.method,
                "ablation": self.ablation,
                "target": self.target,
                "gradient_precision": None if self.method == "exact" else self.precision,
            },
        )
        return CircuitFinding(
            self, prompt_set, held, scores, self.method, circuit, clean, corrupted, provenance, extras
        )

    # ------------------------------------------------------------------ building blocks
    def head_scores(self, prompts: PromptSet) -> np.ndarray:
        if self.method == "exact":
            return patching.activation_patching(self.model, prompts, self.ablation, self.seed)["heads"]
        return patching.attribution_patching(self.model, prompts, self.method, self.n_steps, self.precision)["heads"]

    def attribution_patching(self, prompts: Sequence[Sequence[Any]], method: str = "taylor", n_steps: int = 8) -> dict:
        return patching.attribution_patching(self.model, self.prompts(prompts), method, n_steps, self.precision)

    def activation_patching(
        self, prompts: Sequence[Sequence[Any]], ablation: str | None = None, direction: str = "noising"
    ) -> dict:
        return patching.activation_patching(
            self.model, self.prompts(prompts), ablation or self.ablation, self.seed, direction
        )

    @overload
    def mlp_attribution(
        self, prompts: Sequence[Sequence[Any]], method: str | None = None, exact: Literal[False] = False
    ) -> np.ndarray: ...

    @overload
    def mlp_attribution(
        self, prompts: Sequence[Sequence[Any]], method: str | None = None, *, exact: Literal[True]
    ) -> MLPAttribution: ...

    def mlp_attribution(
        self, prompts: Sequence[Sequence[Any]], method: str | None = None, exact: bool = False
    ) -> np.ndarray | MLPAttribution:
        """Per-layer MLP effects ``[layer]`` by attribution patching (``method``: taylor or integrated_gradients).

        With ``exact=True``: an :class:`MLPAttribution` holding the same scores, each MLP's exact effect by
        activation patching with its corrupted-prompt output, their correlation and largest gap, and the
        provenance (weights hash, prompts, method, ``n_steps``, gradient precision).

        Example:
            >>> checked = analyzer.mlp_attribution(prompts, exact=True)  # doctest: +SKIP
            >>> checked.correlation, checked.max_abs_error  # doctest: +SKIP
        """
        self._require_mlps()
        method = method or ("taylor" if self.method == "exact" else self.method)
        prompt_set = self.prompts(prompts)
        scores = patching.attribution_patching(self.model, prompt_set, method, self.n_steps, self.precision)["mlps"]
        if not exact:
            return scores
        truth = patching.activation_patching(self.model, prompt_set, "corrupted", self.seed)["mlps"]
        settings: dict[str, Any] = {"name": "mlp_attribution", "method": method, "exact": "activation_patching"}
        settings |= {"ablation": "corrupted", "gradient_precision": self.precision}
        if method == "integrated_gradients":
            settings["n_steps"] = self.n_steps
        return MLPAttribution(
            scores=np.asarray(scores, dtype=float),
            exact=np.asarray(truth, dtype=float),
            method=method,
            correlation=_pearson(np.asarray(scores, dtype=float), np.asarray(truth, dtype=float)),
            max_abs_error=float(np.abs(np.asarray(scores) - np.asarray(truth)).max()),
            provenance=capture(self.model, prompt_set, settings, seed=self.seed),
        )

    def _require_mlps(self) -> None:
        if self.model.cfg.attn_only:
            from glassbox_jupyter.circuits.charts import NO_MLPS

            raise PromptError(NO_MLPS)

    def mlp_chart(self, prompts: Sequence[Sequence[Any]], exact: bool = True) -> alt.LayerChart:
        """Altair bars of each MLP's attribution, with exact activation patching beside it."""
        from glassbox_jupyter.circuits.charts import mlp_attribution_chart
        from glassbox_jupyter.widgets.svg import offline_chart

        scores = self.mlp_attribution(prompts)
        truth = self.activation_patching(prompts)["mlps"] if exact else None
        return offline_chart(mlp_attribution_chart(scores, truth, model=self.model))

    def logit_lens_chart(self, prompts: Sequence[Sequence[Any]]) -> alt.HConcatChart:
        """Altair charts: logit difference after each layer | each head's direct effect."""
        import altair as alt

        from glassbox_jupyter.circuits.charts import direct_effects_chart, logit_lens_chart
        from glassbox_jupyter.widgets.svg import offline_chart

        result = self.logit_lens(prompts)
        # what `a | b` builds; each legend under its own chart (not under the first one)
        return offline_chart(
            alt.hconcat(logit_lens_chart(result), direct_effects_chart(result)).resolve_legend(color="independent")
        )

    def logit_lens(self, prompts: Sequence[Sequence[Any]]) -> dict:
        return lens.logit_lens(self.model, self.prompts(prompts))

    def faithfulness(self, prompts: Sequence[Sequence[Any]], circuit: Sequence[tuple[int, int]]) -> dict:
        prompt_set = self.prompts(prompts)
        clean, corrupted = patching.clean_and_corrupted(self.model, prompt_set)
        return faithfulness(self.model, prompt_set, circuit, clean, corrupted, self.ablation, self.n_boot, self.seed)

    def head_types(self, prompts: Sequence[Sequence[Any]] | None = None) -> list[list[str | None]]:
        """Each head's type ``[layer][head]`` (or None).

        Without ``prompts``: measured on repeated random tokens (previous-token, induction, duplicate-token,
        BOS/sink, local, uniform). With IOI-shaped ``prompts``: a head's IOI role at the last token comes
        first (name mover, negative name mover, S-inhibition; see :mod:`~glassbox_jupyter.circuits.roles`).
        """
        generic = lens.head_types(self.model, self.seed)
        if prompts is None:
            return generic
        from glassbox_jupyter.circuits.roles import combined_head_types

        return combined_head_types(generic, self.head_roles(prompts))

    def head_roles(self, prompts: Sequence[Sequence[Any]]) -> HeadRoles | None:
        """Each head's IOI role and the measures behind it (Wang et al. 2022), or None for prompts not IOI-shaped."""
        from glassbox_jupyter.circuits.roles import ioi_head_roles

        return ioi_head_roles(self.model, self.prompts(prompts))

    def edge_attribution_patching(
        self, prompts: Sequence[Sequence[Any]], method: str = "eap_ig", n_steps: int = 8, top_k: int | None = None
    ) -> EdgeAttribution:
        """EAP / EAP-IG scores of sender → receiver edges (:mod:`~glassbox_jupyter.circuits.edges`)."""
        from glassbox_jupyter.circuits.edges import edge_attribution_patching

        return edge_attribution_patching(self.model, self.prompts(prompts), method, n_steps, top_k)

    def exact_edge_patching(self, prompts: Sequence[Sequence[Any]], edges: Sequence[tuple[str, str]]) -> dict:
        """Exact effect of patching each edge alone (the ground truth EAP estimates)."""
        from glassbox_jupyter.circuits.edges import exact_edge_patching

        return exact_edge_patching(self.model, self.prompts(prompts), edges)

    def attention_patterns(
        self, prompts: Sequence[Sequence[Any]], heads: Sequence[tuple[int, int]] | None = None, top_k: int = 3
    ) -> AttentionPatterns:
        """Attention from the last position, entropy, top tokens and head type per head."""
        from glassbox_jupyter.circuits.attention import attention_patterns

        return attention_patterns(
            self.model, self.prompts(prompts), None if heads is None else list(heads), top_k, self.seed
        )

    def token_attribution(
        self,
        prompts: Sequence[Sequence[Any]],
        method: str = "integrated_gradients",
        n_steps: int = 32,
        baseline: str = "corrupted",
    ) -> TokenAttribution:
        """Each input token's share of the logit difference (gradient × input or integrated gradients)."""
        from glassbox_jupyter.circuits.tokens import token_attribution

        return token_attribution(self.model, self.prompts(prompts), method, n_steps, baseline)

    def composition(self) -> HeadCompositionAnalyzer:
        """A :class:`~glassbox_jupyter.circuits.composition.HeadCompositionAnalyzer` for this model."""
        from glassbox_jupyter.circuits.composition import HeadCompositionAnalyzer

        return HeadCompositionAnalyzer(self.model, seed=self.seed)

    def sae_features(
        self,
        prompts: Sequence[Sequence[Any]],
        sae: Any,
        hook_name: str | None = None,
        heads: Sequence[tuple[int, int]] | None = None,
        top_k: int = 10,
    ) -> FeatureAttribution:
        """SAE feature attribution of the logit difference (only through ``heads`` when given)."""
        from glassbox_jupyter.circuits.sae import SAEFeatureAttributor

        attributor = SAEFeatureAttributor(self.model, sae, hook_name)
        prompt_set = self.prompts(prompts)
        if heads is None:
            return attributor.attribute(prompt_set, top_k)
        return attributor.circuit_scoped(prompt_set, list(heads), top_k)

    def attribution_stability(
        self, prompts: Sequence[Sequence[Any]], n_corruptions: int = 10, **kwargs: Any
    ) -> StabilityResult:
        """How stable each head's attribution is across random re-corruptions (Kendall τ-b between runs)."""
        from glassbox_jupyter.circuits.stability import attribution_stability

        return attribution_stability(
            self.model, self.prompts(prompts), n_corruptions, self.method, self.seed, n_steps=self.n_steps, **kwargs
        )
