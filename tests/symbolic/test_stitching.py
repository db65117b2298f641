"""Additively separable teachers searched piece by piece (symbolic/stitching.py): the structure tests (with
the held-out floor) give the groups, each piece is searched alone, and the stitched equation joins the front."""

from __future__ import annotations

import numpy as np
import pytest
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
    # the picker says where an equation came from: the stitched one is marked
    origins = [row["origin"] for row in finding.view_data()["equations"]]
    assert "stitched" in origins and set(origins) <= {"stitched", "search", "units"}
    artifact = finding.to_dict()["artifact"]["stitched"]
    assert artifact["groups"] == [["a"], ["b"], ["c", "d"]] and len(artifact["pieces"]) == 3


def gravity(X: np.ndarray) -> np.ndarray:
    m1, m2, G, x1, x2, y1, y2, z1, z2 = X.T
    return G * m1 * m2 / ((x2 - x1) ** 2 + (y2 - y1) ** 2 + (z2 - z1) ** 2)


GRAVITY_SPEC = InputSpec(
    names="m1 m2 G x1 x2 y1 y2 z1 z2".split(), low=[1, 1, 1, 3, 1, 3, 1, 3, 1], high=[2, 2, 2, 4, 2, 4, 2, 4, 2]
)


def test_products_and_outer_functions_split_recursively_down_to_pieces_of_one_or_two_inputs() -> None:
    from glassbox_jupyter.symbolic.stitching import _Box, plan
    from glassbox_jupyter.symbolic.structure import find_structure

    teacher = Teacher(gravity, GRAVITY_SPEC)
    report = find_structure(teacher, held_out_rms=1e-4)
    tree = plan(lambda X: teacher(X)[:, 0], list(range(9)), 1e-4, _Box(GRAVITY_SPEC, 0), 0, report=report)
    assert tree.kind == "product" and [len(c.columns) for c in tree.children] == [1, 1, 1, 6]
    (outer,) = tree.children[3].children
    assert tree.children[3].outer == "inverse" and outer.kind == "sum"
    assert [leaf.columns for leaf in outer.children] == [[3, 4], [5, 6], [7, 8]]
    # each piece is a function of one difference, searched as one variable
    assert [leaf.symmetries for leaf in outer.children] == [
        [("difference", 3, 4)],
        [("difference", 5, 6)],
        [("difference", 7, 8)],
    ]
    assert tree.describe(list(GRAVITY_SPEC.names)).endswith("· inverse(1 + [x1 - x2] + [y1 - y2] + [z1 - z2])")


def test_a_law_that_no_single_split_reaches_is_stitched_exactly_from_its_pieces() -> None:
    from glassbox_jupyter.symbolic.search import SearchSettings
    from glassbox_jupyter.symbolic.stitching import stitch
    from glassbox_jupyter.symbolic.structure import find_structure

    teacher = Teacher(gravity, GRAVITY_SPEC)
    report = find_structure(teacher, held_out_rms=1e-4)
    X = np.random.default_rng(1).uniform(GRAVITY_SPEC.low, GRAVITY_SPEC.high, (500, 9))
    settings = SearchSettings(generations=100, n_threads=1)
    stitched = stitch(teacher, 0, list(range(9)), report, settings, X, gravity(X), 0)
    assert stitched is not None and stitched.kind == "product" and stitched.candidate is not None
    x = sympy.symbols("x0:9", real=True)
    truth = x[0] * x[1] * x[2] / ((x[4] - x[3]) ** 2 + (x[6] - x[5]) ** 2 + (x[8] - x[7]) ** 2)
    assert sympy.simplify(stitched.candidate.expr - truth) == 0


def test_a_teacher_with_no_split_is_not_stitched() -> None:
    from glassbox_jupyter.symbolic.search import SearchSettings
    from glassbox_jupyter.symbolic.stitching import stitch
    from glassbox_jupyter.symbolic.structure import find_structure

    spec = InputSpec(names=["a", "b"], low=1, high=2)
    teacher = Teacher(lambda X: np.sin(X[:, 0] + X[:, 1] ** 2), spec)
    X = np.random.default_rng(1).uniform(1, 2, (200, 2))
    report = find_structure(teacher, held_out_rms=1e-4)
    assert stitch(teacher, 0, [0, 1], report, SearchSettings(generations=10), X, teacher(X)[:, 0], 0) is None


def test_a_law_with_no_split_but_a_symmetric_pair_is_searched_on_that_pair_as_one_variable() -> None:
    from glassbox_jupyter.symbolic.stitching import _Box, plan
    from glassbox_jupyter.symbolic.structure import find_structure

    spec = InputSpec(names=["x1", "x2", "theta1", "theta2"], low=[1, 1, 0, 0], high=[5, 5, 5, 5])

    def cosines(X: np.ndarray) -> np.ndarray:
        x1, x2, t1, t2 = X.T
        return np.sqrt(x1**2 + x2**2 - 2 * x1 * x2 * np.cos(t1 - t2))

    teacher = Teacher(cosines, spec)
    report = find_structure(teacher, held_out_rms=1e-4)
    tree = plan(lambda X: teacher(X)[:, 0], [0, 1, 2, 3], 1e-4, _Box(spec, 0), 0, report=report)
    assert tree.kind == "leaf" and tree.symmetries == [("difference", 2, 3)]
    assert tree.describe(list(spec.names)) == "[x1, x2, theta1 - theta2]"


def test_each_piece_is_chosen_on_the_whole_teacher_not_on_its_slice_alone() -> None:
    from glassbox_jupyter.symbolic.search import Candidate
    from glassbox_jupyter.symbolic.stitching import _Box, choose_pieces, plan
    from glassbox_jupyter.symbolic.structure import find_structure

    spec = InputSpec(names=["a", "b"], low=1, high=2)
    teacher = Teacher(lambda X: X[:, 0] ** 2 * X[:, 1], spec)
    report = find_structure(teacher, held_out_rms=1e-4)
    tree = plan(lambda X: teacher(X)[:, 0], [0, 1], 1e-4, _Box(spec, 0), 0, report=report)
    assert tree.kind == "product"
    a, b = sympy.symbols("x0 x1", real=True)
    first, second = tree.children
    # the slice's own pick was the line; its front also holds the square and an overfit square
    first.front = [Candidate(a, 1e-2, 1), Candidate(a**2, 1e-3, 3), Candidate(a**2 + sympy.sin(a) / 1000, 9e-4, 7)]
    first.expr, second.front, second.expr = a, [Candidate(b, 0.0, 1)], b
    X = np.random.default_rng(0).uniform(1, 2, (300, 2))
    choose_pieces(tree, X, teacher(X)[:, 0], floor_mse=1e-8)
    assert first.expr == a**2 and second.expr == b


def test_the_split_in_words_brackets_a_sum_inside_a_product() -> None:
    from glassbox_jupyter.symbolic.stitching import _Box, plan
    from glassbox_jupyter.symbolic.structure import find_structure

    spec = InputSpec(names=["m", "v", "u", "w"], low=1, high=2)
    teacher = Teacher(lambda X: X[:, 0] * (X[:, 1] ** 2 + X[:, 2] ** 2 + X[:, 3] ** 2) / 2, spec)
    report = find_structure(teacher, held_out_rms=1e-4)
    tree = plan(lambda X: teacher(X)[:, 0], [0, 1, 2, 3], 1e-4, _Box(spec, 0), 0, report=report)
    assert tree.kind == "product" and tree.describe(list(spec.names)).endswith("· [m] · (1 + [v] + [u] + [w])")


def _interrupting(monkeypatch, at: int) -> list:
    """Ctrl-C in the search of piece number ``at`` (from 1): that search keeps what it found, the ones after
    it do not run."""
    import glassbox_jupyter.symbolic.stitching as stitching

    searched: list = []
    original = stitching._search_leaf

    def search(node, *args):
        searched.append(node.columns)
        if len(searched) < at:
            return original(node, *args)
        if len(searched) == at:
            original(node, *args)
        return True

    monkeypatch.setattr(stitching, "_search_leaf", search)
    return searched


def _separable_finding():
    spec = InputSpec(names=["a", "b", "c", "d"], low=[0.5, 0.0, 1.0, 1.0], high=[2.0, 3.0, 2.0, 2.0])
    X = np.random.default_rng(4).uniform(spec.low, spec.high, (300, 4))
    return glassbox.distill(Teacher(law, spec), generations=60, held_out=(X, law(X)), live=False)


def test_ctrl_c_in_the_last_pieces_search_stops_distill_and_keeps_the_stitched_equation(monkeypatch) -> None:
    searched = _interrupting(monkeypatch, at=3)  # a, b and c·d: the last piece
    finding = _separable_finding()
    assert len(searched) == 3 and finding.stitched is not None and finding.stitched.interrupted
    assert finding.interrupted and finding.log.rounds == []  # the direct search did not run
    a, b, c, d = sympy.symbols("a b c d", real=True)
    assert sympy.simplify(finding.best.sympy - (a**2 + sympy.sin(b) + c * d)) == 0
    assert "interrupted" in finding.summary()


def test_ctrl_c_before_every_piece_was_searched_stops_distill_with_nothing_to_keep(monkeypatch) -> None:
    searched = _interrupting(monkeypatch, at=2)
    with pytest.raises(KeyboardInterrupt):
        _separable_finding()
    assert len(searched) == 2  # the pieces after the interrupted one were not searched
