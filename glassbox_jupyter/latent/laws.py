"""latent_laws: one closed-form law per latent of an encoder, z_i = f(x), searched in parallel.

The encoder is run once on the data ``X``; its rows are split into train / validation / held-out
test (no probing off the data). Each latent becomes an independent symbolic search (math mode's
pyoperon search, warm-started rounds, the same front rule), fanned out with
:func:`glassbox_jupyter.parallel.run_tasks`: serially, on local processes (``n_jobs``) or on a Dask
cluster (``client``). Each search runs single-threaded with its own seed and, by default, a
deterministic budget of ``generations`` (no clock), so serial, joblib and Dask runs give the same
fronts. ``time_limit`` (seconds per latent) is available instead; wall-clock budgets are not
reproducible.

Every latent's result is a math-mode :class:`~glassbox_jupyter.symbolic.SymbolicFinding` (its own
ParetoPicker, fidelity and evidence) whose teacher is that latent of the encoder, with an InputSpec
from the column ranges of ``X``; equations name the real features.

Example:
    >>> import numpy as np
    >>> X = np.random.default_rng(1).uniform(0.5, 2, size=(300, 3))
    >>> density = lambda X: X[:, [0]] / X[:, [2]]  # one latent: mass / volume
    >>> laws = latent_laws(density, X, ["mass", "speed", "volume"], generations=10, population_size=200)
    >>> str(laws.laws["z0"].selected), laws.redundant_features
    ('z0 = mass/volume', ['speed'])

    On the demo encoder (``n_jobs=2`` runs two searches at a time; ``client=`` a Dask client):

    >>> encoder, X, names = glassbox.demos.load_latent_demo("redundant")  # doctest: +SKIP
    >>> glassbox.latent_laws(encoder, X, names, n_jobs=2).redundant_features  # doctest: +SKIP
    ['x4', 'x5']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.errors import LatentInputError
from glassbox_jupyter.latent.encoding import LatentEncoder, as_data, split_rows
from glassbox_jupyter.parallel import TasksInterrupted, run_tasks
from glassbox_jupyter.symbolic.search import (
    DEFAULT_OPERATORS,
    Candidate,
    SearchLog,
    SearchSettings,
    SymbolicSearch,
)

if TYPE_CHECKING:
    from glassbox_jupyter.latent.finding import LatentLawsFinding

DEFAULT_GENERATIONS = 100  # about 10-20 s per latent at population 1000 on ~1,000 rows, one thread
MAX_SEARCH_ROWS = 4000  # train + validation rows given to the search (more rows slow every generation)


@dataclass
class LatentTask:
    """One latent's search: everything a worker needs (plain arrays and settings, picklable)."""

    latent: int
    width: int
    X_train: np.ndarray
    z_train: np.ndarray
    X_val: np.ndarray
    z_val: np.ndarray
    settings: SearchSettings


@dataclass
class LatentSearchResult:
    """The tidied Pareto front of one latent's search and its round log."""

    latent: int
    front: list[Candidate]
    log: SearchLog


def search_latent(task: LatentTask) -> LatentSearchResult:
    """Run one latent's symbolic search (module-level, so it can run in another process)."""
    search = SymbolicSearch(task.width, list(range(task.width)), task.settings)
    front = search.run(lambda: (task.X_train, task.z_train), task.X_val, task.z_val)
    return LatentSearchResult(task.latent, front, search.log)


def _latent_indices(latents: Sequence[int | str] | None, names: list[str]) -> list[int]:
    if latents is None:
        return list(range(len(names)))
    if isinstance(latents, (int, str)):
        latents = [latents]
    out = []
    for item in latents:
        if isinstance(item, str):
            if item not in names:
                raise LatentInputError(f"no latent named {item!r}; the encoder's latents are {names}")
            out.append(names.index(item))
        elif isinstance(item, (int, np.integer)) and 0 <= int(item) < len(names):
            out.append(int(item))
        else:
            raise LatentInputError(f"latent {item!r} is out of range: the encoder returns {len(names)} latents")
    if not out:
        raise LatentInputError("latents is empty; pass None for all latents or a list of indices or names")
    return sorted(set(out))


def _task_seed(seed: int, latent: int) -> int:
    """An independent, reproducible seed per latent (a spawned SeedSequence)."""
    return int(np.random.SeedSequence([int(seed), int(latent)]).generate_state(1)[0] % 2**31)


def latent_laws(
    encoder: Any,
    X: Any,
    feature_names: Sequence[str] | None = None,
    *,
    latents: Sequence[int | str] | None = None,
    latent_names: Sequence[str] | None = None,
    name: str | None = None,
    generations: int | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    test_size: float = 0.25,
    operators: str = DEFAULT_OPERATORS,
    population_size: int = 1000,
    max_length: int = 30,
    patience: int | None = 2,
    client: Any = None,
    n_jobs: int | None = None,
    fallback: str | None = None,
) -> LatentLawsFinding:
    """One equation per latent z_i = f(x) of ``encoder`` on the data ``X``; returns a LatentLawsFinding.

    Args:
        encoder: a ``torch.nn.Module``, a :class:`~glassbox_jupyter.Teacher` or a function mapping an
            ``(n, d)`` array to ``(n, k)`` latents (e.g. ``autoencoder.encode``).
        X: the data, ``(n, d)`` array or DataFrame (its columns name the features).
        feature_names: names of the ``d`` columns (default: the DataFrame's columns, else ``x0..``).
        latents: which latents to explain (indices or names; default all).
        latent_names: names of the ``k`` latents (default ``z0..``).
        name: what to call the encoder in titles and the report (default: its class or function name).
        generations: deterministic budget per latent (pyoperon generations; default
            ``DEFAULT_GENERATIONS`` when ``time_limit`` is not given either). Same seed → same laws.
        time_limit: wall-clock budget per latent in seconds, instead of ``generations`` (not reproducible).
        seed: seeds the row split and every latent's search.
        test_size: share of rows held out to measure fidelity; a quarter of the rest validates.
        operators, population_size, max_length, patience: the symbolic search's settings (see ``distill``).
        client, n_jobs, fallback: where the per-latent searches run (see :func:`~glassbox_jupyter.parallel.run_tasks`).

    A keyboard interrupt keeps the latents whose searches had finished (and the running one's best
    front so far, serially) and returns a finding over those, with a note.
    """
    from glassbox_jupyter.latent.finding import LatentLawsFinding, LatentSetup

    if generations is not None and time_limit is not None:
        raise LatentInputError("give either generations (reproducible) or time_limit (seconds), not both")
    if time_limit is not None and not (isinstance(time_limit, (int, float)) and time_limit > 0):
        raise LatentInputError(f"time_limit must be a positive number of seconds per latent, got {time_limit!r}")
    if time_limit is None and generations is None:
        generations = DEFAULT_GENERATIONS
    data, names = as_data(X, feature_names)
    wrapped = LatentEncoder(encoder, name)
    Z = wrapped(data)
    k = Z.shape[1]
    z_names = [f"z{i}" for i in range(k)] if latent_names is None else [str(n) for n in latent_names]
    if len(z_names) != k or len(set(z_names)) != k:
        raise LatentInputError(f"latent_names must be {k} distinct names (the encoder returns {k} latents)")
    chosen = _latent_indices(latents, z_names)
    train, validation, test = split_rows(len(data), test_size, seed)
    search_rows = np.random.default_rng(seed).permutation(train)[: MAX_SEARCH_ROWS * 3 // 4]
    val_rows = validation[: MAX_SEARCH_ROWS // 4]
    constant = [i for i in chosen if np.ptp(Z[:, i]) <= 1e-12 * max(1.0, float(np.abs(Z[:, i]).max()))]
    tasks = [
        LatentTask(
            latent=i,
            width=data.shape[1],
            X_train=data[np.sort(search_rows)],
            z_train=Z[np.sort(search_rows), i],
            X_val=data[val_rows],
            z_val=Z[val_rows, i],
            settings=SearchSettings(
                time_limit=float(time_limit or 30.0),
                generations=generations,
                rounds=None,
                patience=patience,
                population_size=population_size,
                max_length=max_length,
                operators=operators,
                n_threads=1,
                seed=_task_seed(seed, i),
                refine_per_round=0,
            ),
        )
        for i in chosen
        if i not in constant
    ]
    notes: list[str] = []
    try:
        results = run_tasks(search_latent, tasks, client=client, n_jobs=n_jobs, fallback=fallback)
    except TasksInterrupted as stop:
        results = [r for r in stop.results if r is not None]
        if not results and not constant:
            raise
        done = {r.latent for r in results}
        notes.append(
            "interrupted: laws were found for "
            + ", ".join(z_names[i] for i in chosen if i in done or i in constant)
            + "; not for "
            + ", ".join(z_names[i] for i in chosen if i not in done and i not in constant)
        )
        chosen = [i for i in chosen if i in done or i in constant]
        warnings.warn(notes[-1], UserWarning, stacklevel=2)
    setup = LatentSetup(
        encoder=wrapped,
        X=data,
        Z=Z,
        feature_names=names,
        latent_names=z_names,
        latents=chosen,
        constant=constant,
        rows={"train": train, "validation": validation, "test": test, "search": np.sort(search_rows)},
        settings={
            "generations": generations,
            "time_limit": time_limit,
            "deterministic": generations is not None,
            "population_size": population_size,
            "max_length": max_length,
            "operators": operators,
            "patience": patience,
            "test_size": test_size,
            "n_jobs": n_jobs,
            "dask": client is not None,
            "seeds": {z_names[t.latent]: t.settings.seed for t in tasks},
        },
        seed=seed,
        notes=notes,
    )
    return LatentLawsFinding.from_results(setup, {r.latent: r for r in results})
