import math

import numpy as np
import pytest

import glassbox
from glassbox_jupyter.demos.training import friedman_mlp


def test_list_describes_each_demo():
    demos = glassbox.demos.list()
    entry = next(d for d in demos if d["name"] == "friedman_mlp")
    assert entry["inputs"] == ["x1", "x2", "x3", "x4", "x5"] and entry["task"] == "regression"
    assert entry["train_script"].endswith("friedman_mlp.py")


def test_unknown_demo_lists_the_available_ones():
    with pytest.raises(KeyError, match="friedman_mlp"):
        glassbox.demos.load("mnist_giant")


def test_shipped_weights_are_small():
    assert glassbox.demos.model_path("friedman_mlp").stat().st_size < 5 * 2**20


def test_demo_teacher_matches_the_function_it_learnt(friedman):
    probes = glassbox.Probe(friedman, n=2000, seed=9).run()
    truth = friedman_mlp.friedman1(probes.X)
    residual = np.sum((truth - probes.y[:, 0]) ** 2)
    assert 1 - residual / np.sum((truth - truth.mean()) ** 2) > 0.99


@pytest.mark.slow
def test_training_script_reproduces_the_shipped_model(friedman):
    """The seeded script trains the same network again (checked on outputs, not bits)."""
    model, metrics = friedman_mlp.train()
    retrained = glassbox.Teacher(model, friedman.spec)
    X = glassbox.Probe(friedman, n=1000, seed=3).run().X
    shipped, again = friedman.predict(X), retrained.predict(X)
    r2 = 1 - np.sum((shipped - again) ** 2) / np.sum((shipped - shipped.mean()) ** 2)
    assert r2 > 0.999
    card = glassbox.demos.card("friedman_mlp")
    assert math.isclose(metrics["held_out_r2_vs_truth"], card["metrics"]["held_out_r2_vs_truth"], abs_tol=2e-3)
