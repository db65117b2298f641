"""What every audit provider shares: a :class:`Decision`, the :class:`Provider` interface, answer matching.

A provider turns a prompt into a decision: ``"positive"`` (the expected positive word, e.g. "approve"),
``"negative"`` (e.g. "deny") or ``"unparsed"`` (neither word, or both: counted, never guessed), with the
probability of the positive decision when the provider knows it.

Example:
    >>> match_decision("I would approve this loan.", "approve", "deny")
    'positive'
    >>> match_decision("Approve or deny? Hard to say.", "approve", "deny")
    'unparsed'
"""

from __future__ import annotations

import abc
import hashlib
import json
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

LABELS = ("positive", "negative", "unparsed")


@dataclass(frozen=True)
class Decision:
    """One provider answer: ``label`` is ``"positive"``, ``"negative"`` or ``"unparsed"``."""

    label: str
    p_positive: float | None = None
    answer: str | None = None

    def __post_init__(self) -> None:
        if self.label not in LABELS:
            raise ValueError(f"a decision label is one of {LABELS}, got {self.label!r}")


def match_decision(text: str, positive: str, negative: str) -> str:
    """``"positive"``/``"negative"`` when exactly one expected word occurs in ``text`` (case-insensitive, as a whole
    word), else ``"unparsed"``."""
    found = [
        re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE) is not None
        for word in (positive, negative)
    ]
    if found == [True, False]:
        return "positive"
    if found == [False, True]:
        return "negative"
    return "unparsed"


def identity_hash(identity: dict[str, Any]) -> str:
    """SHA-256 of a provider identity (sorted JSON): the ``teacher_hash`` of an audit's provenance."""
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode("utf-8")).hexdigest()


class Provider(abc.ABC):
    """Turns prompts into decisions.

    Subclasses implement :meth:`decide` and :meth:`identity` (kind, name, where; never a secret). Those that
    score several prompts at once faster set ``batch_size`` and override :meth:`decide_batch`.
    ``max_concurrency`` is how many calls the auditor runs at the same time by default.
    """

    kind: ClassVar[str] = "provider"
    max_concurrency: int = 1
    batch_size: int = 1

    @abc.abstractmethod
    def decide(self, prompt: str, positive: str, negative: str) -> Decision:
        """The decision for one prompt."""

    def decide_batch(self, prompts: Sequence[str], positive: str, negative: str) -> list[Decision]:
        """Decisions for several prompts (one :meth:`decide` each unless overridden)."""
        return [self.decide(p, positive, negative) for p in prompts]

    @abc.abstractmethod
    def identity(self) -> dict[str, Any]:
        """JSON-ready description for provenance: kind, name, address. Never a key or token."""

    def redact(self, text: str) -> str:
        """``text`` with any secret this provider knows replaced (used on every error message it records)."""
        return text

    # ---------------------------------------------------------------- cancellation (Ctrl-C in the auditor)
    @property
    def cancelled(self) -> threading.Event:
        """Set by the auditor when the user interrupts: waits (e.g. retry back-off) end early."""
        event = self.__dict__.get("_cancelled")
        if event is None:
            event = self.__dict__["_cancelled"] = threading.Event()
        return event

    def __repr__(self) -> str:
        described = ", ".join(f"{k}={v!r}" for k, v in self.identity().items() if k != "kind")
        return f"{type(self).__name__}({described})"
