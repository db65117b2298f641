"""What the demo SAE training scripts share: sae-lens's training step in a seeded Adam loop, the held-out
metrics, and the command line.

Example:
    >>> import torch
    >>> from sae_lens import StandardTrainingSAE, StandardTrainingSAEConfig
    >>> sae = StandardTrainingSAE(StandardTrainingSAEConfig(d_in=4, d_sae=8, l1_coefficient=0.1))
    >>> train_loop(sae, torch.randn(64, 4), steps=3, l1=0.1, warm_up=2, lr=1e-3, batch=16, seed=0)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch


def train_loop(
    sae: Any, data: torch.Tensor, *, steps: int, l1: float, warm_up: int, lr: float, batch: int, seed: int
) -> None:
    """Train ``sae`` (a sae-lens training SAE) in place on rows of ``data``: ``steps`` batches of ``batch`` rows drawn
    with a seeded generator; loss from sae-lens's ``training_forward_pass`` with the L1 coefficient warmed up
    linearly over ``warm_up`` steps; Adam at ``lr``, decayed linearly to 0 over the last fifth."""
    from sae_lens.saes.sae import TrainStepInput

    optimiser = torch.optim.Adam(sae.parameters(), lr=lr)
    decay_from = int(0.8 * steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: 1.0 if step < decay_from else max(0.0, (steps - step) / max(1, steps - decay_from))
    )
    g = torch.Generator().manual_seed(seed)
    sae.train()
    for step in range(steps):
        rows = data[torch.randint(0, len(data), (batch,), generator=g)]
        out = sae.training_forward_pass(
            TrainStepInput(
                sae_in=rows,
                coefficients={"l1": l1 * min(1.0, (step + 1) / warm_up)},  # linear L1 warm-up
                dead_neuron_mask=None,
                n_training_steps=step,
                is_logging_step=False,
            )
        )
        optimiser.zero_grad(set_to_none=True)
        out.loss.backward()
        optimiser.step()
        schedule.step()
    sae.eval()


def cli(
    doc: str,
    out: Path,
    defaults: dict[str, Any],
    train: Callable[..., tuple[Any, dict[str, Any]]],
    save: Callable[[Any, dict[str, Any], Path], Path],
) -> None:
    """The scripts' command line: ``--out``, ``--steps``, ``--d-sae``, ``--l1`` (``defaults`` by those names with
    ``_`` for ``-``), then train, save and print where the weights went with the metrics."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    parser.add_argument("--out", type=Path, default=out, help="folder for sae_weights.safetensors + cfg.json")
    parser.add_argument("--steps", type=int, default=defaults["steps"])
    parser.add_argument("--d-sae", type=int, default=defaults["d_sae"])
    parser.add_argument("--l1", type=float, default=defaults["l1"])
    args = parser.parse_args()
    sae, metrics = train(steps=args.steps, d_sae=args.d_sae, l1=args.l1)
    path = save(sae, metrics, args.out)
    print(f"wrote {path} ({path.stat().st_size} bytes); {json.dumps(metrics)}")


def sae_metrics(sae: Any, acts: torch.Tensor) -> dict[str, float]:
    """Fraction of variance explained, mean L0, dead features (never active) and MSE of ``sae`` on ``acts``."""
    with torch.no_grad():
        f = sae.encode(acts)
        recon = sae.decode(f)
    resid = ((acts - recon) ** 2).sum()
    total = ((acts - acts.mean(dim=0)) ** 2).sum()
    return {
        "fve": round(float(1 - resid / total), 4),
        "l0": round(float((f > 0).float().sum(dim=-1).mean()), 2),
        "dead_features": int(((f > 0).sum(dim=0) == 0).sum()),
        "mse": round(float(((acts - recon) ** 2).sum(dim=-1).mean()), 5),
    }
