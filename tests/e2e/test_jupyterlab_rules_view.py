"""End to end: the RulesView widget in a real JupyterLab, driven by headless Chromium.

Distils the shipped ``loan_approval`` demo in logic mode, displays ``finding.widget()`` and checks the
table drawn is ``finding.rules``: one row per rule, numbered by its ``Rule.id`` (from 0, as in Python),
with its conditions, prediction, coverage and fidelity with the count of probes behind it ("100% of 5",
flagged under ``min_support``), and the overall fidelity in the caption exactly as Python writes it (no
"ELSE" default, since the leaves cover every input). Clicking a row with the real mouse makes that rule
the kernel's ``finding.selected_rule``; Enter and Space on a focused row select too; a selection made
in Python (``finding.select``) is drawn without a click, in a second view of the same finding as
well; a rule the finding refuses shows Python's message and leaves the selection where it was.
Screenshots land in ``tests/e2e/artifacts/rules_view*.png`` (gitignored): ``_before``, ``_clicked``,
``_python``, ``_refused``, ``_notebook`` and the widget crops ``_widget_before`` / ``_widget_clicked``.

Run: ``.venv/bin/pytest tests/e2e/test_jupyterlab_rules_view.py -q -s``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from .jupyterlab import E2E_MARKS, NotebookPage, poll

pytestmark = E2E_MARKS

NOTEBOOK = "rules_view_e2e.ipynb"
RENDER_TIMEOUT = 120.0  # s, cell 0: import glassbox, load the demo, probe 800 inputs, grow the tree, render
KERNEL_TIMEOUT = 30.0  # s, for the kernel to take a click (the comm message, select, the reply)
WIDGET = ".gb-rules-view"
EMPTY_SELECTION = "click a rule to select it"

SETUP_CELL = """\
import glassbox
finding = glassbox.distill(glassbox.demos.load("loan_approval"), mode="logic", max_leaves=8, n=800, seed=0)
view = finding.widget()
view"""

PICK_CELL = """\
import json
print("PICK=" + json.dumps({
    "title": finding.view_data()["title"],
    "output_name": finding.output_name,
    "task": finding.task,
    "rules": [{"id": r.id, "text": r.text, "conditions": [c.text for c in r.conditions],
               "prediction": r.prediction, "coverage": r.coverage, "n": r.n, "fidelity": r.fidelity,
               "small": r.small_support}
              for r in finding.rules],
    "caption": finding.view_data()["caption"],
    "fidelity": finding.fidelity.view()["text"],
    "selected": finding.selection,
}))"""

STATE_CELL = """\
print("STATE=" + json.dumps({
    "selection": finding.selection,
    "selected_text": None if finding.selected_rule is None else finding.selected_rule.text,
    "view_rule": None if view.selected_rule is None else view.selected_rule.id,
    "view_selection": view._selection,
    "reply": view._reply,
}))"""

# Cell 3 is written by the test (a selection made in Python; a finding that refuses a rule).
SCRATCH_CELL = "# written by the test"

SECOND_VIEW_CELL = """\
view2 = finding.widget()
view2"""

# What the `index`-th rules view on the page shows right now (null if it is not there).
JS_RULES_STATE = """
([sel, index]) => {
  const roots = document.querySelectorAll(sel);
  const root = roots[index];
  if (!root) return null;
  const shown = (e) => !!e && e.getClientRects().length > 0;
  const text = (s) => { const e = root.querySelector(s); return shown(e) ? e.textContent : null; };
  const inner = (e, s) => { const x = e.querySelector(s); return x ? x.textContent : null; };
  return {
    roots: roots.length,
    head: [...root.querySelectorAll('.gb-rules-table thead th')].map((th) => th.textContent),
    rows: [...root.querySelectorAll('tr.gb-rule-row')].map((tr) => ({
      id: Number(tr.dataset.id), title: tr.title, number: inner(tr, '.gb-rule-num'),
      chips: [...tr.querySelectorAll('.gb-chip')].map((c) => ({text: c.textContent, title: c.title})),
      ands: tr.querySelectorAll('.gb-and').length, prediction: inner(tr, '.gb-prediction'),
      coverage: inner(tr, '.gb-cov-text'), fidelity: inner(tr, '.gb-rule-fid-text'),
      flagged: !!tr.querySelector('.gb-support-flag'),
      bar: (() => { const f = tr.querySelector('.gb-cov-fill'); return f ? f.getBoundingClientRect().width : -1; })(),
      selected: tr.classList.contains('gb-selected'), ariaSelected: tr.getAttribute('aria-selected'),
      focused: document.activeElement === tr,
    })),
    title: text('.gb-title'),
    fidelity: text('.gb-fidelity'),
    caption: text('.gb-caption-text'),
    readout: text('.gb-selection'),
    refusal: text('.gb-request-error'),
    busy: root.classList.contains('gb-is-busy'),
    ariaBusy: root.getAttribute('aria-busy'),
    message: text(':scope > .gb-message'),
  };
}
"""


def _state(nb: NotebookPage, index: int = 0) -> dict[str, Any] | None:
    return nb.page.evaluate(JS_RULES_STATE, [WIDGET, index])


def _row(nb: NotebookPage, rule_id: int, index: int = 0) -> Any:
    return nb.page.locator(WIDGET).nth(index).locator(f'tr.gb-rule-row[data-id="{rule_id}"]')


def _percent(share: float) -> str:
    """A share as the widget's formatPercent writes it (whole percent; JS rounds halves up)."""
    p = 100 * share
    if p == 0:
        return "0%"
    return f"{int(p + 0.5 + 1e-9)}%" if abs(p) >= 1 else f"{p:.1f}%"


def _kernel_until(nb: NotebookPage, rule_id: int | None, what: str) -> dict[str, Any]:
    """The kernel's state once ``finding.selection`` is ``rule_id`` (the click's comm message may lag)."""
    kernel = nb.run_cell_until(
        2, "STATE=", lambda s: s["selection"] == rule_id, f"finding.selection to be {rule_id} after {what}",
        timeout=KERNEL_TIMEOUT,
    )  # fmt: skip
    nb.log(f"kernel after {what}: selection {kernel['selection']}, reply {kernel['reply']}")
    assert kernel["view_rule"] == rule_id, kernel
    assert kernel["view_selection"] == {"value": rule_id, "details": {}}, kernel
    return kernel


def _wait_drawn(nb: NotebookPage, rule_id: int | None, pick: dict[str, Any], what: str, index: int = 0) -> dict:
    """Wait until view ``index`` draws rule ``rule_id`` (only it) as selected, with nothing pending."""

    def check() -> tuple[bool, Any]:
        s = _state(nb, index)
        selected = [r["id"] for r in s["rows"] if r["selected"]]
        want = [] if rule_id is None else [rule_id]
        return selected == want and not s["busy"], {"selected": selected, "busy": s["busy"], "readout": s["readout"]}

    poll(check, KERNEL_TIMEOUT, f"view {index} to draw rule {rule_id} as selected after {what}")
    s = _state(nb, index)
    text = EMPTY_SELECTION if rule_id is None else f"rule {rule_id}: {pick['rules'][rule_id]['text']}"
    assert s["readout"] == text, f"view {index} reads {s['readout']!r} after {what}, expected {text!r}"
    assert [r["ariaSelected"] for r in s["rows"]] == [str(r["id"] == rule_id).lower() for r in s["rows"]], s["rows"]
    assert s["ariaBusy"] is None, f"view {index} is still aria-busy after {what}"
    assert s["refusal"] is None, f"view {index} shows a refusal after {what}: {s['refusal']!r}"
    nb.log(f"view {index} draws rule {rule_id} after {what}")
    return s


@pytest.mark.timeout(360)
def test_rules_view_renders_and_clicks_select_a_rule(notebook_page: Callable[[str], NotebookPage]) -> None:
    nb = notebook_page("rules_view")
    page = nb.page
    nb.open_notebook(NOTEBOOK, [SETUP_CELL, PICK_CELL, STATE_CELL, SCRATCH_CELL, SECOND_VIEW_CELL])

    # 1. Distil the demo and display the view; wait for its rows.
    nb.start_cell(0)

    def rendered() -> tuple[bool, Any]:
        cell = nb.cell_state(0)  # raises on a traceback
        s = _state(nb)
        if s and s["message"]:
            raise AssertionError(f"the rules view shows a message instead of the rules: {s['message']!r}")
        if s and s["rows"]:
            return True, s
        return False, {"view": s, "count": cell["count"], "kernel": cell["kernel"]}

    poll(rendered, RENDER_TIMEOUT, f"rule rows in {WIDGET}", interval=0.5)
    nb.wait_cell(0, None, timeout=RENDER_TIMEOUT)

    pick = nb.run_cell_for_json(1, "PICK=")
    rules = pick["rules"]
    for r in rules:
        nb.log(f"kernel: rule {r['id']}: {r['text']} (coverage {r['coverage']:.4f}, n {r['n']}, fid {r['fidelity']})")
    assert pick["selected"] is None, f"finding.selection is {pick['selected']} before any click"
    assert len(rules) >= 3, f"the demo distils to only {len(rules)} rules"
    assert [r["id"] for r in rules] == list(range(len(rules))), "rule ids are not 0..n-1"

    # 2. The table is finding.rules: count, order, texts, predictions, coverage, fidelity.
    s = _state(nb)
    assert s["roots"] == 1, f"expected one {WIDGET}, found {s['roots']}"
    assert s["title"] == pick["title"], f"title {s['title']!r}, the kernel's {pick['title']!r}"
    assert s["head"] == ["#", "IF", f"THEN {pick['output_name']}", "coverage", "fidelity"], s["head"]
    assert len(s["rows"]) == len(rules), f"{len(s['rows'])} rows drawn, finding.rules has {len(rules)}"
    for k, (row, rule) in enumerate(zip(s["rows"], rules, strict=True)):
        where = f"row {k + 1} (rule {rule['id']})"
        assert row["id"] == rule["id"] and row["number"] == str(rule["id"]), (where, row)  # one numbering
        assert row["title"] == rule["text"], f"{where}: title {row['title']!r}, the kernel's rule {rule['text']!r}"
        assert [c["title"] for c in row["chips"]] == rule["conditions"], f"{where}: chips {row['chips']}, {rule}"
        for chip, condition in zip(row["chips"], rule["conditions"], strict=True):
            shown = chip["text"].replace("≤", "<=")
            assert shown == condition, f"{where}: the chip reads {chip['text']!r}, the condition is {condition!r}"
        assert row["ands"] == max(0, len(rule["conditions"]) - 1), f"{where}: {row['ands']} AND separators"
        assert row["prediction"] == rule["prediction"], f"{where}: THEN {row['prediction']!r}, kernel {rule}"
        assert row["coverage"] == _percent(rule["coverage"]), f"{where}: coverage {row['coverage']!r}, kernel {rule}"
        fidelity = f"{_percent(rule['fidelity'])} of {rule['n']}" if rule["fidelity"] is not None else "—"
        if rule["n"] == 0:
            fidelity = "— (no held-out probe)"
        assert row["fidelity"] == fidelity, f"{where}: fidelity {row['fidelity']!r}, kernel {rule['fidelity']}"
        assert row["flagged"] == (rule["small"] and rule["fidelity"] is not None), f"{where}: flag {row}, {rule}"
        assert (row["bar"] > 0) == (rule["coverage"] > 0), f"{where}: coverage bar {row['bar']} px, kernel {rule}"
        assert not row["selected"] and row["ariaSelected"] == "false", f"{where} is selected at the start"
    bars = [row["bar"] for row in s["rows"]]
    by_coverage = sorted(range(len(rules)), key=lambda k: rules[k]["coverage"])
    assert [bars[k] for k in by_coverage] == sorted(bars), f"coverage bars not ordered by coverage: {bars}"
    assert s["fidelity"] == f"fidelity {pick['fidelity']}", f"caption {s['fidelity']!r}, kernel {pick['fidelity']!r}"
    assert s["caption"] == pick["caption"] and "ELSE" not in s["caption"], s["caption"]
    assert any(r["small"] for r in rules), "the demo (n=800) has no rule resting on few probes to flag"
    assert s["readout"] == EMPTY_SELECTION, s["readout"]
    assert s["refusal"] is None and not s["busy"], s

    root = page.locator(WIDGET).first
    root.scroll_into_view_if_needed()
    nb.screenshot("before")
    nb.assert_not_blank(root, "widget_before", min_size=(500, 150), min_colours=40)

    # 3. Click a rule with the real mouse: it becomes the kernel's finding.selected_rule.
    target = max(range(len(rules)), key=lambda k: rules[k]["coverage"])
    _row(nb, target).click()
    nb.log(f"clicked rule {target}")
    _wait_drawn(nb, target, pick, f"clicking rule {target}")
    kernel = _kernel_until(nb, target, f"clicking rule {target}")
    assert kernel["selected_text"] == rules[target]["text"], kernel
    assert kernel["reply"] and kernel["reply"]["error"] is None, f"the click was answered {kernel['reply']}"
    root.scroll_into_view_if_needed()
    nb.screenshot("clicked")
    nb.assert_not_blank(root, "widget_clicked", min_size=(500, 150), min_colours=40)

    # 4. Keyboard: focus the first row, Enter selects it; Tab to the next row, Space selects that one.
    first = _row(nb, 0)
    first.focus()
    poll(lambda: (lambda st: (st["rows"][0]["focused"], st["rows"][0]))(_state(nb)), 10, "row 1 to have the focus")
    page.keyboard.press("Enter")
    nb.log("pressed Enter on rule 0")
    _wait_drawn(nb, 0, pick, "Enter on rule 0")
    _kernel_until(nb, 0, "Enter on rule 0")
    _row(nb, 0).focus()  # running the state cell moved the focus to the notebook
    page.keyboard.press("Tab")
    poll(lambda: (lambda st: (st["rows"][1]["focused"], [r["focused"] for r in st["rows"]]))(_state(nb)), 10,
         "Tab to move the focus to row 2")  # fmt: skip
    page.keyboard.press(" ")
    nb.log("pressed Space on rule 1")
    s = _wait_drawn(nb, 1, pick, "Space on rule 1")
    assert s["rows"][1]["focused"], "the focus left the row Space selected"
    _kernel_until(nb, 1, "Space on rule 1")

    # 5. A selection made in Python is drawn without a click; a second view of the finding shows it too.
    python_pick = next(k for k in range(len(rules)) if k not in (1, target))
    nb.run_source(3, f"finding.select({python_pick})")
    _wait_drawn(nb, python_pick, pick, f"finding.select({python_pick})")
    _kernel_until(nb, python_pick, f"finding.select({python_pick})")
    nb.run_cell(4)
    poll(lambda: (lambda st: (bool(st and st["rows"]), st))(_state(nb, 1)), 30, "a second rules view")
    _wait_drawn(nb, python_pick, pick, "displaying a second view", index=1)
    _row(nb, target, index=1).click()
    nb.log(f"clicked rule {target} in the second view")
    _wait_drawn(nb, target, pick, f"clicking rule {target} in the second view", index=1)
    _wait_drawn(nb, target, pick, f"clicking rule {target} in the second view", index=0)
    _kernel_until(nb, target, f"clicking rule {target} in the second view")
    nb.run_source(3, "finding.select(None)")
    _wait_drawn(nb, None, pick, "finding.select(None)")
    _wait_drawn(nb, None, pick, "finding.select(None)", index=1)
    nb.run_source(3, f"finding.select({python_pick})")
    _wait_drawn(nb, python_pick, pick, f"finding.select({python_pick}) again")
    root.scroll_into_view_if_needed()
    nb.screenshot("python")

    # 6. A rule the finding refuses: the view shows Python's message and keeps the selection.
    refused = target
    message = f"rule {refused} is under review"
    nb.run_source(
        3,
        "from glassbox_jupyter.errors import SelectionError\n"
        "_apply = finding._apply_selection\n"
        "def _refuse(rule):\n"
        f"    if rule == {refused}:\n"
        f"        raise SelectionError({message!r})\n"
        "    return _apply(rule)\n"
        "finding._apply_selection = _refuse",
    )
    _row(nb, refused).click()
    nb.log(f"clicked rule {refused}, which the finding refuses")

    def refusal_shown() -> tuple[bool, Any]:
        st = _state(nb)
        return st["refusal"] == message and not st["busy"], {"refusal": st["refusal"], "busy": st["busy"]}

    poll(refusal_shown, KERNEL_TIMEOUT, "the view to show the refusal")
    s = _state(nb)
    assert [r["id"] for r in s["rows"] if r["selected"]] == [python_pick], "the refused rule is drawn selected"
    assert s["readout"] == f"rule {python_pick}: {rules[python_pick]['text']}", s["readout"]
    kernel = _kernel_until(nb, python_pick, "the refused click")
    assert kernel["reply"]["error"] == message, f"view._reply is {kernel['reply']}"
    assert _state(nb, 1)["refusal"] is None, "the second view shows the first view's refusal"
    root.scroll_into_view_if_needed()
    nb.screenshot("refused")
    nb.run_source(3, "del finding._apply_selection")
    after = next(k for k in range(len(rules)) if k not in (python_pick, refused))
    _row(nb, after).click()  # the next request clears the message
    _wait_drawn(nb, after, pick, f"clicking rule {after} after the refusal")
    _kernel_until(nb, after, f"clicking rule {after} after the refusal")

    nb.screenshot("notebook", clip=nb.cells_box(0, 2))
    nb.assert_no_page_errors()
    nb.log("done")
