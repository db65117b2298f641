"""Demo encoders for latent laws, trained at call time (seeded, single-threaded, about a second each).

``load_latent_demo(name)`` returns ``(encoder, X, feature_names)``:

- ``"redundant"``: 1,200 rows of six inputs uniform on [-1, 1]. A bottleneck network (6 → 32 → 32 → 2
  latents, SiLU, then a linear 2 → 2 head) is trained to predict two targets built from x0..x3 only,
  ``x0·x1`` and ``sin(2·x2) + x3``; x4 and x5 are pure noise the targets never use. Because the head is
  linear, each latent is (close to) an affine mix of the two targets, a law of x0..x3; latent laws
  must report x4 and x5 as redundant. The encoder is the network up to the 2-d bottleneck.
- ``"wine"``: scikit-learn's wine data (178 rows, 13 features, standardised). An autoencoder
  (13 → 16 → 2 → 16 → 13, tanh) is trained to reconstruct it; the encoder is its first half.

Training at call time instead of shipping weights: both fit in about a second on one CPU thread,
and seeded full-batch Adam on one thread is bit-for-bit repeatable, so the same call gives the same
weights everywhere (checked by the tests). The result is cached per process.

Example:
    >>> from glassbox_jupyter.demos.latent import load_latent_demo
    >>> encoder, X, names = load_latent_demo("redundant")
    >>> X.shape, names[-2:]
    ((1200, 6), ['x4', 'x5'])
"""

from __future__ import annotations

import copy
import functools
from typing import Any

import numpy as np

DEMOS = ("redundant", "wine")
SEED = 0


def redundant_targets(X: np.ndarray) -> np.ndarray:
    """The two targets of the ``redundant`` demo: ``x0·x1`` and ``sin(2·x2) + x3`` (x4, x5 unused)."""
    return np.column_stack([X[:, 0] * X[:, 1], np.sin(2 * X[:, 2]) + X[:, 3]])


def _fit(model: Any, X: np.ndarray, y: np.ndarray, steps: int, lr: float, weight_decay: float = 0.0) -> float:
    import torch

    X_t, y_t = torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
    loss = torch.tensor(float("nan"))
    for _ in range(steps):
        optimiser.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X_t), y_t)
        loss.backward()
        optimiser.step()
        schedule.step()
    return float(loss.detach())


def _redundant(seed: int) -> tuple[Any, np.ndarray, list[str]]:
    import torch
    from torch import nn

    X = np.random.default_rng(seed).uniform(-1, 1, size=(1200, 6))
    torch.manual_seed(seed)
    encoder = nn.Sequential(nn.Linear(6, 32), nn.SiLU(), nn.Linear(32, 32), nn.SiLU(), nn.Linear(32, 2))
    model = nn.Sequential(encoder, nn.Linear(2, 2))
    _fit(model, X, redundant_targets(X), steps=1500, lr=1e-2, weight_decay=1e-3)
    return encoder.eval(), X, [f"x{i}" for i in range(6)]


def _wine(seed: int) -> tuple[Any, np.ndarray, list[str]]:
    import torch
    from sklearn.datasets import load_wine
    from torch import nn

    data = load_wine()
    X = (data.data - data.data.mean(axis=0)) / data.data.std(axis=0)
    torch.manual_seed(seed)
    encoder = nn.Sequential(nn.Linear(13, 16), nn.Tanh(), nn.Linear(16, 2))
    decoder = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 13))
    _fit(nn.Sequential(encoder, decoder), X, X, steps=1500, lr=1e-2)
    return encoder.eval(), X, [str(n) for n in data.feature_names]


@functools.lru_cache(maxsize=4)
def _trained(name: str, seed: int) -> tuple[Any, np.ndarray, list[str]]:
    import torch

    from glassbox_jupyter.parallel import single_threaded

    with torch.random.fork_rng(devices=[]), single_threaded():  # the caller's RNG and threads are left alone
        return _redundant(seed) if name == "redundant" else _wine(seed)


def load_latent_demo(name: str = "redundant", seed: int = SEED) -> tuple[Any, np.ndarray, list[str]]:
    """``(encoder, X, feature_names)`` of latent-laws demo ``name`` (``"redundant"`` or ``"wine"``).

    The encoder is a fresh copy of a ``torch.nn.Module`` mapping ``(n, d)`` float tensors to ``(n, 2)``
    latents; ``X`` is float64.
    """
    if name not in DEMOS:
        raise KeyError(f"no latent demo named {name!r}; choose one of {list(DEMOS)}")
    encoder, X, names = _trained(name, int(seed))
    return copy.deepcopy(encoder), X.copy(), list(names)
