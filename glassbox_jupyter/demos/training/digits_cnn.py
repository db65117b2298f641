"""Train the ``digits_cnn`` demo: a small CNN (Conv → Conv → Dense → Dense) that reads 8×8 handwritten digits.

The data are scikit-learn's shipped ``load_digits`` images (pixels 0–16 scaled to 0–1, shape
``(1, 8, 8)``), split 75/25 stratified by digit with seed ``SPLIT_SEED`` by
:func:`glassbox_jupyter.demos.digits.load_digits_split` (1,347 training, 450 held-out images).
The network is a :class:`~glassbox_jupyter.demos.architectures.DigitsCNN` with named stages
``conv1``, ``conv2``, ``fc1`` (each post-ReLU) and ``fc2`` (logits); its forward returns class
probabilities. It is fitted on the logits with full-batch Adam (cosine schedule) and cross-entropy
with label smoothing 0.1; the card reports its accuracy on the held-out images.

Seeded and CPU-deterministic (a few seconds). Run ``python -m glassbox_jupyter.demos.training.digits_cnn``
to rewrite ``glassbox_jupyter/demos/models/digits_cnn.{safetensors,json}``.
"""

from __future__ import annotations

import numpy as np
import torch

from glassbox_jupyter.demos.architectures import DigitsCNN
from glassbox_jupyter.demos.digits import CLASSES, PIXEL_NAMES, SIDE, SPLIT_SEED, TEST_FRACTION, load_digits_split
from glassbox_jupyter.demos.training.common import command_line, fit, seed_everything

NAME = "digits_cnn"
SEED = 0
STEPS = 300
LR = 1e-2
LABEL_SMOOTHING = 0.1
ARCHITECTURE_KWARGS = {"channels": 4, "hidden": 64, "n_classes": 10, "side": SIDE}


class _Logits(torch.nn.Module):
    """The CNN seen through its logits, so the shared cross-entropy fit trains it."""

    def __init__(self, model: DigitsCNN):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model.logits(x)


def accuracy(model: DigitsCNN, X: np.ndarray, y: np.ndarray) -> float:
    """Share of images ``X`` ``(n, 1, 8, 8)`` whose most probable class is ``y``."""
    with torch.no_grad():
        predicted = model(torch.as_tensor(X, dtype=torch.float32)).argmax(dim=1).numpy()
    return float(np.mean(predicted == y))


def train(steps: int = STEPS, seed: int = SEED) -> tuple[DigitsCNN, dict]:
    """Fit the CNN on the training split; returns it with its held-out and training accuracy."""
    seed_everything(seed)
    X_train, y_train = load_digits_split("train")
    X_test, y_test = load_digits_split("test")
    model = DigitsCNN(**ARCHITECTURE_KWARGS)
    loss = fit(
        _Logits(model), X_train, y_train, steps=steps, lr=LR, loss="cross_entropy", label_smoothing=LABEL_SMOOTHING
    )
    model.eval()
    return model, {
        "held_out_accuracy": round(accuracy(model, X_test, y_test), 6),
        "train_accuracy": round(accuracy(model, X_train, y_train), 6),
        "train_cross_entropy_smoothed": float(f"{loss:.4g}"),
        "n_train": len(y_train),
        "n_test": len(y_test),
    }


def card(metrics: dict) -> dict:
    return {
        "name": NAME,
        "description": "Digit classifier, small CNN (Conv 1→4 3×3 → Conv 4→4 3×3 → Dense 256→64 → Dense 64→10, ReLU; "
        "outputs class probabilities) trained on scikit-learn's 8×8 handwritten digits",
        "task": "classification",
        "architecture": "glassbox_jupyter.demos.architectures:DigitsCNN",
        "architecture_kwargs": ARCHITECTURE_KWARGS,
        "spec": {
            "names": PIXEL_NAMES,
            "low": [0.0] * len(PIXEL_NAMES),
            "high": [1.0] * len(PIXEL_NAMES),
            "shape": [1, SIDE, SIDE],
            "dtype": "float32",
        },
        "output_names": CLASSES,
        "classes": CLASSES,
        "outputs": "class probabilities (softmax of fc2's logits)",
        "layers": {
            "conv1": "Conv2d(1, 4, 3, padding=1) + ReLU; a hook sees the post-ReLU maps (n, 4, 8, 8)",
            "conv2": "Conv2d(4, 4, 3, padding=1) + ReLU; a hook sees the post-ReLU maps (n, 4, 8, 8)",
            "fc1": "Linear(256, 64) + ReLU on the flattened conv2 maps; a hook sees the post-ReLU (n, 64)",
            "fc2": "Linear(64, 10); a hook sees the logits (n, 10), before the softmax",
        },
        "data": {
            "source": "sklearn.datasets.load_digits (shipped with scikit-learn, no download)",
            "inputs": "pixels 0-16 scaled to 0-1, shape (1, 8, 8), names px_<row>_<column> row-major",
            "split": f"stratified by digit, {1 - TEST_FRACTION:.0%}/{TEST_FRACTION:.0%} train/test, seed {SPLIT_SEED}",
            "split_seed": SPLIT_SEED,
            "test_fraction": TEST_FRACTION,
            "loader": "glassbox_jupyter.demos.digits:load_digits_split",
        },
        "training": f"full-batch Adam, lr {LR} with a cosine schedule, {STEPS} steps, cross-entropy on the "
        f"logits with label smoothing {LABEL_SMOOTHING}, seed {SEED}, CPU-deterministic",
        "train_script": f"glassbox_jupyter/demos/training/{NAME}.py",
        "seed": SEED,
        "metrics": metrics,
    }


def main() -> None:
    command_line(NAME, __doc__, train, card, STEPS)


if __name__ == "__main__":
    main()
