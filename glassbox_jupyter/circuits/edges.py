"""Edge attribution patching (EAP, EAP-IG): which sender → receiver connections carry a prediction.

The residual stream of a pre-norm transformer is a sum of *senders*: the embedding (``"embed"``,
token + position), every attention head (``"L{l}H{h}"``, its ``attn.hook_result``) and every MLP
(``"MLP{l}"``). Each *receiver* reads that sum: a head's query, key or value input
(``"L{l}H{h}.q"``/``".k"``/``".v"``, TransformerLens's per-head ``hook_q_input``/``k_input``/``v_input``),
an MLP's input (``"MLP{l}"``, ``hook_mlp_in``) and the final residual (``"logits"``). An edge
``u → v`` exists when ``u`` is upstream of ``v``: an earlier layer, or, within a layer, a head
feeding that layer's MLP.

Convention (as in :mod:`~glassbox_jupyter.circuits.patching`): the effect of an edge is
``M(clean) − M(clean with u's value replaced by its corrupted value in v's input only)``, ``M`` the
summed logit difference (correct − incorrect); positive = the edge pushes toward the correct answer.

- :func:`exact_edge_patching` measures it with one patched forward pass per edge.
- :func:`edge_attribution_patching` estimates every edge at once (Syed et al. 2023):
  ``(u_clean − u_corrupted) · ∂M/∂(input of v)``, the gradient taken at the clean run (``"eap"``) or
  averaged over ``n_steps`` runs whose token embeddings move from the corrupted prompt to the clean
  one (``"eap_ig"``, Hanna et al. 2024; the same interpolation as
  ``attribution_patching(method="integrated_gradients")``).

Summed over its receivers, a head's EAP edge scores equal its attribution-patching score, so
:meth:`EdgeAttribution.head_scores` is comparable with the head-level results.

Models: a TransformerLens ``HookedTransformer`` or ``TransformerBridge`` (TransformerLens 3.9+, in
compatibility mode), through the same code and with the same scores on the same weights; a bridge
runs whole forward passes (it cannot stop after its last block). Grouped-query attention (SmolLM2:
9 query heads sharing 3 key/value heads per layer): receivers are per *query* head, and
``"L{l}H{h}.k"``/``".v"`` is the key/value input of query head ``h`` alone, so an edge into it changes
only the keys/values head ``h`` attends with, not those of the heads sharing its key/value head. A
HookedTransformer gets these inputs from ``ungroup_grouped_query_attention``; a bridge, which forks
its key/value inputs per key/value head, has each layer's key and value projections repeated per query
head for the call (the same weights, so the same forward pass) and put back afterwards. A bridge whose
attention cannot be split that way is refused with a :class:`PromptError` that names the fix
(``glassbox.load_hooked_transformer(path)``).

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> from glassbox_jupyter.circuits.edges import edge_attribution_patching, exact_edge_patching
    >>> from glassbox_jupyter.circuits.prompts import PromptSet
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> prompts = PromptSet.build(model, glassbox.demos.ioi_prompts(16))  # doctest: +SKIP
    >>> eap = edge_attribution_patching(model, prompts, method="eap", top_k=20)  # doctest: +SKIP
    >>> [(u, v, round(s, 2)) for u, v, s in eap.top(3)]  # doctest: +SKIP
    [('L1H2', 'logits', 2.09), ('L1H3', 'logits', 1.85), ('L1H0', 'logits', 1.57)]
    >>> exact_edge_patching(model, prompts, [("L1H2", "logits"), ("L0H0", "L1H2.q")])  # doctest: +SKIP
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.circuits.fast_patching import frozen_prefix
from glassbox_jupyter.circuits.measured import MeasuredResult, capture
from glassbox_jupyter.circuits.patching import GradientInput
from glassbox_jupyter.circuits.prompts import (
    Bucket,
    PromptError,
    PromptSet,
    answer_logit_diff,
    logit_diff,
    require_hooked_transformer,
    sliceable,
)
from glassbox_jupyter.circuits.recorded import cached_activations

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd

    from glassbox_jupyter.finding.provenance import Provenance

METHODS = ("eap", "eap_ig")
Edge = tuple[str, str]
_EXACT_ROWS = 64  # prompts × edge copies per patched forward pass in exact_edge_patching


@dataclass
class EdgeAttribution(MeasuredResult):
    """Edge scores, strongest first: ``edges`` holds ``(sender, receiver, score)`` sorted by ``|score|``.

    ``provenance`` (set by :func:`edge_attribution_patching`) names the model's weights, the prompts and the
    settings (method, ``n_steps``, ``top_k``); :meth:`to_json` exports the scores with it.
    """

    edges: list[tuple[str, str, float]]
    method: str
    n_prompts: int
    n_layers: int
    n_heads: int
    provenance: Provenance | None = None
    kind = "edge_attribution"

    def result_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "edges": [[u, v, s] for u, v, s in self.edges],
            "n_prompts": self.n_prompts,
            "n_layers": self.n_layers,
            "n_heads": self.n_heads,
        }

    def __len__(self) -> int:
        return len(self.edges)

    def top(self, k: int) -> list[tuple[str, str, float]]:
        """The ``k`` edges with the largest ``|score|``."""
        if k < 1:
            raise PromptError(f"k must be at least 1, got {k}")
        return self.edges[:k]

    def scores(self) -> dict[Edge, float]:
        """``{(sender, receiver): score}``."""
        return {(u, v): s for u, v, s in self.edges}

    def to_frame(self) -> pd.DataFrame:
        """A pandas DataFrame with columns ``sender``, ``receiver``, ``score``."""
        import pandas as pd

        return pd.DataFrame(self.edges, columns=["sender", "receiver", "score"])

    def head_scores(self) -> np.ndarray:
        """``[layer head]``: the sum of each head's outgoing edge scores (only the edges kept here).

        With every edge kept this equals the head's attribution-patching score (``taylor`` for
        ``"eap"``, ``integrated_gradients`` for ``"eap_ig"``)."""
        out = np.zeros((self.n_layers, self.n_heads))
        for sender, _, score in self.edges:
            node = _parse_sender(sender)
            if node is not None and node.kind == "head":
                out[node.layer, node.head] += score
        return out

    def graph(self) -> nx.DiGraph:
        """A networkx ``DiGraph`` over the kept edges, each with a ``score`` attribute.

        Sender and receiver names share a namespace only for ``"MLP{l}"`` (its output and its input),
        so the graph connects paths such as ``L0H1 → MLP0 → L1H2.q``."""
        import networkx as nx

        g = nx.DiGraph()
        for u, v, s in self.edges:
            g.add_edge(u, v, score=s)
        return g


# ------------------------------------------------------------------ nodes


@dataclass(frozen=True)
class _Node:
    name: str
    layer: int  # -1 for the embedding, n_layers for the logits
    kind: str  # senders: embed, head, mlp; receivers: q, k, v, mlp, logits
    head: int = -1


_SENDER = re.compile(r"^(?:(embed)|L(\d+)H(\d+)|MLP(\d+))$")
_RECEIVER = re.compile(r"^(?:(logits)|L(\d+)H(\d+)\.([qkv])|MLP(\d+))$")


def _parse_sender(name: str) -> _Node | None:
    m = _SENDER.match(name)
    if m is None:
        return None
    if m.group(1):
        return _Node(name, -1, "embed")
    if m.group(4) is not None:
        return _Node(name, int(m.group(4)), "mlp")
    return _Node(name, int(m.group(2)), "head", int(m.group(3)))


def _parse_receiver(name: str, n_layers: int) -> _Node | None:
    m = _RECEIVER.match(name)
    if m is None:
        return None
    if m.group(1):
        return _Node(name, n_layers, "logits")
    if m.group(5) is not None:
        return _Node(name, int(m.group(5)), "mlp")
    return _Node(name, int(m.group(2)), m.group(4), int(m.group(3)))


def _senders(cfg: Any) -> list[_Node]:
    out = [_Node("embed", -1, "embed")]
    for layer in range(cfg.n_layers):
        out += [_Node(f"L{layer}H{h}", layer, "head", h) for h in range(cfg.n_heads)]
        if not cfg.attn_only:
            out.append(_Node(f"MLP{layer}", layer, "mlp"))
    return out


def _receivers(cfg: Any) -> list[_Node]:
    out = []
    for layer in range(cfg.n_layers):
        for kind in "qkv":
            out += [_Node(f"L{layer}H{h}.{kind}", layer, kind, h) for h in range(cfg.n_heads)]
        if not cfg.attn_only:
            out.append(_Node(f"MLP{layer}", layer, "mlp"))
    out.append(_Node("logits", cfg.n_layers, "logits"))
    return out


def _upstream(cfg: Any, sender: _Node, receiver: _Node) -> bool:
    if sender.layer < receiver.layer:
        return True
    return (
        receiver.kind == "mlp"
        and sender.kind == "head"
        and sender.layer == receiver.layer
        and not cfg.parallel_attn_mlp
    )


def _edge_mask(cfg: Any, senders: list[_Node], receivers: list[_Node]) -> np.ndarray:
    return np.array([[_upstream(cfg, s, r) for r in receivers] for s in senders])


def _check_architecture(cfg: Any) -> None:
    from transformer_lens.utilities.architectures import POST_NORM_ARCHITECTURES

    # a TransformerBridge's config names the architecture in ``architecture``
    architecture = getattr(cfg, "original_architecture", None) or getattr(cfg, "architecture", None)
    if cfg.use_normalization_before_and_after or architecture in POST_NORM_ARCHITECTURES:
        raise PromptError(
            "edge attribution needs a pre-norm model whose residual stream is the sum of its heads' and MLPs' "
            f"outputs; {architecture or 'this model'} normalises those outputs before adding them. "
            "Use head-level attribution_patching for it instead"
        )


def _resolve_edges(cfg: Any, edges: Sequence[Sequence[str]]) -> list[tuple[_Node, _Node]]:
    senders = {s.name: s for s in _senders(cfg)}
    receivers = {r.name: r for r in _receivers(cfg)}
    shape = f"n_layers={cfg.n_layers}, n_heads={cfg.n_heads}" + (", no MLPs" if cfg.attn_only else "")
    out = []
    for item in edges:
        if isinstance(item, str) or len(item) != 2 or not all(isinstance(x, str) for x in item):
            raise PromptError(
                f"each edge must be a (sender, receiver) pair of names, e.g. ('L0H1', 'L1H2.q'); got {item!r}"
            )
        u, v = item
        if u not in senders:
            hint = f" ({u!r} is a receiver: drop the .q/.k/.v)" if u in receivers and u != "logits" else ""
            raise PromptError(
                f"unknown sender {u!r}{hint}; senders are 'embed', 'L{{layer}}H{{head}}' and 'MLP{{layer}}' "
                f"for this model ({shape})"
            )
        if v not in receivers:
            raise PromptError(
                f"unknown receiver {v!r}; receivers are 'L{{layer}}H{{head}}.q'/.k/.v, 'MLP{{layer}}' and 'logits' "
                f"for this model ({shape})"
            )
        if not _upstream(cfg, senders[u], receivers[v]):
            raise PromptError(
                f"({u!r}, {v!r}) is not an edge: the sender must be upstream of the receiver (an earlier layer, "
                "or a head feeding its own layer's MLP); give edges as (upstream sender, downstream receiver)"
            )
        out.append((senders[u], receivers[v]))
    return out


# ------------------------------------------------------------------ hooks


@contextmanager
def _edge_hooks_enabled(model: Any) -> Iterator[None]:
    """Turn on the hooks edges need (per-head q/k/v inputs, head results, MLP inputs); restore after.

    A HookedTransformer and a TransformerBridge take the same switches (``set_use_split_qkv_input``,
    ``set_use_attn_result``, ``set_use_hook_mlp_in``); a grouped-query model also gets one key/value
    input per query head (:func:`_one_key_value_input_per_query_head`)."""
    cfg = model.cfg
    saved = {
        "use_split_qkv_input": cfg.use_split_qkv_input,
        "use_attn_result": cfg.use_attn_result,
        "use_hook_mlp_in": cfg.use_hook_mlp_in,
    }
    try:
        try:
            model.set_use_split_qkv_input(True)
            model.set_use_attn_result(True)
        except NotImplementedError as exc:  # a bridge whose attention has no per-head input fork
            raise PromptError(
                f"edge patching needs per-head query/key/value inputs, which this {type(model).__name__}'s "
                f"attention does not offer ({exc}); load the same checkpoint with "
                "glassbox.load_hooked_transformer(path) for edges"
            ) from exc
        if not cfg.attn_only:
            model.set_use_hook_mlp_in(True)
        with _one_key_value_input_per_query_head(model):
            yield
    finally:
        for key, value in saved.items():  # a bridge's config routes these through its setters
            setattr(cfg, key, value)


@contextmanager
def _one_key_value_input_per_query_head(model: Any) -> Iterator[None]:
    """Give every query head of a grouped-query model its own key and value input (receivers
    ``L{l}H{h}.k``/``.v`` per query head), for the duration of the block.

    A HookedTransformer has TransformerLens's switch for it (``ungroup_grouped_query_attention``). A
    TransformerBridge forks its key/value inputs per key/value head; here each attention layer's key
    and value projections are repeated once per query head sharing them (the same weights, as
    ``ungroup_grouped_query_attention`` repeats ``W_K``/``W_V``), so the bridge computes the same
    attention with one key/value input per query head; the projections are put back afterwards."""
    cfg = model.cfg
    if cfg.n_key_value_heads is None or cfg.n_key_value_heads == cfg.n_heads:
        yield
        return
    if hasattr(model, "set_ungroup_grouped_query_attention"):  # HookedTransformer
        saved = cfg.ungroup_grouped_query_attention
        try:
            model.set_ungroup_grouped_query_attention(True)
            yield
        finally:
            cfg.ungroup_grouped_query_attention = saved
        return
    undo: list[Any] = []
    try:
        for layer, block in enumerate(model.blocks):
            undo.append(_ungroup_bridge_attention(block.attn, layer, cfg.n_heads))
        yield
    finally:
        for restore in reversed(undo):
            restore()


def _ungroup_bridge_attention(attn: Any, layer: int, n_heads: int) -> Any:
    """Repeat a bridge attention layer's key/value projections per query head; return the undo."""
    import torch
    from transformer_lens.model_bridge.generalized_components.position_embeddings_attention import (
        PositionEmbeddingsAttentionBridge,
    )

    hf_attn, config = attn.original_component, attn.config  # config: the layer's own copy on a Llama bridge
    linears: list[Any] = [getattr(getattr(attn, name, None), "original_component", None) for name in "kv"]
    groups = getattr(hf_attn, "num_key_value_groups", None)
    d_head = int(getattr(hf_attn, "head_dim", None) or config.d_head)
    key_norm = getattr(getattr(attn, "k_norm", None), "original_component", None)
    key_norm_weight = getattr(key_norm, "weight", None)
    if (
        not isinstance(attn, PositionEmbeddingsAttentionBridge)
        or not all(isinstance(x, torch.nn.Linear) for x in linears)
        or not isinstance(groups, int)
        or any(groups * (x.weight.shape[0] // d_head) != n_heads for x in linears)
        # a key norm over all key/value heads at once, or one per key/value head
        or (isinstance(key_norm_weight, torch.Tensor) and key_norm_weight.numel() not in (1, d_head))
    ):
        raise PromptError(
            f"edge patching needs one key/value input per query head; layer {layer}'s grouped-query attention "
            f"({type(attn).__name__} over {type(hf_attn).__name__}) cannot be given them on a TransformerBridge. "
            "Load the same checkpoint with glassbox.load_hooked_transformer(path) for edges (TransformerLens "
            "ungroups its keys and values)"
        )
    saved_heads, saved_groups = config.n_key_value_heads, groups
    saved = [(linear, linear.weight, linear.bias, linear.out_features) for linear in linears]
    for linear in linears:  # rows: (key/value head, d_head) → (query head, d_head), query head h using h // groups
        weight = linear.weight.detach()
        expanded = weight.view(-1, d_head, weight.shape[-1]).repeat_interleave(groups, dim=0)
        linear.weight = torch.nn.Parameter(expanded.flatten(0, 1), requires_grad=linear.weight.requires_grad)
        if linear.bias is not None:
            bias = linear.bias.detach().view(-1, d_head).repeat_interleave(groups, dim=0)
            linear.bias = torch.nn.Parameter(bias.flatten(), requires_grad=linear.bias.requires_grad)
        linear.out_features = linear.weight.shape[0]
    config.n_key_value_heads = n_heads
    hf_attn.num_key_value_groups = 1

    def restore() -> None:
        config.n_key_value_heads = saved_heads
        hf_attn.num_key_value_groups = saved_groups
        for linear, weight, bias, out_features in saved:
            linear.weight, linear.bias, linear.out_features = weight, bias, out_features

    return restore


def _sender_hook(node: _Node) -> str:
    if node.kind == "embed":
        return "blocks.0.hook_resid_pre"  # token + position embedding, as it enters the residual stream
    if node.kind == "head":
        return f"blocks.{node.layer}.attn.hook_result"
    return f"blocks.{node.layer}.hook_mlp_out"


def _receiver_hook(node: _Node, n_layers: int) -> str:
    if node.kind == "logits":
        return f"blocks.{n_layers - 1}.hook_resid_post"
    if node.kind == "mlp":
        return f"blocks.{node.layer}.hook_mlp_in"
    return f"blocks.{node.layer}.hook_{node.kind}_input"


def _stack(values: dict[str, Any], nodes: list[_Node], hook: Any) -> Any:
    """``[batch pos node d_model]``: each node's slice of its hook's activation, in ``nodes`` order."""
    import torch

    parts = []
    for node in nodes:
        t = values[hook(node)]
        parts.append(t[:, :, node.head] if node.head >= 0 else t)
    return torch.stack(parts, dim=2)


def _subtract_hooks(patches: dict[str, list[tuple[slice, int, Any]]]) -> list[tuple[str, Any]]:
    """Forward hooks that subtract ``delta`` from rows ``rows`` (and head ``head``, if ≥ 0) of each hook."""

    def patch(t: Any, hook: Any, name: str) -> Any:  # name: a bridge's hook.name is its own, not the alias
        t = t.clone()  # the per-head q/k/v inputs are broadcast views of one residual
        for rows, head, delta in patches[name]:
            if head >= 0:
                t[rows, :, head] -= delta
            else:
                t[rows] -= delta
        return t

    return [(name, partial(patch, name=name)) for name in patches]


def _clean_and_corrupted(model: Any, bucket: Bucket, names: Iterable[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``names`` recorded on the bucket's clean and corrupted prompts, in one pass of both stacked along the
    batch (each weight read once for the two), under the hook settings in force."""
    import torch

    n = int(bucket.clean.shape[0])
    both = cached_activations(model, torch.cat([bucket.clean, bucket.corrupted]), names)
    return {k: v[:n] for k, v in both.items()}, {k: v[n:] for k, v in both.items()}


def _sender_delta(clean: dict[str, Any], corrupted: dict[str, Any], senders: list[_Node]) -> Any:
    """``[batch pos sender d_model]``: each sender's clean − corrupted output."""
    return _stack(clean, senders, _sender_hook) - _stack(corrupted, senders, _sender_hook)


def _receiver_grads(model: Any, bucket: Bucket, receivers: list[_Node], start: GradientInput, repeat: int = 1) -> Any:
    """``[batch pos receiver d_model]``: ∂(summed logit difference)/∂(each receiver's input), at the
    positions from ``start.p0`` (:class:`~glassbox_jupyter.circuits.patching.GradientInput`).

    ``start.clean`` is the pass's input: the clean run's, or (integrated gradients) ``repeat`` stacked
    copies of the bucket (``[repeat·batch pos d_model]``, one per step), whose gradients are summed over
    the copies. The gradient is taken with ``torch.autograd.grad`` at the hooked tensors, so no parameter
    gradients are accumulated, and the logit difference is read off the last residual stream (no
    ``[batch pos vocab]`` logits) where the model can stop after its last block."""
    import torch

    n_layers = model.cfg.n_layers
    names = sorted({_receiver_hook(r, n_layers) for r in receivers})
    acts: dict[str, Any] = {}

    def keep(t: Any, hook: Any, name: str) -> Any:  # name: a bridge's hook.name is its own, not the alias
        # a copy that feeds only this receiver: a bridge's hook_mlp_in fires on the residual stream itself
        # (a HookedTransformer's on a copy), whose gradient would include the residual path past the MLP
        acts[name] = t = t.clone()
        return t

    def leaf_embed(t: Any, hook: Any) -> Any:  # a leaf that needs grad, even if the weights are frozen
        return start.clean.detach().clone().requires_grad_(True)

    hooks = [(n, partial(keep, name=n)) for n in names]
    tokens = bucket.clean.repeat(repeat, 1)
    with torch.enable_grad(), model.hooks(fwd_hooks=hooks if start.p0 else [("hook_embed", leaf_embed), *hooks]):
        if start.p0:  # the positions from p0, the clean prefix's keys and values frozen
            resid = model(
                start.clean.detach().clone().requires_grad_(True),
                start_at_layer=0,
                stop_at_layer=n_layers,
                past_kv_cache=frozen_prefix(model, start.prefix, start.p0, 0, repeat),
            )
            correct, incorrect = (ids.repeat(repeat).to(resid.device) for ids in (bucket.correct, bucket.incorrect))
            metric = answer_logit_diff(model, resid, correct, incorrect).sum()
        elif sliceable(model):
            resid = model(tokens, stop_at_layer=n_layers)
            correct, incorrect = (ids.repeat(repeat).to(resid.device) for ids in (bucket.correct, bucket.incorrect))
            metric = answer_logit_diff(model, resid, correct, incorrect).sum()
        else:  # a TransformerBridge runs whole passes
            logits = model(tokens)
            correct, incorrect = (ids.repeat(repeat).to(logits.device) for ids in (bucket.correct, bucket.incorrect))
            metric = logit_diff(logits, correct, incorrect).sum()
        grads = torch.autograd.grad(metric, [acts[n] for n in names], allow_unused=True)
    n = len(bucket.rows)
    values = {
        name: (torch.zeros_like(acts[name]) if g is None else g).detach().view(repeat, n, *acts[name].shape[1:]).sum(0)
        for name, g in zip(names, grads)
    }
    return _stack(values, receivers, lambda r: _receiver_hook(r, n_layers))


#: Token positions one EAP-IG pass holds (steps × prompts × positions): bounds the backward pass's memory.
EAP_IG_TOKENS_PER_PASS = 1024


# ------------------------------------------------------------------ public API


def edge_attribution_patching(
    model: Any, prompts: PromptSet, method: str = "eap", n_steps: int = 8, top_k: int | None = None
) -> EdgeAttribution:
    """Estimate every edge's effect from gradients (EAP, or EAP-IG with ``n_steps`` interpolation steps).

    Scores are averaged over all prompts (every bucket of ``prompts``), follow the convention of
    :func:`exact_edge_patching`, and come back sorted by ``|score|`` (cut to ``top_k`` when given).
    The model's hook settings (``use_split_qkv_input``, ``use_attn_result``, ``use_hook_mlp_in``) are
    switched on for the call and restored afterwards.
    """
    import torch

    require_hooked_transformer(model)
    if method not in METHODS:
        raise PromptError(
            f"method must be one of {METHODS} ('eap': gradients at the clean run; 'eap_ig': "
            f"integrated gradients), got {method!r}"
        )
    if top_k is not None and top_k < 1:
        raise PromptError(f"top_k must be a positive number of edges (or None for all), got {top_k}")
    if method == "eap_ig" and n_steps < 1:
        raise PromptError(f"n_steps must be at least 1 for 'eap_ig', got {n_steps}")
    cfg = model.cfg
    _check_architecture(cfg)
    senders, receivers = _senders(cfg), _receivers(cfg)
    scores = torch.zeros(len(senders), len(receivers), dtype=torch.float64)
    with _edge_hooks_enabled(model):
        for b in prompts.buckets:
            # where the gradient passes start (GradientInput: from the first position clean and corrupted
            # differ), recorded under this call's hook settings; the prefix's sender differences are zero
            # and each sender's clean − corrupted output: one pass of clean and corrupted stacked records both
            inputs = GradientInput.names(model, b)
            clean, corrupted = _clean_and_corrupted(model, b, {*inputs, *(_sender_hook(s) for s in senders)})
            start = GradientInput.build(model, b, clean, corrupted)
            delta = _sender_delta(clean, corrupted, senders)[:, start.p0 :]
            if method == "eap":
                grads = _receiver_grads(model, b, receivers, start)
            else:
                grads = 0.0
                alphas = (np.arange(n_steps) + 0.5) / n_steps
                per_pass = max(1, min(n_steps, EAP_IG_TOKENS_PER_PASS // start.clean.shape[:2].numel()))
                for first in range(0, n_steps, per_pass):  # several steps per pass, stacked along the batch
                    chunk = torch.as_tensor(alphas[first : first + per_pass], dtype=start.clean.dtype)
                    k = len(chunk)
                    diff = (start.clean - start.corrupted).unsqueeze(0)
                    mix = start.corrupted.unsqueeze(0) + chunk.view(k, 1, 1, 1) * diff
                    steps = GradientInput(mix.flatten(0, 1), None, start.p0, start.prefix)
                    grads = grads + _receiver_grads(model, b, receivers, steps, repeat=k) / n_steps
            acc = torch.float32 if delta.device.type == "mps" else torch.float64  # mps has no float64
            scores += torch.einsum("bpsd,bprd->sr", delta.to(acc), grads.to(acc)).cpu().double()
    mean_scores = scores.numpy() / len(prompts)
    mask = _edge_mask(cfg, senders, receivers)
    edges = [
        (s.name, r.name, float(mean_scores[i, j]))
        for i, s in enumerate(senders)
        for j, r in enumerate(receivers)
        if mask[i, j]
    ]
    edges.sort(key=lambda e: -abs(e[2]))
    if top_k is not None:
        edges = edges[:top_k]
    settings = {"name": "edge_attribution_patching", "method": method, "top_k": top_k}
    if method == "eap_ig":
        settings["n_steps"] = n_steps
    provenance = capture(model, prompts, settings)
    return EdgeAttribution(edges, method, len(prompts), cfg.n_layers, cfg.n_heads, provenance)


def exact_edge_patching(model: Any, prompts: PromptSet, edges: Sequence[Edge]) -> dict[Edge, float]:
    """Exact effect of each edge, averaged over prompts: ``M(clean) − M(patched)``.

    The patched run is the clean forward pass in which only the receiver's input sees the sender's
    corrupted value: ``input_v ← input_v − (u_clean − u_corrupted)``. One forward pass per edge
    (batched, several edges at a time)."""
    import torch

    require_hooked_transformer(model)
    cfg = model.cfg
    _check_architecture(cfg)
    resolved = _resolve_edges(cfg, edges)
    if not resolved:
        return {}
    senders = sorted({u for u, _ in resolved}, key=lambda n: (n.layer, n.kind != "head", n.head))
    index = {s.name: i for i, s in enumerate(senders)}
    totals = np.zeros(len(resolved))
    with _edge_hooks_enabled(model):
        for b in prompts.buckets:
            n = len(b.rows)
            delta = _sender_delta(*_clean_and_corrupted(model, b, {_sender_hook(s) for s in senders}), senders)
            per_run = max(1, _EXACT_ROWS // n - 1)  # edge copies per forward pass, after one unpatched copy
            for start in range(0, len(resolved), per_run):
                chunk = resolved[start : start + per_run]
                patches: dict[str, list[tuple[slice, int, Any]]] = {}
                for i, (u, v) in enumerate(chunk, start=1):  # copy 0 is the unpatched clean run
                    rows = slice(i * n, (i + 1) * n)
                    patches.setdefault(_receiver_hook(v, cfg.n_layers), []).append(
                        (rows, v.head, delta[:, :, index[u.name]])
                    )

                copies = len(chunk) + 1
                with torch.no_grad():
                    logits = model.run_with_hooks(b.clean.repeat(copies, 1), fwd_hooks=_subtract_hooks(patches))
                correct, incorrect = (t.to(logits.device).repeat(copies) for t in (b.correct, b.incorrect))
                m = logit_diff(logits, correct, incorrect).float().cpu().double()
                m = m.reshape(copies, n).sum(dim=1)
                totals[start : start + len(chunk)] += (m[0] - m[1:]).numpy()
    return {(u.name, v.name): float(t / len(prompts)) for (u, v), t in zip(resolved, totals)}
