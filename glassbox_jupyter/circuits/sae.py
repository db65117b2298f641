"""Which sparse-autoencoder features drive a prediction: gradient attribution with an exact ablation check.

The SAE (a sae-lens ``SAE``) is spliced into the model at its hook with the reconstruction error added back,

    x  ↦  x̂(f) + (x − x̂(f₀)),     f₀ = sae.encode(x),  x̂ = sae.decode,

so at ``f = f₀`` the spliced model computes exactly what the model computes (the output is ``x`` itself) while
the logit difference ``M`` becomes a function of the feature activations ``f`` (every position). A feature's
*attribution* is the first-order estimate of what zeroing it would cost, ``Σ_pos f_i ∂M/∂f_i`` per prompt,
averaged over prompts; its *exact effect* is the real ``M(spliced) − M(spliced with f_i = 0 at every position)``
(the error term stays that of the clean run). Both follow the patching convention: positive = the feature
pushes toward the correct answer. First-order estimates can miss what a whole ablation does in a saturated model
(on the ``ioi`` demo the top feature's attribution is −0.66 while zeroing it costs +3.7 of a logit difference
of 13), which is why the exact effect of the top features is always returned beside it.

Fidelity of the SAE itself is reported alongside: the fraction of variance its reconstruction explains at the
hook (over every token position of the prompts) and the logit difference of the model when the reconstruction
*replaces* the activation (no error term), with ``fidelity = 1 − mean|M_sae − M| / mean|M|``.

Circuit-scoped attribution (:meth:`SAEFeatureAttributor.circuit_scoped`) asks how much of a feature's effect
flows through chosen attention heads: see that method for the construction.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> from glassbox_jupyter.demos.ioi_sae import load_ioi_sae  # doctest: +SKIP
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> prompts = PromptSet.build(model, glassbox.demos.ioi_prompts(40))  # doctest: +SKIP
    >>> result = SAEFeatureAttributor(model, load_ioi_sae()).attribute(prompts, top_k=5)  # doctest: +SKIP
    >>> result.to_frame()  # feature, attribution, exact_effect, mean_activation, frequency  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.circuits.measured import MeasuredResult, capture
from glassbox_jupyter.circuits.prompts import PromptError, PromptSet, logit_diff, require_hooked_transformer

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from glassbox_jupyter.finding.provenance import Provenance

Head = tuple[int, int]
_RESID = re.compile(r"^blocks\.(\d+)\.hook_resid_(pre|mid|post)$")


@dataclass
class FeatureAttribution(MeasuredResult):
    """Top features by ``|attribution|`` (arrays of length ``top_k``, best first) and the SAE's fidelity.

    ``attribution``: gradient estimate of the drop in logit difference when the feature is zeroed (mean over
    prompts of the sum over positions of ``f · ∂M/∂f``); ``exact_effect``: the measured drop; ``mean_activation``
    and ``frequency``: mean activation and share of token positions where it is active. ``all_attribution``
    holds every feature's attribution (``[d_sae]``). ``fve``: fraction of the activation's variance the
    reconstruction explains; ``logit_diff`` / ``logit_diff_sae``: mean logit difference of the model and of
    the model with the reconstruction in place of the activation; ``fidelity = 1 − mean|M_sae − M| / mean|M|``.
    ``heads`` is the circuit the attribution was scoped to (``None``: every path). ``provenance`` (set by
    :class:`SAEFeatureAttributor`) names the model's weights, the SAE (its shape and weights hash), the hook,
    the prompts and the settings; :meth:`to_json` exports the features with it.
    """

    feature_ids: np.ndarray
    attribution: np.ndarray
    exact_effect: np.ndarray
    mean_activation: np.ndarray
    frequency: np.ndarray
    all_attribution: np.ndarray
    fve: float
    logit_diff: float
    logit_diff_sae: float
    fidelity: float
    hook_name: str
    n_prompts: int
    heads: list[Head] | None = None
    notes: list[str] = field(default_factory=list)
    provenance: Provenance | None = None
    kind = "sae_feature_attribution"

    def result_dict(self) -> dict[str, Any]:
        return {
            "hook_name": self.hook_name,
            "heads": None if self.heads is None else [list(h) for h in self.heads],
            "n_prompts": self.n_prompts,
            "feature_ids": self.feature_ids,
            "attribution": self.attribution,
            "exact_effect": self.exact_effect,
            "mean_activation": self.mean_activation,
            "frequency": self.frequency,
            "all_attribution": self.all_attribution,
            "fve": self.fve,
            "logit_diff": self.logit_diff,
            "logit_diff_sae": self.logit_diff_sae,
            "fidelity": self.fidelity,
            "notes": list(self.notes),
        }

    def to_frame(self) -> pd.DataFrame:
        """The top features as a ``pandas.DataFrame`` (one row each, best first)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "feature": self.feature_ids,
                "attribution": self.attribution,
                "exact_effect": self.exact_effect,
                "mean_activation": self.mean_activation,
                "frequency": self.frequency,
            }
        )


class SAEFeatureAttributor:
    """Attribute a HookedTransformer's logit difference to the features of a sae-lens SAE at one hook.

    Args:
        model: a TransformerLens ``HookedTransformer`` with its tokenizer.
        sae: a sae-lens ``SAE`` (e.g. ``StandardSAE``) whose ``d_in`` is the hook's width.
        hook_name: where to splice it; by default the SAE's own ``sae.cfg.metadata.hook_name``.
        skip_first: leave the first position (the BOS token the model prepends) alone: the SAE is neither
            spliced in nor measured there. Models such as Llama-family ones make that position an attention
            sink whose activation is orders of magnitude larger than any other: SAEs are trained without it
            (sae-lens's ``exclude_special_tokens``), and counted in the fraction of variance explained it swamps
            the measure (SmolLM2's layer-15 SAE: 0.99995 with it, 0.947 without). By default, read from the SAE's
            ``cfg.metadata.exclude_special_tokens`` (``False`` when absent).
    """

    def __init__(self, model: Any, sae: Any, hook_name: str | None = None, skip_first: bool | None = None) -> None:
        import torch

        self.model = require_hooked_transformer(model)
        try:
            from sae_lens import SAE
        except ImportError as exc:  # pragma: no cover - a dependency
            raise ImportError("SAE attribution needs sae-lens (pip install sae-lens)") from exc
        if not isinstance(sae, SAE):
            raise TypeError(
                f"sae must be a sae-lens SAE (e.g. sae_lens.StandardSAE, or SAE.load_from_disk(folder)), got "
                f"{type(sae).__name__}"
            )
        self.sae = sae
        metadata = getattr(sae.cfg, "metadata", None)
        name = hook_name if hook_name is not None else getattr(metadata, "hook_name", None)
        if not name:
            raise PromptError("the SAE's config names no hook (cfg.metadata.hook_name); pass hook_name='blocks.0...'")
        if name not in model.hook_dict:
            close = difflib.get_close_matches(name, list(model.hook_dict), n=3)
            hint = f"; did you mean {close}?" if close else "; see model.hook_dict for the names"
            raise PromptError(f"the model has no hook named {name!r}{hint}")
        if getattr(metadata, "hook_head_index", None) is not None:
            raise PromptError(
                "this SAE reads a single head (cfg.metadata.hook_head_index is set); use an SAE of the whole hook"
            )
        self.hook_name = name
        if skip_first is None:
            skip_first = bool(getattr(metadata, "exclude_special_tokens", None) or False)
        #: positions left alone at the start of every prompt (0 or 1)
        self.skip = int(bool(skip_first))
        bos = model.tokenizer.bos_token_id if model.tokenizer.bos_token_id is not None else 0
        with torch.no_grad():
            tokens = torch.tensor([[bos]], device=model.cfg.device)
            _, cache = model.run_with_cache(tokens, names_filter=lambda n: n == name)
        shape = tuple(cache[name].shape[2:])
        width = int(np.prod(shape)) if sae.cfg.reshape_activations == "hook_z" else shape[-1]
        if width != sae.cfg.d_in:
            raise PromptError(
                f"the SAE's d_in is {sae.cfg.d_in} but {name!r} is {width} wide (shape {shape} per position); "
                "pass the SAE trained on this hook of this model, or the hook_name it was trained on"
            )

    # ------------------------------------------------------------------ the spliced run
    def _encode(self, x: Any) -> tuple[Any, Any]:
        import torch

        with torch.no_grad():
            f = self.sae.encode(x.to(self.sae.device))
            recon = self.sae.decode(f).to(x.device, x.dtype)
            if self.skip and x.dim() >= 3:  # [batch pos d]: the first position keeps its own activation
                f[:, : self.skip] = 0.0
                recon[:, : self.skip] = x[:, : self.skip]
            return f, recon

    def _spliced(self, x: Any, f: Any, recon: Any) -> Any:
        """``x + x̂(f) − x̂(f₀)``: the activation with the reconstruction's change added (the error term kept)."""
        import torch

        decoded = self.sae.decode(f).to(x.device, x.dtype)
        if self.skip:
            decoded = torch.cat([recon[:, : self.skip], decoded[:, self.skip :]], dim=1)
        return x + (decoded - recon)

    def _run(
        self,
        tokens: Any,
        change: Callable[[Any], Any] | None = None,
        route: dict[str, Callable[[Any, Any], Any]] | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """Logits with the SAE spliced in; ``change(f)`` gives the features to decode (``None``: leave them).

        ``route`` maps hook names to ``fn(value, state)``, for the circuit-scoped runs. Returns the logits and
        the state: ``x`` (the clean activation), ``f``, ``recon`` and ``live`` (the spliced activation).
        """
        state: dict[str, Any] = {}

        def splice(x: Any, hook: Any) -> Any:
            f, recon = self._encode(x)
            state.update(x=x.detach(), f=f, recon=recon)
            new_f = f if change is None else change(f)
            state["live"] = self._spliced(x.detach(), new_f, recon)
            return state["live"]

        hooks: list[tuple[str | Callable[..., Any], Callable[..., Any]]] = [(self.hook_name, splice)]
        for hook_name, fn in (route or {}).items():
            hooks.append((hook_name, lambda t, hook, fn=fn: fn(t, state)))
        return self.model.run_with_hooks(tokens, fwd_hooks=hooks), state

    def spliced_logits(self, tokens: Any, edit: Callable[[Any], Any] | None = None) -> torch.Tensor:
        """Logits of the model with the SAE spliced in at the hook (reconstruction error kept).

        Without ``edit`` they equal the model's own logits (the activation is detached from what comes before
        the hook). ``edit(f)`` receives the feature activations
        ``[batch pos d_sae]`` and returns the ones to decode instead (e.g. a copy with one feature zeroed or
        scaled): the activation becomes ``x + x̂(edit(f)) − x̂(f)``. Runs under the caller's grad mode.
        """
        return self._run(tokens, change=edit)[0]

    # ------------------------------------------------------------------ public
    def attribute(self, prompts: PromptSet, top_k: int = 10) -> FeatureAttribution:
        """Features ranked by ``|attribution|`` of the logit difference (every path from the hook to the logits),
        with exact ablations of the ``top_k`` best (``top_k`` larger than ``d_sae`` checks every feature)."""
        return self._attribute(prompts, top_k, heads=None)

    def circuit_scoped(self, prompts: PromptSet, heads: Sequence[Head], top_k: int = 10) -> FeatureAttribution:
        """Attribution of the features to the logit difference that flows *through the chosen heads only*.

        Construction (residual-stream hooks only, ``blocks.L.hook_resid_{pre,mid,post}``): the spliced
        activation ``s`` (which carries the features) is additive in every later residual stream. Each
        reader of the residual stream after the hook sees ``r − s + s̄`` instead of ``r``, where ``s̄`` is the
        clean activation: the queries, keys and values of every head *not* chosen (through TransformerLens's
        split q/k/v inputs), every MLP input, and the final residual stream (the direct path to the logits).
        The chosen heads read ``r`` itself. Numerically nothing changes in the gradient run (``s̄ = s``), but
        gradients reach the features only through the chosen heads' inputs; whatever a chosen head writes
        stays live downstream, so paths feature → chosen head → later components → logits count, while paths
        that leave the features through another head, an MLP or the direct path do not. Because the gradient
        is a sum over paths, the scoped attributions of disjoint sets of heads add up.

        The exact check is the matching path ablation: the chosen heads see the activation with the feature
        zeroed, every other reader sees the clean activation ``s̄``.

        Args:
            prompts: the prompt set.
            heads: ``(layer, head)`` pairs that read the residual stream after the hook.
            top_k: how many features to check exactly.
        """
        if not heads:
            raise PromptError("heads is empty; pass the circuit's (layer, head) pairs, e.g. [(1, 0), (1, 2)]")
        match = _RESID.match(self.hook_name)
        if match is None:
            raise PromptError(
                f"circuit-scoped attribution needs an SAE on the residual stream (blocks.L.hook_resid_pre/mid/"
                f"post); {self.hook_name!r} is not one. Use attribute() for the total effect"
            )
        cfg = self.model.cfg
        if cfg.n_key_value_heads is not None and cfg.n_key_value_heads != cfg.n_heads:
            raise PromptError(
                "circuit-scoped attribution does not support grouped-query attention (shared key/value heads); "
                "call model.set_ungroup_grouped_query_attention(True) first"
            )
        layer, where = int(match.group(1)), match.group(2)
        first_attn = layer if where == "pre" else layer + 1
        chosen: list[Head] = []
        for head in heads:
            try:
                lh = (int(head[0]), int(head[1]))
                if len(head) != 2:
                    raise ValueError
            except (TypeError, ValueError, IndexError):
                raise PromptError(f"each head must be a (layer, head) pair, got {head!r}") from None
            if not (0 <= lh[0] < cfg.n_layers and 0 <= lh[1] < cfg.n_heads):
                raise PromptError(f"L{lh[0]}H{lh[1]} is not in the model ({cfg.n_layers} layers × {cfg.n_heads} heads)")
            if lh[0] < first_attn:
                raise PromptError(
                    f"L{lh[0]}H{lh[1]} reads the residual stream before {self.hook_name}, so no feature can flow "
                    f"through it; choose heads in layers ≥ {first_attn}"
                )
            if lh not in chosen:
                chosen.append(lh)
        return self._attribute(prompts, top_k, heads=sorted(chosen), first_attn=first_attn, hook_layer=layer)

    # ------------------------------------------------------------------ internals
    def _routes(self, heads: list[Head], first_attn: int, hook_layer: int) -> dict[str, Callable[[Any, Any], Any]]:
        """Hooks that swap the live spliced activation for the clean one in every reader outside ``heads``."""
        import torch

        cfg = self.model.cfg
        routes: dict[str, Callable[[Any, Any], Any]] = {}

        def frozen(t: Any, state: dict[str, Any]) -> Any:
            return t - state["live"] + state["x"]

        for layer in range(first_attn, cfg.n_layers):
            keep = torch.tensor([(layer, h) not in heads for h in range(cfg.n_heads)], dtype=torch.float32)

            def per_head(t: Any, state: dict[str, Any], keep: Any = keep) -> Any:
                k = keep.to(t.dtype)[None, None, :, None]
                return t - k * state["live"][:, :, None, :] + k * state["x"][:, :, None, :]  # (t − s) + s̄

            for kind in ("q", "k", "v"):
                routes[f"blocks.{layer}.hook_{kind}_input"] = per_head
        if not cfg.attn_only:
            first_mlp = hook_layer if self.hook_name.endswith(("pre", "mid")) else hook_layer + 1
            for layer in range(first_mlp, cfg.n_layers):
                routes[f"blocks.{layer}.hook_mlp_in"] = frozen
        final = f"blocks.{cfg.n_layers - 1}.hook_resid_post"
        if final != self.hook_name:
            routes[final] = frozen
        return routes

    def _attribute(
        self,
        prompts: PromptSet,
        top_k: int,
        heads: list[Head] | None,
        first_attn: int = 0,
        hook_layer: int = 0,
    ) -> FeatureAttribution:
        import torch

        if not isinstance(prompts, PromptSet):
            raise PromptError("prompts must be a PromptSet; build one with PromptSet.build(model, [(prompt, ...)])")
        if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 1:
            raise PromptError(f"top_k must be a whole number ≥ 1 (how many features to check exactly), got {top_k!r}")
        d_sae = self.sae.cfg.d_sae
        top_k = min(int(top_k), d_sae)
        model = self.model
        route = None
        flags = (model.cfg.use_split_qkv_input, model.cfg.use_hook_mlp_in)
        if heads is not None:
            route = self._routes(heads, first_attn, hook_layer)
            model.set_use_split_qkv_input(True)
            if not model.cfg.attn_only:
                model.set_use_hook_mlp_in(True)
        try:
            per_prompt = np.zeros((len(prompts), d_sae))
            act_sum, active, n_pos = np.zeros(d_sae), np.zeros(d_sae), 0
            x_sq, err_sq = 0.0, 0.0
            x_vec_sum: Any = 0.0
            clean = np.zeros(len(prompts))
            recon_ld = np.zeros(len(prompts))
            for b in prompts.buckets:
                leaf: dict[str, Any] = {}

                def track(f: Any, leaf: dict[str, Any] = leaf) -> Any:
                    leaf["f"] = f.detach().clone().requires_grad_(True)
                    return leaf["f"]

                with torch.enable_grad():
                    logits, state = self._run(b.clean, change=track, route=route)
                    ld = logit_diff(logits, b.correct, b.incorrect)
                    (grad,) = torch.autograd.grad(ld.sum(), leaf["f"], allow_unused=True)
                f = state["f"]
                grad = torch.zeros_like(f) if grad is None else grad
                contrib = (f * grad).detach().double()
                per_prompt[b.rows] = contrib.reshape(len(b.rows), -1, d_sae).sum(dim=1).cpu().numpy()
                clean[b.rows] = ld.detach().cpu().numpy()
                measured = slice(self.skip, None)  # the positions the SAE is spliced in at
                flat = f[:, measured].reshape(-1, d_sae).double()
                act_sum += flat.sum(dim=0).cpu().numpy()
                active += (flat > 0).sum(dim=0).cpu().numpy()
                n_pos += flat.shape[0]
                x = state["x"][:, measured].reshape(-1, self.sae.cfg.d_in).double()
                x_vec_sum = x_vec_sum + x.sum(dim=0)
                x_sq += float((x**2).sum())
                err_sq += float(((x - state["recon"][:, measured].reshape(x.shape).double()) ** 2).sum())
                with torch.no_grad():  # the reconstruction alone, no error term
                    replace = [(self.hook_name, lambda t, hook: self._encode(t)[1])]
                    logits = model.run_with_hooks(b.clean, fwd_hooks=replace)
                recon_ld[b.rows] = logit_diff(logits, b.correct, b.incorrect).cpu().numpy()
            all_attr = per_prompt.mean(axis=0)
            order = np.argsort(-np.abs(all_attr), kind="stable")[:top_k]
            exact = np.zeros(top_k)
            with torch.no_grad():
                for b in prompts.buckets:
                    for j, feature in enumerate(order):

                        def ablate(f: Any, feature: int = int(feature)) -> Any:
                            f = f.clone()
                            f[..., feature] = 0.0
                            return f

                        logits, _ = self._run(b.clean, change=ablate, route=route)
                        ld = logit_diff(logits, b.correct, b.incorrect)
                        exact[j] += float((clean[b.rows] - ld.cpu().numpy()).sum())
            exact /= len(prompts)
        finally:
            model.set_use_split_qkv_input(flags[0])
            if not model.cfg.attn_only:
                model.set_use_hook_mlp_in(flags[1])
        total_var = x_sq - float((x_vec_sum**2).sum()) / n_pos
        mean_abs = float(np.abs(clean).mean())
        return FeatureAttribution(
            feature_ids=order.astype(int),
            attribution=all_attr[order],
            exact_effect=exact,
            mean_activation=(act_sum / n_pos)[order],
            frequency=(active / n_pos)[order],
            all_attribution=all_attr,
            fve=float(1 - err_sq / total_var) if total_var > 0 else float("nan"),
            logit_diff=float(clean.mean()),
            logit_diff_sae=float(recon_ld.mean()),
            fidelity=float(1 - np.abs(recon_ld - clean).mean() / mean_abs) if mean_abs > 0 else float("nan"),
            hook_name=self.hook_name,
            n_prompts=len(prompts),
            heads=heads,
            provenance=capture(
                model,
                prompts,
                {
                    "name": "sae_feature_attribution",
                    "scope": "all paths" if heads is None else "through the heads",
                    "heads": None if heads is None else [list(h) for h in heads],
                    "hook_name": self.hook_name,
                    "top_k": top_k,
                    "skip_first": bool(self.skip),
                    "sae": self._sae_identity(),
                },
            ),
        )

    def _sae_identity(self) -> dict[str, Any]:
        """The SAE's shape and the SHA-256 of its weights (which SAE made the numbers)."""
        import hashlib

        digest = hashlib.sha256()
        for name, tensor in sorted(self.sae.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
        return {"d_in": int(self.sae.cfg.d_in), "d_sae": int(self.sae.cfg.d_sae), "sha256": digest.hexdigest()}
