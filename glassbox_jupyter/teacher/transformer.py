"""The transformer adapter: a TransformerLens model described by its shape and read through hook points by name.

Circuits and neuron graphs reach a transformer through :class:`TransformerAdapter`: it describes the model
for provenance (layers, heads, ``d_model``, the weights' SHA-256, as :class:`TorchAdapter` hashes any
module), names its hook points (``blocks.3.mlp.hook_post``) and captures their activations in one
forward pass. :func:`module_adapter` picks it for a ``HookedTransformer`` and a plain
:class:`TorchAdapter` for any other ``nn.Module``.

Example:
    >>> from transformer_lens import HookedTransformer, HookedTransformerConfig
    >>> cfg = HookedTransformerConfig(n_layers=2, d_model=8, n_ctx=4, d_head=4, n_heads=2, d_mlp=16,
    ...                               d_vocab=10, act_fn="relu")
    >>> adapter = TransformerAdapter(HookedTransformer(cfg))
    >>> {k: adapter.describe()[k] for k in ("kind", "n_layers", "n_heads", "d_model")}
    {'kind': 'hooked_transformer', 'n_layers': 2, 'n_heads': 2, 'd_model': 8}
    >>> adapter.mlp_hook(1)
    'blocks.1.mlp.hook_post'
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from glassbox_jupyter.teacher.adapters import TorchAdapter

if TYPE_CHECKING:
    import torch
    from transformer_lens import HookedTransformer

__all__ = ["TransformerAdapter", "is_hooked_transformer", "module_adapter"]


def is_hooked_transformer(model: object) -> bool:
    """True for a TransformerLens ``HookedTransformer`` or ``TransformerBridge`` (without importing
    transformer_lens when it is not loaded).

    Example:
        >>> is_hooked_transformer(object())
        False
    """
    module = sys.modules.get("transformer_lens")
    if module is None:
        return False
    if isinstance(model, module.HookedTransformer):
        return True
    bridge = sys.modules.get("transformer_lens.model_bridge")  # TransformerLens 3.9+; all of TL 4
    return bridge is not None and isinstance(model, getattr(bridge, "TransformerBridge", ()))


class TransformerAdapter(TorchAdapter):
    """A TransformerLens ``HookedTransformer``: its shape, weights' hash and hook points.

    Args:
        model: the ``HookedTransformer``.
        name: how reports name it (default: ``cfg.model_name``, else ``"transformer"``).

    Its weights' hash is the module's state dict, hashed as for any torch module
    (:meth:`TorchAdapter.weights_hash`), so a transformer has the same ``sha256`` whichever
    capability describes it.

    TransformerLens 4 replaces ``HookedTransformer`` with ``TransformerBridge``
    (``transformer_lens.model_bridge``), which wraps the Hugging Face model itself. A bridge plugs in
    here without changing its callers: after ``bridge.enable_compatibility_mode()`` it exposes the same
    hook names (``blocks.L.mlp.hook_post``, ``blocks.L.attn.hook_z``), ``hook_dict``,
    ``run_with_hooks`` / ``run_with_cache``, ``to_tokens`` and a ``cfg`` with ``n_layers``, ``n_heads``,
    ``d_model`` and ``d_mlp``; so :func:`is_hooked_transformer` would accept a ``TransformerBridge``
    too, and its weights would be hashed from its state dict like any other module.
    """

    kind = "hooked_transformer"

    def __init__(self, model: Any, *, name: str | None = None):
        if not is_hooked_transformer(model):
            raise TypeError(
                f"TransformerAdapter needs a TransformerLens HookedTransformer or TransformerBridge, got "
                f"{type(model).__name__}"
            )
        super().__init__(model, name=name or getattr(model.cfg, "model_name", None) or "transformer")
        self.kind = "hooked_transformer"
        self.cfg = model.cfg

    @property
    def model(self) -> HookedTransformer:
        """The ``HookedTransformer`` itself."""
        model: HookedTransformer = self.module  # checked by is_hooked_transformer in __init__
        return model

    @property
    def n_layers(self) -> int:
        """Number of transformer blocks."""
        return int(self.cfg.n_layers)

    @property
    def has_mlp(self) -> bool:
        """False for attention-only models (``attn_only`` or no ``d_mlp``)."""
        return not (bool(getattr(self.cfg, "attn_only", False)) or getattr(self.cfg, "d_mlp", None) in (None, 0))

    def identity(self) -> dict[str, Any]:
        return {
            **super().identity(),
            "n_layers": int(self.cfg.n_layers),
            "n_heads": int(self.cfg.n_heads),
            "d_model": int(self.cfg.d_model),
        }

    # ------------------------------------------------------------------ hook points
    def hook_names(self) -> list[str]:
        """Every hook point of the model, in the model's order."""
        return list(self.module.hook_dict)

    def mlp_hook(self, block: int, which: str = "post") -> str:
        """The hook point of block ``block``'s MLP neurons (``"post"``: after the activation function)."""
        return f"blocks.{int(block)}.mlp.hook_{which}"

    def mlp_hooks(self) -> list[str]:
        """The MLP-neuron hook point of every block (empty for attention-only models)."""
        return [self.mlp_hook(block) for block in range(self.n_layers)] if self.has_mlp else []

    def capture(
        self, tokens: torch.Tensor, hooks: Sequence[str], *, stop_at_layer: int | None = None
    ) -> dict[str, torch.Tensor]:
        """Activations at ``hooks`` for a batch of token ids, in one forward pass without gradients.

        Values are detached float32 tensors on the CPU. ``stop_at_layer`` ends the pass after that many
        blocks (the layers after the last hook are not run). The model's training mode is restored.

        Example:
            >>> import torch
            >>> from transformer_lens import HookedTransformer, HookedTransformerConfig
            >>> cfg = HookedTransformerConfig(n_layers=1, d_model=8, n_ctx=4, d_head=4, d_mlp=16, d_vocab=10,
            ...                               act_fn="relu")
            >>> adapter = TransformerAdapter(HookedTransformer(cfg))
            >>> adapter.capture(torch.zeros(3, 4, dtype=torch.long), ["blocks.0.mlp.hook_post"])[
            ...     "blocks.0.mlp.hook_post"].shape
            torch.Size([3, 4, 16])
        """
        import torch

        missing = [name for name in hooks if name not in self.module.hook_dict]
        if missing:
            raise KeyError(f"the model has no hook point {missing[0]!r}; see TransformerAdapter.hook_names()")
        captured: dict[str, torch.Tensor] = {}

        def store(activation: torch.Tensor, hook: Any) -> None:
            captured[hook.name] = activation.detach().float().cpu()

        was_training = self.module.training
        self.module.eval()
        try:
            with torch.no_grad():
                self.module.run_with_hooks(
                    tokens.to(self.cfg.device or "cpu"),
                    return_type=None,
                    fwd_hooks=[(name, store) for name in hooks],
                    stop_at_layer=stop_at_layer,
                )
        finally:
            self.module.train(was_training)
        return captured


def module_adapter(module: Any, *, name: str | None = None) -> TorchAdapter:
    """The adapter that describes and reads ``module``: a :class:`TransformerAdapter` for a ``HookedTransformer``,
    else a :class:`TorchAdapter`.

    Example:
        >>> import torch
        >>> module_adapter(torch.nn.Linear(2, 1), name="probe").describe()["name"]
        'probe'
    """
    if is_hooked_transformer(module):
        return TransformerAdapter(module, name=name)
    return TorchAdapter(module, name=name)
