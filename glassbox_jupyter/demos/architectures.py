"""Architectures of the shipped demo models (importable as ``glassbox_jupyter.demos.architectures:MLP``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS = {"silu": nn.SiLU, "tanh": nn.Tanh, "relu": nn.ReLU}


class MLP(nn.Module):
    """A plain multilayer perceptron.

    Example:
        >>> import torch
        >>> MLP(n_inputs=3, hidden=[8], n_outputs=2)(torch.zeros(4, 3)).shape
        torch.Size([4, 2])
    """

    def __init__(self, n_inputs: int, hidden: Sequence[int] = (32, 32), n_outputs: int = 1, activation: str = "silu"):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        layers: list[nn.Module] = []
        width = n_inputs
        for size in hidden:
            layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
            width = size
        layers.append(nn.Linear(width, n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
