"""AnnexIVReport: EU AI Act (Regulation 2024/1689) Annex IV technical documentation, field by field.

Findings file their evidence under the sections they support (``report.add(finding)``), people
write the rest (``report.write("2(e)", "...")`` or annotated notebook cells), and every field is
marked *automatic*, *human* or *missing*; :meth:`AnnexIVReport.missing` lists what a person still
has to write. Exports: JSON (valid against the shipped ``annex_iv.schema.json``), offline HTML and
PDF (see :mod:`glassbox_jupyter.report.render` and :mod:`glassbox_jupyter.report.pdf`).

Example:
    >>> import glassbox
    >>> report = glassbox.AnnexIVReport(model_name="loan scorer", system_purpose="Pre-screen loan applications.")
    >>> report.field("1.purpose").status
    'human'
    >>> "9.post_market" in [f.id for f in report.missing()]
    True
"""

from __future__ import annotations

import itertools
import json
import platform
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from glassbox_jupyter._version import __version__
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.finding.jsonable import jsonable
from glassbox_jupyter.finding.publish import Published
from glassbox_jupyter.finding.sections import ANNEX_IV_SECTIONS
from glassbox_jupyter.report.fields import (
    EVIDENCE_FIELD,
    FIELDS,
    HUMAN_FIELD,
    SECTION_ORDER,
    FieldSpec,
    section_key,
)

SCHEMA_ID = "glassbox-annex-iv/1"
_SYSTEM_KEYS = ("model_name", "system_purpose", "provider_name", "provider_address", "deployment_context", "version")
SCHEMA_PATH = Path(__file__).with_name("annex_iv.schema.json")
REGULATION = "Regulation (EU) 2024/1689 (Artificial Intelligence Act), Annex IV"


@dataclass
class HumanText:
    """Text a person wrote for a field, and where it came from (a call, a notebook cell)."""

    text: str
    origin: str = "report.write"
    author: str | None = None
    html: str | None = None  # pre-rendered content (e.g. an annotated cell's output)


@dataclass
class FiledEvidence:
    """An evidence item filed under a field, with the Finding it came from (index into ``findings``)."""

    item: EvidenceItem
    finding: int | None = None


@dataclass
class ReportField:
    """One field of the report: its spec, what people wrote, what Findings filed, what was derived."""

    spec: FieldSpec
    texts: list[HumanText] = field(default_factory=list)
    evidence: list[FiledEvidence] = field(default_factory=list)
    derived: list[str] = field(default_factory=list)  # lines filled from provenance / the environment

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def section(self) -> str:
        return self.spec.section

    @property
    def status(self) -> str:
        """``human`` when a person wrote it, ``automatic`` when GlassBox filled it, else ``missing``."""
        if self.texts:
            return "human"
        if self.evidence or self.derived:
            return "automatic"
        return "missing"

    def to_dict(self, findings: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "filled_by": self.spec.filled_by,
            "status": self.status,
            "guidance": self.spec.guidance,
            "texts": [{"text": t.text, "origin": t.origin, "author": t.author} for t in self.texts],
            "derived": list(self.derived),
            "evidence": [
                {**e.item.to_dict(), "finding": None if e.finding is None else findings[e.finding]["kind"]}
                for e in self.evidence
            ],
        }


@dataclass
class StoredFinding:
    """A Finding as the report keeps it: its JSON form, its static view (SVG in HTML) and, when it has
    a widget, its live view (``finding.publish.live_view``: what the HTML report's inline widget shows)."""

    data: dict[str, Any]
    static_html: str | None
    origin: str
    view: dict[str, Any] | None = None


class AnnexIVReport:
    """Annex IV technical documentation with every field marked automatic, human or missing.

    Args:
        model_name: the AI system's (or model's) name.
        system_purpose: its intended purpose (fills 1.purpose).
        provider_name, provider_address: the provider (fills 1.purpose).
        deployment_context: how it is placed on the market or put into service (fills 1.market).
        version: the system version (shown on the cover and in 1.purpose).
    """

    def __init__(
        self,
        model_name: str | None = None,
        system_purpose: str | None = None,
        provider_name: str | None = None,
        provider_address: str | None = None,
        deployment_context: str | None = None,
        version: str | None = None,
    ):
        self.model_name = model_name
        self.system_purpose = system_purpose
        self.provider_name = provider_name
        self.provider_address = provider_address
        self.deployment_context = deployment_context
        self.version = version
        self.created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.fields: dict[str, ReportField] = {fid: ReportField(spec) for fid, spec in FIELDS.items()}
        self.findings: list[StoredFinding] = []
        self.notes: list[str] = []
        self.code_cells: list[dict[str, str]] = []  # annotated cells' code (shown with include_code)
        purpose = [
            line
            for line in (
                system_purpose,
                f"Provider: {provider_name}" if provider_name else None,
                f"Provider address: {provider_address}" if provider_address else None,
                f"Version: {version}" if version else None,
            )
            if line
        ]
        if purpose:
            self.fields["1.purpose"].texts.append(HumanText("\n\n".join(purpose), origin="AnnexIVReport(...)"))
        if deployment_context:
            self.fields["1.market"].texts.append(HumanText(deployment_context, origin="AnnexIVReport(...)"))

    # ------------------------------------------------------------------ filling
    def field(self, target: str) -> ReportField:
        """The field ``target`` (a field id such as ``"2(g).validation"``)."""
        if target not in self.fields:
            raise KeyError(f"no field {target!r}; fields are {', '.join(self.fields)}")
        return self.fields[target]

    def write(self, target: str, text: str, *, author: str | None = None, origin: str = "report.write") -> None:
        """Write a person's text into a field (``"2(e).oversight"``) or a section (``"2e"``, ``"9"``)."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"write() needs non-empty text for {target!r}")
        fid = target if target in self.fields else HUMAN_FIELD[section_key(target)]
        self.fields[fid].texts.append(HumanText(text.strip(), origin=origin, author=author))

    def attach(self, target: str, html: str, *, origin: str, text: str = "") -> None:
        """Attach rendered content (an annotated cell's output) to a section's human field."""
        fid = target if target in self.fields else HUMAN_FIELD[section_key(target)]
        self.fields[fid].texts.append(HumanText(text, origin=origin, html=html))

    def add(self, finding: Any, *, section: str | None = None, origin: str = "report.add") -> AnnexIVReport:
        """File a Finding's evidence under the sections it supports (and ``section``, when given).

        ``finding`` is a GlassBox Finding or its JSON form (``finding.to_dict()``, as stored in a
        notebook output, optionally with ``"static_html"`` and ``"live_view"``). Returns the report,
        so calls chain.
        """
        if hasattr(finding, "to_dict") and hasattr(finding, "evidence"):
            from glassbox_jupyter.finding.publish import live_view

            data, static, view = finding.to_dict(), finding.static_html(), live_view(finding)
        elif isinstance(finding, dict) and finding.get("schema") == "glassbox-finding/1":
            data, static, view = finding, finding.get("static_html"), finding.get("live_view")
        else:
            raise TypeError(
                f"add() takes a GlassBox Finding or its to_dict() form, got {type(finding).__name__}; "
                "for free text use report.write(section, text)"
            )
        data = {k: v for k, v in data.items() if k not in ("static_html", "live_view")}
        index = len(self.findings)
        self.findings.append(StoredFinding(data, static, origin, view if isinstance(view, dict) else None))
        for raw in data.get("evidence", []):
            item = EvidenceItem(**{k: raw[k] for k in ("section", "title", "body", "data", "status") if k in raw})
            self.fields[self._evidence_field(item)].evidence.append(FiledEvidence(item, index))
        if section is not None:
            self.add_reference(index, section, origin)
        self._derive()
        return self

    def _evidence_field(self, item: EvidenceItem) -> str:
        """The field an evidence item lands in: its section's evidence field, or ``data["field"]`` when that
        names another field of the same section (an audit's group parity goes to ``3.groups``)."""
        wanted = item.data.get("field") if isinstance(item.data, dict) else None
        if isinstance(wanted, str) and wanted in self.fields and self.fields[wanted].section == item.section:
            return wanted
        return EVIDENCE_FIELD[item.section]

    def add_reference(self, index: int, section: str, origin: str) -> None:
        """File finding number ``index`` under ``section`` too (an annotated cell chose that section)."""
        key = section_key(section)
        target = self.fields[EVIDENCE_FIELD[key]]
        section_fields = [f for f in self.fields.values() if f.section == key]
        if not any(e.finding == index for f in section_fields for e in f.evidence):  # already filed there
            data = self.findings[index].data
            item = EvidenceItem(
                section=key, title=f"{data['kind']} finding", body=data["summary"], data={"origin": origin}
            )
            target.evidence.append(FiledEvidence(item, index))

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, with_findings: bool = True, **overrides: Any) -> AnnexIVReport:
        """Rebuild a report from :meth:`to_dict` (system, written texts, findings); ``overrides`` win."""
        system = {k: v for k, v in (data.get("system") or {}).items() if k in _SYSTEM_KEYS}
        system.update({k: v for k, v in overrides.items() if v is not None})
        report = cls(**system)
        constructor = {"AnnexIVReport(...)"}
        for section in data.get("sections", []):
            for part in section.get("parts", []):
                for f in part.get("fields", []):
                    for t in f.get("texts", []):
                        if f["id"] in report.fields and t.get("origin") not in constructor and t.get("text"):
                            report.fields[f["id"]].texts.append(
                                HumanText(t["text"], t.get("origin", ""), t.get("author"))
                            )
        for finding in data.get("findings", []) if with_findings else []:
            report.add({k: v for k, v in finding.items() if k != "origin"}, origin=finding.get("origin", "report"))
        report.notes.extend(data.get("notes", []))
        return report

    # ------------------------------------------------------------------ derived fields
    def _derive(self) -> None:
        """Fill the automatic fields that come from the findings' provenance and the environment."""
        for f in self.fields.values():
            f.derived = []
        if not self.findings:
            return
        provenances = [s.data["provenance"] for s in self.findings]
        versions: dict[str, dict[str, Any]] = {}
        for p in provenances:
            versions.setdefault(p["teacher_hash"], {"teacher": p["teacher"], "first_seen": p["created"]})
        for digest, info in versions.items():
            name = info["teacher"].get("name") or info["teacher"].get("type") or "model"
            self.fields["1.versions"].derived.append(f"{name}: SHA-256 {digest} (analysed {info['first_seen']})")
        software = provenances[-1]["versions"]
        self.fields["1.versions"].derived.append(
            "software: " + ", ".join(f"{k} {v}" for k, v in sorted(software.items()))
        )
        machines = {json.dumps(p.get("machine", {}), sort_keys=True) for p in provenances}
        for machine in sorted(machines):
            m = json.loads(machine)
            if m:
                self.fields["1.hardware"].derived.append(
                    f"analyses ran on {m.get('platform', '?')} ({m.get('processor', '?')})"
                )
        for s in self.findings:
            method = s.data["provenance"].get("method") or {}
            label = method.get("name") or s.data["kind"]
            simple = {k: v for k, v in method.items() if k != "name" and isinstance(v, (str, int, float))}
            detail = f" ({', '.join(f'{k}={v}' for k, v in simple.items())})" if simple else ""
            self.fields["2(a).methods"].derived.append(f"{s.data['kind']}: {label}{detail}")
            fid = s.data["fidelity"]
            self.fields["2(g).validation"].derived.append(
                f"{s.data['provenance']['created']} — {s.data['kind']}: {Fidelity.from_dict(fid).describe()}"
            )
            self.fields["3.capabilities"].derived.append(f"{s.data['kind']}: {s.data['summary']}")
        for digest, info in versions.items():
            self.fields["2(c).architecture"].derived.append(_describe_teacher(digest, info["teacher"]))
        specs = {json.dumps(p["spec"], sort_keys=True) for p in provenances if p.get("spec")}
        for spec in sorted(specs):
            self.fields["3.inputs"].derived.append(_describe_spec(json.loads(spec)))
        self.fields["6.changes"].derived.extend(self.version_changes())

    def version_changes(self) -> list[str]:
        """What differs between analysed model versions (by teacher hash, for Findings of the same kind)."""
        by_kind: dict[str, dict[str, StoredFinding]] = {}
        names: dict[str, str] = {}
        for s in self.findings:
            digest = s.data["provenance"]["teacher_hash"]
            by_kind.setdefault(s.data["kind"], {})[digest] = s
            names[digest] = s.data["provenance"]["teacher"].get("name") or "model"
        if len(names) < 2:
            digest = next(iter(names))
            return [f"one model version analysed: {names[digest]} ({digest[:12]}…); no changes to compare"]
        lines = [f"{len(names)} model versions analysed: " + ", ".join(f"{n} ({d[:12]}…)" for d, n in names.items())]
        for kind, per_version in by_kind.items():
            if len(per_version) < 2:
                continue
            items = list(per_version.items())
            for (d0, a), (d1, b) in itertools.pairwise(items):
                fa, fb = a.data["fidelity"], b.data["fidelity"]
                lines.append(
                    f"{kind}: {names[d0]} ({d0[:12]}…) → {names[d1]} ({d1[:12]}…): "
                    f"“{a.data['summary']}” → “{b.data['summary']}”; fidelity {fa['metric']} "
                    f"{fa['value']:.4g} → {fb['value']:.4g}"
                )
        return lines

    # ------------------------------------------------------------------ status
    def missing(self) -> list[ReportField]:
        """Fields nobody has filled yet: what a person still has to write (or a Finding to supply)."""
        return [f for f in self.fields.values() if f.status == "missing"]

    def status_counts(self) -> dict[str, int]:
        counts = {"automatic": 0, "human": 0, "missing": 0}
        for f in self.fields.values():
            counts[f.status] += 1
        return counts

    def sections(self) -> list[dict[str, Any]]:
        """The nine sections in order, each with its parts (section keys) and their fields."""
        out = []
        for number in SECTION_ORDER:
            keys = [k for k in ANNEX_IV_SECTIONS if k == number or k.startswith(f"{number}(")]
            parts = []
            for key in keys:
                fields = [f for f in self.fields.values() if f.section == key]
                if fields:
                    parts.append({"key": key, "title": ANNEX_IV_SECTIONS[key], "fields": fields})
            out.append({"number": number, "title": ANNEX_IV_SECTIONS[number], "parts": parts})
        return out

    # ------------------------------------------------------------------ export
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, valid against the shipped ``annex_iv.schema.json``."""
        findings = [s.data for s in self.findings]
        return {
            "schema": SCHEMA_ID,
            "regulation": REGULATION,
            "glassbox_version": __version__,
            "created": self.created,
            "system": {
                "model_name": self.model_name,
                "system_purpose": self.system_purpose,
                "provider_name": self.provider_name,
                "provider_address": self.provider_address,
                "deployment_context": self.deployment_context,
                "version": self.version,
            },
            "status": self.status_counts(),
            "missing": [f.id for f in self.missing()],
            "sections": [
                {
                    "number": s["number"],
                    "title": s["title"],
                    "parts": [
                        {"key": p["key"], "title": p["title"], "fields": [f.to_dict(findings) for f in p["fields"]]}
                        for p in s["parts"]
                    ],
                }
                for s in self.sections()
            ],
            "findings": [{**s.data, "origin": s.origin} for s in self.findings],
            "notes": list(self.notes),
            "environment": {"python": platform.python_version(), "platform": platform.platform()},
        }

    def publish(
        self, server: str | None = None, *, project: str, title: str | None = None, token: str | None = None
    ) -> Published:
        """Send the report (its texts, and its Findings with their SVG views) to ``project`` on a
        GlassBox server, where an officer completes and signs it. ``server`` and ``token`` default to
        ``GLASSBOX_SERVER`` and ``GLASSBOX_TOKEN``; keep the token out of the notebook."""
        from glassbox_jupyter.finding.publish import publish_report

        return publish_report(self, project, title, server, token)

    def to_json(self, path: str | Path | None = None, indent: int = 2) -> str:
        """Serialise to JSON (and write it to ``path`` when given)."""
        from glassbox_jupyter.report.redact import redact

        text = redact(json.dumps(jsonable(self.to_dict()), indent=indent, allow_nan=False))
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def to_html(self, path: str | Path | None = None, *, include_code: bool = False, live: bool = True) -> str:
        """Offline HTML: cover, contents, the nine sections, evidence, findings as SVG, provenance appendix.

        ``live``: inline the widget code and each finding's live view, so a reader can hover and click
        the Pareto front, circuit heatmap or flow graph with no kernel and no server (the SVG stays for
        printing and for readers without JavaScript)."""
        from glassbox_jupyter.report.render import render_html

        html = render_html(self, include_code=include_code, live=live)
        if path is not None:
            Path(path).write_text(html, encoding="utf-8")
        return html

    def to_pdf(self, path: str | Path, *, include_code: bool = False) -> Path:
        """Print the HTML report to PDF with headless Chromium (:func:`glassbox_jupyter.report.pdf.html_to_pdf`)."""
        from glassbox_jupyter.report.pdf import html_to_pdf

        return html_to_pdf(self.to_html(include_code=include_code, live=False), path)

    # ------------------------------------------------------------------ display
    def summary(self) -> str:
        c = self.status_counts()
        name = self.model_name or "unnamed system"
        return (
            f"Annex IV report for {name}: {len(self.findings)} findings; fields automatic {c['automatic']}, "
            f"human {c['human']}, missing {c['missing']}"
        )

    def _repr_html_(self) -> str:
        from html import escape

        rows = "".join(
            f"<tr><td>{escape(f.id)}</td><td>{escape(f.title)}</td><td>{escape(f.spec.guidance)}</td></tr>"
            for f in self.missing()
        )
        return (
            f"<div class='glassbox-annex-iv'><p><b>{escape(self.summary())}</b></p>"
            f"<details><summary>fields still missing ({len(self.missing())})</summary>"
            f"<table><tr><th>field</th><th>title</th><th>what to write</th></tr>{rows}</table></details></div>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from glassbox_jupyter.finding.mime import REPORT_MIME

        data = self.to_dict()
        for stored, entry in zip(self.findings, data["findings"]):
            entry["static_html"] = stored.static_html  # so a notebook reader can show it without a kernel
            if stored.view is not None:  # and an HTML export from the saved notebook mounts its widget
                entry["live_view"] = stored.view
        return {"text/plain": repr(self), "text/html": self._repr_html_(), REPORT_MIME: data}

    def __repr__(self) -> str:
        return f"<AnnexIVReport: {self.summary()}>"


def _describe_teacher(digest: str, teacher: dict[str, Any]) -> str:
    parts = [f"{k}: {v}" for k, v in teacher.items() if isinstance(v, (str, int, float)) and k != "name"]
    nested = [f"{k}: {json.dumps(v, default=str)[:300]}" for k, v in teacher.items() if isinstance(v, (dict, list))]
    return f"{teacher.get('name', 'model')} ({digest[:12]}…): " + "; ".join(parts + nested)


def _describe_spec(spec: dict[str, Any]) -> str:
    names = spec.get("names") or []
    low, high = spec.get("low") or [], spec.get("high") or []
    units = spec.get("units") or [None] * len(names)
    kinds = spec.get("kinds") or [None] * len(names)
    cells = []
    for i, name in enumerate(names):
        rng = f"[{low[i]:.4g}, {high[i]:.4g}]" if i < len(low) and i < len(high) else ""
        unit = f" {units[i]}" if i < len(units) and units[i] else ""
        kind = f" ({kinds[i]})" if i < len(kinds) and kinds[i] and kinds[i] != "continuous" else ""
        cells.append(f"{name} {rng}{unit}{kind}".strip())
    return "inputs: " + "; ".join(cells) if cells else json.dumps(spec)[:300]
