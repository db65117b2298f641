"""The teacher's error floor from held-out rows (symbolic/held_out_floor.py) and the pick that respects it:
the simplest equation within the floor wins, whatever a longer search adds below it."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import glassbox
from glassbox_jupyter import InputSpec, Teacher
from glassbox_jupyter.symbolic.held_out_floor import FLOOR_FACTOR, held_out_floor
from glassbox_jupyter.symbolic.search import Candidate, choose_best

x = sympy.Symbol("x0")


def c(loss: float, size: int) -> Candidate:
    return Candidate(x, loss, size)


def test_the_simplest_candidate_within_the_floor_is_picked_where_the_usual_rule_follows_the_junk() -> None:
    # the law (complexity 5) fits the teacher to its own error (loss 1e-3 = floor²); larger members fit that error
    front = [c(0.9, 1), c(1e-3, 5), c(2e-4, 13), c(1e-6, 25)]
    assert choose_best(front, variance=1.0) == 3  # without the floor: the junk's steep drop wins
    assert choose_best(front, variance=1.0, floor_mse=1e-3) == 1


def test_more_search_never_unpicks_a_candidate_within_the_floor() -> None:
    short = [c(0.9, 1), c(1.2e-3, 5), c(5e-4, 11)]
    longer = [*short[:2], c(3e-4, 9), c(1e-5, 17), c(1e-9, 29)]  # a 2× search adds members with lower losses
    assert choose_best(short, 1.0, floor_mse=1e-3) == choose_best(longer, 1.0, floor_mse=1e-3) == 1


def test_without_a_member_within_the_floor_the_usual_rule_applies() -> None:
    front = [c(0.9, 1), c(0.05, 5), c(0.04, 13)]
    assert choose_best(front, 1.0, floor_mse=1e-4) == choose_best(front, 1.0)
    # a member just inside FLOOR_FACTOR × floor counts, one just outside does not
    assert choose_best([c(0.9, 1), c(FLOOR_FACTOR * 1e-3 * 0.99, 4), c(1e-8, 9)], 1.0, floor_mse=1e-3) == 1
    assert choose_best([c(0.9, 1), c(FLOOR_FACTOR * 1e-3 * 1.01, 4), c(1e-8, 9)], 1.0, floor_mse=1e-3) == 2


SPEC = InputSpec(names=["a", "b"], low=1, high=2)


def biased_teacher() -> Teacher:
    """The law a*b, learned with a smooth error of RMS about 0.014 (as a network's is: smooth, unseen locally)."""
    return Teacher(lambda X: X[:, 0] * X[:, 1] + 0.02 * np.sin(3 * X[:, 0]), SPEC, name="biased")


def law_rows(n: int = 400, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(seed).uniform(1, 2, (n, 2))
    return X, X[:, 0] * X[:, 1]


def test_held_out_floor_is_the_teachers_rms_error_on_true_outputs() -> None:
    X, y = law_rows()
    (floor,) = held_out_floor(biased_teacher(), X, y)
    expected = float(np.sqrt(np.mean((0.02 * np.sin(3 * X[:, 0])) ** 2)))
    assert floor.rms == pytest.approx(expected, rel=1e-9) and floor.n == 400 and floor.output == "y"
    assert floor.to_dict()["rms"] == floor.rms and "held-out" in floor.to_dict()["source"]


def test_distill_with_held_out_rows_reports_the_floor_and_picks_the_law_within_it() -> None:
    finding = glassbox.distill(biased_teacher(), generations=60, held_out=law_rows(), live=False)
    floor = finding.error_floor
    # without the floor the usual rule picks the front's lowest loss: an equation of the teacher's own error
    blind = glassbox.distill(biased_teacher(), generations=60, live=False)
    assert blind.error_floor is None and blind.best.loss < floor.mse / 100
    assert floor is not None and 0.01 < floor.rms < 0.02
    best = finding.best
    assert best.loss <= FLOOR_FACTOR * floor.mse  # within the floor ...
    simpler = [eq for eq in finding.pareto_front if eq.complexity < best.complexity]
    assert all(eq.loss > FLOOR_FACTOR * floor.mse for eq in simpler)  # ... and the simplest that is
    a, b = sympy.symbols("a b", real=True)
    # the law up to its constant (the SRBench criterion), not a fit of the teacher's sin(3a) error
    assert sympy.simplify(best.sympy / (a * b)).is_number
    assert finding.to_dict()["artifact"]["error_floor"]["n"] == 400
    assert any("error floor" in item.body for item in finding.evidence())


@pytest.mark.parametrize(
    ("held_out", "message"),
    [
        ((np.ones((30, 3)), np.ones(30)), r"\[rows, 2\]"),
        ((np.ones((30, 2)), np.ones(29)), "one row per X row"),
        ((np.ones((5, 2)), np.ones(5)), "at least 20 rows"),
        ((np.full((30, 2), np.nan), np.ones(30)), "NaN"),
        (np.ones((30, 2)), r"pair \(X, y\)"),
    ],
)
def test_bad_held_out_rows_are_refused_with_the_fix(held_out, message) -> None:
    with pytest.raises(ValueError, match=message):
        glassbox.distill(biased_teacher(), generations=10, held_out=held_out, live=False)


def test_a_classifier_with_held_out_rows_is_refused() -> None:
    teacher = Teacher(lambda X: np.stack([1 - X[:, 0] / 2, X[:, 0] / 2], 1), SPEC, task="classification")
    with pytest.raises(ValueError, match="classifier"):
        glassbox.distill(teacher, generations=10, held_out=law_rows(), live=False)


def test_with_held_out_rows_the_structure_tests_run_on_the_teachers_floor_and_are_in_the_finding() -> None:
    # an error of 0.4% of the spread, as the benchmark's MLP teachers have (a larger one makes the tests refuse)
    teacher = Teacher(lambda X: X[:, 0] * X[:, 1] + 0.004 * np.sin(3 * X[:, 0]), SPEC, name="slightly biased")
    finding = glassbox.distill(teacher, generations=20, held_out=law_rows(), live=False)
    report = finding.structure
    assert report is not None and report.held_out_rms == finding.error_floor.rms
    assert report.noise == pytest.approx(finding.error_floor.rms)  # far above what local fits see of a sine
    assert report.floor.noise < report.noise / 10
    assert report.holds("multiplicative", "a", "b") and report.holds("product", "a", "b")  # a*b, within the floor
    assert report.holds("additive", "a", "b") is False
    artifact = finding.to_dict()["artifact"]
    assert artifact["structure"]["held_out_rms"] == report.held_out_rms
    assert any(
        "held-out rows" in item.body and "multiplicatively separable" in item.body for item in finding.evidence()
    )
    assert glassbox.distill(teacher, generations=5, live=False).structure is None  # needs held_out
