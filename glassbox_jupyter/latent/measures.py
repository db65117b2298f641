"""How latent laws are measured and recorded: held-out R² pooled over latents, and their provenance.

Example:
    >>> import numpy as np
    >>> Z = np.random.default_rng(0).normal(size=(50, 2))
    >>> round(held_out_fidelity(Z, Z).value, 3)
    1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from glassbox_jupyter.finding.fidelity import Fidelity, r2_fidelity
from glassbox_jupyter.finding.provenance import DescribedModel, Provenance


def held_out_fidelity(Z_test: np.ndarray, predictions: np.ndarray, seed: int = 0) -> Fidelity:
    """Held-out R² of the formulas pooled over latents, each standardised first, with a row-bootstrap CI.

    After standardising each latent by its held-out mean and std, the pooled R² equals the mean of
    the per-latent R² values, so latents on large scales do not dominate; the bootstrap resamples
    held-out rows (all latents of a row together).
    """
    mean, std = Z_test.mean(axis=0), Z_test.std(axis=0)
    return r2_fidelity(
        (Z_test - mean) / std,
        (predictions - mean) / std,
        seed=seed,
        n_boot=1000,
        unit="rows",
        measures="R² of the selected formulas against the encoder's latents on held-out rows of X, each latent "
        "standardised, pooled over latents",
    )


def law_provenance(
    encoder: DescribedModel, spec: Any, rows: dict[str, np.ndarray], seed: int, method: dict[str, Any]
) -> Provenance:
    """Provenance of a law found on data rows (no probes): the encoder, the spec, the split, the search.

    ``encoder`` is the :class:`~glassbox_jupyter.latent.encoding.EncoderAdapter` (of the encoder, or of one latent).
    """
    return Provenance.capture(
        encoder,
        spec=spec.to_dict(),
        probe={
            "method": "data",
            "rows": int(sum(len(v) for k, v in rows.items() if k != "search")),
            "train": len(rows["train"]),
            "validation": len(rows["validation"]),
            "test": len(rows["test"]),
            "search_rows": len(rows["search"]),
        },
        seed=int(seed),
        method=dict(method),
    )
