"""Contract suites every Finding and every widget must pass (like scikit-learn's estimator checks).

Later capabilities call these from their tests; users can call them on their own Findings.

Example:
    >>> import glassbox
    >>> from glassbox_jupyter.testing import check_finding
    >>> finding = glassbox.response(glassbox.demos.load("friedman_mlp"), features=["x4"], n=200)
    >>> check_finding(finding)
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

from glassbox_jupyter.finding.base import SCHEMA_PATH, Finding
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.report.sections import ANNEX_IV_SECTIONS

_CDN = re.compile(r"https?://(esm\.sh|unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.|cdn\.)")
_DRAWN = ("path", "rect", "circle", "line", "polyline", "polygon")


def check_svg(svg: str) -> None:
    """The SVG parses and draws something (a blank chart fails)."""
    assert isinstance(svg, str) and "<svg" in svg, "to_svg() must return SVG markup"
    root = ET.fromstring(svg[svg.index("<svg") :])
    drawn = [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] in _DRAWN]
    assert len(drawn) >= 5, f"the SVG draws only {len(drawn)} shapes; is the chart blank?"
    assert "NaN" not in svg, "the SVG contains NaN coordinates"


def check_finding(finding: Finding, selection: Any = 0) -> None:
    """Assert that ``finding`` honours the Finding protocol.

    Checks fidelity (metric, finite value, CI), provenance (teacher hash, versions, timestamp,
    probe settings), JSON round trip against the published schema, Annex IV evidence, the
    static view (parseable, non-blank SVG) and the live widget (via :func:`check_widget`, with
    ``selection`` as the value a click writes to its private selection trait).
    """
    import jsonschema

    assert isinstance(finding, Finding), f"{type(finding).__name__} is not a glassbox Finding"
    assert finding.kind and finding.kind != "finding", "set a specific `kind` on the Finding class"

    fid = finding.fidelity
    assert math.isfinite(fid.value), f"fidelity value is not finite: {fid.value}"
    assert fid.ci_low <= fid.ci_high, f"fidelity CI is inverted: {fid.ci}"
    assert fid.ci_low - 1e-9 <= fid.value <= fid.ci_high + 1e-9 or fid.n < 30, (
        f"fidelity {fid.value} lies outside its own CI {fid.ci}"
    )
    assert fid.n >= 2 and fid.split == "held-out", "fidelity must be measured on held-out probes"
    if fid.metric == "agreement":
        assert 0.0 <= fid.value <= 1.0

    prov = finding.provenance
    assert re.fullmatch(r"[0-9a-f]{64}", prov.teacher_hash), "provenance needs the teacher's SHA-256"
    assert datetime.fromisoformat(prov.created).tzinfo is not None, "timestamps must carry a timezone"
    for package in ("python", "glassbox-jupyter", "numpy"):
        assert package in prov.versions, f"provenance versions lack {package}"

    items = finding.evidence()
    assert items and all(isinstance(i, EvidenceItem) for i in items), "evidence() must list EvidenceItems"
    for item in items:
        assert item.section in ANNEX_IV_SECTIONS and item.title and item.body

    as_dict = finding.to_dict()
    text = finding.to_json()
    assert json.loads(text) == json.loads(json.dumps(as_dict, default=lambda v: v.tolist())), (
        "to_json() and to_dict() disagree"
    )
    try:
        jsonschema.validate(json.loads(text), json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))
    except jsonschema.ValidationError as exc:
        raise AssertionError(f"to_dict() does not follow finding.schema.json: {exc.message}") from exc

    assert finding.summary().strip(), "summary() must say what was found"
    check_svg(finding.to_svg())
    bundle = finding._repr_mimebundle_()
    assert "text/plain" in bundle and "<svg" in bundle.get("text/html", ""), (
        "outside a kernel a Finding must display its static SVG view"
    )
    check_widget(finding.widget(), selection)


def check_widget(widget: Any, selection: Any = 0) -> None:
    """Assert that ``widget`` honours the GlassBox widget contract.

    ``selection`` is a valid value for the widget's private selection trait; assigning it
    stands in for a click in the browser. The check asserts the public, typed selection follows
    and is read-only, that out-of-range values are refused, that synced state is JSON, and that
    the bundled JS exists and loads nothing from a CDN.
    """
    import anywidget
    import traitlets

    from glassbox_jupyter.widgets.base import GlassboxWidget

    assert isinstance(widget, anywidget.AnyWidget) and isinstance(widget, GlassboxWidget)
    esm = widget._esm
    source = esm.read_text(encoding="utf-8") if hasattr(esm, "read_text") else str(esm)
    assert len(source) > 100, "the widget's ES module is empty; did the JS build run?"
    assert "export" in source and not _CDN.search(source), "widget JS must be bundled, with no CDN imports"

    state = {name: getattr(widget, name) for name in widget.keys if not name.startswith("_view")}
    json.dumps({k: v for k, v in state.items() if k not in ("_esm", "_css", "layout", "comm")}, allow_nan=False)

    name = widget._selection_trait
    assert name.startswith("_") and widget.has_trait(name), "the browser must write a private synced trait"
    assert widget.trait_metadata(name, "sync"), f"{name} must be synced with the browser"

    public = [
        p for p in dir(type(widget)) if p.startswith("selected") and isinstance(getattr(type(widget), p), property)
    ]
    assert public, "a widget exposes its selection as a public `selected…` property"
    before = {p: getattr(widget, p) for p in public}
    setattr(widget, name, selection)
    after = {p: getattr(widget, p) for p in public}
    assert after != before, f"assigning {name}={selection!r} did not change {public}"
    for prop in public:
        try:
            setattr(widget, prop, None)
        except AttributeError:
            pass
        else:
            raise AssertionError(f"{prop} must be read-only (the browser owns the selection)")
    value = after[public[0]]
    if isinstance(value, dict) or hasattr(value, "keys"):
        try:
            value["__probe__"] = 1  # type: ignore[index]
        except TypeError:
            pass
        else:
            raise AssertionError(f"{public[0]} must be an immutable mapping")
    try:
        setattr(widget, name, 10**9)
    except traitlets.TraitError:
        pass
    else:
        raise AssertionError(f"an out-of-range {name} must be refused with a TraitError")
    assert {p: getattr(widget, p) for p in public} == after, "a refused selection must not change state"
    svg = widget.to_svg()
    check_svg(svg)
