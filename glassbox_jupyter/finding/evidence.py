"""Evidence items: what a Finding contributes to an EU AI Act Annex IV report.

Example:
    >>> item = EvidenceItem(section="2(g)", title="Fidelity", body="R² = 0.95")
    >>> item.to_dict()["status"]
    'automatic'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from glassbox_jupyter.finding.sections import ANNEX_IV_SECTIONS

STATUSES = ("automatic", "human", "missing")


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence for Annex IV ``section`` (e.g. ``"2(e)"``)."""

    section: str
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)
    status: str = "automatic"

    def __post_init__(self) -> None:
        if self.section not in ANNEX_IV_SECTIONS:
            raise ValueError(f"unknown Annex IV section {self.section!r}; use one of {', '.join(ANNEX_IV_SECTIONS)}")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    @property
    def section_title(self) -> str:
        return ANNEX_IV_SECTIONS[self.section]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
