"""Build an AnnexIVReport from an annotated notebook (the ``.ipynb`` itself, no kernel needed).

Annotations live in the notebook: a cell tag ``annex-iv:2b`` (markdown or code cells) or a code
cell starting with ``%%glassbox annex 2b`` (several sections may follow: ``%%glassbox annex 2b 2g``).
Tagged markdown is a person's text for that section; an annotated code cell's outputs are attached
to it. Every displayed GlassBox Finding carries its JSON (``application/vnd.glassbox.finding+json``)
in the output, so its evidence is filed under the sections it supports, annotated or not; a
Finding displayed twice counts once, in its last state. The last displayed ``AnnexIVReport``
(``application/vnd.glassbox.annex-iv+json``) supplies the system description and its written fields.
Secrets in outputs are redacted.

Example:
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells.append(nbformat.v4.new_markdown_cell("Loans are pre-screened.", metadata={"tags": ["annex-iv:1"]}))
    >>> report_from_notebook(nb).field("1.purpose").status
    'human'
"""

from __future__ import annotations

import base64
import re
from html import escape
from typing import Any

from glassbox_jupyter.finding.live import finding_key
from glassbox_jupyter.finding.mime import FINDING_MIME, REPORT_MIME
from glassbox_jupyter.report.annex import AnnexIVReport
from glassbox_jupyter.report.fields import section_key
from glassbox_jupyter.report.redact import redact

TAG_PREFIX = "annex-iv:"
_MAGIC = re.compile(r"^\s*%%glassbox\s+annex\b(.*)$")
_SCRIPT = re.compile(r"<script\b.*?</script>", re.IGNORECASE | re.DOTALL)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def cell_sections(cell: Any) -> list[str]:
    """Section keys a cell is annotated for (tags and the ``%%glassbox annex`` line); unknown ones raise."""
    keys = [
        section_key(t[len(TAG_PREFIX) :]) for t in cell.get("metadata", {}).get("tags", []) if t.startswith(TAG_PREFIX)
    ]
    if cell.get("cell_type") == "code":
        first = cell.get("source", "").lstrip().split("\n", 1)[0]
        match = _MAGIC.match(first)
        if match:
            keys += [section_key(part) for part in match.group(1).split()]
    return list(dict.fromkeys(keys))


def _output_html(output: Any) -> str | None:
    """One output as safe static HTML (scripts removed, images inline), or None if it shows nothing."""
    kind = output.get("output_type")
    if kind == "stream":
        return f"<pre>{escape(redact(_ANSI.sub('', output.get('text', ''))))}</pre>"
    if kind == "error":
        return None
    data = output.get("data", {})
    if "image/svg+xml" in data:
        return redact(_SCRIPT.sub("", _text(data["image/svg+xml"])))
    if "text/html" in data:
        return redact(_SCRIPT.sub("", _text(data["text/html"])))
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            payload = _text(data[mime]).replace("\n", "")
            base64.b64decode(payload[:64] + "=" * (-len(payload[:64]) % 4))  # raises on junk
            return f"<img alt='cell output' src='data:{mime};base64,{payload}'>"
    if "text/plain" in data:
        return f"<pre>{escape(redact(_text(data['text/plain'])))}</pre>"
    return None


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def report_from_notebook(nb: Any, **system: Any) -> AnnexIVReport:
    """The Annex IV report of notebook node ``nb`` (see the module docstring).

    Keyword arguments (``model_name=``, ``provider_name=``…) override the system description
    found in the notebook.
    """
    base = None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if REPORT_MIME in output.get("data", {}):
                base = output["data"][REPORT_MIME]
    report = AnnexIVReport.from_dict(base, with_findings=False, **system) if base else AnnexIVReport(**system)
    findings: dict[str, tuple[dict[str, Any], str | None, list[str], str]] = {}
    for stored in (base or {}).get("findings", []):  # added with report.add(...) in the notebook
        finding = {k: v for k, v in stored.items() if k not in ("origin", "static_html")}
        findings[finding_key(finding)] = (finding, stored.get("static_html"), [], stored.get("origin", "report.add"))
    annotated = 0
    for number, cell in enumerate(nb.cells, start=1):
        sections = cell_sections(cell)
        annotated += bool(sections)
        origin = f"notebook cell {number}"
        if cell.get("cell_type") == "markdown" and sections:
            text = redact(_text(cell.get("source", "")))
            for key in sections:
                report.write(key, text, origin=f"{origin} (markdown)")
            continue
        if cell.get("cell_type") != "code":
            continue
        if sections:
            source = _text(cell.get("source", ""))
            report.code_cells.append({"origin": f"{origin} ({', '.join(sections)})", "source": redact(source)})
        shown, shown_text = [], []
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if FINDING_MIME in data:
                payload = data[FINDING_MIME]
                for finding in payload if isinstance(payload, list) else [payload]:
                    html = finding.get("static_html") or _text(data.get("text/html", ""))
                    finding = {k: v for k, v in finding.items() if k != "static_html"}
                    key = finding_key(finding)
                    earlier = findings.pop(key, None)  # the last display wins (its final selection)
                    static = redact(_SCRIPT.sub("", html)) or (earlier[1] if earlier else None)
                    findings[key] = (finding, static, sections or (earlier[2] if earlier else []), origin)
            elif REPORT_MIME in data:
                continue
            elif sections and output.get("name") != "stderr":  # warnings are not documentation
                html = _output_html(output)
                if html:
                    shown.append(html)
                    plain = output.get("text") or output.get("data", {}).get("text/plain", "")
                    shown_text.append(redact(_ANSI.sub("", _text(plain))).strip())
            if output.get("output_type") == "error" and sections:
                report.notes.append(f"{origin} raised {output.get('ename')}: {redact(output.get('evalue', ''))}")
        for key in sections if shown else []:
            text = "\n".join(t for t in shown_text if t) or "(rendered output)"
            report.attach(key, "\n".join(shown), origin=f"{origin} (output)", text=text)
    for finding, static, sections, origin in findings.values():
        report.add({**finding, "static_html": static}, origin=origin)
        for key in sections:
            report.add_reference(len(report.findings) - 1, key, origin)
    if not annotated:
        report.notes.append(
            "the notebook has no Annex IV annotations (cell tags such as annex-iv:2b or `%%glassbox annex 2b`); "
            "every field a person must write is marked missing"
        )
    return report
