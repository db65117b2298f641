"""Provenance: where a Finding came from (teacher hash, spec, probe settings, seed, versions, time).

Example:
    >>> from glassbox_jupyter.finding.provenance import package_versions
    >>> "numpy" in package_versions()
    True
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

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
        cls, teacher: Any, probes: Any = None, seed: int = 0, method: dict[str, Any] | None = None
    ) -> Provenance:
        """Record provenance for a Finding computed from ``teacher`` and ``probes`` (a ProbeSet)."""
        spec = teacher.spec.to_dict() if teacher.spec is not None else None
        return cls(
            teacher_hash=teacher.hash,
            teacher=teacher.describe(),
            spec=spec,
            probe=probes.settings if probes is not None else {},
            seed=int(seed),
            method=dict(method or {}),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
