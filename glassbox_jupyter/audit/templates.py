"""Decision-prompt templates: strict placeholder checks, safe filling, and default paraphrases.

A template is a ``str.format`` string whose placeholders are exactly the context variables (``{income}``; a
format spec such as ``{income:,}`` is fine; ``{{`` is a literal brace). Attribute or index access
(``{a.b}``, ``{a[0]}``) and positional fields (``{}``, ``{0}``) are refused, so filling a template never
evaluates anything.

When no paraphrases are given, :func:`default_paraphrases` builds three deterministic rewordings of the
template (each skipped when it would equal the template):

- ``"preamble"``: the sentence :data:`PREAMBLE` put in front;
- ``"reordered"``: in the first sentence made of comma-separated parts that each hold one placeholder, the parts
  after the first are put in reverse order (two parts are swapped), e.g. ``"Applicant: {name}, age {age},
  income {income}."`` → ``"Applicant: {name}, income {income}, age {age}."``;
- ``"instruction"``: the sentence :data:`INSTRUCTION` inserted before the last sentence (the question, which
  must stay last for completion-style models), or in front of a one-sentence template.

Example:
    >>> render("Income {income}. Decision:", {"income": 50000})
    'Income 50000. Decision:'
    >>> [name for name, _ in default_paraphrases("Applicant: {name}, age {age}. Decision:")]
    ['preamble', 'reordered', 'instruction']
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from glassbox_jupyter.audit.errors import TemplateError

PREAMBLE = "Consider the following case."
INSTRUCTION = "Answer with one word."
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_FIELD = re.compile(r"(?<!\{)\{(?!\{)[^{}]*\}")


def placeholders(template: str, what: str = "decision_prompt") -> list[str]:
    """The placeholder names of ``template`` in order of first use; a clear error for anything but ``{name}``."""
    if not isinstance(template, str) or not template.strip():
        raise TemplateError(f"{what} must be a non-empty str.format template, got {template!r}")
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise TemplateError(f"{what} is not a valid template ({exc}); write a literal brace as {{{{ or }}}}") from None
    for _, field, spec, _ in parsed:
        if field is None:
            continue
        if not field.isidentifier():
            raise TemplateError(
                f"{what} has the placeholder {{{field}}}; placeholders must be plain context-variable names such "
                "as {income} (no positions, attributes or indexes)"
            )
        if spec and "{" in spec:
            raise TemplateError(f"{what}: nested placeholders in a format spec ({{{field}:{spec}}}) are not allowed")
        if field not in names:
            names.append(field)
    return names


def check_template(template: str, variables: Iterable[str], what: str = "decision_prompt") -> None:
    """Raise :class:`TemplateError` unless ``template`` uses exactly the context ``variables``."""
    used = placeholders(template, what)
    known = list(variables)
    unknown = [n for n in used if n not in known]
    unused = [n for n in known if n not in used]
    if unknown:
        raise TemplateError(
            f"{what} uses {', '.join('{' + n + '}' for n in unknown)}, which {'is' if len(unknown) == 1 else 'are'} "
            f"not in context_variables; the variables are: {', '.join(known) or '(none)'}"
        )
    if unused:
        raise TemplateError(
            f"{what} never uses the context variable{'s' if len(unused) > 1 else ''} {', '.join(unused)}; add "
            f"{' '.join('{' + n + '}' for n in unused)} to the template or drop "
            f"{'them' if len(unused) > 1 else 'it'} from context_variables (variables: {', '.join(known)})"
        )


class _StrictValues(dict):
    def __missing__(self, key: str) -> Any:
        raise TemplateError(f"the template needs {{{key}}}, but the context has only: {', '.join(self) or '(none)'}")


def render(template: str, context: Mapping[str, Any]) -> str:
    """Fill ``template`` with ``context`` (a missing value is a :class:`TemplateError`, never a silent blank)."""
    try:
        return template.format_map(_StrictValues(context))
    except (ValueError, TypeError) as exc:  # e.g. a numeric format spec given a str value
        raise TemplateError(f"could not fill the template with {dict(context)!r}: {exc}") from None


def _sentences(template: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(template.strip()) if s]


def _reordered(template: str) -> str | None:
    sentences = _sentences(template)
    for i, sentence in enumerate(sentences):
        end = sentence[-1] if sentence[-1] in ".!?" else ""
        parts = (sentence[:-1] if end else sentence).split(", ")
        if len(parts) >= 2 and all(len(_FIELD.findall(p)) == 1 for p in parts):
            new = parts[::-1] if len(parts) == 2 else [parts[0], *parts[:0:-1]]
            sentences[i] = ", ".join(new) + end
            return " ".join(sentences)
    return None


def _with_instruction(template: str) -> str:
    sentences = _sentences(template)
    if len(sentences) < 2:
        return f"{INSTRUCTION} {template.strip()}"
    return " ".join([*sentences[:-1], INSTRUCTION, sentences[-1]])


def default_paraphrases(template: str) -> list[tuple[str, str]]:
    """Deterministic rewordings of ``template`` as ``(name, template)`` pairs (see the module docstring)."""
    candidates = [
        ("preamble", f"{PREAMBLE} {template.strip()}"),
        ("reordered", _reordered(template)),
        ("instruction", _with_instruction(template)),
    ]
    return [(name, text) for name, text in candidates if text and text.strip() != template.strip()]


def named_paraphrases(paraphrases: Sequence[str] | Mapping[str, str] | None, template: str) -> list[tuple[str, str]]:
    """``[("original", template), (name, paraphrase), …]``: defaults for ``None``, ``"paraphrase k"`` for a list."""
    if paraphrases is None:
        extra = default_paraphrases(template)
    elif isinstance(paraphrases, Mapping):
        extra = [(str(k), v) for k, v in paraphrases.items()]
    elif isinstance(paraphrases, str):
        raise TemplateError("paraphrases must be a list (or dict) of templates, not a single string")
    else:
        extra = [(f"paraphrase {k + 1}", p) for k, p in enumerate(paraphrases)]
    names = [n for n, _ in extra]
    if "original" in names or len(set(names)) != len(names):
        raise TemplateError(f"paraphrase names must be unique and not 'original', got {names}")
    return [("original", template), *extra]
