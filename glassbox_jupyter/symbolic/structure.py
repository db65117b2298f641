"""Structure of a teacher before any search: separability, symmetries, idle inputs, outer functions.

``find_structure`` measures the teacher's error floor (:func:`structure_floor.error_floor`) and runs
hypothesis tests (:mod:`structure_tests`) whose tolerance is that floor carried to each statistic:

- on every pair of inputs: additive separability ``f = g(x) + h(y)``, multiplicative separability
  (additive on ``log|f|``, refused when f changes sign), and the symmetries ``F(x - y)``, ``F(x / y)``,
  ``F(x y)``, ``F(x^2 + y^2)``;
- on every input: whether it matters at all, and whether f is linear in it;
- outer functions ``f = G(u)`` for G in sqrt, square, exp, log, sin, arcsin, inverse: ``u = G^-1(f)``
  is tested for additive separability on each pair and linearity in each (relevant) input; G is
  reported for a pair / input where ``u`` passes and ``f`` itself fails, i.e. where undoing G
  reveals a structure the raw target does not have.

With more than ``MAX_PAIRWISE_INPUTS`` inputs, the pairwise and outer tests run on that many inputs
that move the output most (the ``irrelevant`` statistic), and the report says so.

``distill(..., held_out=(X, y))`` runs them with the teacher's held-out error as their noise and reports
them in the finding; the clear cases (:meth:`StructureReport.splits`: sums, products, outer functions and
symmetric pairs) split the search into pieces (:mod:`stitching`).

Example:
    >>> import numpy as np
    >>> from glassbox_jupyter import InputSpec, Teacher
    >>> spec = InputSpec(names=["x", "y", "z"], low=1, high=2)
    >>> report = find_structure(Teacher(lambda X: X[:, 0] * X[:, 1] + X[:, 2], spec))
    >>> report.holds("additive", "x", "z"), report.holds("additive", "x", "y")
    (True, False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np

from glassbox_jupyter.symbolic.structure_floor import ErrorFloor, error_floor
from glassbox_jupyter.symbolic.structure_tests import (
    OUTER_FUNCTIONS,
    PAIR_HYPOTHESES,
    SINGLE_HYPOTHESES,
    Box,
    StructureTest,
    draw_stencils,
    verdict,
)

MAX_PAIRWISE_INPUTS = 10  # distill screens to max_features=10 inputs by default
HYPOTHESES = PAIR_HYPOTHESES + SINGLE_HYPOTHESES
_PHRASES = {
    "additive": "additively separable in {0} | {1}",
    "multiplicative": "multiplicatively separable in {0} | {1}",
    "difference": "like a function of {0} - {1} (with the rest fixed)",
    "ratio": "like a function of {0} / {1} (with the rest fixed)",
    "product": "like a function of {0} * {1} (with the rest fixed)",
    "radius": "like a function of {0}^2 + {1}^2 (with the rest fixed)",
    "linear": "linear in {0}",
}


@dataclass
class StructureReport:
    """What the structure tests found on one output of a teacher."""

    names: tuple[str, ...]  # all inputs of the teacher
    output: str
    floor: ErrorFloor
    tests: list[StructureTest]  # on the raw target (multiplicative: transform "log|f|")
    outer: list[StructureTest]  # tests on G^-1(f) that pass (or split) where the raw target does not split
    tested: tuple[str, ...]  # the inputs the tests ran on
    note: str = ""
    seed: int = 0
    evaluations: int = field(default=0)
    held_out_rms: float | None = None  # the teacher's error on held-out rows, when given: the tests' noise

    @property
    def noise(self) -> float:
        """The noise the tests' tolerances are carried from: the larger of the local floor and the held-out error."""
        return max(self.floor.noise, self.held_out_rms or 0.0)

    def find(self, hypothesis: str, *inputs: str) -> StructureTest:
        """The test of ``hypothesis`` on ``inputs`` (order of a pair does not matter)."""
        transform = "log|f|" if hypothesis == "multiplicative" else "identity"
        name = "additive" if hypothesis == "multiplicative" else hypothesis
        for test in self.tests:
            # a pair in either order: F(x - y) is F'(y - x), F(x / y) is F'(y / x)
            if test.hypothesis == name and test.transform == transform and set(test.inputs) == set(inputs):
                return test
        raise KeyError(f"no {hypothesis} test on {inputs}")

    def holds(self, hypothesis: str, *inputs: str) -> bool | None:
        """The verdict of ``hypothesis`` on ``inputs`` (``None``: refused)."""
        return self.find(hypothesis, *inputs).holds

    def splits(self, hypothesis: str, *inputs: str) -> bool:
        """Whether ``hypothesis`` on ``inputs`` is clear enough to split the search on (``StructureTest.splits``)."""
        return self.find(hypothesis, *inputs).splits()

    def outer_functions(self) -> list[str]:
        """The outer functions G whose inverse reveals structure, in the order tried."""
        return list(dict.fromkeys(t.transform for t in self.outer))

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "inputs": list(self.names),
            "tested": list(self.tested),
            "floor": self.floor.to_dict(),
            "held_out_rms": self.held_out_rms,
            "noise": self.noise,
            "tests": [t.to_dict() for t in self.tests],
            "outer": [t.to_dict() for t in self.outer],
            "note": self.note,
            "seed": self.seed,
            "evaluations": self.evaluations,
        }

    def describe(self) -> str:
        """One paragraph in plain words."""
        head = f"{self.output}({', '.join(self.tested)})"
        found: list[str] = []
        for test in self.tests:
            if test.holds and test.hypothesis != "irrelevant":
                kind = "multiplicative" if test.transform == "log|f|" else test.hypothesis
                found.append(_PHRASES[kind].format(*test.inputs))
        idle = [t.inputs[0] for t in self.tests if t.hypothesis == "irrelevant" and t.holds]
        matters = [t.inputs[0] for t in self.tests if t.hypothesis == "irrelevant" and t.holds is False]
        if self.held_out_rms is None:
            floor = f"Error floor {self.floor.noise:.3g} ({self.floor.relative:.2%} of the output's spread; local fits)"
        else:
            floor = (
                f"Error floor {self.noise:.3g} (the teacher's RMS error on held-out rows; local fits see "
                f"{self.floor.noise:.3g})"
            )
        parts = [
            floor,
            f"{head} looks " + ("; ".join(found) if found else "like none of the tested structures"),
        ]
        if idle:
            parts.append(f"{', '.join(idle)} {'does' if len(idle) == 1 else 'do'} not seem to matter")
        if matters:
            parts.append(f"no evidence that {', '.join(matters)} {'does' if len(matters) == 1 else 'do'} not matter")
        for test in self.outer:
            kind = _PHRASES[test.hypothesis].format(*test.inputs)
            parts.append(f"with f = {test.transform}(u), u is {kind} where f is not clearly so")
        refused = sum(t.holds is None for t in self.tests)
        if refused:
            parts.append(f"{refused} tests refused (domain, box or floor; see to_dict)")
        if self.note:
            parts.append(self.note)
        return "; ".join(parts) + "."


def _box(teacher: Any, probes: np.ndarray | None) -> Box:
    if probes is not None:
        rows = np.asarray(probes, dtype=float).reshape(len(probes), -1)
        return Box(rows.min(axis=0), rows.max(axis=0), rows)
    spec = teacher.require_spec()
    if spec.low is None or spec.high is None:
        raise ValueError("find_structure needs the spec's low/high bounds or a probes sample")
    return Box(np.array(spec.low), np.array(spec.high))


def find_structure(
    teacher: Any,
    output: int = 0,
    inputs: Sequence[str | int] | None = None,
    seed: int = 0,
    probes: np.ndarray | None = None,
    samples: int = 200,
    held_out_rms: float | None = None,
) -> StructureReport:
    """Run the structure tests on ``teacher``'s ``output`` over its spec's box (or ``probes``' range).

    Args:
        teacher: a :class:`~glassbox_jupyter.Teacher` (callable ``[n, d] -> [n, outputs]`` with a spec).
        output: which output.
        inputs: names or indices to test (default: all); the others are held at random rows.
        seed: all sampling is seeded; the same seed gives the same report.
        probes: optional ``[n, d]`` sample: the box is its range and other inputs are held at its rows.
        samples: stencils per test.
        held_out_rms: the teacher's RMS error on rows it was not trained on
            (:func:`~glassbox_jupyter.symbolic.held_out_floor.held_out_floor`). A smooth network's error
            is smooth, so the local floor does not see it and, alone, makes the tests reject structures the
            learned law has; with this the tests' noise is the larger of the two.
    """
    names = tuple(teacher.require_spec().names)
    box = _box(teacher, probes)
    columns = (
        list(range(len(names))) if inputs is None else [i if isinstance(i, int) else names.index(i) for i in inputs]
    )
    count = [0]

    def f(X: np.ndarray) -> np.ndarray:
        count[0] += len(X)
        return np.asarray(teacher(X), dtype=float)[:, output]

    floor = error_floor(f, box.low, box.high, seed=seed)
    noise = max(floor.noise, held_out_rms or 0.0)
    tests: list[StructureTest] = []

    def draw(hypothesis: str, *on: int) -> Any:
        # each test's stencils are seeded by (seed, hypothesis, inputs): the same whatever else is tested
        key = [seed, HYPOTHESES.index(hypothesis), *on]
        return draw_stencils(f, box, hypothesis, tuple(on), samples, key)

    irrelevant = {c: verdict(draw("irrelevant", c), noise, names) for c in columns}
    tests.extend(irrelevant.values())
    moving = sorted(columns, key=lambda c: -np.nan_to_num(irrelevant[c].statistic))
    tested = sorted(moving[:MAX_PAIRWISE_INPUTS])
    note = ""
    if len(columns) > MAX_PAIRWISE_INPUTS:
        note = f"pairwise tests on the {MAX_PAIRWISE_INPUTS} inputs that move the output most"
    linear_stencils = {c: draw("linear", c) for c in tested}
    linear = {c: verdict(linear_stencils[c], noise, names) for c in tested}
    tests.extend(linear.values())
    additive: dict[tuple[int, int], Any] = {}
    raw_additive: dict[tuple[int, int], StructureTest] = {}
    for i, j in combinations(tested, 2):
        additive[i, j] = draw("additive", i, j)
        raw_additive[i, j] = verdict(additive[i, j], noise, names)
        tests.append(raw_additive[i, j])
        tests.append(verdict(additive[i, j], noise, names, "log|f|"))
        tests.extend(verdict(draw(hypothesis, i, j), noise, names) for hypothesis in PAIR_HYPOTHESES[1:])
    outer: list[StructureTest] = []
    for g in OUTER_FUNCTIONS:
        for pair, stencils in additive.items():
            if not raw_additive[pair].splits():  # f is not (clearly) separable there: does G^-1 make it so?
                test = verdict(stencils, noise, names, g)
                outer += [test] if test.holds or test.splits() else []
        for c in tested:
            if irrelevant[c].holds is False and linear[c].holds is False:
                test = verdict(linear_stencils[c], noise, names, g)
                outer += [test] if test.holds else []
    return StructureReport(
        names=names,
        output=str(teacher.output_names[output]) if hasattr(teacher, "output_names") else "f",
        floor=floor,
        tests=tests,
        outer=outer,
        tested=tuple(names[c] for c in tested),
        note=note,
        seed=seed,
        evaluations=count[0],
        held_out_rms=held_out_rms,
    )
