import numpy as np
import pytest

from glassbox import EmptyProbeError, Fidelity
from glassbox_jupyter.finding.fidelity import agreement_fidelity, r2_fidelity


def test_perfect_student_scores_one():
    truth = np.random.default_rng(0).normal(size=300)
    fid = r2_fidelity(truth, truth)
    assert fid.value == 1.0 and fid.ci == (1.0, 1.0) and fid.n == 300


def test_r2_matches_the_textbook_formula_and_ci_brackets_it():
    rng = np.random.default_rng(1)
    truth = rng.normal(size=400)
    guess = truth + rng.normal(scale=0.5, size=400)
    expected = 1 - np.sum((truth - guess) ** 2) / np.sum((truth - truth.mean()) ** 2)
    fid = r2_fidelity(truth, guess, seed=3)
    assert fid.value == pytest.approx(expected)
    assert fid.ci_low < fid.value < fid.ci_high
    assert 0.02 < fid.ci_high - fid.ci_low < 0.2  # a real interval, not a degenerate one


def test_multi_output_r2_is_the_mean_over_outputs():
    truth = np.stack([np.arange(10.0), np.arange(10.0) ** 2], axis=1)
    guess = truth.copy()
    guess[:, 1] = truth[:, 1].mean()  # second output: R² = 0
    assert r2_fidelity(truth, guess).value == pytest.approx(0.5)


def test_constant_teacher_output_is_a_clear_error():
    with pytest.raises(ValueError, match="constant"):
        r2_fidelity(np.ones(20), np.linspace(0, 1, 20))


def test_too_few_rows():
    with pytest.raises(EmptyProbeError):
        r2_fidelity([1.0], [1.0])


def test_agreement():
    truth = np.array([0, 1, 1, 0] * 25)
    guess = truth.copy()
    guess[:10] = 1 - guess[:10]
    fid = agreement_fidelity(truth, guess)
    assert fid.value == pytest.approx(0.9) and fid.metric == "agreement"
    assert fid.ci_low < 0.9 < fid.ci_high


def test_unknown_metric_is_refused():
    with pytest.raises(ValueError, match="metric"):
        Fidelity("mse", 0.1, 0, 0.2, n=10)


def test_description_is_readable():
    text = Fidelity("r2", 0.9123, 0.9, 0.92, n=500).describe()
    assert text == "R² = 0.912 [0.900, 0.920] (95% CI) on 500 held-out probes"
