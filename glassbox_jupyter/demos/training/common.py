"""Shared steps of the demo training scripts: seeding, sampling, a full-batch fit, metrics, saving weights and card."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

MODELS = Path(__file__).resolve().parent.parent / "models"


def seed_everything(seed: int) -> None:
    """Make a CPU training run repeatable."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def save_demo(name: str, model: torch.nn.Module, card: dict[str, Any], out_dir: Path = MODELS) -> Path:
    """Write ``<name>.safetensors`` and its card ``<name>.json`` (architecture, spec, metrics)."""
    from safetensors.torch import save_file

    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    (out_dir / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    return weights


def sample_box(rng: np.random.Generator, low: Sequence[float], high: Sequence[float], n: int) -> np.ndarray:
    """``n`` uniform rows inside the box ``[low, high]`` (one column per feature)."""
    low_, high_ = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return low_ + (high_ - low_) * rng.random((n, len(low_)))


def box_standardisation(low: Sequence[float], high: Sequence[float]) -> tuple[list[float], list[float]]:
    """Shift and scale that standardise a uniform distribution on ``[low, high]`` (mean 0, std 1)."""
    shift = [(lo + hi) / 2 for lo, hi in zip(low, high)]
    scale = [(hi - lo) / 12**0.5 for lo, hi in zip(low, high)]
    return shift, scale


def fit(
    model: torch.nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    lr: float = 1e-2,
    loss: str = "mse",
    y_scale: Sequence[float] | None = None,
    label_smoothing: float = 0.0,
) -> float:
    """Full-batch Adam with a cosine learning-rate schedule; returns the final training loss.

    ``loss="mse"`` regresses ``y`` (shape ``(n, outputs)``), measured in units of ``y_scale`` when
    given (so targets of any size weigh alike); ``loss="cross_entropy"`` fits class indices ``y``
    (shape ``(n,)``) with the model's outputs as logits; ``label_smoothing`` keeps those logits
    bounded (a crisp rule otherwise drives them to hundreds).
    """
    X_t = torch.tensor(X, dtype=torch.float32)
    if loss == "mse":
        y_t = torch.tensor(y, dtype=torch.float32).reshape(len(X), -1)
        scale = torch.ones(y_t.shape[1]) if y_scale is None else torch.tensor(y_scale, dtype=torch.float32)

        def objective() -> torch.Tensor:
            return torch.nn.functional.mse_loss(model(X_t) / scale, y_t / scale)

    elif loss == "cross_entropy":
        y_t = torch.tensor(y, dtype=torch.long)

        def objective() -> torch.Tensor:
            return torch.nn.functional.cross_entropy(model(X_t), y_t, label_smoothing=label_smoothing)

    else:
        raise ValueError(f"loss must be 'mse' or 'cross_entropy', got {loss!r}")
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=steps)
    value = torch.tensor(float("nan"))
    for _ in range(steps):
        optimiser.zero_grad()
        value = objective()
        value.backward()
        optimiser.step()
        schedule.step()
    return float(value.detach())


def predict(model: torch.nn.Module, X: np.ndarray) -> np.ndarray:
    """The model's float64 outputs ``(n, outputs)`` for float inputs ``X``."""
    with torch.no_grad():
        return model(torch.tensor(X, dtype=torch.float32)).double().numpy()


def r2_score(truth: np.ndarray, guess: np.ndarray) -> float:
    """Coefficient of determination of ``guess`` against ``truth`` (flattened)."""
    truth, guess = np.ravel(truth), np.ravel(guess)
    return float(1 - np.sum((truth - guess) ** 2) / np.sum((truth - truth.mean()) ** 2))


def fit_regression(
    model: torch.nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    *,
    n_train: int,
    steps: int,
    lr: float = 1e-2,
    y_scale: Sequence[float] | None = None,
) -> dict[str, float]:
    """Fit ``model`` on the first ``n_train`` rows of ``(X, y)``; score it on the rest against ``y``.

    Returns the metrics of a regression card: held-out R² and RMSE against the true function, and
    the final training MSE (``train_mse_scaled``, in units of ``y_scale``, when ``y_scale`` is given).
    """
    loss = fit(model, X[:n_train], y[:n_train], steps=steps, lr=lr, loss="mse", y_scale=y_scale)
    truth, guess = y[n_train:], predict(model, X[n_train:])[:, 0]
    return {
        "held_out_r2_vs_truth": round(r2_score(truth, guess), 6),
        "held_out_rmse_vs_truth": float(f"{np.sqrt(np.mean((truth - guess) ** 2)):.4g}"),
        ("train_mse" if y_scale is None else "train_mse_scaled"): float(f"{loss:.4g}"),
    }


def command_line(name: str, doc: str, train: Any, card: Any, default_steps: int) -> None:
    """The shared ``main()`` of the training scripts: train, then write weights and card."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODELS, help="folder for the weights and card")
    parser.add_argument("--steps", type=int, default=default_steps)
    args = parser.parse_args()
    model, metrics = train(steps=args.steps)
    path = save_demo(name, model, card(metrics), args.out)
    print(f"wrote {path} ({path.stat().st_size} bytes); {metrics}")


def train_plain_mlp(
    truth: Any,
    low: Sequence[float],
    high: Sequence[float],
    hidden: Sequence[int],
    *,
    steps: int,
    n_train: int,
    seed: int,
) -> tuple[torch.nn.Module, dict[str, float]]:
    """Fit an :class:`MLP` (SiLU) to ``truth`` on uniform inputs in the box; metrics on 1,024 fresh rows."""
    from glassbox_jupyter.demos.architectures import MLP

    seed_everything(seed)
    X = sample_box(np.random.default_rng(seed), low, high, n_train + 1024)
    model = MLP(n_inputs=len(low), hidden=list(hidden), n_outputs=1, activation="silu")
    return model, fit_regression(model, X, truth(X), n_train=n_train, steps=steps)


def plain_mlp_card(
    name: str,
    description: str,
    names: Sequence[str],
    low: Sequence[float],
    high: Sequence[float],
    hidden: Sequence[int],
    ground_truth: str,
    seed: int,
    metrics: dict[str, Any],
) -> dict[str, Any]:
    """The card of a regression demo that is a plain :class:`MLP`."""
    return {
        "name": name,
        "description": description,
        "task": "regression",
        "architecture": "glassbox_jupyter.demos.architectures:MLP",
        "architecture_kwargs": {"n_inputs": len(names), "hidden": list(hidden), "n_outputs": 1, "activation": "silu"},
        "spec": {"names": list(names), "low": list(low), "high": list(high)},
        "output_names": ["y"],
        "ground_truth": ground_truth,
        "train_script": f"glassbox_jupyter/demos/training/{name}.py",
        "seed": seed,
        "metrics": metrics,
    }
