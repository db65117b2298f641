"""End to end: the AuditView widget in a real JupyterLab, driven by headless Chromium.

Audits the ``loan_lm`` demo (a small local language model with a planted age bias) over 20 applicant
contexts, displays ``audit.widget()`` and checks the sensitivity rows, the parity groups and the
measures drawn are the kernel's numbers. Clicking the row of the protected variable with the real mouse
makes it the kernel's ``audit.selected_variable`` and the widget lists its flipped pairs exactly as
``audit.flipped_pairs`` gives them; clicking a variable whose swaps never flip the decision shows that,
and clicking it again clears the selection in the kernel too; a selection made in Python
(``audit.select``) is drawn without a click. Screenshots land in
``tests/e2e/artifacts/audit_view*.png`` (gitignored): ``_before``, ``_flips``, ``_no_flips``,
``_python``, ``_notebook`` and the widget crops ``_widget_before`` / ``_widget_flips``.

Run: ``.venv/bin/pytest tests/e2e/test_jupyterlab_audit_view.py -q -s``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from .jupyterlab import E2E_MARKS, NotebookPage, poll, shown_number

pytestmark = E2E_MARKS

NOTEBOOK = "audit_view_e2e.ipynb"
RENDER_TIMEOUT = 180.0  # s, cell 0: import torch, load the loan_lm demo, ~200 prompts, bootstrap CIs, render
KERNEL_TIMEOUT = 30.0  # s, for the kernel to take a click (the comm message, select_variable, the answer)
WIDGET = ".gb-audit-view"

SETUP_CELL = """\
import glassbox
from glassbox_jupyter.demos.loan_lm import AUDIT_VARIABLES, DECISION_PROMPT, EXPECTED, PROTECTED, load_loan_lm
audit = glassbox.BlackBoxAuditor(load_loan_lm(), progress=False, seed=0).audit(
    DECISION_PROMPT, *EXPECTED, context_variables=AUDIT_VARIABLES, protected=PROTECTED, n_contexts=20
)
view = audit.widget()
view"""

PICK_CELL = """\
import json
def _est(e):
    return [float(e.value), float(e.ci_low), float(e.ci_high), int(e.n)]
print("PICK=" + json.dumps({
    "variables": [{"name": r.variable, "rate": [float(r.flip_rate), float(r.ci_low), float(r.ci_high)],
                   "n_pairs": int(r.n_pairs), "protected": bool(r.protected), "sensitive": bool(r.sensitive),
                   "flips": len(audit.flipped_pairs(r.variable))} for r in audit.sensitivity.itertuples()],
    "parity": [{"variable": r.variable, "group": str(r.group), "rate": [float(r.positive_rate), float(r.ci_low),
                float(r.ci_high)], "n": int(r.n)} for r in audit.parity.itertuples()],
    "gaps": {r.variable: float(r.parity_difference) for r in audit.parity_gaps.itertuples()},
    "flip_rate": _est(audit.flip_rate),
    "consistency": None if audit.consistency is None else _est(audit.consistency),
    "expected": list(audit.expected),
    "complete": audit.complete,
    "selected": audit.selected_variable,
}))"""

STATE_CELL = """\
def _pairs(name):
    if name is None:
        return []
    return [{"context": {k: str(v) for k, v in r["context"].items() if k != name}, "from": str(r["value_from"]),
             "to": str(r["value_to"]), "decision_from": r["decision_from"], "decision_to": r["decision_to"],
             "p_from": float(r["p_from"]), "p_to": float(r["p_to"])}
            for r in audit.flipped_pairs(name).to_dict("records")]
flips = audit.selection_details()["flips"]
print("STATE=" + json.dumps({
    "selected_variable": audit.selected_variable,
    "selection": audit.selection,
    "view_selected": view.selected_variable,
    "view_value": view._selection["value"],
    "view_flips": view._selection["details"]["flips"] == flips,
    "flips": flips and {k: flips[k] for k in ("variable", "total", "pairs")},
    "pairs": _pairs(audit.selected_variable),
}))"""

# Cell 3 is written by the test: a selection made in Python.
SCRATCH_CELL = "# written by the test"

# What the audit view shows right now (null if it is not on the page).
JS_AUDIT_STATE = """
(sel) => {
  const roots = document.querySelectorAll(sel);
  const root = roots[0];
  if (!root) return null;
  const shown = (e) => !!e && e.getClientRects().length > 0;
  const text = (s) => { const e = root.querySelector(s); return shown(e) ? e.textContent : null; };
  const all = (s) => [...root.querySelectorAll(s)];
  const inner = (e, s) => { const x = e.querySelector(s); return x ? x.textContent : null; };
  return {
    roots: roots.length,
    rows: all('.gb-var-row').map((r) => {
      const bar = r.querySelector('.gb-bar');
      return {
        name: r.dataset.name, value: inner(r, '.gb-var-value'), n: inner(r, '.gb-var-n'),
        protected: r.querySelectorAll('.gb-badge.gb-protected').length,
        sensitive: r.querySelectorAll('.gb-var-value.gb-sensitive').length,
        selected: r.classList.contains('gb-selected'), pressed: r.getAttribute('aria-pressed'),
        bar: bar ? bar.getBoundingClientRect().width : 0, whiskers: r.querySelectorAll('.gb-whisker').length,
      };
    }),
    parity: all('.gb-parity-block').map((b) => ({
      variable: b.dataset.variable, head: inner(b, '.gb-parity-head'),
      groups: [...b.querySelectorAll('.gb-group-row')].map((g) => ({
        group: g.dataset.group, value: inner(g, '.gb-group-value'), n: inner(g, '.gb-var-n'),
      })),
    })),
    measures: Object.fromEntries(all('.gb-measure').map((m) => [inner(m, '.gb-measure-label'),
                                                               inner(m, '.gb-measure-value')])),
    title: text('.gb-title'),
    summary: text('.gb-audit-summary'),
    partial: text('.gb-partial'),
    flipsHead: text('.gb-flips-head'),
    flipsMessage: text('.gb-flips-body .gb-message'),
    flipRows: all('.gb-flip-row').map((tr) => ({
      context: inner(tr, '.gb-flip-context'), swap: inner(tr, '.gb-flip-swap'),
      decision: inner(tr, '.gb-flip-decision'), p: inner(tr, '.gb-flip-p'),
    })),
    more: text('.gb-more'),
    readout: text('.gb-selection'),
    message: text(':scope > .gb-empty'),
    error: text(':scope > .gb-error'),
  };
}
"""

PERCENTS = re.compile(r"(\S+)% \[(\S+)%, (\S+)%\]")


def _state(nb: NotebookPage) -> dict[str, Any] | None:
    return nb.page.evaluate(JS_AUDIT_STATE, WIDGET)


def _check_estimate(shown: str | None, want: list[float], what: str) -> None:
    """``shown`` reads "v% [lo%, hi%]" with the kernel's value and CI (whole percents, half a point off)."""
    m = PERCENTS.fullmatch(shown or "")
    assert m, f"{what} reads {shown!r}, not 'v% [lo%, hi%]'"
    for part, value in zip(m.groups(), want[:3], strict=True):
        assert shown_number(part, what) == pytest.approx(100 * value, abs=0.5 + 1e-6), (
            f"{what} reads {shown!r}, the kernel has {[round(100 * v, 2) for v in want[:3]]}"
        )


def _click_row(nb: NotebookPage, name: str) -> None:
    nb.page.locator(f'{WIDGET} .gb-var-row[data-name="{name}"]').click()
    nb.log(f"clicked the row of {name}")


def _kernel_until(nb: NotebookPage, name: str | None) -> dict[str, Any]:
    """The kernel's state once ``audit.selected_variable`` is ``name`` (the click's comm message may lag)."""
    kernel = nb.run_cell_until(
        2, "STATE=", lambda s: s["selected_variable"] == name, f"the kernel's audit.selected_variable to be {name!r}",
        timeout=KERNEL_TIMEOUT,
    )  # fmt: skip
    nb.log(f"kernel: selected_variable {name!r}, {len(kernel['pairs'])} flipped pairs")
    assert kernel["selection"] == name and kernel["view_selected"] == name and kernel["view_value"] == name, kernel
    assert kernel["view_flips"], "view._selection's details are not audit.selection_details()"
    if name is None:
        assert kernel["flips"] is None, kernel["flips"]
    else:
        assert kernel["flips"]["variable"] == name and kernel["flips"]["total"] == len(kernel["pairs"]), kernel
    return kernel


def _wait_flips(nb: NotebookPage, name: str, n_rows: int) -> dict[str, Any]:
    """Wait until the flips panel answers for ``name`` (``n_rows`` rows, or the no-flip message)."""

    def check() -> tuple[bool, Any]:
        s = _state(nb)
        head = s["flipsHead"] or ""
        ok = head.startswith(f"swaps of {name} that flipped") and len(s["flipRows"]) == n_rows
        return ok, {"head": head, "rows": len(s["flipRows"]), "message": s["flipsMessage"]}

    poll(check, KERNEL_TIMEOUT, f"the flips panel to answer for {name}")
    return _state(nb)


@pytest.mark.timeout(420)
def test_audit_view_renders_and_click_lists_flipped_pairs(notebook_page: Callable[[str], NotebookPage]) -> None:
    nb = notebook_page("audit_view")
    page = nb.page
    nb.open_notebook(NOTEBOOK, [SETUP_CELL, PICK_CELL, STATE_CELL, SCRATCH_CELL])

    # 1. Run the audit and display the view; wait for its sensitivity rows.
    nb.start_cell(0)

    def rendered() -> tuple[bool, Any]:
        cell = nb.cell_state(0)  # raises on a traceback
        s = _state(nb)
        if s and (s["message"] or s["error"]):
            raise AssertionError(f"the audit view shows a message instead of the audit: {s['message'] or s['error']!r}")
        if s and s["rows"] and s["parity"]:
            return True, s
        return False, {"view": s and {"rows": len(s["rows"]), "parity": len(s["parity"])}, "count": cell["count"],
                       "kernel": cell["kernel"]}  # fmt: skip

    poll(rendered, RENDER_TIMEOUT, f"sensitivity rows and parity groups in {WIDGET}", interval=0.5)
    page.wait_for_timeout(300)
    nb.wait_cell(0, None, timeout=RENDER_TIMEOUT)

    pick = nb.run_cell_for_json(1, "PICK=")
    variables = {v["name"]: v for v in pick["variables"]}
    for v in pick["variables"]:
        nb.log(f"kernel: {v['name']}: flip rate {v['rate']}, {v['flips']} of {v['n_pairs']} pairs flipped")
    assert pick["selected"] is None, f"audit.selected_variable is {pick['selected']!r} before any click"
    assert pick["complete"], "the audit of the local demo model should be complete"
    protected = [v["name"] for v in pick["variables"] if v["protected"]]
    flipped = [v["name"] for v in pick["variables"] if v["protected"] and 0 < v["flips"] <= 100]
    steady = [v["name"] for v in pick["variables"] if v["flips"] == 0]
    assert flipped, f"no protected variable with 1–100 flipped pairs: {pick['variables']}"
    assert steady, f"every variable flips some decision: {pick['variables']}"
    target, quiet = flipped[0], steady[0]

    s = _state(nb)
    assert s["roots"] == 1, f"expected one {WIDGET}, found {s['roots']}"
    assert s["title"] == "Black-box audit of loan_lm", s["title"]
    assert s["summary"] and "flip" in s["summary"], s["summary"]
    assert s["partial"] is None, f"a complete audit shows the partial banner: {s['partial']!r}"
    assert [r["name"] for r in s["rows"]] == list(variables), f"rows {[r['name'] for r in s['rows']]}"
    for r in s["rows"]:
        v = variables[r["name"]]
        _check_estimate(r["value"], v["rate"], f"the flip rate of {r['name']}")
        assert r["n"] == f"n = {v['n_pairs']}", f"{r['name']}: {r['n']!r}, the kernel has {v['n_pairs']} pairs"
        assert r["protected"] == int(v["protected"]), f"{r['name']}: protected badge {r['protected']}"
        assert r["sensitive"] == int(v["sensitive"]), f"{r['name']}: sensitive mark {r['sensitive']}"
        assert (r["bar"] > 1) == (v["rate"][0] > 0), f"{r['name']}: bar {r['bar']} px for rate {v['rate'][0]}"
        assert r["whiskers"] == 3, f"{r['name']}: {r['whiskers']} CI whisker lines"
    widths = {r["name"]: r["bar"] for r in s["rows"]}
    by_rate = sorted(variables, key=lambda n: variables[n]["rate"][0])
    assert [widths[n] for n in by_rate] == sorted(widths.values()), f"bars not ordered by flip rate: {widths}"
    assert [b["variable"] for b in s["parity"]] == protected, f"parity blocks {s['parity']}, protected {protected}"
    for block in s["parity"]:
        groups = [g for g in pick["parity"] if g["variable"] == block["variable"]]
        assert [g["group"] for g in block["groups"]] == [g["group"] for g in groups], block
        for shown, want in zip(block["groups"], groups, strict=True):
            _check_estimate(shown["value"], want["rate"], f"the positive rate of {block['variable']} = {want['group']}")
            assert shown["n"] == f"n = {want['n']}", (shown, want)
        gap = re.search(r"parity gap (\S+)", block["head"] or "")
        assert gap, f"the parity head {block['head']!r} names no gap"
        assert shown_number(gap.group(1), "the parity gap") == pytest.approx(pick["gaps"][block["variable"]], abs=5e-3)
    _check_estimate(s["measures"].get("flip rate"), pick["flip_rate"], "the overall flip rate")
    if pick["consistency"] is not None:
        _check_estimate(s["measures"].get("paraphrase consistency"), pick["consistency"], "the consistency")
    assert s["measures"].get("answers") == " / ".join(pick["expected"]), s["measures"]
    assert not any(r["selected"] for r in s["rows"]), "a variable is selected at the start"
    assert s["flipsHead"] == "flipped decisions", s["flipsHead"]
    assert s["flipsMessage"] == "click a variable to list the swaps that flipped the decision", s["flipsMessage"]

    root = page.locator(WIDGET).first
    root.scroll_into_view_if_needed()
    nb.screenshot("before")
    nb.assert_not_blank(root, "widget_before", min_size=(500, 200), min_colours=40)

    # 2. Click the protected variable's row: the kernel selects it, the view lists its flipped pairs.
    _click_row(nb, target)
    kernel = _kernel_until(nb, target)
    pairs = kernel["pairs"]
    assert len(pairs) == variables[target]["flips"], f"{len(pairs)} flipped pairs of {target}"
    s = _wait_flips(nb, target, len(pairs))
    head = f"swaps of {target} that flipped the decision: {len(pairs)} of {variables[target]['n_pairs']}"
    assert s["flipsHead"] == head, f"flips head {s['flipsHead']!r}, expected {head!r}"
    assert [r["name"] for r in s["rows"] if r["selected"]] == [target], "the clicked row is not drawn selected"
    assert [r["pressed"] for r in s["rows"]] == [str(r["name"] == target).lower() for r in s["rows"]], s["rows"]
    assert s["readout"] and s["readout"].startswith(f"selected {target}: flip rate"), s["readout"]
    for k, (row, want) in enumerate(zip(s["flipRows"], pairs, strict=True)):
        where = f"flipped pair {k + 1} of {target}"
        context = ", ".join(f"{key} = {value}" for key, value in want["context"].items())
        assert row["context"] == context, f"{where}: context {row['context']!r}, the kernel's {context!r}"
        assert row["swap"] == f"{want['from']} → {want['to']}", f"{where}: swap {row['swap']!r}, kernel {want}"
        assert row["decision"] == f"{want['decision_from']} → {want['decision_to']}", f"{where}: {row['decision']!r}"
        assert want["decision_from"] != want["decision_to"], f"{where}: the kernel's pair did not flip: {want}"
        m = re.fullmatch(r"(\S+) → (\S+)", row["p"] or "")
        assert m, f"{where}: p column {row['p']!r}"
        for part, value in zip(m.groups(), (want["p_from"], want["p_to"]), strict=True):
            assert shown_number(part, where) == pytest.approx(value, abs=5e-3), f"{where}: p {row['p']!r}, {want}"
    assert s["more"] is None, f"all {len(pairs)} pairs should be listed: {s['more']!r}"
    nb.log(f"the view lists {len(s['flipRows'])} flipped pairs of {target}; first {s['flipRows'][0]}")
    root.scroll_into_view_if_needed()
    nb.screenshot("flips")
    nb.assert_not_blank(root, "widget_flips", min_size=(500, 300), min_colours=40)

    # 3. A variable whose swaps never flip the decision: the view says so.
    _click_row(nb, quiet)
    kernel = _kernel_until(nb, quiet)
    assert kernel["pairs"] == [], kernel["pairs"]
    s = _wait_flips(nb, quiet, 0)
    head = f"swaps of {quiet} that flipped the decision: 0 of {variables[quiet]['n_pairs']}"
    assert s["flipsHead"] == head, f"flips head {s['flipsHead']!r}, expected {head!r}"
    assert s["flipsMessage"] == f"no swap of {quiet} changed the decision", s["flipsMessage"]
    assert [r["name"] for r in s["rows"] if r["selected"]] == [quiet], "the selection did not move"
    root.scroll_into_view_if_needed()
    nb.screenshot("no_flips")

    # 4. Clicking the selected row again clears the selection, in the kernel too.
    _click_row(nb, quiet)
    _kernel_until(nb, None)
    poll(
        lambda: (lambda st: (st["flipsHead"] == "flipped decisions" and not any(r["selected"] for r in st["rows"]),
                             st["flipsHead"]))(_state(nb)),
        KERNEL_TIMEOUT,
        "the view to clear the selection",
    )  # fmt: skip

    # 5. A selection made in Python is drawn without a click: the row and its flipped pairs.
    nb.run_source(3, f"audit.select({target!r})")
    kernel = _kernel_until(nb, target)
    s = _wait_flips(nb, target, len(kernel["pairs"]))
    assert [r["name"] for r in s["rows"] if r["selected"]] == [target], "Python's selection is not drawn"
    assert s["readout"] and s["readout"].startswith(f"selected {target}: flip rate"), s["readout"]
    assert s["flipRows"][0]["swap"] == f"{kernel['pairs'][0]['from']} → {kernel['pairs'][0]['to']}", s["flipRows"][0]
    root.scroll_into_view_if_needed()
    nb.screenshot("python")

    nb.screenshot("notebook", clip=nb.cells_box(0, 2))
    nb.assert_no_page_errors()
    nb.log("done")
