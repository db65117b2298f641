/**
 * GlassBox Pareto picker: the headline view of symbolic regression.
 *
 * Left: the Pareto front, complexity (x, whole-number ticks) vs the loss the host names (y, log
 * scale; "validation MSE" by default), as points joined by a step line; the best equation is ringed.
 * Right: the teacher (or whatever the host's `teacher_label` names, drawn as points when it was only
 * measured at a few x) and the selected equation along one feature (the others held at their centre).
 * Below: the front as a table with the equations rendered as math (KaTeX -> MathML, bundled), the
 * loss at 4 significant digits in one notation and R² at one number of decimals per column, and the
 * host's warning under an R² that shows a failed or doubtful fit. Clicking a point or a row asks the
 * host to select that equation.
 *
 * View data: see ParetoData (pareto/data.ts); it is replaced live while the search runs.
 * Selection: the equation's id, or null; no details. View-local state: `_overlay_feature` (index
 * of the side plot's feature, default 0) and `height` (px of the charts, default 320).
 */
import { delegate, delegateActivate, h, liveRegion, optionEl, panel } from "../shared/dom";
import { featureLabel } from "../shared/format";
import { int, intOrNull } from "../shared/data";
import { anywidget } from "../shared/model";
import type { WidgetSpec } from "../shared/widget";
import { POINT_COLOR, POINT_R, SELECTED_COLOR, SELECTED_R, drawFront, drawSide, equationTable } from "./pareto/charts";
import {
  DEFAULT_HEIGHT,
  DEFAULT_WIDTH,
  EMPTY_FRONT_RUNNING_TEXT,
  EMPTY_FRONT_TEXT,
  EMPTY_SELECTION_TEXT,
  MIN_WIDTH,
  SIDE_BY_SIDE_MIN,
  equationStats,
  normalize,
} from "./pareto/data";
import type { Norm } from "./pareto/data";

export * from "./pareto/data";
export { NO_DATA_TEXT } from "../shared/widget";

const GAP = 16;

/** The Pareto picker for any host: selection value = an equation's id (null = none), no details. */
export const spec: WidgetSpec<Norm, number | null> = {
  name: "pareto_picker",
  className: "gb-pareto-picker",
  normalize,
  value: intOrNull,
  observeWidth: true,
  emptyText: (d) => (d.equations.length > 0 ? null : d.running ? EMPTY_FRONT_RUNNING_TEXT : EMPTY_FRONT_TEXT),
  status: (d) => (d.status || d.running ? { text: d.status, running: d.running } : null),
  create(shell) {
    // persistent parts: live `_data` updates redraw inside them (the <select> keeps its state)
    const charts = h("div", "gb-columns gb-pareto-body");
    const frontChart = h("div", "gb-panel-chart");
    const frontPanel = panel("gb-pareto-front", "Pareto front · click a point or a row", frontChart);
    const sideHead = h("div", "gb-panel-head");
    const featLabel = h("label", "gb-feature-label", "along ");
    const featSelect = h("select", "gb-feature-select");
    featSelect.setAttribute("aria-label", "feature for the side plot");
    featLabel.appendChild(featSelect);
    const sideNote = h("span", "gb-side-note", "others at their centre");
    sideHead.append(featLabel, sideNote);
    const sideChart = h("div", "gb-panel-chart");
    charts.append(frontPanel, panel("gb-pareto-side", sideHead, sideChart));
    const tableWrap = h("div", "gb-eq-table-wrap");
    const readout = liveRegion("gb-selection");
    shell.body.append(charts, tableWrap);
    shell.footer.appendChild(readout);

    let featureLabels = "";
    let sideSize = { width: 0, height: 0 };
    let features = 0;

    const featureIndex = () => {
      const i = int(shell.state("_overlay_feature"), 0);
      return i >= 0 && i < features ? i : 0;
    };

    function syncFeatureSelect(d: Norm): void {
      const labels = d.features.map(featureLabel);
      features = labels.length;
      if (labels.join("\u0000") !== featureLabels) {
        featureLabels = labels.join("\u0000");
        featSelect.replaceChildren(...labels.map((label, i) => optionEl(String(i), label)));
      }
      featSelect.disabled = labels.length < 2;
      featLabel.hidden = labels.length === 0;
      sideNote.hidden = labels.length < 2; // one input: there are no others to hold
    }

    shell.watchState("height", shell.redraw);
    shell.watchState("_overlay_feature", shell.update);
    shell.listen(
      delegateActivate(shell.root, ".gb-eq-point, tr.gb-eq-row", (t) => shell.select(Number(t.getAttribute("data-id")))),
      delegate<Event>(shell.root, "change", ".gb-feature-select", () => {
        const i = Number(featSelect.value);
        if (Number.isInteger(i)) shell.setState("_overlay_feature", i);
      }),
    );

    return {
      render(d) {
        const width = Math.max(MIN_WIDTH, Math.round(shell.containerWidth() || DEFAULT_WIDTH));
        const height = Math.max(140, int(shell.state("height"), DEFAULT_HEIGHT) || DEFAULT_HEIGHT);
        const sideBySide = width >= SIDE_BY_SIDE_MIN;
        const frontW = sideBySide ? Math.round((width - GAP) * 0.56) : width;
        charts.classList.toggle("gb-stacked", !sideBySide);
        shell.root.classList.toggle("gb-narrow", !sideBySide);
        sideSize = { width: sideBySide ? width - GAP - frontW : width, height };
        syncFeatureSelect(d);
        drawFront(frontChart, d, frontW, height);
        // a live update must not lose the table's scroll position
        const scrollTop = tableWrap.scrollTop;
        tableWrap.replaceChildren(equationTable(d));
        tableWrap.scrollTop = scrollTop;
      },
      update(d, s) {
        const id = s.wanted;
        const eq = d.equations.find((e) => e.id === id) ?? null;
        for (const c of frontChart.querySelectorAll<SVGCircleElement>(".gb-eq-point")) {
          const on = eq !== null && Number(c.getAttribute("data-id")) === eq.id;
          c.classList.toggle("gb-selected", on);
          c.setAttribute("aria-pressed", String(on));
          c.setAttribute("r", String(on ? SELECTED_R : POINT_R));
          c.setAttribute("fill", on ? SELECTED_COLOR : POINT_COLOR);
          c.setAttribute("stroke", on ? "#111827" : "#ffffff");
          c.setAttribute("stroke-width", on ? "1.5" : "1");
          if (on) c.parentNode?.appendChild(c); // raise
        }
        for (const r of tableWrap.querySelectorAll<HTMLTableRowElement>("tr.gb-eq-row")) {
          const on = eq !== null && Number(r.dataset.id) === eq.id;
          r.classList.toggle("gb-selected", on);
          r.setAttribute("aria-selected", String(on));
        }
        if (eq) {
          readout.textContent = `selected: ${d.outputName} = ${eq.text || eq.latex} · ${equationStats(eq, d)}`;
        } else if (id !== null) {
          readout.textContent = `equation #${id} is not on the current front; ${EMPTY_SELECTION_TEXT}`;
        } else {
          readout.textContent = EMPTY_SELECTION_TEXT;
        }
        const fi = featureIndex();
        featSelect.value = String(fi);
        drawSide(sideChart, d, fi, eq, sideSize.width, sideSize.height);
      },
      clear() {
        tableWrap.replaceChildren();
        frontChart.replaceChildren();
        sideChart.replaceChildren();
      },
    };
  },
};

export default anywidget(spec);
