"""The ``ioi`` demo's sparse autoencoder: 256 features of the residual stream after layer 0, loaded offline.

A sae-lens ``StandardSAE`` trained by :mod:`glassbox_jupyter.demos.training.ioi_sae` on
``blocks.0.hook_resid_post`` of ``glassbox.demos.load("ioi")``. It is stored in sae-lens's own on-disk format
(``models/ioi_sae/sae_weights.safetensors`` + ``cfg.json``), so ``sae_lens.SAE.load_from_disk`` reads it too;
the training recipe and held-out metrics (fraction of variance explained, L0, dead features, logit-difference
fidelity) are in ``sae.cfg.metadata.training`` and ``sae.cfg.metadata.metrics``.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> from glassbox_jupyter.demos.ioi_sae import load_ioi_sae  # doctest: +SKIP
    >>> sae = load_ioi_sae()  # doctest: +SKIP
    >>> sae.cfg.metadata.hook_name, sae.cfg.d_sae  # doctest: +SKIP
    ('blocks.0.hook_resid_post', 256)
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sae_lens import StandardSAE

MODELS = Path(__file__).resolve().parent / "models"
NAME = "ioi_sae"
#: The SAE shipped for each demo model: its folder under ``models/`` (the training script has the same name).
SHIPPED = {"ioi": NAME, "smollm2": "smollm2_sae"}


def sae_path(demo: str = "ioi") -> Path:
    """Folder of the SAE shipped for ``demo`` (``sae_weights.safetensors`` + ``cfg.json``)."""
    return MODELS / SHIPPED[demo]


def load_ioi_sae(path: Path | str | None = None, device: str = "cpu", demo: str = "ioi") -> StandardSAE:
    """Load a shipped SAE as a sae-lens ``StandardSAE`` (safetensors + JSON config; nothing fetched): the
    ``ioi`` demo's by default, ``demo="smollm2"`` for SmolLM2's (see
    :mod:`glassbox_jupyter.demos.training.smollm2_sae`).

    Args:
        path: a folder in sae-lens's format; the shipped one by default.
        device: where to put the weights.
        demo: whose shipped SAE to load when ``path`` is not given.
    """
    import warnings

    from sae_lens import StandardSAE

    folder = sae_path(demo) if path is None else Path(path)
    if not (folder / "cfg.json").is_file() or not (folder / "sae_weights.safetensors").is_file():
        raise FileNotFoundError(
            f"no SAE at {folder} (expected cfg.json and sae_weights.safetensors); rebuild it with "
            f"python -m glassbox_jupyter.demos.training.{SHIPPED.get(demo, NAME)}"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sae = StandardSAE.load_from_disk(folder, device=device)
    return sae.eval()
