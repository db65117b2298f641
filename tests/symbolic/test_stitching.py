"""Additively separable teachers searched piece by piece (symbolic/stitching.py): the structure tests (with
the held-out floor) give the groups, each piece is searched alone, and the stitched equation joins the front."""

from __future__ import annotations

import numpy as np
import sympy

import glassbox
from glassbox_jupyter import InputSpec, Teacher
from glassbox_jupyter.symbolic.stitching import additive_groups


def law(X: np.ndarray) -> np.ndarray:
    a, b, c, d = X.T
    return a**2 + np.sin(b) + c * d


def test_groups_are_the_components_that_separability_does_not_confirm() -> None:
    confirmed = {(0, 1), (0, 2), (0, 3), (1, 2), (1, 3)}  # c|d not separable
    assert additive_groups([0, 1, 2, 3], lambda i, j: (i, j) in confirmed) == [[0], [1], [2, 3]]
    assert additive_groups([0, 1], lambda i, j: None) == [[0, 1]]  # refused: not confirmed, kept together


def test_a_separable_teacher_is_searched_in_pieces_and_the_stitched_law_is_on_the_front() -> None:
    spec = InputSpec(names=["a", "b", "c", "d"], low=[0.5, 0.0, 1.0, 1.0], high=[2.0, 3.0, 2.0, 2.0])
    teacher = Teacher(law, spec, name="separable")
    X = np.random.default_rng(4).uniform(spec.low, spec.high, (300, 4))
    finding = glassbox.distill(teacher, generations=60, held_out=(X, law(X)), live=False)
    stitched = finding.stitched
    assert stitched is not None and stitched.groups == [["a"], ["b"], ["c", "d"]]
    assert stitched.candidate is not None and stitched.candidate.loss < 1e-8
    a, b, c, d = sympy.symbols("a b c d", real=True)
    on_front = [eq for eq in finding.pareto_front if eq.loss <= stitched.candidate.loss * (1 + 1e-9)]
    assert any(sympy.simplify(eq.sympy - (a**2 + sympy.sin(b) + c * d)) == 0 for eq in on_front)
    assert sympy.simplify(finding.best.sympy - (a**2 + sympy.sin(b) + c * d)) == 0
    artifact = finding.to_dict()["artifact"]["stitched"]
    assert artifact["groups"] == [["a"], ["b"], ["c", "d"]] and len(artifact["pieces"]) == 3
