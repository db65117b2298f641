"""Glassbox 2.0's ``SAEFeatureAttributor`` (``glassbox.sae_attribution``) on GlassBox's SAE feature attribution.

Glassbox 2.0 downloaded residual-stream SAEs from the Hugging Face hub by release name; GlassBox works offline,
so the SAEs are passed in: ``sae=`` one sae-lens SAE (its layer is read off its hook,
``blocks.L.hook_resid_post``) or a ``{layer: SAE}`` mapping. ``glassbox.demos.load_sae("ioi")`` is the SAE
shipped for the ``ioi`` demo transformer.

Every number comes from :class:`glassbox_jupyter.circuits.sae.SAEFeatureAttributor` on the one prompt the
tokens make. Departures from 2.0, all on the side of the measurement:

* ``ld_contribution`` is the native attribution: the gradient estimate of what zeroing the feature at every
  position costs the logit difference, through every path to the logits (2.0: the last position's activation
  times the decoder row's direct read-out, without the final layer norm). Each record also has the measured
  ``exact_effect`` of zeroing it, and ``frequency``; ``activation`` is the feature's mean activation over the
  prompt's positions (2.0: the last position only) and a feature counts as active if it fires at any position.
* ``attribute_circuit_heads`` asks, for each head, how much of each feature's effect flows *through that head*
  (native :meth:`~glassbox_jupyter.circuits.sae.SAEFeatureAttributor.circuit_scoped`, checked by an exact path
  ablation), using the SAE at the latest residual stream the head reads. 2.0 instead encoded the head's own
  output with an SAE trained on the whole residual stream.
* ``sae_release`` is None (no hub); ``saes`` names each SAE (hook, size, weights hash) and ``provenance`` says
  how each layer's numbers were measured.

Example:
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> sfa = SAEFeatureAttributor(model, sae=glassbox.demos.load_sae("ioi"))  # doctest: +SKIP
    >>> tokens = model.to_tokens("When Mary and John went to the store, John gave a drink to")  # doctest: +SKIP
    >>> sfa.attribute(tokens, " Mary", " John", layers=[0])["top_features"][:3]  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from glassbox_jupyter.circuits import lens
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet, require_hooked_transformer
from glassbox_jupyter.circuits.sae import FeatureAttribution
from glassbox_jupyter.circuits.sae import SAEFeatureAttributor as NativeAttributor
from glassbox_jupyter.compat.v2_results import token_prompt_set

Head = tuple[int, int]
_BLOCK = re.compile(r"^blocks\.(\d+)\.")
_RESID = re.compile(r"^blocks\.(\d+)\.hook_resid_(pre|mid|post)$")
_OFFLINE = (
    "GlassBox works offline and does not download SAEs by release name: pass the SAE itself, "
    "sae=<a sae-lens SAE> or sae={layer: SAE} (the ioi demo's is glassbox.demos.load_sae('ioi'))"
)
HEAD_NOTE = (
    "head_features: for each head, the features of the SAE upstream of it ranked by how much of their effect on "
    "the logit difference flows through that head (gradient estimate, exact path ablation in exact_effect); "
    "attribute() gives each feature's effect through every path."
)


def _direction(score: float) -> str:
    return "target" if score > 0.01 else "distractor" if score < -0.01 else "neutral"


class SAEFeatureAttributor:
    """Glassbox 2.0's SAE feature attribution with its arguments and dicts, computed by the native attributor.

    Args:
        model: a TransformerLens ``HookedTransformer`` with its tokenizer.
        sae_release, sae_path: Glassbox 2.0's ways of fetching SAEs; GlassBox is offline, so giving either is
            an error that says to pass ``sae=``.
        device: accepted for 2.0's signature; each SAE runs on its own device.
        sae: a sae-lens SAE on a ``blocks.L...`` hook, or ``{layer: SAE}``.

    Attributes:
        attributors: ``{layer: native SAEFeatureAttributor}``, one per SAE.
    """

    def __init__(
        self,
        model: Any,
        sae_release: Any = None,
        sae_path: Any = None,
        device: str | None = None,
        *,
        sae: Any = None,
        hook_name: str | None = None,
        skip_first: bool | None = None,
    ) -> None:
        self.model = require_hooked_transformer(model)
        if sae is None and sae_release is not None and not isinstance(sae_release, str):
            sae, sae_release = sae_release, None  # the native call: SAEFeatureAttributor(model, sae)
        if sae_release is not None or sae_path is not None or sae is None:
            raise PromptError(_OFFLINE)
        if hook_name is not None and isinstance(sae, Mapping):
            raise PromptError("hook_name= places one SAE; with sae={layer: SAE} each SAE uses its own hook")
        saes = dict(sae) if isinstance(sae, Mapping) else {self._layer_of(sae, hook_name): sae}
        self.attributors: dict[int, NativeAttributor] = {}
        for layer, one in sorted(saes.items()):
            # checks the SAE and its hook against the model
            native = NativeAttributor(self.model, one, hook_name=hook_name, skip_first=skip_first)
            match = _BLOCK.match(native.hook_name)
            if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or match is None:
                raise PromptError(
                    f"sae={{layer: SAE}} needs whole-number layers and SAEs on blocks.L hooks, got {layer!r}"
                )
            if int(match.group(1)) != layer:
                raise PromptError(
                    f"the SAE given for layer {layer} reads {native.hook_name}, a hook of layer {match.group(1)}"
                )
            self.attributors[int(layer)] = native
        self.sae_release = None

    def __getattr__(self, name: str) -> Any:
        """The native attributor's other attributes (``circuit_scoped``, ``spliced_logits``, ``sae``,
        ``hook_name`` …) when there is one SAE, so native code can use this class too."""
        attributors = self.__dict__.get("attributors", {})
        if name.startswith("_") or len(attributors) != 1:
            raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}")
        return getattr(next(iter(attributors.values())), name)

    @staticmethod
    def _layer_of(sae: Any, hook_name: str | None = None) -> int:
        hook = hook_name or getattr(getattr(getattr(sae, "cfg", None), "metadata", None), "hook_name", None) or ""
        match = _BLOCK.match(hook)
        if match is None:
            raise PromptError(f"cannot tell which layer the SAE on hook {hook!r} belongs to; pass sae={{layer: SAE}}")
        return int(match.group(1))

    def _attributor(self, layer: Any) -> NativeAttributor:
        if layer not in self.attributors:
            raise PromptError(
                f"no SAE was given for layer {layer!r} (SAEs for layers {sorted(self.attributors)}); "
                "pass one with sae={layer: SAE}, e.g. glassbox.demos.load_sae('ioi') for the ioi demo's layer 0"
            )
        return self.attributors[layer]

    def _saes(self, layers: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Which SAE made each layer's numbers (its weights hash is in ``provenance``)."""
        out = {}
        for layer in layers:
            native = self.attributors[layer]
            out[layer] = {
                "hook_name": native.hook_name,
                "d_in": int(native.sae.cfg.d_in),
                "d_sae": int(native.sae.cfg.d_sae),
            }
        return out

    # ------------------------------------------------------------------ records
    @staticmethod
    def _records(result: FeatureAttribution, top_k: int, **where: int) -> list[dict[str, Any]]:
        """Glassbox 2.0's feature records from a native result: active features only, best first."""
        records = []
        for j, feature in enumerate(result.feature_ids):
            if result.frequency[j] <= 0:
                continue  # never active in the prompt (2.0 listed active features only)
            score = float(result.attribution[j])
            records.append(
                where
                | {
                    "feature_id": int(feature),
                    "activation": float(result.mean_activation[j]),
                    "ld_contribution": score,
                    "exact_effect": float(result.exact_effect[j]),
                    "frequency": float(result.frequency[j]),
                    "direction": _direction(score),
                    "neuronpedia_url": None,
                }
            )
        return records[:top_k]

    @staticmethod
    def _n_active(native: NativeAttributor, prompts: PromptSet) -> int:
        """Features active at any position the native attributor measures (its own encoding of the prompt)."""
        import torch

        seen: dict[str, Any] = {}

        def keep(f: Any) -> Any:
            seen["f"] = f
            return f

        with torch.no_grad():
            native.spliced_logits(prompts.buckets[0].clean, edit=keep)
        return int((seen["f"] > 0).flatten(0, -2).any(dim=0).sum())

    # ------------------------------------------------------------------ public
    def attribute(
        self,
        tokens: Any,
        target_token: Any = None,
        distractor_token: Any = None,
        layers: Sequence[int] | None = None,
        top_k_per_layer: int = 20,
        top_k_global: int = 50,
        *,
        top_k: int | None = None,
    ) -> Any:
        """Each layer's SAE features ranked by ``|ld_contribution|`` (native attribution, every path).

        Args:
            tokens: ``[1 pos]`` from ``model.to_tokens(prompt)``.
            target_token, distractor_token: one-token strings (or ids) whose logit difference is explained.
            layers: layers to analyse (default: every layer given an SAE).
            top_k_per_layer, top_k_global: records kept per layer and over all layers.

        Returns:
            ``{"layer_features": {layer: [record]}, "top_features", "layer_logit_diffs"`` (logit lens after
            each layer's block), ``"n_active_per_layer", "sae_release", "layers_analysed", "target_token",
            "distractor_token", "saes", "provenance"}``; a record is ``{layer, feature_id, activation,
            ld_contribution, exact_effect, frequency, direction, neuronpedia_url}``.

        The native call, ``attribute(prompts, top_k=10)`` with a
        :class:`~glassbox_jupyter.circuits.prompts.PromptSet`, returns the native
        :class:`~glassbox_jupyter.circuits.sae.FeatureAttribution` (one SAE).
        """
        if isinstance(tokens, PromptSet):
            if len(self.attributors) != 1:
                raise PromptError(
                    "attribute(prompts) measures one SAE; give sae=SAE, or call 2.0's attribute(tokens, ...)"
                )
            count = top_k if top_k is not None else (10 if target_token is None else int(target_token))
            return next(iter(self.attributors.values())).attribute(tokens, top_k=count)
        if target_token is None or distractor_token is None:
            raise PromptError("attribute(tokens, target_token, distractor_token, layers=...) needs both answer tokens")
        chosen = sorted(self.attributors) if layers is None else [int(layer) for layer in layers]
        natives = {layer: self._attributor(layer) for layer in chosen}
        prompts = token_prompt_set(self.model, tokens, tokens, target_token, distractor_token)
        by_layer = lens.logit_lens(self.model, prompts)["by_layer"]  # [embed, after L0, after L1, ...]
        keep = max(int(top_k_per_layer), int(top_k_global))
        layer_features, n_active, provenance, everything = {}, {}, {}, []
        for layer, native in natives.items():
            result = native.attribute(prompts, top_k=keep)
            records = self._records(result, keep, layer=layer)
            layer_features[layer] = records[: int(top_k_per_layer)]
            everything += records
            n_active[layer] = self._n_active(native, prompts)
            provenance[layer] = None if result.provenance is None else result.provenance.to_dict()
        everything.sort(key=lambda r: abs(r["ld_contribution"]), reverse=True)
        return {
            "layer_features": layer_features,
            "top_features": everything[: int(top_k_global)],
            "layer_logit_diffs": {layer: float(by_layer[layer + 1]) for layer in chosen},
            "n_active_per_layer": n_active,
            "sae_release": None,
            "layers_analysed": chosen,
            "target_token": target_token,
            "distractor_token": distractor_token,
            "saes": self._saes(chosen),
            "provenance": provenance,
        }

    def _upstream(self, head: Head) -> int:
        """The layer of the latest residual-stream SAE that ``head`` reads (hook before the head's layer)."""
        readable = []
        for layer, native in self.attributors.items():
            match = _RESID.match(native.hook_name)
            if match is not None and (layer if match.group(2) == "pre" else layer + 1) <= head[0]:
                readable.append(layer)
        if not readable:
            raise PromptError(
                f"L{head[0]}H{head[1]} reads no residual stream an SAE was given for (SAEs on "
                f"{[n.hook_name for n in self.attributors.values()]}); pass one on an earlier residual stream with "
                "sae={layer: SAE}, e.g. glassbox.demos.load_sae('ioi') (layer 0) for the ioi demo's layer-1 heads"
            )
        return max(readable)

    def attribute_circuit_heads(
        self,
        circuit: Sequence[Head],
        tokens: Any,
        target_token: Any,
        distractor_token: Any,
        top_k_per_head: int = 10,
    ) -> dict[str, Any]:
        """For each circuit head, the features whose effect on the logit difference flows through it.

        Uses the native ``circuit_scoped(prompts, [head])`` with the SAE at the latest residual stream the head
        reads. Returns ``{"head_features": {"(layer, head)": [record]}, "top_features"`` (best 50),
        ``"sae_release", "note", "saes", "provenance"}``; records also carry ``head`` and ``sae_layer``.
        """
        cfg = self.model.cfg
        if isinstance(circuit, (str, bytes)) or not isinstance(circuit, Sequence) or not circuit:
            raise PromptError("circuit must be a non-empty list of (layer, head) pairs, e.g. [(1, 0), (1, 2)]")
        prompts = token_prompt_set(self.model, tokens, tokens, target_token, distractor_token)
        head_features, provenance, everything, used = {}, {}, [], set()
        for head in circuit:
            try:
                layer, index = int(head[0]), int(head[1])
            except (TypeError, ValueError, IndexError):
                raise PromptError(f"each circuit head must be a (layer, head) pair, got {head!r}") from None
            if not (0 <= layer < cfg.n_layers and 0 <= index < cfg.n_heads):
                raise PromptError(f"L{layer}H{index} is not in the model ({cfg.n_layers} layers × {cfg.n_heads} heads)")
            sae_layer = self._upstream((layer, index))
            used.add(sae_layer)
            result = self.attributors[sae_layer].circuit_scoped(prompts, [(layer, index)], top_k=top_k_per_head)
            records = self._records(result, int(top_k_per_head), layer=layer, head=index, sae_layer=sae_layer)
            head_features[str((layer, index))] = records
            everything += records
            provenance[str((layer, index))] = None if result.provenance is None else result.provenance.to_dict()
        everything.sort(key=lambda r: abs(r["ld_contribution"]), reverse=True)
        return {
            "head_features": head_features,
            "top_features": everything[:50],
            "sae_release": None,
            "note": HEAD_NOTE,
            "saes": self._saes(sorted(used)),
            "provenance": provenance,
        }
