"""What the ParetoPicker and the static view of a SymbolicFinding say: one name for what the loss measures,
the split of the R², a warning next to a failed fit, whole-number complexity ticks and labelled series."""

import numpy as np
import pytest

import glassbox
from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.symbolic.equation import undefined_fidelity
from glassbox_jupyter.symbolic.finding import _decades, _whole_numbers, fit_warning


@pytest.mark.parametrize(
    ("fidelity", "warning"),
    [
        (Fidelity("r2", -0.02, -0.05, -0.01, n=500), "fit failed: worse than predicting the mean"),
        (Fidelity("r2", -0.44, -0.44, -0.44, n=6, split="leave-one-out"), "fit failed: worse than predicting the mean"),
        (undefined_fidelity(100), "fit failed: undefined on some held-out cases"),
        (
            Fidelity("r2", 0.156, -3.35, 0.73, n=6, split="leave-one-out"),
            "uncertain: its interval reaches below 0 (no better than the mean)",
        ),
        (Fidelity("r2", 0.0, None, None, n=1, split="in-sample"), ""),
        (Fidelity("r2", 0.97, 0.96, 0.98, n=500), ""),
        (Fidelity.exact("r2", n=10), ""),
        (Fidelity("agreement", 0.4, 0.3, 0.5, n=100), ""),  # only R² has a mean to be worse than
        (None, ""),
    ],
)
def test_fit_warning(fidelity, warning):
    assert fit_warning(fidelity) == warning


def test_axis_helpers():
    assert _whole_numbers(5, 6) == [5, 6] and _whole_numbers(1, 30) == [5, 10, 15, 20, 25, 30]
    assert all(isinstance(v, int) for v in _whole_numbers(1, 100))
    assert _decades([3.5e9, 6.4e4]) == [1e4, 1e6, 1e8, 1e10]  # at most 6, the largest kept
    decades = _decades([37.0, 7e-5])
    assert decades == [1e-4, 1e-2, 1.0, 1e2] and len(_decades([1e-12, 1e3])) <= 6


@pytest.fixture(scope="module")
def finding():
    spec = glassbox.InputSpec(names=["x"], low=-3, high=3, units=["m"])
    teacher = glassbox.Teacher(lambda X: 2.5 * X[:, 0] ** 2 + np.cos(X[:, 0]), spec, name="quadratic_cosine")
    return glassbox.distill(teacher, time_limit=4, live=False)


def test_the_view_names_what_the_numbers_measure(finding):
    data = finding.view_data()
    assert data["loss_name"] == "validation MSE" and data["score_name"] == "held-out R²"
    assert data["confidence"] == 0.95 and data["teacher_label"] == "teacher"
    for row, eq in zip(data["equations"], finding.pareto_front):
        assert row["r2_note"] == fit_warning(eq.fidelity)
        assert (row["r2"] < 0) == row["r2_note"].startswith("fit failed")
    svg = finding.to_svg()
    assert "validation MSE (log scale)" in svg and ">teacher<" in svg and ">selected equation<" in svg
    assert "5.0<" not in svg and "100,000" not in svg
