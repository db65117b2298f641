"""Small demo models shipped with GlassBox, each with a seeded script that trains it again.

Example:
    >>> import glassbox
    >>> [d["name"] for d in glassbox.demos.list()][:1]
    ['friedman_mlp']
    >>> glassbox.demos.load("friedman_mlp").spec.names
    ('x1', 'x2', 'x3', 'x4', 'x5')
"""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import Any

MODELS = Path(__file__).resolve().parent / "models"


def _cards() -> dict[str, dict[str, Any]]:
    cards = (json.loads(p.read_text(encoding="utf-8")) for p in sorted(MODELS.glob("*.json")))
    return {card["name"]: card for card in cards}


def list() -> builtins.list[dict[str, Any]]:
    """The shipped demos: name, description, task, inputs and how each was trained."""
    return [
        {k: card[k] for k in ("name", "description", "task", "train_script", "metrics")}
        | {"inputs": card["spec"]["names"], "outputs": card["output_names"]}
        for card in _cards().values()
    ]


def card(name: str) -> dict[str, Any]:
    """The full card (architecture, spec, metrics) of demo ``name``."""
    cards = _cards()
    if name not in cards:
        raise KeyError(f"no demo named {name!r}; available: {sorted(cards)}")
    return cards[name]


def model_path(name: str) -> Path:
    """Path of the demo's weights file."""
    card(name)
    return MODELS / f"{name}.safetensors"


def load(name: str, **teacher_kwargs: Any) -> Any:
    """Load demo ``name`` as a :class:`~glassbox_jupyter.Teacher` with its InputSpec.

    Weights load through the same safe path users get (safetensors + an architecture import path).
    """
    from glassbox_jupyter.teacher.spec import InputSpec
    from glassbox_jupyter.teacher.teacher import Teacher

    info = card(name)
    return Teacher.load(
        model_path(name),
        architecture=info["architecture"],
        architecture_kwargs=info["architecture_kwargs"],
        spec=InputSpec.from_dict(info["spec"]),
        output_names=info["output_names"],
        output_units=info.get("output_units"),
        task=info["task"],
        name=name,
        **teacher_kwargs,
    )
