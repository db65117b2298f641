"""Math mode end to end on small teachers (short time limits; the benchmark runs the long ones)."""

import warnings

import numpy as np
import pytest
import sympy

import glassbox
from glassbox import InputSpec, ShapeMismatchError, Teacher
from glassbox_jupyter.testing import check_finding


def kinetic_teacher():
    spec = InputSpec(names=["x"], low=-3, high=3)
    return Teacher(lambda X: 0.5 * X[:, 0] ** 2, spec, name="half square")


@pytest.fixture(scope="module")
def half_square():
    return glassbox.distill(kinetic_teacher(), time_limit=6, seed=0, live=False)


def test_recovers_half_x_squared_exactly(half_square):
    x = sympy.Symbol("x", real=True)
    assert sympy.simplify(half_square.best.sympy - x**2 / 2) == 0
    assert half_square.selected is half_square.best
    assert half_square.fidelity.value > 0.9999


def test_front_is_ordered_and_every_member_measured(half_square):
    sizes = [eq.complexity for eq in half_square.pareto_front]
    losses = [eq.loss for eq in half_square.pareto_front]
    assert sizes == sorted(sizes) and losses == sorted(losses, reverse=True)
    assert all(eq.fidelity is not None and eq.fidelity.n > 0 for eq in half_square.pareto_front)


def test_symbolic_finding_honours_the_contract(half_square):
    check_finding(half_square)


def test_select_changes_selected_and_fidelity(half_square):
    first = half_square.pareto_front[0]
    try:
        half_square.select(0)
        assert half_square.selected is first and half_square.fidelity is first.fidelity
        assert "selected" in half_square.summary()
    finally:
        half_square.select(half_square.best)
    with pytest.raises(IndexError):
        half_square.select(99)


def test_rounds_and_refinement_are_logged(half_square):
    rounds = half_square.log.rounds
    assert len(rounds) >= 2 and rounds[-1]["probes"] > rounds[0]["probes"]  # active interrogation added probes
    assert (half_square.probes.origin == "refine").sum() > 0


def test_sympy_clashing_feature_names_work():
    spec = InputSpec(names=["N", "lambda"], low=[1, 1], high=[3, 3])
    teacher = Teacher(lambda X: X[:, 0] * X[:, 1], spec)
    finding = glassbox.distill(teacher, time_limit=5, live=False)
    n, lam = sympy.Symbol("N", real=True), sympy.Symbol("lambda", real=True)
    assert sympy.simplify(finding.best.sympy - n * lam) == 0
    assert r"\lambda" in finding.best.latex


def test_constant_teacher_says_so_and_returns_the_constant():
    teacher = Teacher(lambda X: np.full(len(X), 4.2), InputSpec(names=["a", "b"], low=0, high=1))
    with pytest.warns(UserWarning, match="constant"):
        finding = glassbox.distill(teacher, time_limit=2, live=False)
    assert len(finding.pareto_front) == 1 and float(finding.best.expr) == pytest.approx(4.2)
    assert finding.fidelity.value == 1.0 and "constant" in finding.notes[0]


@pytest.mark.parametrize("limit", [0, -1, "60"])
def test_time_limit_must_be_positive(limit):
    with pytest.raises(ValueError, match="time_limit"):
        glassbox.distill(kinetic_teacher(), time_limit=limit)


def test_width_mismatch_is_caught_before_searching(small_mlp):
    with pytest.raises(ShapeMismatchError, match=r"\(2,\).*\(3,\)"):
        glassbox.distill(small_mlp, spec=InputSpec(names=["a", "b"], low=0, high=1), time_limit=5)


def test_nan_regions_are_dropped_and_counted():
    spec = InputSpec(names=["x"], low=-1, high=3)
    teacher = Teacher(lambda X: np.sqrt(X[:, 0]) * 2, spec)  # NaN for x < 0

    with pytest.warns(RuntimeWarning, match=r"NaN or inf for \d+ of 2000"):
        finding = glassbox.distill(teacher, time_limit=5, live=False)
    assert finding.provenance.probe["n_dropped"] > 300
    assert finding.fidelity.value > 0.99


def test_classifier_in_math_mode_fits_the_probability_and_says_so():
    spec = InputSpec(names=["a"], low=-4, high=4)
    teacher = Teacher(
        lambda X: np.stack([-X[:, 0], X[:, 0]], axis=1), spec, task="classification", output_names=["no", "yes"]
    )
    with pytest.warns(UserWarning, match=r"classifier.*P\(no\), P\(yes\).*mode='logic'"):
        finding = glassbox.distill(teacher, time_limit=4, live=False)
    assert finding.output_name == "P(yes)"
    X = np.linspace(-4, 4, 9)[:, None]
    np.testing.assert_allclose(finding.predict(X), 1 / (1 + np.exp(-2 * X[:, 0])), atol=0.02)


def test_many_inputs_are_screened_and_finish_in_time():
    names = [f"f{i}" for i in range(50)]
    spec = InputSpec(names=names, low=0, high=1)
    teacher = Teacher(lambda X: 3 * X[:, 7] + X[:, 21] ** 2, spec)
    import time

    start = time.perf_counter()
    finding = glassbox.distill(teacher, time_limit=8, live=False)
    assert time.perf_counter() - start < 30  # bounded, not a hang (the budget is 8 s)
    assert finding.screening.kept == [7, 21] and len(finding.screening.dropped) == 48
    assert "dropped 48 of 50 inputs" in finding.screening.describe(spec.names)
    assert set(finding.best.variables) == {"f7", "f21"}


def test_multi_output_teacher_gives_one_front_per_output():
    spec = InputSpec(names=["u", "v"], low=0, high=2)
    teacher = Teacher(
        lambda X: np.stack([X[:, 0] + X[:, 1], X[:, 0] * X[:, 1]], axis=1), spec, output_names=["total", "product"]
    )
    findings = glassbox.distill(teacher, time_limit=6, live=False)
    assert isinstance(findings, glassbox.SymbolicFindings) and list(findings) == ["total", "product"]
    u, v = sympy.symbols("u v", real=True)
    assert sympy.simplify(findings["total"].best.sympy - (u + v)) == 0
    assert sympy.simplify(findings["product"].best.sympy - u * v) == 0
    assert "<svg" in findings._repr_mimebundle_()["text/html"]


def test_interrupt_keeps_the_front_found_so_far():
    """A KeyboardInterrupt arriving mid-search (here: while the teacher is re-probed) keeps the front."""
    spec = InputSpec(names=["x"], low=-3, high=3)
    calls = {"n": 0}

    def teacher_fn(X):
        calls["n"] += 1
        if calls["n"] == 4:  # spec check, fingerprint, first probe; then the first refine step
            raise KeyboardInterrupt
        return 0.5 * X[:, 0] ** 2

    finding = glassbox.distill(Teacher(teacher_fn, spec), time_limit=20, rounds=4, live=False)
    assert finding.interrupted and len(finding.log.rounds) == 1
    assert finding.pareto_front and finding.fidelity.value > 0.99
    assert "interrupted" in finding.summary()


def test_features_restrict_the_search():
    spec = InputSpec(names=["a", "b", "c"], low=0, high=1)
    teacher = Teacher(lambda X: X[:, 0] + 0.1 * X[:, 2], spec)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        finding = glassbox.distill(teacher, time_limit=4, features="a,b", live=False)
    assert finding.screening.kept == [0, 1] and "c" not in finding.best.variables
    with pytest.raises(KeyError, match="zz"):
        glassbox.distill(teacher, time_limit=4, features=["zz"], live=False)


def test_pysr_engine_is_optional_and_says_how_to_get_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pysr(name, *args, **kwargs):
        if name == "pysr":
            raise ImportError("No module named 'pysr'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pysr)
    with pytest.raises(ImportError, match=r"pip install 'glassbox-jupyter\[pysr\]'.*engine='operon' needs neither"):
        glassbox.distill(kinetic_teacher(), engine="pysr", time_limit=5, live=False)
    with pytest.raises(ValueError, match="engine"):
        glassbox.distill(kinetic_teacher(), engine="eureqa", time_limit=5, live=False)


def test_live_view_is_shown_before_the_first_equation_and_updated(monkeypatch):
    """In a kernel the picker is displayed at once (empty), refreshed each round, then replaced."""
    import IPython.display

    import glassbox_jupyter.finding.display as display

    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj._repr_mimebundle_())

    def fake_display(obj, display_id=False):
        shown.append(obj._repr_mimebundle_())
        return Handle()

    monkeypatch.setattr(display, "in_kernel", lambda: True)
    monkeypatch.setattr(IPython.display, "display", fake_display)
    finding = glassbox.distill(kinetic_teacher(), time_limit=4, rounds=2, patience=None)
    assert "searching" in shown[0]["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in shown[0]
    assert "<svg" in updates[0]["text/html"] and "x**2/2" in updates[0]["text/plain"]
    assert finding.widget()._data["equations"] and not finding.widget()._data["running"]
    # the live output holds the final state, with the JSON for the Annex IV report ...
    assert updates[-1]["application/vnd.glassbox.finding+json"]["kind"] == "symbolic"
    # ... so the cell's own result (``finding`` on its last line) shows nothing more: no raw repr under the widget
    from IPython.core.formatters import DisplayFormatter

    assert DisplayFormatter().format(finding) == ({}, {})
    data, _ = DisplayFormatter().format(finding)  # later displays are full
    assert "<svg" in data["text/html"] and "application/vnd.jupyter.widget-view+json" in data


def test_screening_784_inputs_runs_in_bounded_memory():
    """An MNIST-sized MLP teacher (784 inputs): screening asks in column groups of bounded size, so its peak
    memory stays near one group (the old one-shot stack of 784 copies of 2,000 probes was about 10 GB), the
    grouping does not change the numbers, and distil finds the two pixels the output is built on."""
    import tracemalloc

    import torch

    from glassbox_jupyter.symbolic.screening import SCREENING_VALUES_PER_CALL, permutation_sensitivity

    torch.manual_seed(0)
    width = 784
    net = torch.nn.Sequential(torch.nn.Linear(width, 64), torch.nn.Tanh(), torch.nn.Linear(64, 1)).double()
    with torch.no_grad():  # the output reads pixels 100 and 400 only
        net[0].weight.zero_()
        net[0].weight[0, 100], net[0].weight[1, 400] = 0.5, 0.5
        net[2].weight.zero_()
        net[2].weight[0, 0], net[2].weight[0, 1] = 6.0, 2.0
    spec = InputSpec(names=[f"p{i}" for i in range(width)], low=0, high=1)
    teacher = Teacher(net, spec)
    X = np.random.default_rng(0).random((2000, width))
    tracemalloc.start()
    sensitivity = permutation_sensitivity(teacher, X, 0, seed=1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 6 * SCREENING_VALUES_PER_CALL * 8  # a few group-sized arrays, far below the 10 GB stack
    assert set(np.argsort(sensitivity)[-2:]) == {100, 400} and np.sort(sensitivity)[-3] == 0
    small = permutation_sensitivity(teacher, X[:50, :], 0, seed=1, values_per_call=50 * width * 3)
    whole = permutation_sensitivity(teacher, X[:50, :], 0, seed=1, values_per_call=10**12)
    np.testing.assert_array_equal(small, whole)  # the grouping does not change the numbers
    import time

    start = time.perf_counter()
    finding = glassbox.distill(teacher, time_limit=8, n=2000, live=False)
    assert time.perf_counter() - start < 30  # bounded, not a hang (the budget is 8 s)
    assert finding.screening.kept == [100, 400] and len(finding.screening.dropped) == width - 2
    assert finding.screening.rows == 436  # a seeded sample of the training probes: 2^28 / 784² rows
    assert set(finding.best.variables) <= {"p100", "p400"}
