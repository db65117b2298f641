"""MLP neuron activations of a transformer (TransformerLens or Hugging Face) or any PyTorch module.

Sources:

* a ``HookedTransformer``: ``layer=L`` or ``"blocks.L.mlp.hook_post"`` (also ``hook_pre``), read with a hook;
* a Hugging Face model (the object with its ``tokenizer=``, or a local folder path loaded offline): ``layer``
  a module name such as ``"encoder.layer.3.intermediate"``, or an int resolved to the MLP neurons of that
  block (BERT-style ``intermediate``, GPT-2 ``mlp.act``, or the input of LLaMA / OPT / DistilBERT / NeoX
  down-projections), read with a forward hook;
* any ``nn.Module`` with tensor / array inputs: ``layer`` a module name whose output is ``[n, neurons]`` or
  ``[n, positions, neurons]``.

Pooling: ``"token"`` gives one sample per token, ``"sequence"`` the mean over a text's tokens, ``"max"`` the
maximum. Padding and special tokens (BOS, CLS, SEP, EOS, PAD) are left out of every pooling: in causal
models the BOS position carries very large activations (an attention sink) that would swamp the others.

Example:
    >>> import torch
    >>> model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    >>> acts = collect_neuron_activations(model, torch.randn(50, 4), "1")
    >>> acts.values.shape, acts.sample_labels[0], acts.source
    ((50, 16), 'row 0', 'torch:Sequential')
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from glassbox_jupyter.neurons.errors import EmptyTextError, NoMLPError
from glassbox_jupyter.teacher.layers import (
    LayerError,
    LayerRead,
    hook_layer,
    input_tensor,
    name_listing,
    resolve_layers,
)
from glassbox_jupyter.teacher.transformer import TransformerAdapter, is_hooked_transformer

__all__ = ["NeuronActivations", "Pooling", "collect_neuron_activations", "mlp_layers"]

Pooling = Literal["token", "sequence", "max"]
POOLINGS = ("token", "sequence", "max")

# Hugging Face MLP neurons of block L: (module-name pattern, read the module's "output" or its "input")
HF_MLP_PATTERNS: tuple[tuple[str, LayerRead], ...] = (
    (r"(^|\.)layer\.{L}\.intermediate$", "output"),  # BERT, RoBERTa, MiniLM, ELECTRA
    (r"(^|\.)h\.{L}\.mlp\.act$", "output"),  # GPT-2
    (r"(^|\.)layers\.{L}\.mlp\.down_proj$", "input"),  # LLaMA, Mistral, Qwen, Gemma
    (r"(^|\.)layers\.{L}\.mlp\.dense_4h_to_h$", "input"),  # GPT-NeoX, Pythia
    (r"(^|\.)layers\.{L}\.fc2$", "input"),  # OPT
    (r"(^|\.)layer\.{L}\.ffn\.lin2$", "input"),  # DistilBERT
)
TL_MLP_HOOK = re.compile(r"^blocks\.(\d+)\.mlp\.hook_(post|pre|pre_linear)$")
_NOT_MLP = ("Attention", "Norm", "Embedding", "Dropout", "Pooler", "Output")
_ACTIVATIONS = ("ReLU", "GELU", "Tanh", "Sigmoid", "SiLU", "ELU", "Softplus", "Mish", "LeakyReLU", "Activation")
_MAX_LISTED = 24


@dataclass
class NeuronActivations:
    """Activations of one layer's neurons, one row per sample (a token, a text or an input row).

    Attributes:
        values: float64 ``[n_samples, n_neurons]``.
        neuron_ids: the neuron index (in the layer) of every column.
        sample_labels: the text (sequence / max pooling), ``"text[i] token 'foo'"`` (token pooling) or ``"row i"``.
        sample_text_index: the text (or input row) each sample comes from.
        layer: the hook point or module name read.
        source: what kind of model it came from (``"HookedTransformer"``, ``"transformers:BertModel"``...).
        pooling: how tokens became samples.
        texts: the texts, when the inputs were texts.
    """

    values: np.ndarray
    neuron_ids: np.ndarray
    sample_labels: list[str]
    sample_text_index: np.ndarray
    layer: str
    source: str
    pooling: str = "token"
    texts: list[str] | None = None
    model: Any = field(default=None, repr=False, compare=False)

    @property
    def n_samples(self) -> int:
        return int(self.values.shape[0])

    @property
    def n_neurons(self) -> int:
        return int(self.values.shape[1])

    def rows(self, index: Any) -> NeuronActivations:
        """The samples at ``index`` (an index array or boolean mask), all neurons."""
        index = np.asarray(index)
        positions = np.flatnonzero(index) if index.dtype == bool else index.astype(int)
        return NeuronActivations(
            values=self.values[positions],
            neuron_ids=self.neuron_ids,
            sample_labels=[self.sample_labels[i] for i in positions],
            sample_text_index=self.sample_text_index[positions],
            layer=self.layer,
            source=self.source,
            pooling=self.pooling,
            texts=self.texts,
            model=self.model,
        )

    def neurons(self, ids: Sequence[int] | np.ndarray) -> NeuronActivations:
        """The columns of the neurons ``ids`` (in that order), all samples."""
        position = {int(n): i for i, n in enumerate(self.neuron_ids)}
        columns = [position[int(n)] for n in ids]
        return NeuronActivations(
            values=self.values[:, columns],
            neuron_ids=np.asarray([int(n) for n in ids], dtype=int),
            sample_labels=self.sample_labels,
            sample_text_index=self.sample_text_index,
            layer=self.layer,
            source=self.source,
            pooling=self.pooling,
            texts=self.texts,
            model=self.model,
        )


def collect_neuron_activations(
    model: Any,
    inputs: Any,
    layer: int | str,
    *,
    pooling: Pooling = "token",
    tokenizer: Any = None,
    batch_size: int = 32,
    max_length: int = 128,
) -> NeuronActivations:
    """Activations of the MLP neurons of ``layer`` for every text (or input row) in ``inputs``.

    Raises:
        NoMLPError: the model or the chosen layer has no MLP neurons (the message lists the MLP layers).
        EmptyTextError: a text is empty or has no token besides special tokens (the message names its index).
        LayerError: the layer does not exist.

    Example:
        >>> acts = collect_neuron_activations("path/to/minilm", ["The sun is a star."], 3)  # doctest: +SKIP
        >>> acts.layer, acts.values.shape  # doctest: +SKIP
        ('encoder.layer.3.intermediate', (6, 1536))
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
    model = _torch_model(model)
    if int(batch_size) < 1 or int(max_length) < 1:
        raise ValueError("batch_size and max_length must be at least 1")
    if isinstance(model, (str, os.PathLike)):
        from glassbox_jupyter.teacher.hf_loading import load_hf_folder

        model, tokenizer = load_hf_folder(model, tokenizer=tokenizer)
    if is_hooked_transformer(model):
        return _collect_hooked(model, _texts(inputs), layer, pooling, int(batch_size), int(max_length))
    if _is_hf_model(model) and _looks_like_texts(inputs):
        if tokenizer is None:
            raise ValueError(
                f"a {type(model).__name__} needs its tokenizer to read texts: pass tokenizer=AutoTokenizer."
                "from_pretrained(...) or the model's folder path instead of the model"
            )
        return _collect_hf(model, tokenizer, _texts(inputs), layer, pooling, int(batch_size), int(max_length))
    import torch

    if isinstance(model, torch.nn.Module):
        if _looks_like_texts(inputs):
            raise ValueError(
                f"texts need a tokenizer and a language model; {type(model).__name__} takes tensors: pass a "
                "tensor or array of inputs, or a HookedTransformer / Hugging Face model with its tokenizer"
            )
        return _collect_module(model, inputs, layer, pooling, int(batch_size))
    raise TypeError(
        f"model must be a HookedTransformer, a Hugging Face model (or its folder path) or a torch nn.Module, "
        f"not {type(model).__name__}"
    )


def mlp_layers(model: Any) -> list[str]:
    """Names of the layers that hold MLP neurons (what ``layer=`` accepts), for any supported model.

    Example:
        >>> import torch
        >>> mlp_layers(torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)))
        ['0', '1', '2']
    """
    model = _torch_model(model)
    if is_hooked_transformer(model):
        return TransformerAdapter(model).mlp_hooks()
    names = [name for name, _ in _hf_mlp_modules(model)]
    if names:
        return names
    return [
        name
        for name, module in model.named_modules()
        if name and (type(module).__name__ in ("Linear", "Conv1D") or _is_activation(module))
    ]


# ---------------------------------------------------------------------------------------------- inputs
def _torch_model(model: Any) -> Any:
    """The model inside a :class:`~glassbox_jupyter.Teacher` (its neurons are the wrapped module's); others as given."""
    from glassbox_jupyter.teacher.teacher import Teacher

    return model.model if isinstance(model, Teacher) else model


def _looks_like_texts(inputs: Any) -> bool:
    return isinstance(inputs, str) or (
        isinstance(inputs, (list, tuple)) and len(inputs) > 0 and all(isinstance(t, str) for t in inputs)
    )


def _texts(inputs: Any) -> list[str]:
    if isinstance(inputs, str):
        inputs = [inputs]
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise EmptyTextError("pass a non-empty list of texts (one string per text)")
    texts = list(inputs)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text[{i}] is a {type(text).__name__}, not a string; pass a list of strings")
        if not text.strip():
            raise EmptyTextError(
                f"text[{i}] is empty (or only whitespace), so it has no tokens to read neurons from; remove it",
                index=i,
            )
    return texts


def _no_tokens(i: int, text: str) -> EmptyTextError:
    return EmptyTextError(
        f"text[{i}] {text[:60]!r} tokenises to no token besides special tokens (BOS / CLS / SEP / padding or "
        "unknown-word padding), so it has no neuron activations; remove it or write it in the model's vocabulary",
        index=i,
    )


# ---------------------------------------------------------------------------------------------- pooling
def token_in_context(tokens: list[str], t: int, left: int = 5, right: int = 3) -> str:
    """Token ``t`` bracketed among its neighbours, word pieces joined (``"…the history [of] the …"``).

    Example:
        >>> token_in_context(["the", "sun", "rise", "##s", "early"], 2, left=1, right=1)
        '…sun [rise]s…'
    """
    before = " ".join(tokens[max(0, t - left) : t])
    after = " ".join(tokens[t + 1 : t + 1 + right])
    text = f"{'…' if t > left else ''}{before} [{tokens[t]}] {after}{'…' if t + 1 + right < len(tokens) else ''}"
    return text.replace(" [##", "[").replace(" ##", "").replace("…##", "…").strip()


def _pool(
    states: list[np.ndarray], texts: list[str] | None, tokens: list[list[str]] | None, pooling: str, row_name: str
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """``states[i]``: [kept positions, neurons] of text/row i → (values, labels, text index)."""
    if pooling == "token":
        values = np.concatenate(states, axis=0)
        index = np.concatenate([np.full(len(s), i) for i, s in enumerate(states)])
        labels = []
        for i, state in enumerate(states):
            for t in range(len(state)):
                if tokens is not None:
                    labels.append(f"text[{i}] token {tokens[i][t]!r}: {token_in_context(tokens[i], t)}")
                else:
                    labels.append(f"{row_name} {i}" + (f" position {t}" if len(state) > 1 else ""))
        return values.astype(float), labels, index.astype(int)
    reduce = np.mean if pooling == "sequence" else np.max
    values = np.stack([reduce(s, axis=0) for s in states]).astype(float)
    labels = list(texts) if texts is not None else [f"{row_name} {i}" for i in range(len(states))]
    return values, labels, np.arange(len(states))


# ---------------------------------------------------------------------------------------------- TransformerLens
def _hooked_layer(transformer: TransformerAdapter, layer: int | str) -> tuple[str, int]:
    model = transformer.model
    hooks = transformer.hook_names()
    if not transformer.has_mlp:
        raise NoMLPError(
            f"this HookedTransformer has no MLP neurons (attn_only={model.cfg.attn_only}, d_mlp={model.cfg.d_mlp}); "
            f"its hook points are {_listing(hooks)}. Use a model with MLP layers"
        )
    mlp_hooks = transformer.mlp_hooks()
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not 0 <= int(layer) < transformer.n_layers:
            raise LayerError(
                f"layer {layer} does not exist: the model has {transformer.n_layers} blocks "
                f"(0–{transformer.n_layers - 1})"
            )
        return transformer.mlp_hook(int(layer)), int(layer)
    name = str(layer)
    match = TL_MLP_HOOK.match(name)
    if match and name in hooks:
        return name, int(match.group(1))
    if name in hooks:
        raise NoMLPError(
            f"{name!r} is not an MLP neuron hook; the MLP neurons are at {_listing(mlp_hooks)} (or pass the block "
            "number as layer=)"
        )
    raise LayerError(f"the model has no hook point {name!r}; its MLP neurons are at {_listing(mlp_hooks)}")


def _collect_hooked(
    model: Any, texts: list[str], layer: int | str, pooling: str, batch_size: int, max_length: int
) -> NeuronActivations:
    import torch

    transformer = TransformerAdapter(model)
    hook, block = _hooked_layer(transformer, layer)
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None:
        raise ValueError("this HookedTransformer has no tokenizer, so it cannot read texts; attach one first")
    special = set(tokenizer.all_special_ids)
    limit = min(max_length, int(model.cfg.n_ctx))
    ids: list[list[int]] = []
    keep: list[np.ndarray] = []
    for i, text in enumerate(texts):
        row = model.to_tokens(text, move_to_device=False)[0, :limit].tolist()
        mask = np.array([t not in special for t in row])
        if not mask.any():
            raise _no_tokens(i, text)
        ids.append(row)
        keep.append(mask)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    states: list[np.ndarray] = []
    for start in range(0, len(ids), batch_size):
        batch = ids[start : start + batch_size]
        width = max(len(r) for r in batch)
        tokens = torch.full((len(batch), width), pad, dtype=torch.long)
        for j, row in enumerate(batch):
            tokens[j, : len(row)] = torch.tensor(row)  # right padding: causal attention never sees it
        output = transformer.capture(tokens, [hook], stop_at_layer=block + 1)[hook].numpy()
        for j in range(len(batch)):
            states.append(output[j, : len(batch[j])][keep[start + j]])
    words = [[tokenizer.decode([t]) for t, k in zip(row, mask) if k] for row, mask in zip(ids, keep)]
    values, labels, index = _pool(states, texts, words, pooling, "text")
    return NeuronActivations(
        values, np.arange(values.shape[1]), labels, index, hook, "HookedTransformer", pooling, texts, model
    )


# ---------------------------------------------------------------------------------------------- Hugging Face
def _is_hf_model(model: Any) -> bool:
    import sys

    transformers = sys.modules.get("transformers")
    return transformers is not None and isinstance(model, transformers.PreTrainedModel)


def _hf_mlp_modules(model: Any, block: int | None = None) -> list[tuple[str, LayerRead]]:
    """(module name, "output"/"input") of the MLP neurons of every block (or of ``block``)."""
    names = [name for name, _ in model.named_modules() if name]
    found: list[tuple[int, str, LayerRead]] = []
    for pattern, kind in HF_MLP_PATTERNS:
        regex = re.compile(pattern.replace("{L}", r"(?P<block>\d+)" if block is None else str(int(block))))
        for name in names:
            match = regex.search(name)
            if match:
                number = int(match.group("block")) if block is None else int(block)
                found.append((number, name, kind))
        if found:
            break
    found.sort()
    return [(name, kind) for _, name, kind in found]


def _is_activation(module: Any) -> bool:
    return any(marker in type(module).__name__ for marker in _ACTIVATIONS)


def _contains_attention(module: Any) -> bool:
    return any("Attention" in type(m).__name__ or "Attn" in type(m).__name__ for m in module.modules())


def _module_layer(model: Any, layer: int | str, hf: bool) -> tuple[str, Any, LayerRead]:
    """Resolve ``layer`` to (name, module, "output"/"input"), refusing modules that hold no MLP neurons."""
    available = mlp_layers(model)
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool) and not hf:
        if str(layer) in dict(model.named_modules()):  # a Sequential's children are named "0", "1", ...
            layer = str(layer)
    if isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not hf:
            raise ValueError(f"layer must be a module name for a {type(model).__name__}; choose one of {available}")
        resolved = _hf_mlp_modules(model, int(layer))
        if not resolved:
            blocks = len(_hf_mlp_modules(model))
            if blocks:
                raise LayerError(f"layer {layer} does not exist: the model has {blocks} blocks (0–{blocks - 1})")
            raise NoMLPError(
                f"could not find the MLP of block {layer} in this {type(model).__name__}; pass the module name "
                f"as layer= (modules that look like MLP layers: {_listing(available)})"
            )
        name, kind = resolved[0]
        return name, dict(model.named_modules())[name], kind
    name = str(layer)
    (_, module), *_ = resolve_layers(model, [name])
    known = dict(_hf_mlp_modules(model)) if hf else {}
    if name in known:
        return name, module, known[name]
    cls = type(module).__name__
    if any(marker in cls for marker in _NOT_MLP) or (list(module.children()) and _contains_attention(module)):
        raise NoMLPError(
            f"layer {name!r} is a {cls}, which holds no MLP neurons; choose an MLP layer: {_listing(available)}"
        )
    return name, module, "output"


def _collect_hf(
    model: Any, tokenizer: Any, texts: list[str], layer: int | str, pooling: str, batch_size: int, max_length: int
) -> NeuronActivations:
    import torch

    name, module, kind = _module_layer(model, layer, hf=True)
    special = list(tokenizer.all_special_ids)
    encoded = []
    for i, text in enumerate(texts):
        enc = tokenizer(text, truncation=True, max_length=max_length, return_special_tokens_mask=True)
        mask = (np.array(enc["special_tokens_mask"]) == 0) & ~np.isin(enc["input_ids"], special)
        if not mask.any():
            raise _no_tokens(i, text)
        encoded.append((enc, mask))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    sink: list[torch.Tensor] = []
    handle = hook_layer(module, sink, kind)
    states: list[np.ndarray] = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(encoded), batch_size):
                batch = encoded[start : start + batch_size]
                width = max(len(enc["input_ids"]) for enc, _ in batch)
                feed = {"input_ids": torch.full((len(batch), width), pad, dtype=torch.long)}
                feed["attention_mask"] = torch.zeros((len(batch), width), dtype=torch.long)
                if "token_type_ids" in batch[0][0]:
                    feed["token_type_ids"] = torch.zeros((len(batch), width), dtype=torch.long)
                for j, (enc, _) in enumerate(batch):
                    length = len(enc["input_ids"])
                    feed["input_ids"][j, :length] = torch.tensor(enc["input_ids"])
                    feed["attention_mask"][j, :length] = 1
                    if "token_type_ids" in feed:
                        feed["token_type_ids"][j, :length] = torch.tensor(enc["token_type_ids"])
                sink.clear()
                model(**{k: v.to(device) for k, v in feed.items()})
                if len(sink) != 1:
                    raise NoMLPError(f"layer {name!r} ran {len(sink)} times in one forward pass; choose another")
                output = sink[0].numpy()
                if output.ndim != 3:
                    raise NoMLPError(
                        f"layer {name!r} outputs shape {tuple(output.shape)}, not [batch, tokens, neurons]; choose an "
                        f"MLP layer: {_listing(mlp_layers(model))}"
                    )
                for j, (enc, mask) in enumerate(batch):
                    states.append(output[j, : len(enc["input_ids"])][mask])
    finally:
        handle.remove()
        model.train(was_training)
    words = [
        [tok for tok, k in zip(tokenizer.convert_ids_to_tokens(enc["input_ids"]), mask) if k] for enc, mask in encoded
    ]
    values, labels, index = _pool(states, texts, words, pooling, "text")
    source = f"transformers:{type(model).__name__}"
    return NeuronActivations(values, np.arange(values.shape[1]), labels, index, name, source, pooling, texts, model)


# ---------------------------------------------------------------------------------------------- any nn.Module
def _collect_module(model: Any, inputs: Any, layer: int | str, pooling: str, batch_size: int) -> NeuronActivations:
    import torch

    from glassbox_jupyter.errors import ShapeMismatchError

    name, module, kind = _module_layer(model, layer, hf=False)
    X = input_tensor(model, inputs)
    parameter = next((p for p in model.parameters() if p.is_floating_point()), None)
    device = parameter.device if parameter is not None else torch.device("cpu")
    sink: list[torch.Tensor] = []
    handle = hook_layer(module, sink, kind)
    chunks: list[np.ndarray] = []
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(X), max(batch_size, 256)):
                sink.clear()
                try:
                    model(X[start : start + max(batch_size, 256)].to(device))
                except (RuntimeError, ValueError, IndexError, TypeError) as exc:
                    raise ShapeMismatchError(
                        f"the model failed on inputs of shape {tuple(X.shape)}: {exc}. Pass inputs shaped as the "
                        "model expects, one row per sample"
                    ) from exc
                if len(sink) != 1:
                    raise NoMLPError(
                        f"layer {name!r} ran {len(sink)} times in one forward pass; choose a layer that runs once"
                    )
                chunks.append(sink[0].numpy())
    finally:
        handle.remove()
        model.train(was_training)
    output = np.concatenate(chunks)
    if output.ndim == 1:
        output = output[:, None]
    if output.ndim > 3:
        raise NoMLPError(
            f"layer {name!r} outputs shape {output.shape[1:]} per input (a convolution map), not MLP neurons; "
            f"choose a Linear or activation layer: {_listing(mlp_layers(model))}"
        )
    states = [row if row.ndim == 2 else row[None] for row in output]
    values, labels, index = _pool(states, None, None, pooling, "row")
    source = f"torch:{type(model).__name__}"
    return NeuronActivations(values, np.arange(values.shape[1]), labels, index, name, source, pooling, None, model)


def _listing(names: Sequence[str]) -> str:
    return name_listing(names, limit=_MAX_LISTED)
