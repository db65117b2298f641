"""The default autoencoder of :func:`~glassbox_jupyter.latent.reconstruction.reconstruction_law` (imports torch).

Example:
    >>> import torch
    >>> model = MLPAutoencoder(5, 2, hidden=(8,))
    >>> model.encode(torch.zeros(3, 5)).shape, model(torch.zeros(3, 5)).shape
    (torch.Size([3, 2]), torch.Size([3, 5]))
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from glassbox_jupyter.errors import LatentInputError

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "silu": nn.SiLU, "gelu": nn.GELU}


def _stack(sizes: list[int], activation: str) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class MLPAutoencoder(nn.Module):
    """``n_features → hidden… → latent_size → …hidden → n_features``; ``encode``, ``decode`` and ``forward``."""

    def __init__(self, n_features: int, latent_size: int, hidden: Sequence[int] = (32,), activation: str = "tanh"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        widths = [int(h) for h in hidden]
        self.encoder = _stack([n_features, *widths, latent_size], activation)
        self.decoder = _stack([latent_size, *reversed(widths), n_features], activation)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def autoencoder_parts(
    model: Any, n_features: int, k: int
) -> tuple[Callable[[Any], Any], Callable[[Any], Any], list[Any]]:
    """``(encode, decode, modules)`` of what a ``builder(n_features, latent_size)`` returned, or an error stating
    the contract."""
    contract = (
        "builder(n_features, latent_size) must return a torch.nn.Module with encode(x) and decode(z) methods, "
        "or a tuple (encoder, decoder) of modules"
    )
    if isinstance(model, tuple) and len(model) == 2 and all(callable(m) for m in model):
        return model[0], model[1], list(model)
    if callable(getattr(model, "encode", None)) and callable(getattr(model, "decode", None)):
        return model.encode, model.decode, [model]
    raise LatentInputError(f"{contract}; got {type(model).__name__} for latent_size={k}")
