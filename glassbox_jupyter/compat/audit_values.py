"""From a Glassbox 2.0 decision prompt (values written in the text) to a GlassBox template and value lists.

Glassbox 2.0 took a literal prompt and ``context_variables={"credit_score": 620, ...}`` and varied each value
where it appears in the text. GlassBox's auditor takes a ``str.format`` template and ``{name: [values]}``. This
module translates one into the other:

- **placing a value**: each occurrence of the value as a whole token (``620`` but not ``6200``) becomes
  ``{credit_score}``; an integer of 1000 or more is also found with thousands separators (``$45,000`` becomes
  ``${annual_income:,}``, so swapped values are written the same way). A value found nowhere is *skipped* (the
  result lists it), as Glassbox 2.0 skipped it. A prompt that already uses ``{name}`` placeholders is used as it is.
- **values to try** (:func:`values_to_try`): a list is taken as it is (its first value is the one in the prompt);
  a bool is swapped with its negation; a word with a clear opposite (yes/no, high/low, good/poor, …) with that
  opposite; any other string is skipped; a number gets ``n_steps`` evenly spaced values over a range: 300–850 for
  a credit-style ``score``/``rating`` in that range, 18–80 for an ``age``, 0–1 for a fraction, else a quarter to
  four times the value. The **counterfactual** of a variable is the end of its range farther from the original.

Example:
    >>> template, used, skipped = literal_template(
    ...     "Credit score 620 and income $45,000; the loan should be", {"credit_score": 620, "income": 45000, "x": 7})
    >>> template, used, skipped
    ('Credit score {credit_score} and income ${income:,}; the loan should be', ['credit_score', 'income'], ['x'])
    >>> values_to_try("credit_score", 620, 5)
    ([620, 300, 438, 575, 712, 850], 300)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from glassbox_jupyter.audit.errors import TemplateError
from glassbox_jupyter.audit.templates import placeholders

#: Words with a clear opposite, both ways.
OPPOSITES = {
    "yes": "no",
    "true": "false",
    "high": "low",
    "good": "poor",
    "approved": "denied",
    "accepted": "rejected",
    "employed": "unemployed",
    "married": "single",
}
OPPOSITES.update({v: k for k, v in list(OPPOSITES.items())})


def uses_placeholders(prompt: str, names: Sequence[str]) -> bool:
    """Whether ``prompt`` is already a template naming some of the variables (``{name}``)."""
    try:
        used = placeholders(prompt)
    except TemplateError:
        return False
    return bool(used) and all(n in names for n in used)


def _forms(value: Any) -> list[tuple[str, str]]:
    """How ``value`` may be written in a prompt: ``(text, format spec)``, longest first."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return [(str(value), "")]
    forms = [(str(value), "")]
    if isinstance(value, int) and abs(value) >= 1000:
        forms.insert(0, (f"{value:,}", ":,"))
    return forms


def literal_template(prompt: str, values: Mapping[str, Any]) -> tuple[str, list[str], list[str]]:
    """``(template, placed variables, skipped variables)``: each value's occurrences in ``prompt`` as placeholders."""
    template = prompt.replace("{", "{{").replace("}", "}}")
    placed: list[str] = []
    skipped: list[str] = []
    for name, value in values.items():
        found = False
        for text, spec in _forms(value):
            if not text.strip():
                continue
            token = rf"(?<![\w.,]){re.escape(text)}(?![\w]|[.,]\d)"
            template, n = re.subn(token, "{" + name + spec + "}", template)
            found = found or n > 0
        (placed if found else skipped).append(name)
    return template, placed, skipped


def _number_range(name: str, value: float) -> tuple[float, float]:
    words = set(re.split(r"[^a-z]+", name.lower()))
    if words & {"score", "rating"} and 300 <= value <= 850:
        return 300.0, 850.0
    if "age" in words and 0 < value <= 120:
        return 18.0, 80.0
    if isinstance(value, float) and 0 <= value <= 1:
        return 0.0, 1.0
    if value == 0:
        return 0.0, 10.0
    low, high = sorted((value / 4, value * 4))
    return low, high


def values_to_try(name: str, value: Any, n_steps: int) -> tuple[list[Any], Any] | None:
    """``(values, counterfactual)`` for a variable whose value in the prompt is ``value`` (first in ``values``);
    ``None`` when it cannot be varied (an arbitrary string)."""
    if isinstance(value, (list, tuple)):
        if len(value) < 2:
            return None
        return list(value), value[-1]
    if isinstance(value, bool):
        return [value, not value], not value
    if isinstance(value, str):
        opposite = OPPOSITES.get(value.lower())
        if opposite is None:
            return None
        opposite = opposite.capitalize() if value[:1].isupper() else opposite
        return [value, opposite], opposite
    if not isinstance(value, (int, float)):
        return None
    low, high = _number_range(name, float(value))
    steps = max(2, int(n_steps))
    sweep = [low + (high - low) * i / (steps - 1) for i in range(steps)]
    cast = [round(v) for v in sweep] if isinstance(value, int) else [float(f"{v:.6g}") for v in sweep]
    counterfactual = cast[-1] if value < (low + high) / 2 else cast[0]
    ordered = [value, *(v for v in cast if v != value)]
    return list(dict.fromkeys(ordered)), counterfactual
