"""Train the ``ideal_gas`` demo: an MLP fitted to the ideal gas law.

    P = n R T / V,   R = 8.314 J/(mol K),   n ∈ [0.5, 2] mol,  T ∈ [250, 350] K,  V ∈ [0.01, 0.05] m³

Inputs and the output (P in Pa, about 2·10⁴ to 6·10⁵) span very different scales, so the network is a
:class:`~glassbox_jupyter.demos.architectures.ScaledMLP`: it standardises its inputs (by the mean and
standard deviation of the uniform box) and its output (by the exact mean and standard deviation of P
over that box) with buffers saved next to the weights.

Seeded and CPU-deterministic. Run ``python -m glassbox_jupyter.demos.training.ideal_gas``
to rewrite ``glassbox_jupyter/demos/models/ideal_gas.{safetensors,json}``.
"""

from __future__ import annotations

import numpy as np

from glassbox_jupyter.demos.architectures import ScaledMLP
from glassbox_jupyter.demos.training.common import (
    box_standardisation,
    command_line,
    fit_regression,
    sample_box,
    seed_everything,
)

NAME = "ideal_gas"
HIDDEN = [32, 32]
SEED = 0
R = 8.314
NAMES, UNITS = ["n", "T", "V"], ["mol", "K", "m^3"]
LOW, HIGH = [0.5, 250.0, 0.01], [2.0, 350.0, 0.05]
STEPS = 3000


def ideal_gas(X: np.ndarray) -> np.ndarray:
    """The ground-truth pressure in Pa for columns ``n`` [mol], ``T`` [K], ``V`` [m³]."""
    return X[:, 0] * R * X[:, 1] / X[:, 2]


def _sig(value: float) -> float:
    return float(f"{value:.6g}")


def _pressure_moments() -> tuple[float, float]:
    """Exact mean and standard deviation of P when n, T and V are uniform and independent on the box."""
    (n0, t0, v0), (n1, t1, v1) = LOW, HIGH
    mean_n, mean_t, mean_inv_v = (n0 + n1) / 2, (t0 + t1) / 2, np.log(v1 / v0) / (v1 - v0)
    sq_n, sq_t, sq_inv_v = (n1**3 - n0**3) / (3 * (n1 - n0)), (t1**3 - t0**3) / (3 * (t1 - t0)), 1 / (v0 * v1)
    mean = R * mean_n * mean_t * mean_inv_v
    return mean, float(np.sqrt(R**2 * sq_n * sq_t * sq_inv_v - mean**2))


_INPUT_SHIFT, _INPUT_SCALE = box_standardisation(LOW, HIGH)
_P_MEAN, _P_STD = _pressure_moments()
ARCHITECTURE_KWARGS = {
    "n_inputs": 3,
    "hidden": HIDDEN,
    "n_outputs": 1,
    "activation": "silu",
    "input_shift": [_sig(v) for v in _INPUT_SHIFT],
    "input_scale": [_sig(v) for v in _INPUT_SCALE],
    "output_shift": [_sig(_P_MEAN)],
    "output_scale": [_sig(_P_STD)],
}


def train(steps: int = STEPS, n_train: int = 4096, seed: int = SEED) -> tuple[ScaledMLP, dict]:
    """Fit the network; returns it with held-out metrics against the true law."""
    seed_everything(seed)
    X = sample_box(np.random.default_rng(seed), LOW, HIGH, n_train + 1024)
    model = ScaledMLP(**ARCHITECTURE_KWARGS)
    scale = ARCHITECTURE_KWARGS["output_scale"]
    metrics = fit_regression(model, X, ideal_gas(X), n_train=n_train, steps=steps, y_scale=scale)
    return model, metrics


def card(metrics: dict) -> dict:
    return {
        "name": NAME,
        "description": "Scaled MLP (3→32→32→1, SiLU, standardised inputs and output) trained on the ideal gas "
        "law P = n R T / V (R = 8.314) for n in [0.5, 2] mol, T in [250, 350] K, V in [0.01, 0.05] m³",
        "task": "regression",
        "architecture": "glassbox_jupyter.demos.architectures:ScaledMLP",
        "architecture_kwargs": ARCHITECTURE_KWARGS,
        "spec": {"names": NAMES, "low": LOW, "high": HIGH, "units": UNITS},
        "output_names": ["P"],
        "output_units": ["Pa"],
        "ground_truth": "n*8.314*T/V",
        "train_script": f"glassbox_jupyter/demos/training/{NAME}.py",
        "seed": SEED,
        "metrics": metrics,
    }


def main() -> None:
    command_line(NAME, __doc__, train, card, STEPS)


if __name__ == "__main__":
    main()
