"""Train the ``friedman_mlp`` demo: an MLP fitted to Friedman's benchmark function #1.

    y = 10 sin(π x1 x2) + 20 (x3 - 0.5)² + 10 x4 + 5 x5,   x ∈ [0, 1]^5

Seeded and CPU-deterministic. Run ``python -m glassbox_jupyter.demos.training.friedman_mlp``
to rewrite ``glassbox_jupyter/demos/models/friedman_mlp.{safetensors,json}``.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from glassbox_jupyter.demos.architectures import MLP
from glassbox_jupyter.demos.training.common import command_line, seed_everything

NAME = "friedman_mlp"
HIDDEN = [32, 32]
SEED = 0


def friedman1(X: np.ndarray) -> np.ndarray:
    """The ground-truth function the MLP learns."""
    return 10 * np.sin(math.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2 + 10 * X[:, 3] + 5 * X[:, 4]


def train(steps: int = 3000, n_train: int = 4096, seed: int = SEED) -> tuple[MLP, dict]:
    """Fit the MLP; returns it with held-out metrics against the true function."""
    seed_everything(seed)
    rng = np.random.default_rng(seed)
    X = rng.random((n_train + 1024, 5))
    y = friedman1(X)
    X_t = torch.tensor(X[:n_train], dtype=torch.float32)
    y_t = torch.tensor(y[:n_train, None], dtype=torch.float32)
    model = MLP(n_inputs=5, hidden=HIDDEN, n_outputs=1, activation="silu")
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
    for _ in range(steps):
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X_t), y_t)
        loss.backward()
        optimiser.step()
        schedule.step()
    with torch.no_grad():
        pred = model(torch.tensor(X[n_train:], dtype=torch.float32)).numpy()[:, 0]
    truth = y[n_train:]
    r2 = 1 - np.sum((truth - pred) ** 2) / np.sum((truth - truth.mean()) ** 2)
    return model, {"held_out_r2_vs_truth": round(float(r2), 5), "train_mse": round(float(loss.detach()), 5)}


def card(metrics: dict) -> dict:
    return {
        "name": NAME,
        "description": "MLP (5→32→32→1, SiLU) trained on Friedman #1: "
        "y = 10 sin(π x1 x2) + 20 (x3 − 0.5)² + 10 x4 + 5 x5 on [0, 1]^5",
        "task": "regression",
        "architecture": "glassbox_jupyter.demos.architectures:MLP",
        "architecture_kwargs": {"n_inputs": 5, "hidden": HIDDEN, "n_outputs": 1, "activation": "silu"},
        "spec": {"names": ["x1", "x2", "x3", "x4", "x5"], "low": [0.0] * 5, "high": [1.0] * 5},
        "output_names": ["y"],
        "ground_truth": "10*sin(pi*x1*x2) + 20*(x3 - 0.5)**2 + 10*x4 + 5*x5",
        "train_script": "glassbox_jupyter/demos/training/friedman_mlp.py",
        "seed": SEED,
        "metrics": metrics,
    }


def main() -> None:
    command_line(NAME, __doc__, train, card, 3000)


if __name__ == "__main__":
    main()
