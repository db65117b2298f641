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


NEGATIONS = frozenset(
    "not no never cannot can't won't wouldn't shouldn't don't doesn't isn't unable refuse decline".split()
)
NEGATION_WINDOW = 3  # a negation up to this many words before an expected word negates it


def _mentions(text: str, word: str) -> tuple[bool, bool]:
    """(affirmed, negated): whether ``word`` occurs as a whole word without / with a negation just before it
    (in the same clause)."""
    affirmed = negated = False
    for match in re.finditer(rf"(?<!\w){re.escape(word)}(?!\w)", text, flags=re.IGNORECASE):
        clause = re.split(r"[.;:!?,]", text[: match.start()])[-1]  # a negation does not reach across punctuation
        before = re.findall(r"[\w']+", clause.lower().replace("\u2019", "'"))[-NEGATION_WINDOW:]
        if any(w in NEGATIONS or w.endswith("n't") for w in before):
            negated = True
        else:
            affirmed = True
    return affirmed, negated


def match_decision(text: str, positive: str, negative: str) -> str:
    """``"positive"``/``"negative"`` from an answer, else ``"unparsed"`` (never a guess).

    An expected word counts when it occurs as a whole word (case-insensitive). A negation up to three words before
    it ("not", "never", "can't", "won't", "unable", ...) negates it: "I would not approve" with no other mention is
    the negative decision, "cannot deny" the positive one. An answer that affirms both words, or negates both, or
    mentions neither, is unparsed.

    Example:
        >>> [match_decision(t, "approve", "deny") for t in ("Approve.", "I would not approve this.", "maybe")]
        ['positive', 'negative', 'unparsed']
    """
    pos_yes, pos_no = _mentions(text, positive)
    neg_yes, neg_no = _mentions(text, negative)
    says_positive = pos_yes or (neg_no and not neg_yes)
    says_negative = neg_yes or (pos_no and not pos_yes)
    if says_positive and not says_negative:
        return "positive"
    if says_negative and not says_positive:
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
