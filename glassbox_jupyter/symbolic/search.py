"""The symbolic search: pyoperon (multi-objective GP with fitted constants) run in rounds.

Each round continues the previous population (warm start), so the Pareto front can be shown
while it improves; between rounds the teacher is probed again where the current best equation
disagrees with it most (active interrogation). A keyboard interrupt ends the search after the
running round and keeps everything found so far.

Budgets. ``SearchSettings()`` runs for ``time_limit`` wall-clock seconds in rounds of
``GENERATIONS_PER_ROUND`` generations, as many rounds as fit (``continuation``): what a round does
depends on the seed alone, so the clock decides only how many rounds run, and a search given twice the
time runs the same rounds and more; with the error-floor pick (``choose_best(floor_mse=...)``) it cannot
then lose an equation the shorter search picked. ``rounds=R`` splits the time into ``R`` clock-bounded
rounds instead (their content then depends on the machine and its load). With
``SearchSettings(generations=G)`` the budget is deterministic: ``G`` pyoperon generations in
all, split evenly over the rounds (``rounds``, or one round per ``GENERATIONS_PER_ROUND``), with no
clock involved (``time_limit`` is then not used) and the patience rule counted in generations. The
same seed, data and settings then give the same front, on any machine: checked by running the same
search twice and comparing the fronts' ``sympy.srepr`` (tests/symbolic, tests/latent, and
benchmarks/bench_latent.py across processes and Dask workers). Fan-out runs use ``n_threads=1``.

Example:
    >>> settings = SearchSettings(generations=40, n_threads=1)
    >>> settings.n_rounds(), settings.round_generations(0)
    (4, 10)
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from glassbox_jupyter.symbolic.expression import complexity, input_symbols, operon_tree_to_sympy
from glassbox_jupyter.symbolic.held_out_floor import FLOOR_FACTOR
from glassbox_jupyter.symbolic.simplify import mse, tidy

DEFAULT_OPERATORS = "add,sub,mul,div,constant,variable,sin,cos,exp,log,sqrt,square"
GENERATIONS_PER_ROUND = 10  # deterministic budget: about 1-2 s per round at population 1000


@dataclass
class SearchSettings:
    """Knobs of the search (``distill`` fills them from its arguments)."""

    time_limit: float = 60.0
    rounds: int | None = None  # None: continuation rounds (GENERATIONS_PER_ROUND each) until time or convergence
    patience: int | None = 2  # rounds without a new best (and as long as it took to find) before stopping
    population_size: int = 1000
    max_length: int = 30  # longer trees mostly add bloat; 30 nodes hold every law in the benchmark
    tournament_size: int = 3
    operators: str = DEFAULT_OPERATORS
    n_threads: int = 2
    seed: int = 0
    snap_tolerance: float = 1e-4
    refine_per_round: int = 200
    engine: str = "operon"  # or "pysr" (optional; needs the pysr package and Julia)
    generations: int | None = None  # deterministic budget: total generations (time_limit is then not used)
    floor_mse: float | None = None  # the teacher's error floor (held_out_floor), for choose_best

    def __post_init__(self) -> None:
        if self.generations is not None and (isinstance(self.generations, bool) or int(self.generations) < 1):
            raise ValueError(f"generations must be a positive number of generations or None, got {self.generations!r}")

    @property
    def deterministic(self) -> bool:
        """True when the budget is counted in generations (reproducible), not in seconds."""
        return self.generations is not None

    def rest(self, share: float, spent: float) -> SearchSettings:
        """What a search keeps after a sub-search was given ``share`` of this budget and took ``spent`` seconds:
        the clock's own remainder (a sub-search may end early, or overrun its share by part of a round), or
        ``1 - share`` of a generations budget."""
        return dataclasses.replace(
            self,
            time_limit=max(1.0, self.time_limit - spent),
            generations=None if self.generations is None else max(10, round(self.generations * (1 - share))),
        )

    def n_rounds(self) -> int:
        """Rounds planned: ``rounds``, or a generations budget's share of :data:`GENERATIONS_PER_ROUND`; a
        :attr:`continuation` search plans none (it runs rounds until its clock runs out)."""
        if self.generations is not None:
            planned = self.rounds if self.rounds is not None else math.ceil(self.generations / GENERATIONS_PER_ROUND)
            return max(1, min(int(planned), int(self.generations)))
        if self.rounds is not None:
            return max(1, int(self.rounds))
        raise ValueError("a continuation search plans no number of rounds: it runs them until its time_limit")

    @property
    def continuation(self) -> bool:
        """A wall-clock budget without a set number of rounds: rounds of :data:`GENERATIONS_PER_ROUND`
        generations each, as many as the time allows. What each round does depends on the seed alone (no clock
        inside a round), so a longer budget runs the same rounds and more: everything a search finds in
        ``T`` seconds, one given ``2T`` finds too (on the same machine, unless it runs twice as slowly)."""
        return self.generations is None and self.rounds is None

    def round_generations(self, index: int) -> int:
        """Generations of round ``index``: under a deterministic budget the total split evenly; under a
        wall-clock budget in :attr:`continuation` rounds, :data:`GENERATIONS_PER_ROUND`."""
        if self.generations is None:
            if self.continuation:
                return GENERATIONS_PER_ROUND
            raise ValueError("round_generations needs a generations budget")
        total, rounds = int(self.generations), self.n_rounds()
        return total * (index + 1) // rounds - total * index // rounds


@dataclass
class Candidate:
    """A tidied equation with its validation loss (internal symbols, all spec columns)."""

    expr: sympy.Expr
    loss: float
    complexity: int
    origin: str = "search"  # or "stitched" (symbolic/stitching.py), "units" (the π groups, symbolic/dimensional.py)


@dataclass
class SearchLog:
    """What happened, round by round (shown in the view and recorded in provenance)."""

    rounds: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False
    converged: bool = False
    seconds: float = 0.0
    rejected_units: int = 0  # tidied equations whose units cannot match the output's (see symbolic/units.py)


def fixed_probes(X: np.ndarray, y: np.ndarray) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    """A ``train()`` for :meth:`SymbolicSearch.run` whose probes do not grow (a sub-search is not re-probed)."""
    return lambda: (X, y)


def pareto_front(candidates: list[Candidate]) -> list[Candidate]:
    """Lowest loss at each complexity, keeping only members that beat every simpler one."""
    best_at: dict[int, Candidate] = {}
    for c in candidates:
        if math.isfinite(c.loss) and (c.complexity not in best_at or c.loss < best_at[c.complexity].loss):
            best_at[c.complexity] = c
    front, best_loss = [], math.inf
    for size in sorted(best_at):
        if best_at[size].loss < best_loss:
            front.append(best_at[size])
            best_loss = best_at[size].loss
    return front


def choose_best(
    front: list[Candidate],
    variance: float,
    tolerance: float = 1.5,
    r2_tolerance: float = 1e-4,
    floor_mse: float | None = None,
) -> int:
    """Index of the best front member, by PySR's score on validation loss, made noise-aware.

    With ``floor_mse`` (the teacher's own mean squared error on held-out rows, :mod:`held_out_floor`): the
    simplest member whose loss is at most ``FLOOR_FACTOR × floor_mse`` wins. Such a member fits the teacher
    as well as the law the teacher learned does, so a more complex one can gain only by fitting the
    network's own error; and since this bound does not depend on the front, a longer search that adds
    members with lower loss cannot make an eligible member ineligible. When no member is that close, the
    rule below applies.

    A member is *eligible* when its loss is within ``tolerance`` × the lowest loss, or when its
    R² is within ``r2_tolerance`` of the best R² (loss at most ``lowest + r2_tolerance × var(y)``):
    a teacher that is itself an approximation leaves small systematic errors that ever larger
    expressions can fit, and an R² gain below 1e-4 is not worth an expression a person cannot
    read. Among eligible members the one with the highest score ``-Δ log(loss) / Δ complexity``
    against the next simpler member wins. Losses are floored at ``1e-10 × var(y)`` so numerically
    exact fits tie instead of rewarding round-off.
    """
    if not front:
        raise ValueError("the Pareto front is empty")
    if floor_mse is not None and floor_mse > 0:
        within = [i for i, c in enumerate(front) if c.loss <= FLOOR_FACTOR * floor_mse]
        if within:
            return min(within, key=lambda i: (front[i].complexity, front[i].loss))
    variance = variance or 1.0
    losses = [max(c.loss, 1e-10 * variance) for c in front]
    lowest = min(losses)
    ceiling = max(tolerance * lowest, lowest + r2_tolerance * variance)
    best, best_score = 0, -math.inf
    for i, c in enumerate(front):
        if losses[i] > ceiling:
            continue
        if i == 0:
            score = 0.0
        else:
            score = -(math.log(losses[i]) - math.log(losses[i - 1])) / max(1, c.complexity - front[i - 1].complexity)
        if score > best_score:
            best, best_score = i, score
    return best


class SymbolicSearch:
    """One output's search. ``columns`` are the spec columns the search may use."""

    def __init__(self, width: int, columns: list[int], settings: SearchSettings):
        self.width = width
        self.columns = columns
        self.settings = settings
        self.symbols = input_symbols(width)
        self._tidied: dict[str, Candidate | None] = {}
        self.candidates: list[Candidate] = []
        self.log = SearchLog()
        #: when set, equations it refuses (units that cannot match the output's) never join the candidates
        self.admissible: Callable[[sympy.Expr], bool] | None = None

    def _regressor(self, seconds: int | None, round_index: int) -> Any:
        from pyoperon.sklearn import SymbolicRegressor

        s = self.settings
        deterministic = s.generations is not None or s.continuation
        return SymbolicRegressor(
            allowed_symbols=s.operators,
            objectives=["r2", "length"],
            optimizer_iterations=10,  # > 0, or constants are never fitted
            max_length=s.max_length,
            population_size=s.population_size,
            tournament_size=s.tournament_size,
            generations=s.round_generations(round_index) if deterministic else 10**6,
            max_evaluations=10**9,
            max_time=seconds,
            n_threads=s.n_threads,
            random_state=s.seed + round_index,
            warm_start=True,
            epsilon=1e-6,
        )

    def _harvest(self, regressor: Any, X_val: np.ndarray, y_val: np.ndarray) -> None:
        """Convert the regressor's current front into tidied candidates (cached by raw form)."""
        by_hash = {h: self.symbols[self.columns[i]] for i, h in enumerate(regressor.variables_)}
        for member in regressor.pareto_front_:
            raw = operon_tree_to_sympy(member["tree"], by_hash)
            key = sympy.srepr(raw)
            if key in self._tidied:
                continue
            expr = tidy(raw, X_val, y_val, self.settings.snap_tolerance)
            if self.admissible is not None and not self.admissible(expr):
                self._tidied[key] = None
                self.log.rejected_units += 1
                continue
            loss = mse(expr, X_val, y_val)
            candidate = Candidate(expr, loss, complexity(expr)) if math.isfinite(loss) else None
            self._tidied[key] = candidate
            if candidate is not None and all(sympy.srepr(expr) != sympy.srepr(c.expr) for c in self.candidates):
                self.candidates.append(candidate)

    def run(
        self,
        train: Callable[[], tuple[np.ndarray, np.ndarray]],
        X_val: np.ndarray,
        y_val: np.ndarray,
        on_round: Callable[[list[Candidate], dict[str, Any]], None] | None = None,
        refine: Callable[[sympy.Expr], None] | None = None,
    ) -> list[Candidate]:
        """Search for at most ``settings.time_limit`` seconds (or ``settings.generations`` generations).

        Returns the Pareto front of tidied candidates. ``train()`` returns the current training
        probes (they grow as ``refine`` adds points). Rounds are ``GENERATIONS_PER_ROUND`` generations (or
        an even share of the clock when ``rounds`` is set); the search stops early once the best
        equation has not changed for ``patience`` rounds *and* for at least as long as it took to find
        it (measured in seconds, or in generations under a deterministic or continuation budget).
        """
        s = self.settings
        start = time.perf_counter()
        deadline = start + s.time_limit
        planned = 10**9 if s.continuation else s.n_rounds()  # continuation: rounds until the clock runs out
        regressor = None
        variance = float(np.var(y_val)) or 1.0
        last_best, unchanged, found_at, harvest_cost, round_cost = "", 0, 0.0, 0.0, 0.0
        generations_done = 0
        try:
            for index in range(planned):
                seconds: int | None = None
                round_start = time.perf_counter()
                if s.continuation:
                    left = deadline - round_start - harvest_cost
                    if index > 0 and left < max(1.0, round_cost):  # the next round would overrun the budget
                        break
                    seconds = max(1, math.ceil(left))  # a guard only: a round normally ends on its generations
                elif not s.deterministic:
                    left = deadline - time.perf_counter() - harvest_cost
                    if index > 0 and left < 1:
                        break
                    seconds = max(1, int(left / (planned - index)))  # set rounds share what is left
                X_train, y_train = train()
                if regressor is None:
                    regressor = self._regressor(seconds, index)
                elif s.deterministic or s.continuation:
                    regressor.set_params(
                        generations=s.round_generations(index), random_state=s.seed + index, max_time=seconds
                    )
                else:  # warm start: the next round continues this population on the grown probe set
                    regressor.set_params(max_time=seconds, random_state=s.seed + index)
                regressor.fit(np.array(X_train[:, self.columns], dtype=float), np.array(y_train, dtype=float))
                before_harvest = time.perf_counter()
                self._harvest(regressor, X_val, y_val)
                harvest_cost = max(harvest_cost * 0.5, time.perf_counter() - before_harvest)
                round_cost = max(round_cost * 0.5, time.perf_counter() - round_start)
                front = pareto_front(self.candidates)
                elapsed = time.perf_counter() - start
                info = {
                    "round": index + 1,
                    "rounds": None if s.continuation else planned,
                    "probes": len(y_train),
                    "seconds": round(elapsed, 2),
                    "front_size": len(front),
                    "best_loss": front[choose_best(front, variance, floor_mse=s.floor_mse)].loss if front else None,
                }
                if s.deterministic or s.continuation:
                    generations_done += s.round_generations(index)
                    info["generations"] = generations_done
                    elapsed = float(generations_done)  # the patience rule below counts generations
                self.log.rounds.append(info)
                if on_round is not None:
                    on_round(front, info)
                best = sympy.srepr(front[choose_best(front, variance, floor_mse=s.floor_mse)].expr) if front else ""
                if best and best == last_best:
                    unchanged += 1
                else:
                    unchanged, found_at, last_best = 0, elapsed, best
                if s.patience and unchanged >= s.patience and elapsed - found_at >= found_at:
                    self.log.converged = True
                    break
                if refine is not None and front and index < planned - 1:
                    refine(front[choose_best(front, variance, floor_mse=s.floor_mse)].expr)
        except KeyboardInterrupt:
            self.log.interrupted = True
            if regressor is not None and getattr(regressor, "is_fitted_", False):
                self._harvest(regressor, X_val, y_val)  # the round that was running had finished
        self.log.seconds = round(time.perf_counter() - start, 2)
        return pareto_front(self.candidates)
