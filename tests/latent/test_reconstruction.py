"""reconstruction_law: autoencoders per latent size, the error law, builders, bad input, repeatability."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from glassbox_jupyter.errors import LatentInputError
from glassbox_jupyter.latent import ReconstructionLawFinding, mlp_autoencoder, reconstruction_law
from glassbox_jupyter.testing import check_finding

SIZES = [1, 2, 3, 4]


def three_factor_data(n: int = 400) -> np.ndarray:
    """Eight features driven by three hidden factors (plus a little noise): error stops falling at k = 3."""
    rng = np.random.default_rng(0)
    factors = rng.normal(size=(n, 3))
    return factors @ rng.normal(size=(3, 8)) + 0.05 * rng.normal(size=(n, 8))


def linear_pair(n_features: int, k: int) -> tuple[nn.Module, nn.Module]:
    """A builder returning (encoder, decoder)."""
    return nn.Linear(n_features, k), nn.Linear(k, n_features)


def no_decoder(n_features: int, k: int) -> nn.Module:
    return nn.Linear(n_features, k)


def wrong_width(n_features: int, k: int) -> tuple[nn.Module, nn.Module]:
    return nn.Linear(n_features, k + 1), nn.Linear(k + 1, n_features)


@pytest.fixture(scope="module")
def law() -> ReconstructionLawFinding:
    return reconstruction_law(three_factor_data(), SIZES, builder=linear_pair, epochs=60)


def test_errors_fall_until_the_true_dimension(law: ReconstructionLawFinding) -> None:
    errors = law.errors["held_out_mse"]
    assert list(law.errors.index) == SIZES
    assert errors[1] > errors[2] > errors[3]
    assert errors[3] < 0.05 and abs(errors[4] - errors[3]) < 0.02  # three factors explain it all
    fid = law.fidelity  # each form is scored on the size its fit left out
    assert fid.split == "leave-one-out" and fid.unit == "latent sizes" and fid.n == len(SIZES)
    assert np.isfinite(fid.value) and fid.ci is not None and "leave-one-out" in fid.describe()
    assert "latent size" in fid.measures
    assert law.forms["selected"].sum() == 1
    assert law.equation.variables == ["k"]
    assert law.predict([3])[0] == pytest.approx(law.equation.predict(np.array([[3.0]]))[0])


def test_models_are_rebuilt_from_the_weights(law: ReconstructionLawFinding) -> None:
    encoder, decoder = law.models[2]
    X = (three_factor_data() - law.mean) / law.scale
    with torch.no_grad():
        error = float(
            torch.nn.functional.mse_loss(
                decoder(encoder(torch.tensor(X, dtype=torch.float32))), torch.tensor(X, dtype=torch.float32)
            )
        )
    assert error == pytest.approx(law.errors.loc[2, "train_mse"], rel=0.2)


def test_the_finding_contract(law: ReconstructionLawFinding) -> None:
    other = (law.law._selected_index + 1) % len(law.law.pareto_front)
    check_finding(law, selection=other)
    assert law.law._selected_index == other
    assert law.forms.index[law.forms["selected"]].tolist() == [law._form_of(law.equation)]
    assert "leave-one-out" in law.evidence()[1].body


def test_the_picker_selects_a_fitted_form(law: ReconstructionLawFinding) -> None:
    picker, other_view = law.widget(), law.widget()
    try:
        first = law.selection
        other = (first + 1) % len(law.law.pareto_front)
        reply = picker.request_selection(other)  # what a click on another form asks for
        assert reply == {"id": picker._request["id"], "error": None}
        assert law.selection == law.law.selection == other and law.equation is law.law.pareto_front[other]
        assert picker.selected is law.equation and other_view._selection["value"] == other
        size = len(law.law.pareto_front)
        refused = picker.request_selection(size)
        assert refused["error"] == f"no equation with id {size}: the front has {size} (ids 0–{size - 1})"
        assert law.selection == other
        law.law.select(first)  # a pick on the law itself reaches the reconstruction's views
        assert picker._selection["value"] == other_view._selection["value"] == first
        assert law.forms.index[law.forms["selected"]].tolist() == [law._form_of(law.equation)]
    finally:
        picker.close()
        other_view.close()


def test_default_builder_and_repeatability() -> None:
    X = three_factor_data(200)
    first = reconstruction_law(X, [1, 2, 4], epochs=15)
    again = reconstruction_law(X, [1, 2, 4], epochs=15)
    on_workers = reconstruction_law(X, [1, 2, 4], epochs=15, n_jobs=2)
    assert first.errors.equals(again.errors) and first.errors.equals(on_workers.errors)
    for a, b in zip(first._results, on_workers._results):
        assert all(np.array_equal(a.state[0][key], b.state[0][key]) for key in a.state[0])
    assert type(first.models[1]).__name__ == "MLPAutoencoder"
    assert type(mlp_autoencoder(5, 2, hidden=(4, 3))).__name__ == "MLPAutoencoder"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"latent_sizes": [1, 2]}, "at least 3 latent sizes"),
        ({"latent_sizes": [1, 0, 2]}, "positive integers"),
        ({"latent_sizes": [1, 2, 2, 3]}, "repeats"),
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"builder": no_decoder}, r"must return a torch.nn.Module with encode\(x\) and decode\(z\)"),
        ({"builder": wrong_width}, r"encode gave shape \(2, 2\).*expected \(n, 1\)"),
    ],
)
def test_bad_input(kwargs: dict, message: str) -> None:
    arguments = {"latent_sizes": [1, 2, 3], "epochs": 2, **kwargs}
    with pytest.raises(LatentInputError, match=message):
        reconstruction_law(three_factor_data(100), **arguments)


# held-out errors of the wine notebook's autoencoders (latent sizes 1, 2, 3, 4, 6, 8): the logarithmic law
# fits them worse than the exponential one at the same complexity, and the constant is worse than the mean
WINE_SIZES = [1, 2, 3, 4, 6, 8]
WINE_ERRORS = [0.4322, 0.382, 0.3365, 0.2915, 0.1865, 0.1387]


@pytest.fixture(scope="module")
def wine_law() -> ReconstructionLawFinding:
    from glassbox_jupyter.latent.reconstruction import TrainingResult

    results = [TrainingResult(k, e, e, state=[]) for k, e in zip(WINE_SIZES, WINE_ERRORS)]
    settings = {
        "builder": "measured",
        "latent_sizes": WINE_SIZES,
        "epochs": 150,
        "train_rows": 134,
        "held_out_rows": 44,
    }
    return ReconstructionLawFinding(
        results, mlp_autoencoder, np.zeros((4, 13)), [f"f{i}" for i in range(13)], settings, 0
    )


def test_the_front_lists_only_forms_no_simpler_or_equal_form_beats(wine_law: ReconstructionLawFinding) -> None:
    front = wine_law.law.pareto_front
    for i, eq in enumerate(front):  # simplest first, each better than every simpler one
        assert all(eq.complexity > simpler.complexity and eq.loss < simpler.loss for simpler in front[:i])
    forms = wine_law.forms
    assert not forms.loc["logarithmic", "on_front"]
    dropped = forms[~forms["on_front"]]
    for form, row in dropped.iterrows():  # every form left off is beaten by one on the front
        complexity = wine_law._equations[form].complexity
        assert any(eq.complexity <= complexity and eq.loss <= row["loo_mse"] for eq in front), form
    assert len(front) + len(dropped) == len(forms) == len(wine_law.fits)
    assert wine_law.equation is wine_law._equations[wine_law.fits[0].form]  # the lowest error is selected
    assert "logarithmic" in wine_law.view_data()["caption"]


def test_loo_r2_has_a_bias_corrected_interval_and_a_failed_fit_says_so(wine_law: ReconstructionLawFinding) -> None:
    constant = wine_law._equations["constant"].fidelity
    n = len(WINE_SIZES)
    assert constant.value == pytest.approx(1 - (n / (n - 1)) ** 2)  # a constant's leave-one-out R² is always < 0
    for eq in wine_law._equations.values():
        fid = eq.fidelity
        assert fid.interval == "BCa bootstrap" and "BCa bootstrap" in fid.describe() and fid.n_boot == 1000
        assert fid.ci_low <= fid.value + 1e-9 and fid.value <= fid.ci_high + 1e-9
    best = wine_law.fidelity  # the percentile interval put it at [0.774, 0.984]: resampled R² sits low
    assert 0.9 < best.ci_low < best.value < best.ci_high < 1
    rows = {e["text"]: e for e in wine_law.view_data()["equations"]}
    assert rows["0.2946"]["r2_note"] == "fit failed: worse than predicting the mean"
    assert rows[wine_law.equation.text]["r2_note"] == ""


def test_the_picker_names_what_was_measured(wine_law: ReconstructionLawFinding) -> None:
    data = wine_law.view_data()
    assert data["loss_name"] == "leave-one-out MSE" and data["score_name"] == "leave-one-out R²"
    assert data["teacher_label"] == "measured held-out reconstruction error" and data["teacher_marks"] == "points"
    assert "teacher" not in data["title"] + data["status"]
    overlay = data["overlay"][0]
    measured = {x: y for x, y in zip(overlay["x"], overlay["teacher"]) if y is not None}
    assert measured == dict(zip(map(float, WINE_SIZES), WINE_ERRORS))  # measured sizes only, nothing in between
    assert set(overlay["equations"]) == {str(eq.id) for eq in wine_law.law.pareto_front}
    svg = wine_law.law.to_svg()
    assert "measured held-out reconstruction error" in svg and "leave-one-out MSE (log scale)" in svg
