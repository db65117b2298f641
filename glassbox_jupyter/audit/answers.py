"""Reading a decision from a text answer: which of the two expected words it says, negations included.

A provider (:class:`~glassbox_jupyter.teacher.blackbox.Provider`) turns a prompt into a decision:
``"positive"`` (the expected positive word, e.g. "approve"), ``"negative"`` (e.g. "deny") or ``"unparsed"``
(neither word, or both: counted, never guessed). Providers that receive text use :func:`match_decision`.

Example:
    >>> match_decision("I would approve this loan.", "approve", "deny")
    'positive'
    >>> match_decision("Approve or deny? Hard to say.", "approve", "deny")
    'unparsed'
"""

from __future__ import annotations

import re

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
