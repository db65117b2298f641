"""A real Dask LocalCluster (scheduler + two worker processes) gives the same laws as a local run."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sympy

from glassbox_jupyter.errors import NoWorkersError
from glassbox_jupyter.latent import latent_laws, reconstruction_law
from tests.latent.conftest import TINY

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow


def fronts(finding) -> dict[str, list[tuple[str, float]]]:
    return {
        name: [(sympy.srepr(eq.expr), eq.loss, eq.fidelity.value) for eq in law.pareto_front]
        for name, law in finding.laws.items()
    }


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def test_latent_laws_on_dask_match_the_local_run(client, product_sine_data) -> None:
    encoder, X, names = product_sine_data
    local = latent_laws(encoder, X, names, seed=5, **TINY)
    remote = latent_laws(encoder, X, names, seed=5, client=client, **TINY)
    assert fronts(remote) == fronts(local)
    assert remote.redundant_features == local.redundant_features == ["x3"]
    assert remote.provenance.method["dask"] is True


def test_reconstruction_on_dask_matches_the_local_run(client) -> None:
    X = np.random.default_rng(0).normal(size=(150, 5))
    local = reconstruction_law(X, [1, 2, 3], epochs=10)
    remote = reconstruction_law(X, [1, 2, 3], epochs=10, client=client)
    assert remote.errors.equals(local.errors)
    assert str(remote.equation) == str(local.equation)


def test_a_client_without_workers(product_sine_data) -> None:
    encoder, X, names = product_sine_data
    with (
        distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0", silence_logs=40) as cluster,
        distributed.Client(cluster) as empty,
    ):
        with pytest.raises(NoWorkersError, match="no workers: start workers"):
            latent_laws(encoder, X, names, client=empty, **TINY)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            here = latent_laws(encoder, X, names, client=empty, fallback="local", **TINY)
        assert any("running the 2 tasks locally" in str(w.message) for w in caught)
    assert fronts(here) == fronts(latent_laws(encoder, X, names, **TINY))
