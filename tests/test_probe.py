import warnings

import numpy as np
import pytest

import glassbox
from glassbox import EmptyProbeError, InputSpec, Probe, Teacher
from glassbox_jupyter.probe import METHODS, sample_inputs


@pytest.mark.parametrize("method", ["sobol", "lhs", "uniform", "gaussian"])
def test_samples_stay_in_bounds_and_are_reproducible(spec3, method):
    X = sample_inputs(spec3, 300, method, seed=3)
    assert X.shape == (300, 3)
    assert np.all(X >= np.array(spec3.low)) and np.all(X <= np.array(spec3.high))
    np.testing.assert_array_equal(X, sample_inputs(spec3, 300, method, seed=3))
    assert not np.array_equal(X, sample_inputs(spec3, 300, method, seed=4))


def test_low_discrepancy_designs_cover_the_box_evenly(spec3):
    """Sobol and LHS fill each axis' tenths far more evenly than i.i.d. uniform draws."""

    def worst_gap(X):
        unit = (X - np.array(spec3.low)) / (np.array(spec3.high) - np.array(spec3.low))
        counts = np.stack([np.histogram(unit[:, j], bins=10, range=(0, 1))[0] for j in range(3)])
        return np.abs(counts - len(X) / 10).max()

    assert worst_gap(sample_inputs(spec3, 1000, "lhs")) == 0
    assert worst_gap(sample_inputs(spec3, 1024, "sobol")) <= 3


def test_data_method_resamples_real_rows_with_jitter():
    rows = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 30.0]])
    spec = InputSpec.from_data(rows, names=["p", "q"])
    X = sample_inputs(spec, 500, "data", seed=0, jitter=0.01)
    nearest = np.abs(X[:, None, :] - rows[None, :, :]).sum(axis=2).min(axis=1)
    assert nearest.max() < 1.0 and nearest.min() > 0  # near real rows, never exact copies


def test_data_method_without_data_is_a_clear_error(spec3):
    with pytest.raises(ValueError, match="from_data"):
        sample_inputs(spec3, 10, "data")


def test_unknown_method(spec3):
    with pytest.raises(ValueError, match="sobol"):
        sample_inputs(spec3, 10, "grid")
    assert set(METHODS) == {"sobol", "lhs", "uniform", "gaussian", "data"}


@pytest.mark.parametrize("n", [0, -5])
def test_empty_probe_set_is_refused(friedman, n):
    with pytest.raises(EmptyProbeError, match="n >= 1"):
        Probe(friedman, n=n).run()


def test_run_queries_the_teacher(friedman):
    probes = Probe(friedman, n=128, method="lhs", seed=2).run()
    assert probes.X.shape == (128, 5) and probes.y.shape == (128, 1)
    np.testing.assert_allclose(probes.y, friedman(probes.X))
    assert probes.settings["rows_by_origin"] == {"lhs": 128}


def test_teacher_without_spec_needs_one(small_mlp):
    with pytest.raises(ValueError, match="InputSpec"):
        Probe(Teacher(small_mlp))


def test_nan_and_inf_rows_are_dropped_with_a_counted_warning():
    spec = InputSpec(names=["a"], low=-1, high=1)
    teacher = Teacher(lambda X: np.where(X[:, 0] > 0, 1 / X[:, 0], np.where(X[:, 0] < -0.5, np.inf, np.nan)), spec)
    with pytest.warns(RuntimeWarning, match=r"NaN or inf for \d+ of 200") as caught:
        probes = Probe(teacher, n=200).run()
    message = next(str(w.message) for w in caught if "NaN or inf" in str(w.message))
    count = int(message.split("for ")[1].split(" of")[0])
    assert probes.n_dropped == count and len(probes) == 200 - count
    assert 80 < count < 120 and np.all(np.isfinite(probes.y)) and np.all(probes.X > 0)


def test_all_rows_non_finite_is_an_empty_probe_error():
    spec = InputSpec(names=["a"], low=0, high=1)
    teacher = Teacher(lambda X: np.full(len(X), np.nan), spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(EmptyProbeError, match="all 50"):
            Probe(teacher, n=50).run()


def test_refine_adds_points_where_the_student_is_wrong(friedman, friedman_probes):
    def student(X):  # exact except where x1 > 0.8
        out = friedman.predict(X)
        return np.where(X[:, 0] > 0.8, out + 5.0, out)

    probe = Probe(friedman, n=600, method="sobol", seed=0)
    refined = probe.refine(friedman_probes, student, n=50)
    new = refined.X[refined.origin == "refine"]
    assert len(refined) == len(friedman_probes) + 50 and len(new) == 50
    assert np.all(new[:, 0] > 0.8)
    np.testing.assert_allclose(refined.y[refined.origin == "refine"], friedman(new))


def test_refine_accepts_an_object_with_predict(friedman, friedman_probes):
    class Constant:
        def predict(self, X):
            return np.full(len(X), 14.0)

    refined = Probe(friedman, n=600).refine(friedman_probes, Constant(), n=10)
    assert (refined.origin == "refine").sum() == 10


def test_split_is_disjoint_and_complete(friedman_probes):
    train, test = friedman_probes.split(0.25, seed=1)
    assert len(train) + len(test) == len(friedman_probes)
    rows = {tuple(r) for r in train.X} & {tuple(r) for r in test.X}
    assert not rows


def test_probeset_displays_and_exports(friedman_probes):
    html = friedman_probes._repr_html_()
    assert "600 probes" in html and "friedman_mlp" in html
    frame = friedman_probes.to_frame()
    assert list(frame.columns) == ["x1", "x2", "x3", "x4", "x5", "y", "origin"]


def test_progress_bar_path_gives_the_same_answer(friedman):
    quiet = Probe(friedman, n=300, seed=5).run()
    small_batches = glassbox.Teacher.load(
        glassbox.demos.model_path("friedman_mlp"),
        glassbox.demos.card("friedman_mlp")["architecture"],
        architecture_kwargs=glassbox.demos.card("friedman_mlp")["architecture_kwargs"],
        spec=friedman.spec,
        batch_size=64,
    )
    loud = Probe(small_batches, n=300, seed=5, progress=True).run()
    np.testing.assert_allclose(quiet.y, loud.y, rtol=1e-6)
