"""The deterministic search budget: generations instead of seconds, the same front every time."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from glassbox_jupyter.symbolic.search import SearchSettings, SymbolicSearch


def _front(settings: SearchSettings) -> tuple[list[str], list[dict]]:
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 3))
    y = X[:, 0] * X[:, 1] + np.sin(X[:, 2])
    search = SymbolicSearch(3, [0, 1, 2], settings)
    front = search.run(lambda: (X[:300], y[:300]), X[300:], y[300:])
    return [sympy.srepr(c.expr) + f"|{c.loss!r}" for c in front], search.log.rounds


def test_same_seed_same_front_under_a_generation_budget() -> None:
    settings = SearchSettings(generations=12, rounds=3, population_size=150, n_threads=1, patience=None, seed=3)
    first, rounds = _front(settings)
    second, _ = _front(settings)
    assert first and first == second
    assert [r["generations"] for r in rounds] == [4, 8, 12]
    third, _ = _front(SearchSettings(generations=12, rounds=3, population_size=150, n_threads=1, seed=4))
    assert third != first  # the seed matters


def test_generation_budget_splits_into_rounds() -> None:
    settings = SearchSettings(generations=25)
    assert settings.deterministic and settings.n_rounds() == 3
    assert [settings.round_generations(i) for i in range(3)] == [8, 8, 9]
    assert SearchSettings(generations=2, rounds=5).n_rounds() == 2
    assert not SearchSettings().deterministic


def test_bad_generation_budget() -> None:
    with pytest.raises(ValueError, match="generations must be a positive"):
        SearchSettings(generations=0)


def _candidates(settings: SearchSettings) -> tuple[set[str], list[dict]]:
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(400, 3))
    y = X[:, 0] * X[:, 1] + np.sin(X[:, 2])
    search = SymbolicSearch(3, [0, 1, 2], settings)
    search.run(lambda: (X[:300], y[:300]), X[300:], y[300:])
    return {sympy.srepr(c.expr) for c in search.candidates}, search.log.rounds


def test_a_longer_wall_clock_budget_runs_the_same_rounds_and_more() -> None:
    """Under a time budget rounds are counted in generations, so twice the time finds everything the shorter
    search found (which, with the error-floor pick, the longer one then cannot lose)."""
    short = SearchSettings(time_limit=1.5, population_size=150, n_threads=1, patience=None, seed=5)
    longer = SearchSettings(time_limit=6, population_size=150, n_threads=1, patience=None, seed=5)
    assert short.continuation and longer.continuation and not SearchSettings(rounds=3).continuation
    found, rounds = _candidates(short)
    more, more_rounds = _candidates(longer)
    assert found and found <= more
    assert len(more_rounds) > len(rounds) >= 1
    assert [r["generations"] for r in more_rounds[: len(rounds)]] == [r["generations"] for r in rounds]
    assert all(r["rounds"] is None for r in rounds)  # how many is up to the clock


def test_a_continuation_search_plans_no_number_of_rounds() -> None:
    settings = SearchSettings(time_limit=5)
    assert settings.continuation and settings.round_generations(3) == 10
    with pytest.raises(ValueError, match="continuation"):
        settings.n_rounds()


def test_a_search_after_a_sub_search_keeps_the_clocks_remainder_or_its_share_of_generations() -> None:
    from glassbox_jupyter.symbolic.search import SearchSettings

    clock = SearchSettings(time_limit=60).rest(0.3, spent=25.0)
    assert clock.time_limit == 35.0 and clock.generations is None
    assert SearchSettings(time_limit=60).rest(0.3, spent=80.0).time_limit == 1.0  # never below a second
    counted = SearchSettings(generations=100).rest(0.3, spent=5.0)
    assert counted.generations == 70
