"""Train the ``loan_approval`` demo: an MLP classifier that learnt a crisp, known loan-approval rule.

    approve  IF  credit_score > 650  AND  debt_ratio <= 40  AND  (income > 45  OR  years_employed > 5)
    deny     otherwise

Five features, uniform on the box: income [k€/yr] in [10, 150], debt_ratio [%] in [0, 80],
credit_score [points] in [300, 850], years_employed [yr] in [0, 30], loan_amount [k€] in [1, 500].
``loan_amount`` is a distractor: the rule ignores it. The network is a
:class:`~glassbox_jupyter.demos.architectures.ScaledMLP` (inputs standardised over the box, outputs
left as two logits, ``deny`` then ``approve``), trained with cross-entropy (label smoothing 0.01)
on 24,000 uniform samples; its argmax agrees with the rule on about 99.8 % of fresh uniform inputs,
and a small decision tree distilled from it recovers the thresholds 650, 40, 45 and 5.

Seeded and CPU-deterministic. Run ``python -m glassbox_jupyter.demos.training.loan_approval``
to rewrite ``glassbox_jupyter/demos/models/loan_approval.{safetensors,json}``.
"""

from __future__ import annotations

import numpy as np

from glassbox_jupyter.demos.architectures import ScaledMLP
from glassbox_jupyter.demos.training.common import (
    box_standardisation,
    command_line,
    fit,
    predict,
    sample_box,
    seed_everything,
)

NAME = "loan_approval"
HIDDEN = [24, 24]
SEED = 0
STEPS = 1500
LABEL_SMOOTHING = 0.01  # keeps the logits near ±2.7 away from the boundary instead of ±200
NAMES = ["income", "debt_ratio", "credit_score", "years_employed", "loan_amount"]
UNITS = ["k€/yr", "%", "points", "yr", "k€"]
LOW = [10.0, 0.0, 300.0, 0.0, 1.0]
HIGH = [150.0, 80.0, 850.0, 30.0, 500.0]
CLASSES = ["deny", "approve"]
#: The true thresholds of the rule, by feature.
THRESHOLDS = {"credit_score": 650.0, "debt_ratio": 40.0, "income": 45.0, "years_employed": 5.0}

_INPUT_SHIFT, _INPUT_SCALE = box_standardisation(LOW, HIGH)
ARCHITECTURE_KWARGS = {
    "n_inputs": 5,
    "hidden": HIDDEN,
    "n_outputs": 2,
    "activation": "silu",
    "input_shift": [float(f"{v:.6g}") for v in _INPUT_SHIFT],
    "input_scale": [float(f"{v:.6g}") for v in _INPUT_SCALE],
    "output_shift": [0.0, 0.0],
    "output_scale": [1.0, 1.0],
}


def approve(X: np.ndarray) -> np.ndarray:
    """The true rule: a boolean per row of ``X`` (columns in the order of ``NAMES``)."""
    income, debt_ratio, credit_score, years_employed = X[:, 0], X[:, 1], X[:, 2], X[:, 3]
    return (credit_score > 650) & (debt_ratio <= 40) & ((income > 45) | (years_employed > 5))


def train(steps: int = STEPS, n_train: int = 24_000, seed: int = SEED) -> tuple[ScaledMLP, dict]:
    """Fit the classifier; returns it with its agreement with the rule on 100,000 fresh uniform inputs."""
    seed_everything(seed)
    X = sample_box(np.random.default_rng(seed), LOW, HIGH, n_train)
    model = ScaledMLP(**ARCHITECTURE_KWARGS)
    labels = approve(X).astype(np.int64)
    loss = fit(model, X, labels, steps=steps, lr=2e-2, loss="cross_entropy", label_smoothing=LABEL_SMOOTHING)
    fresh = sample_box(np.random.default_rng(seed + 1), LOW, HIGH, 100_000)
    agreement = np.mean(predict(model, fresh).argmax(axis=1) == approve(fresh))
    return model, {
        "held_out_agreement_with_rule": round(float(agreement), 5),
        "train_cross_entropy_smoothed": float(f"{loss:.4g}"),
        "approve_rate": round(float(np.mean(approve(fresh))), 4),
    }


def card(metrics: dict) -> dict:
    return {
        "name": NAME,
        "description": "Binary classifier, Scaled MLP (5→24→24→2 logits, SiLU, standardised inputs), trained on a "
        "known loan-approval rule over income, debt ratio, credit score, years employed and loan amount "
        "(a distractor the rule ignores)",
        "task": "classification",
        "architecture": "glassbox_jupyter.demos.architectures:ScaledMLP",
        "architecture_kwargs": ARCHITECTURE_KWARGS,
        "spec": {"names": NAMES, "low": LOW, "high": HIGH, "units": UNITS},
        "output_names": CLASSES,
        "classes": CLASSES,
        "ground_truth": "(credit_score > 650) & (debt_ratio <= 40) & ((income > 45) | (years_employed > 5))",
        "ground_truth_rules": "approve IF credit_score > 650 AND debt_ratio <= 40 AND "
        "(income > 45 OR years_employed > 5); otherwise deny. loan_amount does not matter.",
        "train_script": f"glassbox_jupyter/demos/training/{NAME}.py",
        "seed": SEED,
        "metrics": metrics,
    }


def main() -> None:
    command_line(NAME, __doc__, train, card, STEPS)


if __name__ == "__main__":
    main()
