"""Train the ``quadratic_cosine`` demo: an MLP fitted to a quadratic plus a cosine.

    y = 2.5 x² + cos(x),   x ∈ [-3, 3]

The seed project's known hard case: symbolic regression on it tends to return bloated
expressions (the cosine hides inside the parabola), so it is a test of parsimony.

Seeded and CPU-deterministic. Run ``python -m glassbox_jupyter.demos.training.quadratic_cosine``
to rewrite ``glassbox_jupyter/demos/models/quadratic_cosine.{safetensors,json}``.
"""

from __future__ import annotations

import numpy as np

from glassbox_jupyter.demos.architectures import MLP
from glassbox_jupyter.demos.training.common import command_line, plain_mlp_card, train_plain_mlp

NAME = "quadratic_cosine"
HIDDEN = [64, 64]
SEED = 0
LOW, HIGH = [-3.0], [3.0]
STEPS = 4000


def quadratic_cosine(X: np.ndarray) -> np.ndarray:
    """The ground-truth function the MLP learns (``X`` has one column, ``x``)."""
    return 2.5 * X[:, 0] ** 2 + np.cos(X[:, 0])


def train(steps: int = STEPS, n_train: int = 2048, seed: int = SEED) -> tuple[MLP, dict]:
    """Fit the MLP; returns it with held-out metrics against the true function."""
    return train_plain_mlp(quadratic_cosine, LOW, HIGH, HIDDEN, steps=steps, n_train=n_train, seed=seed)


def card(metrics: dict) -> dict:
    description = "MLP (1→64→64→1, SiLU) trained on y = 2.5 x² + cos(x) for x in [−3, 3]"
    return plain_mlp_card(NAME, description, ["x"], LOW, HIGH, HIDDEN, "2.5*x**2 + cos(x)", SEED, metrics)


def main() -> None:
    command_line(NAME, __doc__, train, card, STEPS)


if __name__ == "__main__":
    main()
