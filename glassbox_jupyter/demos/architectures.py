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


class ScaledMLP(MLP):
    """An :class:`MLP` that standardises its inputs and un-standardises its outputs.

    ``forward(x) = net((x - input_shift) / input_scale) * output_scale + output_shift``. The four
    vectors are constructor arguments (lists, one value per input or output; defaults: identity)
    and are stored as buffers, so they travel in the state dict / safetensors file next to the
    weights. State-dict keys: those of :class:`MLP` (``net.*``) plus ``input_shift``,
    ``input_scale``, ``output_shift`` and ``output_scale``.

    Example:
        >>> import torch
        >>> m = ScaledMLP(n_inputs=2, hidden=[4], input_shift=[1.0, 300.0], input_scale=[0.5, 50.0])
        >>> m(torch.zeros(3, 2)).shape, sorted(k for k in m.state_dict() if not k.startswith("net."))
        (torch.Size([3, 1]), ['input_scale', 'input_shift', 'output_scale', 'output_shift'])
    """

    # buffers, registered in __init__ (declared here so type checkers see tensors, not Module | Tensor)
    input_shift: torch.Tensor
    input_scale: torch.Tensor
    output_shift: torch.Tensor
    output_scale: torch.Tensor

    def __init__(
        self,
        n_inputs: int,
        hidden: Sequence[int] = (32, 32),
        n_outputs: int = 1,
        activation: str = "silu",
        input_shift: Sequence[float] | None = None,
        input_scale: Sequence[float] | None = None,
        output_shift: Sequence[float] | None = None,
        output_scale: Sequence[float] | None = None,
    ):
        super().__init__(n_inputs=n_inputs, hidden=hidden, n_outputs=n_outputs, activation=activation)
        for name, values, width, default in (
            ("input_shift", input_shift, n_inputs, 0.0),
            ("input_scale", input_scale, n_inputs, 1.0),
            ("output_shift", output_shift, n_outputs, 0.0),
            ("output_scale", output_scale, n_outputs, 1.0),
        ):
            tensor = torch.full((width,), default) if values is None else torch.as_tensor(values, dtype=torch.float32)
            if tensor.shape != (width,):
                raise ValueError(f"{name} needs {width} values, got shape {tuple(tensor.shape)}")
            if name.endswith("scale") and not bool(torch.all(tensor > 0)):
                raise ValueError(f"{name} must be positive, got {tensor.tolist()}")
            self.register_buffer(name, tensor.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.input_shift) / self.input_scale) * self.output_scale + self.output_shift


class DigitsCNN(nn.Module):
    """A small CNN for 8×8 digit images, shaped like a readable-twin paper's network: Conv → Conv → Dense → Dense.

    Named stages (hook these for a readable twin; each output is post-activation except ``fc2``):

    - ``conv1``: ``Conv2d(1, channels, 3, padding=1)`` then ReLU, output ``(n, channels, 8, 8)``;
    - ``conv2``: ``Conv2d(channels, channels, 3, padding=1)`` then ReLU, output ``(n, channels, 8, 8)``;
    - ``fc1``: ``Linear(channels·8·8, hidden)`` then ReLU (on the flattened ``conv2`` output), output ``(n, hidden)``;
    - ``fc2``: ``Linear(hidden, 10)``, output the class logits ``(n, 10)``.

    ``conv1``, ``conv2`` and ``fc1`` are ``nn.Sequential(layer, ReLU)``, so a forward hook on them sees
    the post-ReLU activations (what a readable twin clusters); their inner layers are ``conv1.0`` etc.
    ``forward`` returns class probabilities (softmax of the logits); :meth:`logits` returns the logits.
    Inputs are ``(n, 1, 8, 8)`` float images with pixels in [0, 1].

    Example:
        >>> import torch
        >>> model = DigitsCNN()
        >>> model(torch.zeros(2, 1, 8, 8)).shape
        torch.Size([2, 10])
        >>> [name for name, _ in model.named_children()]
        ['conv1', 'conv2', 'flatten', 'fc1', 'fc2']
    """

    def __init__(self, channels: int = 4, hidden: int = 64, n_classes: int = 10, side: int = 8):
        super().__init__()
        if min(channels, hidden, n_classes, side) < 1:
            raise ValueError(
                f"channels, hidden, n_classes and side must be positive, got {channels}, {hidden}, {n_classes}, {side}"
            )
        self.conv1 = nn.Sequential(nn.Conv2d(1, channels, 3, padding=1), nn.ReLU())
        self.conv2 = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())
        self.flatten = nn.Flatten()
        self.fc1 = nn.Sequential(nn.Linear(channels * side * side, hidden), nn.ReLU())
        self.fc2 = nn.Linear(hidden, n_classes)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits ``(n, n_classes)`` for images ``x`` of shape ``(n, 1, side, side)``."""
        return self.fc2(self.fc1(self.flatten(self.conv2(self.conv1(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.logits(x), dim=1)
