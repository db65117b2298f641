"""Train the ``square_law`` demo: an MLP fitted to the square law of the seed project's physics example.

    y = 0.5 x²,   x ∈ [-3, 3]

Seeded and CPU-deterministic. Run ``python -m glassbox_jupyter.demos.training.square_law``
to rewrite ``glassbox_jupyter/demos/models/square_law.{safetensors,json}``.
"""

from __future__ import annotations

import numpy as np

from glassbox_jupyter.demos.architectures import MLP
from glassbox_jupyter.demos.training.common import command_line, plain_mlp_card, train_plain_mlp

NAME = "square_law"
HIDDEN = [32, 32]
SEED = 0
LOW, HIGH = [-3.0], [3.0]
STEPS = 3000


def square_law(X: np.ndarray) -> np.ndarray:
    """The ground-truth function the MLP learns (``X`` has one column, ``x``)."""
    return 0.5 * X[:, 0] ** 2


def train(steps: int = STEPS, n_train: int = 2048, seed: int = SEED) -> tuple[MLP, dict]:
    """Fit the MLP; returns it with held-out metrics against the true function."""
    return train_plain_mlp(square_law, LOW, HIGH, HIDDEN, steps=steps, n_train=n_train, seed=seed)


def card(metrics: dict) -> dict:
    description = "MLP (1→32→32→1, SiLU) trained on the square law y = 0.5 x² for x in [−3, 3]"
    return plain_mlp_card(NAME, description, ["x"], LOW, HIGH, HIDDEN, "0.5*x**2", SEED, metrics)


def main() -> None:
    command_line(NAME, __doc__, train, card, STEPS)


if __name__ == "__main__":
    main()
