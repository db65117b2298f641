"""Outer functions chosen by transforming the target, robust to a network's small errors."""

from __future__ import annotations

import numpy as np

from glassbox_jupyter.symbolic.outer_functions import OUTERS, best_outer, quadratic_misfit, reliable
from glassbox_jupyter.symbolic.units import simplest_groups


def test_each_outer_function_is_found_on_its_own_law() -> None:
    z = np.random.default_rng(0).uniform(0.1, 0.7, (400, 1))
    laws = {
        "inverse square": 1 / np.sqrt(1 - z[:, 0] ** 2),
        "exp": np.exp(-2 / z[:, 0]),  # a Boltzmann factor in the inverse group
        "sqrt": np.sqrt(1 + z[:, 0] + z[:, 0] ** 2 / 3 + 0.2 / z[:, 0]),
    }
    for name, y in laws.items():
        outer, misfit = best_outer(z, y)
        assert outer.name == name and misfit < 1e-8, (name, outer.name, misfit)
    identity = OUTERS[0]
    assert quadratic_misfit(z, 3 * z[:, 0] ** 2 - z[:, 0], identity) < 1e-20


def test_a_networks_small_errors_near_zero_neither_hide_nor_steer_the_outer_function() -> None:
    """exp(−x/z) reaches 1e-26; a network answers ±0.01 there, so log(y) is undefined or garbage on those
    rows. The fit is weighted by G'(u) and the search is given only the rows where log does not magnify."""
    rng = np.random.default_rng(1)
    z = rng.uniform(0.02, 5.0, (1000, 1))
    y = np.exp(-1 / z[:, 0]) + rng.normal(0, 0.005, 1000)
    assert (y <= 0).mean() > 0.01  # log(y) undefined there
    outer, misfit = best_outer(z, y)
    assert outer.name == "exp" and misfit < 1e-3
    with np.errstate(all="ignore"):
        keep = reliable(outer, outer.to_inner(y))
    assert 0.5 < keep.mean() < 0.95 and np.all(y[keep] > 0.01)


def test_the_simplest_group_basis_takes_the_natural_group_out_of_its_cube() -> None:
    # columns n0, m, x, T, g, kb: the null space's basis hides m g x / (kb T) in a cube
    basis = [[-1, 0, -3, 0, 0, 0], [-1, 3, 0, -3, 3, -3]]
    simple = simplest_groups(basis)
    assert [0, 1, 1, -1, 1, -1] in simple and len(simple) == 2
