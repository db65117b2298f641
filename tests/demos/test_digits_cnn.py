"""The ``digits_cnn`` demo: a Conv → Conv → Dense → Dense classifier of 8×8 digits, for readable twins."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import glassbox
from glassbox_jupyter.demos.architectures import DigitsCNN
from glassbox_jupyter.demos.digits import PIXEL_NAMES, UnknownSplitError, held_out_mask, load_digits_split
from glassbox_jupyter.demos.training import digits_cnn as training
from glassbox_jupyter.errors import GlassboxError


@pytest.fixture(scope="module")
def teacher() -> glassbox.Teacher:
    return glassbox.demos.load("digits_cnn")


@pytest.fixture(scope="module")
def held_out() -> tuple[np.ndarray, np.ndarray]:
    return load_digits_split("test")


def test_loads_as_a_ten_class_teacher_around_the_cnn(teacher):
    card = glassbox.demos.card("digits_cnn")
    assert teacher.task == card["task"] == "classification"
    assert list(teacher.output_names) == card["classes"] == [str(d) for d in range(10)]
    assert isinstance(teacher.model, DigitsCNN)
    assert teacher.spec.shape == (1, 8, 8) and list(teacher.spec.names) == PIXEL_NAMES
    assert teacher.spec.names[9] == "px_1_1" and set(teacher.spec.low) == {0.0} and set(teacher.spec.high) == {1.0}
    entry = next(d for d in glassbox.demos.list() if d["name"] == "digits_cnn")
    assert entry["kind"] == "teacher" and entry["outputs"] == card["output_names"]
    assert glassbox.demos.model_path("digits_cnn").stat().st_size < 5 * 2**20


def test_held_out_accuracy_is_the_cards(teacher, held_out):
    X, y = held_out
    accuracy = float(np.mean(teacher(X).argmax(axis=1) == y))
    card = glassbox.demos.card("digits_cnn")
    assert accuracy == pytest.approx(card["metrics"]["held_out_accuracy"], abs=1e-6)
    assert accuracy >= 0.95
    assert card["metrics"]["n_test"] == len(y) == 450
    assert card["data"]["split_seed"] == 0 and card["data"]["loader"].endswith(":load_digits_split")


def test_teacher_returns_class_probabilities_for_images_or_flat_rows(teacher, held_out):
    X = held_out[0][:50]
    probabilities = teacher(X)
    assert probabilities.shape == (50, 10)
    assert np.all(probabilities >= 0) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(teacher(X.reshape(50, -1)), probabilities)
    with torch.no_grad():
        logits = teacher.model.logits(torch.from_numpy(X))
    np.testing.assert_allclose(probabilities, torch.softmax(logits, dim=1).numpy(), atol=1e-6)


def test_named_stages_output_post_relu_activations(teacher, held_out):
    modules = dict(teacher.model.named_modules())
    assert {"conv1", "conv2", "fc1", "fc2"} <= set(modules)
    seen: dict[str, torch.Tensor] = {}
    hooks = [
        modules[name].register_forward_hook(lambda _m, _i, out, name=name: seen.__setitem__(name, out))
        for name in ("conv1", "conv2", "fc1", "fc2")
    ]
    try:
        with torch.no_grad():
            out = teacher.model(torch.from_numpy(held_out[0][:20]))
    finally:
        for hook in hooks:
            hook.remove()
    assert seen["conv1"].shape == seen["conv2"].shape == (20, 4, 8, 8) and seen["fc1"].shape == (20, 64)
    for name in ("conv1", "conv2", "fc1"):  # post-ReLU: never negative, and not all zero
        assert seen[name].min() >= 0 and seen[name].max() > 0, name
    assert seen["fc2"].min() < 0  # fc2 gives the logits, before the softmax
    torch.testing.assert_close(out, torch.softmax(seen["fc2"], dim=1))


def test_split_is_seeded_stratified_and_disjoint():
    X_all, y_all = load_digits_split("all")
    X_train, y_train = load_digits_split("train")
    X_test, y_test = load_digits_split("test")
    assert X_all.shape == (1797, 1, 8, 8) and X_all.dtype == np.float32 and y_all.dtype == np.int64
    assert X_all.min() == 0 and X_all.max() == 1
    assert len(y_train) + len(y_test) == len(y_all) and len(y_test) == 450
    mask = held_out_mask(y_all)
    np.testing.assert_array_equal(X_test, X_all[mask])
    np.testing.assert_array_equal(X_train, X_all[~mask])
    np.testing.assert_array_equal(load_digits_split("test")[1], y_test)  # same split every call
    share = np.bincount(y_test, minlength=10) / np.bincount(y_all, minlength=10)
    assert np.all(np.abs(share - 0.25) < 0.01)  # every digit held out at a quarter
    assert not np.array_equal(held_out_mask(y_all, seed=1), mask)


def test_unknown_split_is_a_clear_error():
    with pytest.raises(UnknownSplitError, match="'train', 'test', 'all'.*'validation'") as info:
        load_digits_split("validation")
    assert isinstance(info.value, GlassboxError) and isinstance(info.value, ValueError)


def test_digits_cnn_rejects_non_positive_sizes():
    with pytest.raises(ValueError, match="must be positive"):
        DigitsCNN(channels=0)
    assert DigitsCNN(channels=2, hidden=8, side=6)(torch.zeros(3, 1, 6, 6)).shape == (3, 10)


@pytest.mark.slow
def test_training_script_reproduces_the_shipped_model(teacher, held_out):
    """The seeded script trains the same network again (checked on predictions and the card's metrics)."""
    model, metrics = training.train()
    X, _ = held_out
    shipped, again = teacher(X), glassbox.Teacher(model, teacher.spec)(X)
    assert np.mean(shipped.argmax(axis=1) == again.argmax(axis=1)) >= 0.995
    assert np.abs(shipped - again).max() < 0.05
    card = glassbox.demos.card("digits_cnn")
    assert math.isclose(metrics["held_out_accuracy"], card["metrics"]["held_out_accuracy"], abs_tol=5e-3)
    assert training.card(metrics) == card | {"metrics": metrics}
