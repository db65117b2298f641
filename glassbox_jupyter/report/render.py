"""Render an AnnexIVReport as one offline HTML file (inline CSS and SVG; no script, no network).

A Content-Security-Policy meta tag forbids every request except inline styles and ``data:``
images, so the file renders identically with the network unplugged. Secrets are redacted.

Example:
    >>> import glassbox
    >>> html = glassbox.AnnexIVReport(model_name="demo").to_html()
    >>> "9. Post-market monitoring plan" in html and "<script" not in html
    True
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.report.redact import redact

if TYPE_CHECKING:
    from glassbox_jupyter.report.annex import AnnexIVReport, ReportField

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "annex_iv"
_SCRIPT = re.compile(r"<script\b.*?</script>", re.IGNORECASE | re.DOTALL)


def markdown_html(text: str) -> str:
    """Markdown to HTML with raw HTML escaped (a person's text cannot inject markup)."""
    import mistune

    return str(mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])(text))


def plain_text_html(text: str) -> str:
    r"""Evidence text as HTML: escaped, lines starting with ``- `` as a bullet list, other lines as paragraphs.

    Example:
        >>> plain_text_html("Flip rate 5%.\n- age: 0%\n- income: 9% <b>")
        '<p>Flip rate 5%.</p><ul><li>age: 0%</li><li>income: 9% &lt;b&gt;</li></ul>'
    """
    from html import escape

    out: list[str] = []
    items: list[str] = []
    for line in text.splitlines():
        if line.startswith("- "):
            items.append(f"<li>{escape(line[2:].strip(), quote=False)}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if line.strip():
            out.append(f"<p>{escape(line.strip(), quote=False)}</p>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    return "".join(out)


def _anchor(field_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", field_id).strip("-")


def _data_line(data: dict[str, Any], limit: int = 400) -> str:
    """Scalars and short lists of ``data`` as ``key = value`` pairs (nested detail stays in the JSON)."""
    if not data:
        return ""
    parts = []
    for key, value in data.items():
        if isinstance(value, float):
            parts.append(f"{key} = {value:.4g}")
        elif isinstance(value, (str, int, bool)) or value is None:
            parts.append(f"{key} = {value}")
        elif (
            isinstance(value, (list, tuple)) and len(value) <= 6 and all(not isinstance(v, (dict, list)) for v in value)
        ):
            parts.append(f"{key} = {json.dumps(value, default=str, ensure_ascii=False)}")
    text = "; ".join(parts)
    return text if len(text) <= limit else text[:limit] + " …"


def _field_context(f: ReportField, labels: list[str], placed: set[int], findings: list[Any]) -> dict[str, Any]:
    texts = [
        {"html": t.html if t.html is not None else markdown_html(t.text), "origin": t.origin, "author": t.author}
        for t in f.texts
    ]
    evidence, views = [], []
    for e in f.evidence:
        label = labels[e.finding] if e.finding is not None else None
        evidence.append(
            {
                "title": e.item.title,
                "body": plain_text_html(e.item.body),
                "data": _data_line(e.item.data),
                "label": label,
            }
        )
        if e.finding is not None and e.finding not in placed:
            placed.add(e.finding)
            stored = findings[e.finding]
            html = _SCRIPT.sub("", stored.static_html or "<p>(no static view was stored)</p>")
            views.append({"label": label, "kind": stored.data["kind"], "summary": stored.data["summary"], "html": html})
    return {
        "id": f.id,
        "anchor": _anchor(f.id),
        "title": f.title,
        "status": f.status,
        "guidance": f.spec.guidance,
        "texts": texts,
        "derived": f.derived,
        "evidence": evidence,
        "views": views,
    }


def render_html(report: AnnexIVReport, *, include_code: bool = False) -> str:
    """The report as a standalone HTML document (see the module docstring)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True, trim_blocks=False, lstrip_blocks=False
    )
    labels = [f"F{i + 1}" for i in range(len(report.findings))]
    placed: set[int] = set()
    # views go where a finding is first filed, reading the readable-logic fields first
    order = ["2(b).logic", "2(e).interpretation", "2(g).validation", "3.groups", "3.capabilities"]
    contexts: dict[str, dict[str, Any]] = {}
    for fid in order + list(report.fields):
        if fid not in contexts:
            contexts[fid] = _field_context(report.fields[fid], labels, placed, report.findings)
    for ctx in contexts.values():
        ctx["texts"] = [{**t, "html": jinja2.utils.markupsafe.Markup(t["html"])} for t in ctx["texts"]]
        ctx["views"] = [{**v, "html": jinja2.utils.markupsafe.Markup(v["html"])} for v in ctx["views"]]
        ctx["evidence"] = [{**e, "body": jinja2.utils.markupsafe.Markup(e["body"])} for e in ctx["evidence"]]
    sections = []
    for s in report.sections():
        parts = [
            {"key": p["key"], "title": p["title"], "fields": [contexts[f.id] for f in p["fields"]]} for p in s["parts"]
        ]
        statuses = [f["status"] for p in parts for f in p["fields"]]
        counts = ", ".join(f"{statuses.count(k)} {k}" for k in ("automatic", "human", "missing") if statuses.count(k))
        sections.append({"number": s["number"], "title": s["title"], "parts": parts, "counts": counts})
    findings = []
    for label, stored in zip(labels, report.findings):
        d, prov = stored.data, stored.data["provenance"]
        fid = d["fidelity"]
        findings.append(
            {
                "label": label,
                "kind": d["kind"],
                "origin": stored.origin,
                "summary": d["summary"],
                "fidelity": Fidelity.from_dict(fid).describe(),
                "teacher": _data_line(prov["teacher"]),
                "hash": prov["teacher_hash"],
                "created": prov["created"],
                "seed": prov["seed"],
                "method": _data_line(prov.get("method") or {}),
                "probe": _data_line(prov.get("probe") or {}),
                "versions": ", ".join(f"{k} {v}" for k, v in sorted(prov["versions"].items())),
            }
        )
    html = env.get_template("report.html.j2").render(
        css=(TEMPLATE_DIR / "report.css").read_text(encoding="utf-8"),
        regulation=report.to_dict()["regulation"],
        system_name=report.model_name or "AI system (name missing)",
        provider=report.provider_name,
        address=report.provider_address,
        version=report.version,
        created=report.created,
        glassbox_version=report.to_dict()["glassbox_version"],
        counts=report.status_counts(),
        sections=sections,
        findings=findings,
        missing=[contexts[f.id] for f in report.missing()],
        code_cells=getattr(report, "code_cells", []) if include_code else [],
    )
    return redact(html)
