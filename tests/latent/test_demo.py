"""The latent-laws demo encoders: trained at call time, the same weights every call."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from glassbox_jupyter.demos.latent import load_latent_demo, redundant_targets


def test_redundant_demo_is_repeatable_and_ignores_x4_x5() -> None:
    threads = torch.get_num_threads()
    state = torch.random.get_rng_state()
    encoder, X, names = load_latent_demo("redundant")
    assert torch.get_num_threads() == threads and torch.equal(torch.random.get_rng_state(), state)
    from glassbox_jupyter.demos.latent import _redundant
    from glassbox_jupyter.parallel import single_threaded

    with torch.random.fork_rng(devices=[]), single_threaded():
        fresh, _, _ = _redundant(0)  # trained again, not from the cache
    assert all(torch.equal(a, b) for a, b in zip(encoder.state_dict().values(), fresh.state_dict().values()))
    assert X.shape == (1200, 6) and names == ["x0", "x1", "x2", "x3", "x4", "x5"]
    with torch.no_grad():
        Z = encoder(torch.tensor(X, dtype=torch.float32)).double().numpy()
    T = np.column_stack([redundant_targets(X), np.ones(len(X))])
    residual = Z - T @ np.linalg.lstsq(T, Z, rcond=None)[0]
    assert np.all(residual.var(axis=0) < 1e-3 * Z.var(axis=0))  # each latent is an affine mix of the targets


def test_wine_demo_and_unknown_names() -> None:
    encoder, X, names = load_latent_demo("wine")
    assert X.shape == (178, 13) and names[0] == "alcohol"
    assert np.allclose(X.mean(axis=0), 0) and np.allclose(X.std(axis=0), 1)
    assert encoder(torch.zeros(1, 13)).shape == (1, 2)
    with pytest.raises(KeyError, match="choose one of"):
        load_latent_demo("mnist")
