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

from glassbox_jupyter.errors import SelectionError
from glassbox_jupyter.finding.base import SCHEMA_PATH, Finding
from glassbox_jupyter.finding.evidence import EvidenceItem
from glassbox_jupyter.finding.fidelity import SPLITS, Fidelity
from glassbox_jupyter.finding.jsonable import jsonable
from glassbox_jupyter.finding.sections import ANNEX_IV_SECTIONS

_CDN = re.compile(r"https?://(esm\.sh|unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.|cdn\.)")
_DRAWN = ("path", "rect", "circle", "line", "polyline", "polygon")


def check_svg(svg: str) -> None:
    """The SVG parses and draws something (a blank chart fails)."""
    assert isinstance(svg, str) and "<svg" in svg, "to_svg() must return SVG markup"
    root = ET.fromstring(svg[svg.index("<svg") :])
    drawn = [el for el in root.iter() if el.tag.rsplit("}", 1)[-1] in _DRAWN]
    assert len(drawn) >= 5, f"the SVG draws only {len(drawn)} shapes; is the chart blank?"
    assert "NaN" not in svg, "the SVG contains NaN coordinates"


def check_fidelity(fid: Fidelity) -> None:
    """The fidelity says what it measured, on which split, over how many cases, and has an interval exactly
    where one can be measured: an estimate over 2+ held-out (or leave-one-out, or re-asked) cases carries a
    finite CI; a single in-sample case carries none and says so; an exact identity carries none."""
    assert fid.split in SPLITS, f"unknown fidelity split {fid.split!r}"
    assert fid.measures.strip(), "the fidelity must say what it measures"
    assert math.isfinite(fid.value), f"fidelity value is not finite: {fid.value}"
    text = fid.describe()
    if fid.ci is not None:
        assert math.isfinite(fid.ci[0]) and math.isfinite(fid.ci[1]), f"fidelity CI is not finite: {fid.ci}"
        assert fid.ci[0] <= fid.ci[1], f"fidelity CI is inverted: {fid.ci}"
        assert fid.n >= 2, f"a CI from {fid.n} case(s) is not a measured interval; report none"
        assert fid.interval != "bootstrap" or fid.n_boot, "a bootstrap CI needs the number of resamples behind it"
    elif fid.split == "exact":
        assert fid.value == 1.0 and "exactly" in text, f"an exact identity must say so: {text!r}"
    else:
        assert fid.split == "in-sample" and fid.n == 1, (
            f"a {fid.split} fidelity over {fid.n} cases must carry a measured CI; only a single in-sample case has none"
        )
        assert "no confidence interval" in text, f"say plainly that there is no interval: {text!r}"
    assert fid.split in text or (fid.split == "test-retest" and "asked twice" in text), (
        f"the description must name the split ({fid.split}): {text!r}"
    )
    if fid.metric == "agreement":
        assert 0.0 <= fid.value <= 1.0, f"an agreement of {fid.value} is not a share"


def check_measured(result: Any, model_hash: str | None = None, n_prompts: int | None = None) -> None:
    """Contract of a circuit helper result (:class:`~glassbox_jupyter.circuits.measured.MeasuredResult`): it
    says how it was measured (provenance with the weights hash, the prompts, the method's name and settings,
    the package versions) and its JSON export round-trips through ``json`` with that provenance in it.

    ``model_hash``: the weights hash the provenance must name; ``n_prompts``: how many prompts it must list.
    """
    from glassbox_jupyter.circuits.measured import MeasuredResult

    assert isinstance(result, MeasuredResult), f"{type(result).__name__} is not a MeasuredResult"
    prov = result.provenance
    assert prov is not None, f"{type(result).__name__} has no provenance: the function that made it must capture it"
    assert re.fullmatch(r"[0-9a-f]{64}", prov.teacher_hash), "provenance must name the weights by their SHA-256"
    if model_hash is not None:
        assert prov.teacher_hash == model_hash, "provenance names another model's weights"
    assert prov.method.get("name"), "provenance must name the method"
    assert prov.versions, "provenance must record the package versions"
    if n_prompts is not None:
        assert prov.probe.get("prompts") == n_prompts, f"provenance lists {prov.probe.get('prompts')} prompts"
        assert len(prov.probe.get("texts", [])) == n_prompts, "provenance must list the prompts themselves"
    exported = json.loads(result.to_json())
    assert exported["kind"] == result.kind and exported["result"], "the JSON export must hold the numbers"
    assert exported["provenance"]["teacher_hash"] == prov.teacher_hash, "the JSON export must carry the provenance"
    assert exported == jsonable(exported), "the JSON export must be plain JSON (no NaN)"


def check_finding(finding: Finding, selection: Any = 0) -> None:
    """Assert that ``finding`` honours the Finding protocol.

    Checks the fidelity (:func:`check_fidelity`), provenance (teacher hash, versions, timestamp, probe
    settings), JSON round trip against the published schema, Annex IV evidence, the static view
    (parseable, non-blank SVG), the view contract (JSON view data, selection and details; observers told
    of a selection) and a live widget (via :func:`check_widget`, with ``selection`` as the value a click
    asks for, in the form ``finding.selection`` has).
    """
    import jsonschema

    assert isinstance(finding, Finding), f"{type(finding).__name__} is not a glassbox Finding"
    assert finding.kind and finding.kind != "finding", "set a specific `kind` on the Finding class"
    check_fidelity(finding.fidelity)

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
    assert json.loads(text) == json.loads(json.dumps(as_dict, allow_nan=False)), "to_json() and to_dict() disagree"
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
    check_view_contract(finding, selection)
    check_widget(finding.widget(), selection)


def check_view_contract(finding: Finding, selection: Any) -> None:
    """View data, selection and details are strict JSON; ``select`` changes the selection, tells every
    observer, refuses a value that is not a selection (with a SelectionError naming what is), and returns
    the typed selection."""
    json.dumps(jsonable(finding.view_data()), allow_nan=False)
    before = jsonable(finding.selection)
    json.dumps({"value": before, "details": jsonable(finding.selection_details())}, allow_nan=False)
    told: list[str] = []
    unsubscribe = finding.subscribe(told.append)
    try:
        finding.select(selection)
        assert jsonable(finding.selection) == jsonable(selection), (
            f"select({selection!r}) left the selection at {finding.selection!r}"
        )
        assert told == ["selection"], f"observers were told {told} after one select(); expected ['selection']"
        try:
            finding.select(10**9)
        except SelectionError as exc:
            assert len(str(exc)) > 10, "a refused selection must say what can be selected"
        else:
            raise AssertionError("select(10**9) must raise a SelectionError naming what can be selected")
        assert jsonable(finding.selection) == jsonable(selection), "a refused selection must not change it"
    finally:
        unsubscribe()
    finding.select(before)


def check_widget(widget: Any, selection: Any = 0) -> None:
    """Assert that ``widget`` honours the GlassBox widget contract.

    ``selection`` is a valid selection of the widget's Finding (in the form ``finding.selection`` has).
    The check stands in for a click in the browser (a ``_request``), then asserts that the reply carries
    no error, that the Finding's selection, the synced ``_selection`` and a second view of the same
    Finding all equal what was clicked, that the public ``selected…`` property follows and is read-only,
    that a value which is not a selection is refused with a reply naming the fix and changes nothing,
    that synced state is strict JSON, and that the bundled JS exists and loads nothing from a CDN.
    """
    import anywidget

    from glassbox_jupyter.widgets.base import GlassboxWidget

    assert isinstance(widget, anywidget.AnyWidget) and isinstance(widget, GlassboxWidget)
    esm = widget._esm
    source = esm.read_text(encoding="utf-8") if hasattr(esm, "read_text") else str(esm)
    assert len(source) > 100, "the widget's ES module is empty; did the JS build run?"
    assert "export" in source and not _CDN.search(source), "widget JS must be bundled, with no CDN imports"
    for name in ("_data", "_selection", "_request", "_reply"):
        assert widget.has_trait(name) and widget.trait_metadata(name, "sync"), f"{name} must be a synced trait"

    public = [
        p for p in dir(type(widget)) if p.startswith("selected") and isinstance(getattr(type(widget), p), property)
    ]
    assert public, "a widget exposes its selection as a public, typed `selected…` property"
    finding = widget.finding
    wanted = jsonable(selection)
    changes = jsonable(finding.selection) != wanted
    other = finding.widget()  # a second view of the same Finding (another cell, a dashboard page)
    assert other is not widget, "widget() must make a new view each time (any number of views can show one Finding)"
    try:
        before = {p: getattr(widget, p) for p in public}
        reply = widget.request_selection(selection)
        assert reply.get("error") is None, f"a click on {selection!r} was refused: {reply.get('error')}"
        assert reply.get("id") == widget._request["id"], "the reply must answer the request it replies to"
        assert jsonable(finding.selection) == wanted, f"clicked {wanted!r}, the finding selected {finding.selection!r}"
        assert widget._selection.get("value") == wanted, f"clicked {wanted!r}, the view shows {widget._selection!r}"
        assert other._selection == widget._selection, "a second view of the same Finding did not follow the click"
        after = {p: getattr(widget, p) for p in public}
        if changes:
            assert after != before, f"clicking {selection!r} did not change {public}"
        for prop in public:
            try:
                setattr(widget, prop, None)
            except AttributeError:
                pass
            else:
                raise AssertionError(f"{prop} must be read-only (change the selection with finding.select)")
        value = after[public[0]]
        if isinstance(value, dict) or hasattr(value, "keys"):
            try:
                value["__probe__"] = 1
            except TypeError:
                pass
            else:
                raise AssertionError(f"{public[0]} must be an immutable mapping")

        refused = widget.request_selection(10**9)
        assert isinstance(refused.get("error"), str) and len(refused["error"]) > 10, (
            f"a click on something that is not a selection must be refused with a message, got {refused!r}"
        )
        assert jsonable(finding.selection) == wanted and widget._selection.get("value") == wanted, (
            "a refused selection must not change the selection"
        )
        assert {p: getattr(widget, p) for p in public} == after, "a refused selection must not change state"

        state = {name: getattr(widget, name) for name in widget.keys if not name.startswith("_view")}
        json.dumps({k: v for k, v in state.items() if k not in ("_esm", "_css", "layout", "comm")}, allow_nan=False)
    finally:
        other.close()
    check_svg(widget.to_svg())


# what a front end shows instead of plain text when an output has it; plain text is what is left otherwise
_RICH_MIMES = (
    "text/html",
    "text/markdown",
    "text/latex",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "application/pdf",
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
)
_RAW_REPR = re.compile(r"<\w*Findings?\b|\bobject at 0x[0-9a-fA-F]+")


def check_notebook_outputs(nb: Any) -> None:
    """Assert that no output of the notebook ``nb`` shows a person a raw object repr.

    An output with nothing richer than ``text/plain`` is shown as that text; so is anything
    printed. A ``<SymbolicFinding: …>`` or ``<… object at 0x…>`` there means an object was
    displayed without its view (a Finding shown a second time under its live widget, a
    ``print(finding)``). ``nb`` is an ``nbformat`` notebook or its JSON as a dict.

    Example:
        >>> import nbformat
        >>> cell = nbformat.v4.new_code_cell("law")
        >>> raw = {"text/plain": "<SymbolicFinding: P = 8.314*T*n/V>"}
        >>> cell.outputs = [nbformat.v4.new_output("execute_result", raw)]
        >>> check_notebook_outputs(nbformat.v4.new_notebook(cells=[cell]))
        Traceback (most recent call last):
        ...
        AssertionError: cell 1 shows a raw object repr as plain text: <SymbolicFinding: P = 8.314*T*n/V>
    """
    for number, cell in enumerate(nb["cells"], start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                text = output.get("text", "")
            else:
                data = output.get("data", {})
                if any(mime in data for mime in _RICH_MIMES):
                    continue
                text = data.get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else str(text)
            match = _RAW_REPR.search(text)
            if match:
                line = next(line for line in text.splitlines() if match.group(0) in line)
                raise AssertionError(f"cell {number} shows a raw object repr as plain text: {line.strip()}")
