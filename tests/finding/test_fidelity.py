import json

import numpy as np
import pytest

from glassbox import EmptyProbeError, Fidelity
from glassbox_jupyter.finding.fidelity import METRICS, agreement_fidelity, r2_fidelity
from glassbox_jupyter.testing import check_fidelity


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


# ---------------------------------------------------------------------- what was measured, on which split
def test_every_split_describes_itself():
    assert Fidelity("r2", 0.9, 0.8, 0.95, n=4, split="leave-one-out", unit="latent sizes").describe() == (
        "R² = 0.900 [0.800, 0.950] (95% CI) on 4 leave-one-out latent sizes"
    )
    assert Fidelity("agreement", 0.95, 0.9, 0.99, n=40, split="test-retest", unit="prompts").describe() == (
        "test–retest agreement = 0.950 [0.900, 0.990] (95% CI) on 40 held-out prompts asked twice"
    )
    assert Fidelity("agreement", 0.75, 0.5, 1.0, n=8, split="in-sample", unit="prompts").describe() == (
        "agreement = 0.750 [0.500, 1.000] (95% CI) on 8 in-sample prompts"
    )
    assert Fidelity("agreement", 0.75, None, None, n=8, split="in-sample").describe() == (
        "agreement = 0.750 on 8 in-sample probes (no confidence interval: none was measured)"
    )
    assert Fidelity("r2", 0.9, 0.8, 0.95, n=200, confidence=0.9).describe().endswith("(90% CI) on 200 held-out probes")
    assert str(Fidelity("r2", 0.9123, 0.9, 0.92, n=500)) == "R² = 0.912 [0.900, 0.920] (95% CI) on 500 held-out probes"


def test_a_single_in_sample_case_has_no_interval_and_says_so():
    fid = Fidelity.single("agreement", 1.0, unit="prompts", measures="circuit-only against full model")
    assert (fid.split, fid.n, fid.ci, fid.ci_low, fid.ci_high, fid.n_boot) == ("in-sample", 1, None, None, None, None)
    assert fid.describe() == (
        "agreement = 1.000 on 1 in-sample prompt (no confidence interval: one prompt cannot give one)"
    )
    assert fid.measures == "circuit-only against full model"
    assert Fidelity.single("r2", np.float64(0.5)).value == 0.5 and type(Fidelity.single("r2", 0.5).value) is float
    check_fidelity(fid)


def test_an_exact_identity_needs_no_interval():
    fid = Fidelity.exact("r2", n=np.int64(75), unit="rows", measures="the constant against the dead latent z2")
    assert (fid.value, fid.ci, fid.split, fid.n, fid.n_boot) == (1.0, None, "exact", 75, None)
    assert type(fid.n) is int
    assert fid.describe() == "R² = 1.000 exactly on all 75 rows (no interval needed)"
    check_fidelity(fid)


def test_measures_defaults_to_the_metric_and_no_interval_means_no_resamples():
    fid = Fidelity("r2", 0.5, None, None, n=1, split="in-sample")  # n_boot left at its default
    assert fid.n_boot is None and fid.measures == METRICS["r2"]
    assert Fidelity("agreement", 0.5, 0.4, 0.6, n=10).measures == METRICS["agreement"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"split": "cross-validated"}, "unknown fidelity split 'cross-validated'; known:"),
        ({"ci_high": None}, "give both ends of the confidence interval, or neither"),
        ({"metric": "mse"}, "unknown fidelity metric 'mse'"),
        ({"interval": "jackknife"}, "unknown interval method 'jackknife'"),
    ],
)
def test_a_fidelity_that_cannot_be_read_is_refused(arguments, message):
    values = {"metric": "r2", "value": 0.9, "ci_low": 0.8, "ci_high": 0.95, "n": 10, **arguments}
    with pytest.raises(ValueError, match=message):
        Fidelity(**values)


def test_relabel_keeps_the_numbers_and_changes_the_labels():
    fid = r2_fidelity(np.arange(20.0), np.arange(20.0) + np.sin(np.arange(20.0)), seed=1)
    loo = fid.relabel(split="leave-one-out", unit="latent sizes", measures="held-out error against the law")
    assert (loo.value, loo.ci, loo.n, loo.n_boot) == (fid.value, fid.ci, fid.n, fid.n_boot)
    assert (loo.split, loo.unit, loo.measures) == ("leave-one-out", "latent sizes", "held-out error against the law")
    assert fid.split == "held-out" and loo is not fid  # frozen: a new Fidelity
    with pytest.raises(ValueError, match="unknown fidelity split"):
        fid.relabel(split="sideways")


def test_from_dict_reads_to_dict_and_an_older_json():
    fid = agreement_fidelity([0, 1, 1, 0] * 10, [0, 1, 1, 1] * 10, split="test-retest", unit="prompts", seed=2)
    assert Fidelity.from_dict(fid.to_dict()) == fid
    assert Fidelity.from_dict(json.loads(json.dumps(fid.to_dict()))) == fid
    # a Finding's JSON from before splits and units were recorded: the missing fields take their defaults
    old = {"metric": "r2", "value": 0.9, "ci_low": 0.85, "ci_high": 0.93, "n": 200, "confidence": 0.95, "n_boot": 1000}
    restored = Fidelity.from_dict({**old, "something_new": True})
    assert (restored.split, restored.unit, restored.measures) == ("held-out", "probes", METRICS["r2"])
    assert restored.interval == "bootstrap" and restored.n_boot == 1000
    single = Fidelity.single("agreement", 1.0, unit="prompts")
    assert Fidelity.from_dict(single.to_dict()) == single and single.to_dict()["ci_low"] is None


def test_view_is_what_a_widget_shows():
    fid = Fidelity("r2", 0.9123, 0.9, 0.92, n=500)
    assert fid.view() == {
        "metric": "r2",
        "value": 0.9123,
        "ci": [0.9, 0.92],
        "n": 500,
        "split": "held-out",
        "text": "R² = 0.912 [0.900, 0.920] (95% CI) on 500 held-out probes",
    }
    single = Fidelity.single("agreement", 0.0, unit="prompts").view()
    assert single["ci"] is None and single["split"] == "in-sample" and "no confidence interval" in single["text"]
    json.dumps(single, allow_nan=False)


def test_the_measuring_functions_record_split_unit_and_what_was_compared():
    truth = np.linspace(0, 1, 50)
    fid = r2_fidelity(truth, truth**1.1, split="leave-one-out", unit="latent sizes", measures="errors against a law")
    assert (fid.split, fid.unit, fid.measures, fid.n, fid.n_boot) == (
        "leave-one-out",
        "latent sizes",
        "errors against a law",
        50,
        1000,
    )
    check_fidelity(fid)
    labels = agreement_fidelity([1, 0] * 20, [1, 0] * 19 + [1, 1], split="test-retest", unit="prompts", n_boot=200)
    assert (labels.split, labels.unit, labels.n_boot, labels.interval) == ("test-retest", "prompts", 200, "bootstrap")
    assert labels.value == pytest.approx(39 / 40) and labels.ci_low < labels.value <= labels.ci_high
    check_fidelity(labels)


@pytest.mark.parametrize("agreeing", [0, 7])
def test_an_agreement_of_all_or_nothing_gets_the_exact_binomial_interval(agreeing):
    """Every bootstrap resample of 7/7 agreeing is 7/7: a percentile interval would be the point [1, 1]."""
    from scipy.stats import binomtest

    truth = np.ones(7)
    fid = agreement_fidelity(truth, truth if agreeing else 1 - truth, unit="prompts")
    exact = binomtest(agreeing, 7).proportion_ci(confidence_level=0.95, method="exact")
    assert fid.ci == pytest.approx((exact.low, exact.high)) and fid.ci[0] < fid.ci[1]
    assert (fid.interval, fid.n_boot, fid.value) == ("exact binomial", None, agreeing / 7)
    if agreeing:
        assert fid.describe() == "agreement = 1.000 [0.590, 1.000] (95% CI, exact binomial) on 7 held-out prompts"
    check_fidelity(fid)


# ---------------------------------------------------------------------- the contract's fidelity rules
def test_check_fidelity_accepts_a_single_in_sample_case_without_an_interval():
    check_fidelity(Fidelity("agreement", 1.0, None, None, n=1, split="in-sample", unit="prompts"))


@pytest.mark.parametrize(
    ("fid", "message"),
    [
        (Fidelity("r2", 0.9, None, None, n=200), "a held-out fidelity over 200 cases must carry a measured CI"),
        (Fidelity("r2", 0.9, None, None, n=4, split="leave-one-out"), "a leave-one-out fidelity over 4 cases"),
        (Fidelity("agreement", 0.8, None, None, n=5, split="in-sample"), "only a single in-sample case has none"),
        (Fidelity("agreement", 1.0, 1.0, 1.0, n=1, split="in-sample"), "a CI from 1 case(s) is not a measured"),
        (Fidelity("agreement", 1.0, 1.0, 1.0, n=1), "a CI from 1 case(s) is not a measured interval"),
        (Fidelity("r2", 0.9, 0.8, 0.95, n=50, n_boot=None), "a bootstrap CI needs the number of resamples"),
        (Fidelity("r2", 0.9, 0.95, 0.8, n=50), "fidelity CI is inverted"),
        (Fidelity("r2", 0.9, float("nan"), 0.95, n=50), "fidelity CI is not finite"),
        (Fidelity("r2", float("nan"), None, None, n=0, split="in-sample"), "fidelity value is not finite"),
        (Fidelity("r2", 0.9, None, None, n=10, split="exact"), "an exact identity must say so"),
        (Fidelity("agreement", 1.5, 1.2, 1.7, n=20), "an agreement of 1.5 is not a share"),
        (Fidelity("r2", 0.9, 0.8, 0.95, n=50, measures="  "), "the fidelity must say what it measures"),
    ],
)
def test_check_fidelity_refuses_a_number_that_does_not_say_what_it_is(fid, message):
    with pytest.raises(AssertionError) as refused:
        check_fidelity(fid)
    assert message in str(refused.value)


def test_a_bca_interval_corrects_the_bias_of_resampled_r2_over_a_few_cases():
    # a law's leave-one-out predictions of six errors: resampled R² sits below the estimate, so the
    # percentile interval ends near it; BCa moves the interval back around it and says how it was measured
    truth = np.array([0.4322, 0.382, 0.3365, 0.2915, 0.1865, 0.1387])
    guess = np.array([0.4644, 0.3782, 0.3206, 0.2719, 0.2076, 0.1507])
    percentile = r2_fidelity(truth, guess, split="leave-one-out", unit="latent sizes")
    bca = r2_fidelity(truth, guess, split="leave-one-out", unit="latent sizes", method="BCa")
    assert bca.value == percentile.value and percentile.interval == "bootstrap"
    assert percentile.ci_high - percentile.value < 0.05 < percentile.value - percentile.ci_low
    assert bca.ci_low < bca.value < bca.ci_high and bca.ci_low > percentile.ci_low
    assert (bca.interval, bca.n_boot) == ("BCa bootstrap", 1000)
    assert "(95% CI, BCa bootstrap) on 6 leave-one-out latent sizes" in bca.describe()
    assert Fidelity.from_dict(bca.to_dict()) == bca
    check_fidelity(bca)
