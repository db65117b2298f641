"""Provenance: where a Finding came from (teacher hash, spec, probe settings, seed, versions, time).

Every Finding's provenance is made by :meth:`Provenance.capture` from the model it explains: anything
whose ``describe()`` returns a JSON-ready dict with the model's ``"sha256"`` (a Teacher, a model
adapter, an audit provider). This module imports no other GlassBox folder: it only relies on that shape.

Example:
    >>> from glassbox_jupyter.finding.provenance import package_versions
    >>> "numpy" in package_versions()
    True
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from typing import Any, Protocol

from glassbox_jupyter._version import __version__

# Distributions whose versions every Finding records (read from metadata, never imported).
TRACKED_PACKAGES = (
    "numpy",
    "scipy",
    "torch",
    "scikit-learn",
    "pandas",
    "sympy",
    "networkx",
    "pyoperon",
    "transformer-lens",
    "sae-lens",
    "onnxruntime",
    "anywidget",
    "altair",
)


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Installed versions of ``names`` (missing ones are left out), plus Python and GlassBox."""
    versions = {"python": platform.python_version(), "glassbox-jupyter": __version__}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


class DescribedModel(Protocol):
    """What provenance needs from a model: ``describe()``, JSON-ready, with the model's ``"sha256"``."""

    def describe(self) -> dict[str, Any]: ...


class ProbeSettings(Protocol):
    """What provenance needs from a probe set: the ``settings`` it was drawn with."""

    @property
    def settings(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Provenance:
    """Everything needed to say how a Finding was made and to make it again."""

    teacher_hash: str
    teacher: dict[str, Any]
    spec: dict[str, Any] | None
    probe: dict[str, Any]
    seed: int
    method: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=package_versions)
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    machine: dict[str, str] = field(
        default_factory=lambda: {"platform": platform.platform(), "processor": platform.machine()}
    )

    @classmethod
    def capture(
        cls,
        model: DescribedModel,
        probes: ProbeSettings | None = None,
        seed: int = 0,
        method: Mapping[str, Any] | None = None,
        *,
        probe: Mapping[str, Any] | None = None,
        spec: Mapping[str, Any] | None = None,
    ) -> Provenance:
        """Record how a Finding was made from ``model``: the one place every Finding's provenance is built.

        Args:
            model: what the Finding explains; ``model.describe()`` is recorded as ``teacher`` and its
                ``"sha256"`` as ``teacher_hash``.
            probes: the probe set (a ProbeSet) the Finding was computed on; its ``settings`` are recorded.
            seed: the seed of the computation.
            method: how the Finding was computed (name, engine, settings).
            probe: the sampling settings when the Finding was not made from a probe set (data rows,
                prompts, ...); give ``probes`` or ``probe``, not both.
            spec: the inputs' description; by default ``model.spec.to_dict()`` when the model has a spec.

        Example:
            >>> class Model:
            ...     def describe(self):
            ...         return {"kind": "callable", "sha256": "0" * 64}
            >>> prov = Provenance.capture(Model(), probe={"method": "data", "rows": 10}, seed=3)
            >>> prov.teacher_hash == "0" * 64, prov.probe["rows"], prov.spec
            (True, 10, None)
        """
        if probes is not None and probe is not None:
            raise ValueError("give the probe set (probes=) or the sampling settings (probe=), not both")
        described = dict(model.describe())
        digest = described.get("sha256")
        if not isinstance(digest, str) or not digest:
            raise ValueError(
                f"{type(model).__name__}.describe() has no 'sha256'; provenance names every model by its hash "
                "(wrap the model in a glassbox Teacher or model adapter)"
            )
        if spec is None:
            model_spec = getattr(model, "spec", None)
            spec = model_spec.to_dict() if model_spec is not None else None
        settings = probes.settings if probes is not None else probe
        return cls(
            teacher_hash=digest,
            teacher=described,
            spec=None if spec is None else dict(spec),
            probe=dict(settings or {}),
            seed=int(seed),
            method=dict(method or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict (the ``provenance`` of a Finding's JSON)."""
        return asdict(self)
