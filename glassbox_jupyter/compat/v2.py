"""``GlassboxV2``: Glassbox 2.0's circuit API (``glassbox-mech-interp``) on GlassBox's engine.

Code written for Glassbox 2.0 runs with only the model loading changed::

    >>> from glassbox import GlassboxV2                                   # doctest: +SKIP
    >>> gb = GlassboxV2(glassbox.demos.load("ioi"))                       # doctest: +SKIP
    >>> result = gb.analyze(prompt="When Mary and John went to the store, John gave a drink to",
    ...                     correct=" Mary", incorrect=" John")           # doctest: +SKIP
    >>> result["circuit"], result["faithfulness"]["category"]             # doctest: +SKIP

Every number comes from the native engine (:mod:`glassbox_jupyter.circuits`); this class only translates
arguments and reshapes results into Glassbox 2.0's dicts. The native API stays the primary one.

How the Glassbox 2.0 names map to the native API
-------------------------------------------------

- ``analyze(prompt, correct, incorrect, method)`` → ``CircuitAnalyzer(model, method).analyze(...)``, a
  CircuitFinding (kept as ``gb.last_finding_``), read into the dict:
  ``result["circuit"]``, ``["n_heads"]`` → ``finding.circuit`` (ordered by attribution, largest first);
  ``result["faithfulness"]["sufficiency"]``, ``["comprehensiveness"]``, ``["f1"]`` →
  ``finding.faithfulness[key]["value"]`` (exact ablation); ``["category"]`` →
  :func:`~glassbox_jupyter.compat.v2_results.faithfulness_category` of the exact numbers;
  ``result["clean_ld"]`` → ``finding.logit_diff["clean"]``; ``result["attributions"]``, ``["top_heads"]`` →
  ``finding.attributions``; ``result["mlp_attributions"]`` → ``CircuitAnalyzer.mlp_attribution`` with the same
  ``method`` (``{}`` for an attention-only model); ``result["logit_lens"]`` (``include_logit_lens=True``) →
  ``finding.logit_lens`` (``logit_diffs`` = ``by_layer``, ``head_direct_effects`` = ``direct_effects``);
  ``result["glassbox_finding"]`` is ``finding.to_dict()`` (with its provenance), which
  ``glassbox.compliance.AnnexIVReport.add_analysis`` files as evidence.
- ``attribution_patching(tokens_c, tokens_corr, t_tok, d_tok)`` → ``circuits.patching.attribution_patching``
  (``["heads"]``); ``mlp_attribution(...)`` → the same call's ``["mlps"]``.
- ``minimum_faithful_circuit(...)`` → ``circuits.faithfulness.minimum_faithful_circuit``.
- ``logit_lens(tokens, target, distractor)`` → ``CircuitAnalyzer.logit_lens`` (``mlp_direct_effects`` =
  its ``mlp_direct_effects``, each MLP's output read through the final norm's scale as each head's is;
  :func:`~glassbox_jupyter.circuits.lens.path_patched_direct_effects` gives the exact counterpart).
- ``attention_patterns(tokens, heads, top_k)`` → ``CircuitAnalyzer.attention_patterns``, plus the full
  ``[pos pos]`` matrices read from the model's attention hooks.
- ``token_attribution(tokens, target, distractor)`` →
  ``CircuitAnalyzer.token_attribution(method="grad_x_input", baseline="zero")``.
- ``bootstrap_metrics(prompts, n_boot, alpha)`` → one native circuit search per prompt, then
  ``glassbox.bootstrap_metrics`` over the per-prompt numbers.
- ``get_top_heads(attributions, top_k)`` → a ranking of the same attributions.

Where the numbers differ from Glassbox 2.0's, GlassBox's are the exact or complete ones:

- sufficiency is measured by ablation (every head outside the circuit takes its corrupted value), so
  ``suff_is_approx`` is False. ``analyze(..., exact_suff=False)`` asks for the first-order estimate
  ``Σ attribution(circuit) / (LD_clean − LD_corrupted)`` instead, and only then is ``suff_is_approx`` True
  (the ``category`` is still computed from the exact numbers, kept under ``sufficiency_exact``).
- sufficiency and comprehensiveness are normalised by ``LD_clean − LD_corrupted`` and are not clipped
  (Glassbox 2.0 divided its estimate by ``LD_clean`` and clipped it to [0, 1]); F1 clips both first.
- attributions sum the head's effect over every position (Glassbox 2.0 read the last position only).
- ``analyze``, ``minimum_faithful_circuit`` and ``bootstrap_metrics`` search to sufficiency 0.85, Glassbox
  2.0's ``target_suff`` (``CircuitAnalyzer``'s default target is 0.8).
- the circuit search adds heads until the exact sufficiency reaches ``target_suff`` and prunes any head
  whose removal keeps it there; ``target_comp`` and ``max_heads`` are not search criteria (a warning says so).
- head direct effects in the logit lens go through the final layer norm's scale (exact at the last layer).
- only the name-swap corruption is built in (``corruption_strategy="auto"`` or ``"name_swap"``); pass
  ``corrupted_prompt=`` for any other counterfactual. Verbalizer sets, ``certify`` and
  ``sequence_decision`` are not available and raise a clear error.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from glassbox_jupyter._version import __version__
from glassbox_jupyter.circuits import lens, patching
from glassbox_jupyter.circuits.analyzer import CircuitAnalyzer
from glassbox_jupyter.circuits.faithfulness import faithfulness, minimum_faithful_circuit
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet
from glassbox_jupyter.circuits.stability import bootstrap_metrics as native_bootstrap
from glassbox_jupyter.compat.v2_results import (
    f1_score,
    faithfulness_category,
    head_dict,
    token_prompt_set,
    top_heads,
)
from glassbox_jupyter.compat.v2_tensors import TensorMethods

Head = tuple[int, int]
METHODS = ("taylor", "integrated_gradients")
#: Glassbox 2.0's sufficiency target for its circuit search (GlassBox's native default is 0.8).
TARGET_SUFF = 0.85


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be 'taylor' or 'integrated_gradients', got {method!r}")


class GlassboxV2(TensorMethods):
    """Glassbox 2.0's ``GlassboxV2`` on GlassBox's engine (see the module docstring for the mapping).

    Args:
        model: a TransformerLens ``HookedTransformer`` (or ``TransformerBridge``) with a tokenizer.
        device, dtype: accepted as Glassbox 2.0 did; they only applied to loading a model by name, which
            GlassBox leaves to the caller (``glassbox.load_hooked_transformer`` loads local files offline).
    """

    def __init__(self, model: Any, device: str = "cpu", dtype: Any = None) -> None:
        self._native = CircuitAnalyzer(model, method="taylor")
        self.model = self._native.model
        self.device, self.dtype = device, dtype
        self.n_layers, self.n_heads = int(self.model.cfg.n_layers), int(self.model.cfg.n_heads)
        #: the native CircuitFinding behind the last ``analyze`` result (for widgets, reports, JSON)
        self.last_finding_: Any = None

    def _analyzer(self, method: str, n_steps: int, target: float = 0.8) -> CircuitAnalyzer:
        _check_method(method)
        return CircuitAnalyzer(
            self.model, method=method, n_steps=n_steps, target=target, precision=self._native.precision
        )

    # ------------------------------------------------------------------ one call
    def analyze(
        self,
        prompt: str,
        correct: str,
        incorrect: str,
        method: str = "taylor",
        n_steps: int = 10,
        include_logit_lens: bool = False,
        corruption_strategy: str = "auto",
        certify: str | None = None,
        sequence_decision: bool = False,
        exact_circuit: bool = False,
        max_circuit_heads: int = 30,
        *,
        corrupted_prompt: str | None = None,
        exact_suff: bool = True,
    ) -> dict[str, Any]:
        """Find the circuit and measure it; Glassbox 2.0's result dict (numbers from ``CircuitAnalyzer.analyze``).

        ``exact_circuit`` is accepted for compatibility: GlassBox's search is always exact. ``exact_suff=False``
        reports the first-order sufficiency estimate instead of the exact one (``suff_is_approx`` True).
        """
        if not prompt or not correct or not incorrect:
            raise ValueError("prompt, correct, and incorrect must be non-empty")
        if not all(isinstance(x, str) for x in (prompt, correct, incorrect)):
            raise PromptError(
                "prompt, correct and incorrect must be strings; verbalizer sets (lists of answers) are not "
                "supported, analyze one answer pair at a time"
            )
        if certify is not None or sequence_decision:
            raise PromptError("certify= and sequence_decision= are not available in GlassBox's GlassboxV2")
        if corruption_strategy not in ("auto", "name_swap"):
            raise PromptError(
                f"corruption_strategy {corruption_strategy!r} is not built in; GlassBox swaps the two answer "
                "names ('auto' or 'name_swap'), or pass your counterfactual as corrupted_prompt=..."
            )
        native = self._analyzer(method, n_steps, TARGET_SUFF)
        finding = native.analyze(prompt, correct, incorrect, corrupted_prompt)
        self.last_finding_ = finding
        attributions = finding.attributions
        exact = {k: finding.faithfulness[k]["value"] for k in ("sufficiency", "comprehensiveness")}
        circuit = sorted(finding.circuit, key=lambda h: (-attributions[h], h))
        if len(circuit) > max_circuit_heads:
            warnings.warn(
                f"the exact circuit has {len(circuit)} heads, more than max_circuit_heads={max_circuit_heads}; "
                "GlassBox does not cut a circuit short of its sufficiency target",
                stacklevel=2,
            )
        span = finding.logit_diff["clean"] - finding.logit_diff["corrupted"]
        if exact_suff:
            sufficiency = exact["sufficiency"]
        else:
            sufficiency = sum(attributions[h] for h in circuit) / span if span else float("nan")
        faith: dict[str, Any] = {
            "sufficiency": sufficiency,
            "comprehensiveness": exact["comprehensiveness"],
            "f1": finding.faithfulness["f1"]["value"]
            if exact_suff
            else f1_score(sufficiency, exact["comprehensiveness"]),
            "category": faithfulness_category(exact["sufficiency"], exact["comprehensiveness"]),
            "suff_is_approx": not exact_suff,
        }
        if not exact_suff:
            faith["sufficiency_exact"] = exact["sufficiency"]
        corr_prompt = finding.prompts.texts[0][3]
        cfg = self.model.cfg
        result: dict[str, Any] = {
            "circuit": circuit,
            "n_heads": len(circuit),
            "clean_ld": finding.logit_diff["clean"],
            "corrupted_ld": finding.logit_diff["corrupted"],
            "corr_prompt": corr_prompt,
            "corruption_metadata": {
                "strategy": "name_swap" if corrupted_prompt is None else "given",
                "rationale": "the two answer names exchanged in the prompt"
                if corrupted_prompt is None
                else "the corrupted prompt the caller gave",
            },
            "attributions": {str(h): v for h, v in attributions.items()},
            "mlp_attributions": {}
            if cfg.attn_only
            else {str(layer): v for layer, v in self.mlp_attribution_scores(finding.prompts, method, n_steps).items()},
            "top_heads": self.get_top_heads(attributions, top_k=min(10, self.n_layers * self.n_heads)),
            "method": method,
            "faithfulness": faith,
            "model_metadata": {
                "model_name": getattr(cfg, "model_name", "unknown"),
                "n_layers": self.n_layers,
                "n_heads": self.n_heads,
                "d_model": int(cfg.d_model),
                "d_head": int(cfg.d_head),
                "glassbox_version": __version__,
            },
        }
        if include_logit_lens:  # the finding's lens, measured on the same prompt (one cached forward pass)
            measured = (
                finding.logit_lens if finding.logit_lens is not None else lens.logit_lens(self.model, finding.prompts)
            )
            result["logit_lens"] = self._lens_dict(measured, correct.strip(), incorrect.strip())
        # the native finding's JSON (provenance included), so AnnexIVReport.add_analysis files it as evidence
        result["glassbox_finding"] = finding.to_dict()
        return result

    def get_top_heads(self, attributions: dict[Head, float], top_k: int = 10) -> list[dict[str, Any]]:
        """The ``top_k`` heads by attribution: ``[{"layer", "head", "attr", "rel_depth"}, ...]``."""
        return top_heads(attributions, self.n_layers, top_k)

    # ------------------------------------------------------------------ circuits on token tensors
    def minimum_faithful_circuit(
        self,
        clean_tokens: Any,
        corrupted_tokens: Any,
        target_token: Any,
        distractor_token: Any,
        target_suff: float = TARGET_SUFF,
        target_comp: float = 0.25,
        method: str = "taylor",
        n_steps: int = 10,
        exact_forward: bool = False,
        max_heads: int = 30,
    ) -> tuple[list[Head], dict[Head, float], float]:
        """``(circuit, {(layer, head): attribution}, clean_ld)``: the smallest head set GlassBox's exact search
        finds whose exact sufficiency reaches ``target_suff``."""
        if target_comp != 0.25:
            warnings.warn(
                "target_comp is not a criterion of GlassBox's circuit search (it grows and prunes by exact "
                "sufficiency); check result comprehensiveness with analyze() or the native faithfulness()",
                stacklevel=2,
            )
        prompts = token_prompt_set(self.model, clean_tokens, corrupted_tokens, target_token, distractor_token)
        circuit, scores, clean, _, _ = self._circuit(prompts, method, n_steps, target_suff)
        if len(circuit) > max_heads:
            warnings.warn(f"the circuit has {len(circuit)} heads, more than max_heads={max_heads}", stacklevel=2)
        return circuit, head_dict(scores), float(clean.mean())

    def _circuit(
        self, prompts: PromptSet, method: str, n_steps: int, target: float
    ) -> tuple[list[Head], np.ndarray, np.ndarray, np.ndarray, dict[str, dict[str, Any]]]:
        """The native circuit search and exact faithfulness on ``prompts`` (what ``CircuitAnalyzer.analyze`` runs)."""
        native = self._analyzer(method, n_steps, target)
        clean, corrupted = patching.clean_and_corrupted(self.model, prompts)
        scores = native.head_scores(prompts)
        circuit = minimum_faithful_circuit(
            self.model, prompts, scores, clean, corrupted, target, native.ablation, native.seed
        )
        circuit = sorted(circuit, key=lambda h: (-scores[h], h))
        measured = faithfulness(self.model, prompts, circuit, clean, corrupted, native.ablation, 0, native.seed)
        return circuit, scores, clean, corrupted, measured

    def bootstrap_metrics(
        self,
        prompts: Sequence[Sequence[str]],
        n_boot: int = 500,
        alpha: float = 0.05,
        seed: int = 42,
        exact_suff: bool = True,
    ) -> dict[str, Any]:
        """Bootstrap CIs of sufficiency, comprehensiveness and F1 over prompts, one circuit per prompt.

        ``prompts``: ``[(prompt, correct, incorrect[, corrupted_prompt]), ...]``. Each metric is
        ``{"mean", "std", "ci_lo", "ci_hi", "n"}``; ``"meta"`` says how. Prompts GlassBox cannot use (say a
        multi-token answer) are skipped with a warning, as Glassbox 2.0 did.
        """
        values: dict[str, list[float]] = {"sufficiency": [], "comprehensiveness": [], "f1": []}
        for row, item in enumerate(prompts):
            try:
                prompt_set = PromptSet.build(self.model, [tuple(item)])
            except PromptError as exc:
                warnings.warn(f"skipping prompt {row}: {exc}", stacklevel=2)
                continue
            circuit, scores, clean, corrupted, measured = self._circuit(prompt_set, "taylor", 10, TARGET_SUFF)
            comp = measured["comprehensiveness"]["value"]
            if exact_suff:
                suff = measured["sufficiency"]["value"]
            else:
                span = float(clean.mean() - corrupted.mean())
                suff = sum(scores[h] for h in circuit) / span if span else float("nan")
            if not np.isfinite(suff) or not np.isfinite(comp):
                warnings.warn(
                    f"skipping prompt {row}: its clean and corrupted logit differences are equal", stacklevel=2
                )
                continue
            for key, value in zip(values, (suff, comp, f1_score(suff, comp))):
                values[key].append(float(value))
        n = len(values["f1"])
        if n < 2:
            return {"error": f"Only {n} valid prompts — need ≥ 2. Recommend ≥ 20 for reliable CIs."}
        cis = native_bootstrap(values, n_boot=n_boot, ci=1 - alpha, seed=seed)
        out: dict[str, Any] = {
            key: {
                "mean": cis[key]["value"],
                "std": float(np.std(values[key])),
                "ci_lo": cis[key]["ci"][0],
                "ci_hi": cis[key]["ci"][1],
                "n": n,
            }
            for key in values
        }
        out["meta"] = {
            "n_boot": n_boot,
            "alpha": alpha,
            "seed": seed,
            "n_prompts_used": n,
            "exact_suff": exact_suff,
            "suff_is_approx": not exact_suff,
        }
        return out
