"""Every bad input of latent_laws gets a clear error that names the fix."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from glassbox_jupyter.errors import EncoderOutputError, GlassboxError, LatentInputError
from glassbox_jupyter.latent import latent_laws
from tests.latent.conftest import TINY

X = np.random.default_rng(0).normal(size=(100, 3))


class TupleAutoencoder(nn.Module):
    """forward returns (reconstruction, latents); encode gives the latents."""

    def __init__(self) -> None:
        super().__init__()
        self.enc, self.dec = nn.Linear(3, 2), nn.Linear(2, 3)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.enc(x)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        z = self.enc(x)
        return self.dec(z), z


class ReconstructingAutoencoder(TupleAutoencoder):
    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return self.dec(self.enc(x))


@pytest.mark.parametrize(
    ("encoder", "message"),
    [
        (lambda A: np.zeros((len(A), 2, 4)), r"shape \(100, 2, 4\).*mean\(dim=1\)"),
        (lambda A: A[:, 0], r"1-D array.*reshape\(-1, 1\)"),
        (lambda A: (A[:, :2], A), r"tuple of 2 items.*model\(x\)\[0\]"),
        (TupleAutoencoder(), r"tuple of 2 items.*latent_laws\(model\.encode, X\)"),
        (ReconstructingAutoencoder(), r"looks like a reconstruction.*model\.encode"),
        (lambda A: np.full((len(A), 2), np.nan), r"NaN or inf for 100 rows"),
        (lambda A: A[:50, :2], r"50 rows for 100 inputs"),
    ],
)
def test_encoder_output_that_is_not_2d_latents(encoder, message: str) -> None:
    with pytest.raises(EncoderOutputError, match=message) as info:
        latent_laws(encoder, X, **TINY)
    assert isinstance(info.value, GlassboxError) and isinstance(info.value, ValueError)


def test_the_encode_method_works_where_forward_does_not() -> None:
    torch.manual_seed(0)
    laws = latent_laws(TupleAutoencoder().encode, X, **TINY)
    assert laws.fidelity.value > 0.99  # linear latents: exact laws


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.zeros((10, 3))}, "at least 20"),
        ({"X": np.zeros((100, 3, 2))}, "must be 2-D"),
        ({"X": np.where(np.eye(100, 3) > 0, np.nan, X)}, "NaN or inf in 3 rows"),
        ({"feature_names": ["a", "b"]}, "2 names but X has 3 columns"),
        ({"feature_names": ["a", "a", "b"]}, "unique"),
        ({"latents": [7]}, "out of range"),
        ({"latents": ["w"]}, "no latent named 'w'"),
        ({"latent_names": ["only_one"]}, "2 distinct names"),
        ({"time_limit": 5}, "either generations .* or time_limit"),
        ({"test_size": 1.5}, r"test_size must be a fraction"),
        ({"encoder": "model.pt"}, "torch.nn.Module, a glassbox Teacher or a function"),
    ],
)
def test_bad_data_and_settings(kwargs: dict, message: str) -> None:
    arguments = {"encoder": lambda A: A[:, :2] * 2, "X": X, **TINY, **kwargs}
    with pytest.raises(LatentInputError, match=message):
        latent_laws(arguments.pop("encoder"), arguments.pop("X"), **arguments)


def test_the_encoder_is_named_usefully() -> None:
    import torch

    from glassbox_jupyter.latent.encoding import LatentEncoder

    assert LatentEncoder(torch.nn.Sequential(torch.nn.Linear(3, 2))).name == "encoder"  # not "Sequential"
    assert LatentEncoder(lambda X: X[:, :2]).name == "encoder"
    assert LatentEncoder(lambda X: X[:, :2], name="PCA").name == "PCA"
