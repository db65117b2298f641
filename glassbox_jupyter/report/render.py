"""Render an AnnexIVReport as one offline HTML file (inline CSS, SVG and widget code; no network).

Each finding is shown as its static SVG. When the report holds live views (``live=True`` and the
widgets are built), the widget code of ``static/report_viewer.js`` is inlined once with each
finding's stored view as JSON: with JavaScript the same widget as in JupyterLab replaces the SVG
on screen (hover and click show the stored numbers; no kernel, no server), while printing and
readers without JavaScript get the SVG.

A Content-Security-Policy meta tag forbids every request, and every script but that one inline
script (allowed by its SHA-256), so the file behaves identically with the network unplugged
(:func:`content_security_policy` reads it back for a server to send as a header). Secrets are
redacted.

Example:
    >>> import glassbox
    >>> html = glassbox.AnnexIVReport(model_name="demo").to_html()
    >>> "9. Post-market monitoring plan" in html and "<script" not in html  # no finding: no widget code
    True
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glassbox_jupyter.finding.fidelity import Fidelity
from glassbox_jupyter.report.redact import redact

if TYPE_CHECKING:
    from glassbox_jupyter.report.annex import AnnexIVReport, ReportField

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "annex_iv"
VIEWER_DIR = Path(__file__).resolve().parents[1] / "static"  # report_viewer.{js,css}, built by js/build.mjs
_SCRIPT = re.compile(r"<script\b.*?</script>", re.IGNORECASE | re.DOTALL)
_VIEWER_SLOT = "/*glassbox-report-viewer*/"  # the widget code goes here after redaction (its hash must hold)
_CSP = re.compile(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">')
BASE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def content_security_policy(html: str) -> str:
    """The policy a rendered report declares in its meta tag (for a server to send as a header too).

    Example:
        >>> content_security_policy('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">')
        "default-src 'none'"
    """
    import html as html_lib

    found = _CSP.search(html)
    return html_lib.unescape(found.group(1)) if found else BASE_CSP


def viewer_assets() -> tuple[str, str] | None:
    """The inline widget code and its stylesheet; None when the widgets are not built."""
    js, css = VIEWER_DIR / "report_viewer.js", VIEWER_DIR / "report_viewer.css"
    if not (js.exists() and css.exists()):
        return None
    # inside <script>, "</script" would end it early: "<\/" means the same in JS strings and regexes
    return js.read_text(encoding="utf-8").replace("</script", "<\\/script"), css.read_text(encoding="utf-8")


def view_json(view: dict[str, Any]) -> str:
    """A live view as JSON safe inside ``<script type="application/json">`` (no "<" can close it).

    Example:
        >>> view_json({"widget": "rules_view", "data": "</script>"})
        '{"widget": "rules_view", "data": "\\u003c/script>"}'
    """
    return json.dumps(view, ensure_ascii=False, allow_nan=False, default=str).replace("<", "\\u003c")


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


def _field_context(
    f: ReportField, labels: list[str], placed: set[int], findings: list[Any], live: bool
) -> dict[str, Any]:
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
            views.append(
                {
                    "label": label,
                    "kind": stored.data["kind"],
                    "summary": stored.data["summary"],
                    "html": html,
                    "live": view_json(stored.view) if live and stored.view else None,
                }
            )
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


def render_html(report: AnnexIVReport, *, include_code: bool = False, live: bool = True) -> str:
    """The report as a standalone HTML document (see the module docstring); ``live=False`` leaves the
    widget code out (the PDF prints the SVG views)."""
    import hashlib

    import jinja2

    assets = viewer_assets() if live else None
    live = assets is not None
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
            contexts[fid] = _field_context(report.fields[fid], labels, placed, report.findings, live)
    for ctx in contexts.values():
        ctx["texts"] = [{**t, "html": jinja2.utils.markupsafe.Markup(t["html"])} for t in ctx["texts"]]
        ctx["views"] = [
            {
                **v,
                "html": jinja2.utils.markupsafe.Markup(v["html"]),
                "live": None if v["live"] is None else jinja2.utils.markupsafe.Markup(v["live"]),
            }
            for v in ctx["views"]
        ]
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
    has_live = any(v["live"] for ctx in contexts.values() for v in ctx["views"])
    viewer_js, viewer_css, csp = None, None, BASE_CSP
    if assets is not None and has_live:
        viewer_js, viewer_css = assets
        digest = base64.b64encode(hashlib.sha256(viewer_js.encode("utf-8")).digest()).decode()
        csp = f"{BASE_CSP}; script-src 'sha256-{digest}'"
    html = env.get_template("report.html.j2").render(
        csp=csp,
        viewer_js=None if viewer_js is None else _VIEWER_SLOT,
        viewer_css=None if viewer_css is None else jinja2.utils.markupsafe.Markup(viewer_css),
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
    html = redact(html)
    if viewer_js is not None:
        before, slot, after = html.rpartition(f"<script>{_VIEWER_SLOT}</script>")
        assert slot, "the report template lost the widget code's slot"
        html = f"{before}<script>{viewer_js}</script>{after}"
    return html
