"""Shared steps of the demo training scripts: seeding, saving weights and the demo card."""

from __future__ import annotations

import json
import random
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
