"""The fields of an Annex IV report: every sub-item of the nine sections, and who fills it.

Each field belongs to one section key of :data:`ANNEX_IV_SECTIONS` (``"2(b)"``) and says whether
GlassBox can fill it (``filled_by="automatic"``: from Findings, their provenance and the
environment) or a person must write it (``"human"``). A report marks each field *automatic*,
*human* or *missing*; nothing is silently blank.

Example:
    >>> from glassbox_jupyter.report.fields import FIELDS, section_key
    >>> section_key("2b"), section_key("annex-iv:2(g)"), section_key("3")
    ('2(b)', '2(g)', '3')
    >>> FIELDS["2(g).validation"].filled_by
    'automatic'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from glassbox_jupyter.errors import GlassboxError
from glassbox_jupyter.finding.sections import ANNEX_IV_SECTIONS

SECTION_ORDER = ("1", "2", "3", "4", "5", "6", "7", "8", "9")


class UnknownSectionError(GlassboxError, ValueError):
    """An annotation or call names a section Annex IV does not have."""


@dataclass(frozen=True)
class FieldSpec:
    """One sub-item of Annex IV: its id, section key, title, and who is expected to fill it."""

    id: str
    section: str
    title: str
    filled_by: str  # "automatic" or "human"
    guidance: str = ""


_SPECS = (
    FieldSpec("1.purpose", "1", "Intended purpose, provider and version", "human",
              "What the system is for, who provides it (name, address) and which version this is."),
    FieldSpec("1.versions", "1", "Software versions and the model analysed", "automatic",
              "Model name and SHA-256 of every analysed model version; versions of the software used."),
    FieldSpec("1.interaction", "1", "Interaction with other hardware, software and AI systems", "human"),
    FieldSpec("1.market", "1", "Forms in which the system is placed on the market or put into service", "human",
              "Deployment context: packages, APIs, embedded products."),
    FieldSpec("1.hardware", "1", "Hardware the system is intended to run on", "automatic",
              "Where the analyses ran (platform, processor); a person adds the deployment hardware."),
    FieldSpec("1.interface", "1", "User interface and instructions for use", "human"),
    FieldSpec("2(a).methods", "2(a)", "Methods and steps of development; pre-trained systems and third-party tools",
              "automatic", "Analysis methods and the tools (with versions) GlassBox used."),
    FieldSpec("2(b).logic", "2(b)", "General logic, algorithms and readable surrogates", "automatic",
              "Equations, rules, circuits and graphs distilled from the model, each with its fidelity."),
    FieldSpec("2(b).choices", "2(b)", "Key design choices, rationale and trade-offs", "human",
              "Why this architecture and these thresholds; what was traded off (e.g. accuracy vs. readability)."),
    FieldSpec("2(c).architecture", "2(c)", "System architecture and computational resources", "automatic",
              "Architecture of each analysed model; compute used for development (a person completes it)."),
    FieldSpec("2(d).data", "2(d)", "Data requirements: datasheets, provenance, labelling and cleaning", "human"),
    FieldSpec("2(e).interpretation", "2(e)", "Technical measures that help interpret outputs", "automatic",
              "The interpretation tools applied and what they show."),
    FieldSpec("2(e).oversight", "2(e)", "Human-oversight measures (Article 14)", "human",
              "Who oversees the system, how they can intervene or stop it."),
    FieldSpec("2(f).changes", "2(f)", "Pre-determined changes to the system and its performance", "human"),
    FieldSpec("2(g).validation", "2(g)", "Validation and testing: metrics and dated test logs", "automatic",
              "Every measured fidelity and audit metric with its confidence interval and date."),
    FieldSpec("2(g).procedures", "2(g)", "Validation and testing procedures and data used", "human"),
    FieldSpec("2(h).cybersecurity", "2(h)", "Cybersecurity measures", "human"),
    FieldSpec("3.capabilities", "3", "Capabilities and limitations in performance", "automatic",
              "Where the readable surrogates match the model and where they do not."),
    FieldSpec("3.groups", "3", "Degrees of accuracy for specific persons or groups", "automatic",
              "Parity and sensitivity across protected groups from black-box audits."),
    FieldSpec("3.risks", "3", "Foreseeable unintended outcomes and sources of risk", "human"),
    FieldSpec("3.inputs", "3", "Specifications on input data", "automatic",
              "Input names, ranges, units and types from the analysed models' input specs."),
    FieldSpec("4.metrics", "4", "Appropriateness of the performance metrics", "human"),
    FieldSpec("5.risk_management", "5", "Risk-management system (Article 9)", "human"),
    FieldSpec("6.changes", "6", "Relevant changes made through the lifecycle", "automatic",
              "Model hashes analysed and what differs between analysed versions."),
    FieldSpec("7.standards", "7", "Harmonised standards or other solutions applied", "human"),
    FieldSpec("8.declaration", "8", "Copy of the EU declaration of conformity", "human"),
    FieldSpec("9.post_market", "9", "Post-market monitoring plan (Article 72)", "human"),
)  # fmt: skip

FIELDS: dict[str, FieldSpec] = {spec.id: spec for spec in _SPECS}

# Which field receives evidence filed under each section key.
EVIDENCE_FIELD: dict[str, str] = {
    "1": "1.versions",
    "2": "2(b).logic",
    "2(a)": "2(a).methods",
    "2(b)": "2(b).logic",
    "2(c)": "2(c).architecture",
    "2(d)": "2(d).data",
    "2(e)": "2(e).interpretation",
    "2(f)": "2(f).changes",
    "2(g)": "2(g).validation",
    "2(h)": "2(h).cybersecurity",
    "3": "3.capabilities",
    "4": "4.metrics",
    "5": "5.risk_management",
    "6": "6.changes",
    "7": "7.standards",
    "8": "8.declaration",
    "9": "9.post_market",
}

# Where a person's text for a whole section goes (the section's first human field).
HUMAN_FIELD: dict[str, str] = {}
for _spec in _SPECS:
    if _spec.filled_by == "human":
        HUMAN_FIELD.setdefault(_spec.section, _spec.id)
HUMAN_FIELD.update({"2": "2(b).choices", "2(b)": "2(b).choices", "2(e)": "2(e).oversight", "2(g)": "2(g).procedures"})
HUMAN_FIELD.update({"3": "3.risks"})

_TAG = re.compile(r"^(?:annex-iv:)?\s*([1-9])\s*(?:\(?([a-h])\)?)?\s*$", re.IGNORECASE)


def valid_tags() -> list[str]:
    """The annotations accepted for cells: ``1``, ``2a`` … ``2h``, ``3`` … ``9`` (and ``2(a)`` forms)."""
    return [key.replace("(", "").replace(")", "") for key in ANNEX_IV_SECTIONS]


def section_key(tag: str) -> str:
    """Normalise ``"2b"``, ``"2(b)"`` or ``"annex-iv:2b"`` to the section key ``"2(b)"``.

    A field id (``"2(g).procedures"``) is accepted too and gives its section.
    """
    text = str(tag).strip()
    if text in FIELDS:
        return FIELDS[text].section
    match = _TAG.match(text)
    key = None
    if match:
        number, letter = match.groups()
        key = f"{number}({letter.lower()})" if letter else number
    if key not in ANNEX_IV_SECTIONS:
        raise UnknownSectionError(
            f"unknown Annex IV section {tag!r}; valid tags are {', '.join(valid_tags())} "
            "(e.g. `%%glassbox annex 2b` or the cell tag `annex-iv:2b`)"
        )
    return key
