"""How a circuit helper result was measured: provenance and JSON export for results that are not Findings.

Edge attributions, attention patterns, token attributions, SAE feature attributions, stability, alignment
and the logit lens are building blocks, not Findings (they are not filed in the report on their own), but a
number without its origin is not evidence either. Each such result carries a :class:`Provenance` made here
(the model's weights hash, the prompts, the settings, the package versions) and exports itself as JSON with
it, through :class:`MeasuredResult`.

Example:
    >>> import glassbox  # doctest: +SKIP
    >>> from glassbox_jupyter.circuits.measured import capture
    >>> model = glassbox.demos.load("ioi")  # doctest: +SKIP
    >>> prov = capture(model, None, {"name": "logit_lens"})  # doctest: +SKIP
    >>> prov.method["name"], len(prov.teacher_hash)  # doctest: +SKIP
    ('logit_lens', 64)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox_jupyter.finding.jsonable import jsonable
from glassbox_jupyter.finding.provenance import Provenance
from glassbox_jupyter.teacher.transformer import TransformerAdapter

if TYPE_CHECKING:
    from glassbox_jupyter.circuits.prompts import PromptSet


def capture(model: Any, prompts: PromptSet | None, method: Mapping[str, Any], seed: int = 0) -> Provenance:
    """The provenance of a helper result computed on ``model`` from ``prompts`` (``None`` when it needs none,
    e.g. composition scores) with ``method`` (``{"name": ..., **settings}``): the weights hash, every prompt
    ``(prompt, correct, incorrect, corrupted)``, the settings, the seed and the package versions."""
    probe: dict[str, Any] = {"prompts": 0}
    if prompts is not None:
        probe = {"prompts": len(prompts), "texts": [list(t) for t in prompts.texts]}
    return Provenance.capture(TransformerAdapter(model), probe=probe, seed=seed, method=dict(method))


class MeasuredResult:
    """Mixin for helper results: ``provenance`` (set by the function that made the result) and JSON export.

    A subclass implements :meth:`result_dict` (its numbers, JSON-ready or made so by
    :func:`~glassbox_jupyter.finding.jsonable.jsonable`) and names itself in ``kind``.
    """

    kind: str = "result"
    provenance: Provenance | None

    def result_dict(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must say what its numbers are (result_dict)")

    def to_dict(self) -> dict[str, Any]:
        """``{"kind", "result", "provenance"}``, JSON-ready (NaN and inf as None)."""
        provenance = getattr(self, "provenance", None)
        return {
            "kind": self.kind,
            "result": jsonable(self.result_dict()),
            "provenance": None if provenance is None else jsonable(provenance.to_dict()),
        }

    def to_json(self, path: str | Path | None = None, indent: int = 2) -> str:
        """The :meth:`to_dict` as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text
