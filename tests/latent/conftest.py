"""Small encoders with known latent laws, built here (no training), and tiny search budgets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

# tiny deterministic budgets: a test file stays well under a minute on two shared cores
TINY = {"generations": 10, "population_size": 200}


class ProductSine(nn.Module):
    """z0 = x0·x1, z1 = sin(x2); x3 is unused."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([x[:, 0] * x[:, 1], torch.sin(x[:, 2])], dim=1)


@pytest.fixture(scope="session")
def product_sine_data() -> tuple[nn.Module, np.ndarray, list[str]]:
    X = np.random.default_rng(0).uniform(-2, 2, size=(400, 4))
    return ProductSine(), X, ["x0", "x1", "x2", "x3"]


@pytest.fixture(scope="session")
def product_sine_laws(product_sine_data):
    from glassbox_jupyter.latent import latent_laws

    encoder, X, names = product_sine_data
    return latent_laws(encoder, X, names, **TINY)
