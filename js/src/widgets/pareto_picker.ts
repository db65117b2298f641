/**
 * GlassBox Pareto picker (anywidget ESM module): the headline view of symbolic
 * regression.
 *
 * Left: the Pareto front, complexity (x) vs validation loss (y, log scale), as
 * points joined by a step line; the best equation is ringed. Right: the teacher
 * and the selected equation along one feature (the others held at their centre).
 * Below: the front as a table with the equations rendered as math (KaTeX ->
 * MathML, bundled). Clicking a point or a row selects an equation.
 *
 * Synced traits:
 *   _data             (read)        see ParetoData below; replaced live while the search runs
 *   _selected_id      (read/write)  equation id, -1 = none
 *   _overlay_feature  (read/write)  index into features for the side plot, default 0
 *   height            (read)        chart height in px, default 320
 */
import { quantileSorted } from "d3-array";
import { scaleLinear, scaleLog } from "d3-scale";

import { appendSvg, drawAxes, integerTicks, linePath, logTicks, safeExtent, validRange } from "../shared/axes";
import type { G, Margin, NumScale } from "../shared/axes";
import { arr, int, normFeature, num, nums, obj, str } from "../shared/data";
import type { Feature } from "../shared/data";
import { delegate, delegateActivate, disposer, guardedDraw, h, headerBar, liveRegion, messageEl, observeWidth, optionEl, panel, setCaption, showMessage } from "../shared/dom";
import { featureLabel, formatLogTick, formatNumber, formatScoreCI, formatScorePrecise, metricLabel } from "../shared/format";
import { mathElement } from "../shared/math";
import { getInt, onChange, uniqueId } from "../shared/model";
import type { AnyModel, RenderContext } from "../shared/model";

export interface Equation {
  id: number;
  complexity: number;
  loss: number;
  r2: number;
  r2_ci: [number, number] | null;
  latex: string;
  text: string;
  is_best: boolean;
}

export interface OverlayEntry {
  x: number[];
  teacher: number[];
  equations: Record<string, number[]>;
}

export interface ParetoData {
  title?: string;
  output_name?: string;
  status?: string;
  running?: boolean;
  equations?: Equation[];
  features?: Feature[];
  overlay?: OverlayEntry[];
  caption?: string | null;
}

export const DEFAULT_HEIGHT = 320;
export const DEFAULT_WIDTH = 760;
export const MIN_WIDTH = 260;
/** Below this container width the two charts stack instead of sitting side by side. */
export const SIDE_BY_SIDE_MIN = 600;
export const EMPTY_SELECTION_TEXT = "click a point or a table row to select an equation";
export const NO_DATA_TEXT = "no data to show yet";
export const EMPTY_FRONT_TEXT = "no equations on the Pareto front yet";
export const EMPTY_FRONT_RUNNING_TEXT = "searching… equations will appear here as the front improves";

const GAP = 16;
const POINT_R = 5;
const SELECTED_R = 7;
const POINT_COLOR = "#1d4ed8"; // blue
const SELECTED_COLOR = "#c2410c"; // dark orange (also the dashed equation line)
const TEACHER_COLOR = "#1f2328";

/** Normalised, defensive view of `_data`. */
export interface Norm {
  title: string;
  outputName: string;
  status: string;
  running: boolean;
  equations: Equation[];
  features: Feature[];
  overlay: OverlayEntry[];
  caption: string;
}

function ci(v: unknown): [number, number] | null {
  const a = nums(v);
  return a.length === 2 && a.every(Number.isFinite) ? [a[0], a[1]] : null;
}

export function normalize(raw: unknown): Norm | null {
  if (!raw || typeof raw !== "object") return null;
  const d = raw as Record<string, unknown>;
  const equations: Equation[] = [];
  arr(d.equations).forEach((e, i) => {
    const o = obj(e);
    equations.push({
      id: int(o.id, i),
      complexity: num(o.complexity),
      loss: num(o.loss),
      r2: num(o.r2),
      r2_ci: ci(o.r2_ci),
      latex: str(o.latex),
      text: str(o.text),
      is_best: o.is_best === true,
    });
  });
  // The front should arrive sorted; sort (stably) anyway so the step line is right.
  equations.sort((a, b) => (a.complexity - b.complexity) || 0);
  const features = arr(d.features).map((f, i) => normFeature(f, `x${i}`));
  const overlay = arr(d.overlay).map((o) => {
    const e = obj(o);
    const eqs: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(obj(e.equations))) eqs[k] = nums(v);
    return { x: nums(e.x), teacher: nums(e.teacher), equations: eqs };
  });
  return {
    title: str(d.title),
    outputName: str(d.output_name) || "output",
    status: str(d.status),
    running: d.running === true,
    equations,
    features,
    overlay,
    caption: str(d.caption),
  };
}

/**
 * Where zero / negative losses are drawn on the log axis: a tenth of the smallest
 * positive loss (1 when there is none).
 */
export function lossFloor(losses: readonly number[]): number {
  let min = Infinity;
  for (const v of losses) if (Number.isFinite(v) && v > 0 && v < min) min = v;
  return Number.isFinite(min) ? min / 10 : 1;
}

/** The y value a loss is drawn at: itself if positive, the floor if <= 0, NaN (not drawn) if not finite. */
export function plottedLoss(loss: number, floor: number): number {
  if (!Number.isFinite(loss)) return NaN;
  return loss > 0 ? loss : floor;
}

/** Log-axis domain around [lo, hi] with a little padding (in decades). */
function logDomain(values: readonly number[]): [number, number] {
  const pos = values.filter((v) => Number.isFinite(v) && v > 0);
  if (pos.length === 0) return [0.1, 10];
  let lo = Math.log10(Math.min(...pos));
  let hi = Math.log10(Math.max(...pos));
  const pad = Math.max(0.15, (hi - lo) * 0.05);
  if (hi - lo < 0.5) {
    const mid = (hi + lo) / 2;
    lo = Math.min(lo, mid - 0.25);
    hi = Math.max(hi, mid + 0.25);
  }
  return [10 ** (lo - pad), 10 ** (hi + pad)];
}

/**
 * y domain of the side plot: the teacher's range and the bulk (5–95 % quantiles)
 * of the equation's, so that a pole or blow-up at a few grid points does not
 * squash the curves (it is clipped instead). The equation's full range is kept
 * when that at most doubles the span.
 */
export function sideDomain(teacher: readonly number[], eq: readonly number[] | null): [number, number] {
  const t = teacher.filter((v) => Number.isFinite(v));
  const e = (eq ?? []).filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (e.length === 0) return safeExtent(t);
  const bulk = safeExtent(t, [quantileSorted(e, 0.05)!, quantileSorted(e, 0.95)!]);
  const full = safeExtent(t, e);
  return full[1] - full[0] <= 2 * (bulk[1] - bulk[0]) ? full : bulk;
}

/** Hover text of an equation. */
export function equationTitle(e: Equation, outputName: string): string {
  const loss = e.loss > 0 || !Number.isFinite(e.loss) ? formatNumber(e.loss) : `${formatNumber(e.loss)} (drawn at the axis floor)`;
  return [
    `${outputName} = ${e.text || e.latex}`,
    `complexity ${formatNumber(e.complexity)} · loss ${loss} · ${metricLabel("r2")} ${formatScoreCI(e.r2, e.r2_ci, formatScorePrecise)}${e.is_best ? " · best" : ""}`,
  ].join("\n");
}

/** "0.993" plus a smaller "[0.991, 0.995]" that may wrap onto its own line in narrow tables. */
function scoreCell(e: Equation): HTMLTableCellElement {
  const td = h("td", "gb-num gb-score");
  td.appendChild(h("span", "gb-score-value", formatScorePrecise(e.r2)));
  if (e.r2_ci) {
    td.appendChild(document.createTextNode(" "));
    td.appendChild(h("span", "gb-ci", `[${formatScorePrecise(e.r2_ci[0])}, ${formatScorePrecise(e.r2_ci[1])}]`));
  }
  return td;
}

function render({ model, el }: RenderContext): () => void {
  // ---- persistent skeleton: survives live `_data` updates (no flicker, the spinner keeps spinning)
  const root = h("div", "gb-widget gb-pareto-picker");
  const { header, titleEl, statusEl, statusText } = headerBar("gb-pareto-header");

  const body = h("div", "gb-pareto-body");
  const frontChart = h("div", "gb-panel-chart");
  const frontPanel = panel("gb-pareto-front", "Pareto front · click a point or a row", frontChart);
  const sideHead = h("div", "gb-panel-head");
  const featLabel = h("label", "gb-feature-label", "along ");
  const featSelect = h("select", "gb-feature-select");
  featSelect.setAttribute("aria-label", "feature for the side plot");
  featLabel.appendChild(featSelect);
  sideHead.append(featLabel, h("span", "gb-side-note", "others at their centre"));
  const sideChart = h("div", "gb-panel-chart");
  const sidePanel = panel("gb-pareto-side", sideHead, sideChart);
  body.append(frontPanel, sidePanel);

  const tableWrap = h("div", "gb-eq-table-wrap");
  const empty = h("div", "gb-message gb-empty");
  const captionWrap = h("div", "gb-caption-wrap");
  const readout = liveRegion("gb-selection");
  root.append(header, empty, body, tableWrap, captionWrap, readout);
  el.appendChild(root);

  let data: Norm | null = null;
  let lastWidth = 0;
  let featKey = "";
  let sideSize = { width: 0, height: 0 };

  const selectedId = () => getInt(model, "_selected_id", -1);
  const selectedEq = () => {
    const id = selectedId();
    return data?.equations.find((e) => e.id === id) ?? null;
  };
  const featureIndex = () => {
    const n = data?.features.length ?? 0;
    const i = getInt(model, "_overlay_feature", 0);
    return i >= 0 && i < n ? i : 0;
  };

  function selectEquation(id: number): void {
    model.set("_selected_id", id);
    model.save_changes();
    updateSelection(); // in case the model does not echo change events for local sets
  }

  // ---- full render (on _data / height / width changes); a failure is shown in place of the charts
  const draw = guardedDraw("pareto_picker", drawAll, empty, body, () => tableWrap.replaceChildren());

  function drawAll(): void {
    // remember keyboard focus and table scroll so live updates do not steal them
    const active = document.activeElement;
    const focusKey =
      active && root.contains(active) && active.hasAttribute("data-id")
        ? `${active.classList.contains("gb-eq-row") ? "tr.gb-eq-row" : ".gb-eq-point"}[data-id="${active.getAttribute("data-id")}"]`
        : null;
    const scrollTop = tableWrap.scrollTop;

    data = normalize(model.get("_data"));
    const d = data;
    titleEl.textContent = d?.title ?? "";
    titleEl.hidden = !d?.title;
    statusText.textContent = d?.status ?? "";
    statusEl.hidden = !d?.status && !d?.running;
    root.classList.toggle("gb-running", !!d?.running);
    empty.className = "gb-message gb-empty";

    const width = Math.max(MIN_WIDTH, Math.round(el.clientWidth || DEFAULT_WIDTH));
    lastWidth = el.clientWidth;
    const height = Math.max(140, getInt(model, "height", DEFAULT_HEIGHT) || DEFAULT_HEIGHT);

    captionWrap.replaceChildren();
    if (!d || d.equations.length === 0) {
      showMessage(empty, !d ? NO_DATA_TEXT : d.running ? EMPTY_FRONT_RUNNING_TEXT : EMPTY_FRONT_TEXT, body, readout);
      tableWrap.replaceChildren();
      frontChart.replaceChildren();
      sideChart.replaceChildren();
      if (d) setCaption(captionWrap, null, d.caption);
      return;
    }
    showMessage(empty, null, body, readout);

    const sideBySide = width >= SIDE_BY_SIDE_MIN;
    const frontW = sideBySide ? Math.round((width - GAP) * 0.56) : width;
    const sideW = sideBySide ? width - GAP - frontW : width;
    body.classList.toggle("gb-stacked", !sideBySide);
    root.classList.toggle("gb-narrow", !sideBySide);
    sideSize = { width: sideW, height };

    syncFeatureSelect(d);
    drawFront(d, frontW, height);
    drawTable(d);
    setCaption(captionWrap, null, d.caption);
    updateSelection(); // also draws the side plot

    tableWrap.scrollTop = scrollTop;
    if (focusKey) root.querySelector<HTMLElement | SVGElement>(focusKey)?.focus({ preventScroll: true });
  }

  function syncFeatureSelect(d: Norm): void {
    const labels = d.features.map(featureLabel);
    const key = labels.join("\u0000");
    if (key !== featKey) {
      featKey = key;
      featSelect.replaceChildren(...labels.map((label, i) => optionEl(String(i), label)));
    }
    featSelect.disabled = labels.length < 2;
    featSelect.value = String(featureIndex());
    featLabel.hidden = labels.length === 0;
  }

  function drawFront(d: Norm, width: number, height: number): void {
    frontChart.replaceChildren();
    const margin: Margin = { top: 22, right: 20, bottom: 44, left: 64 };
    const innerWidth = Math.max(40, width - margin.left - margin.right);
    const innerHeight = Math.max(40, height - margin.top - margin.bottom);
    const eqs = d.equations.filter((e) => Number.isFinite(e.complexity));
    const floor = lossFloor(eqs.map((e) => e.loss));
    const ys = eqs.map((e) => plottedLoss(e.loss, floor));

    const [c0, c1] = safeExtent(eqs.map((e) => e.complexity));
    const x = scaleLinear()
      .domain([Math.floor(c0) - 0.5, Math.ceil(c1) + 0.5])
      .range([0, innerWidth]);
    const yDom = logDomain(ys);
    const y = scaleLog().domain(yDom).range([innerHeight, 0]).clamp(true);

    const svg = appendSvg(frontChart, "gb-chart gb-front-chart", width, height, "group", `Pareto front of ${d.outputName}: complexity versus validation loss`);
    const g: G = svg.append("g").attr("transform", `translate(${margin.left},${margin.top})`);

    drawAxes(g, {
      x: x as NumScale,
      y: y as NumScale,
      innerWidth,
      innerHeight,
      margin,
      xLabel: "complexity",
      yLabel: "validation MSE (log scale)",
      grid: true,
      xTickValues: integerTicks(c0, c1, Math.max(2, Math.floor(innerWidth / 36))),
      yTickValues: logTicks(yDom[0], yDom[1], Math.max(2, Math.floor(innerHeight / 34))),
      yTickFormat: formatLogTick,
    });

    // the front as a step line: flat to the next complexity, then down to its loss
    let path = "";
    let pen = false;
    eqs.forEach((e, i) => {
      if (!Number.isFinite(ys[i])) return;
      const px = x(e.complexity).toFixed(2);
      const py = y(ys[i]).toFixed(2);
      path += pen ? `H${px}V${py}` : `M${px},${py}`;
      pen = true;
    });
    g.append("path")
      .attr("class", "gb-front-line")
      .attr("fill", "none")
      .attr("stroke", "#8c959f")
      .attr("stroke-width", 1.5)
      .attr("d", path);

    const drawn = eqs.map((e, i) => ({ e, y: ys[i] })).filter((p) => Number.isFinite(p.y));
    const best = drawn.find((p) => p.e.is_best);
    if (best) {
      const bx = x(best.e.complexity);
      const by = y(best.y);
      const bg = g.append("g").attr("class", "gb-best-marker").attr("aria-hidden", "true");
      bg.append("circle").attr("class", "gb-best-ring").attr("cx", bx).attr("cy", by).attr("r", 11);
      bg.append("text")
        .attr("class", "gb-best-label")
        // below and beside the ring: the step line comes down into the point from above
        .attr("x", bx > innerWidth - 40 ? bx - 14 : bx + 14)
        .attr("y", by > innerHeight - 8 ? by - 14 : by + 16)
        .attr("text-anchor", bx > innerWidth - 40 ? "end" : "start")
        .text("best");
    }

    const points = g
      .append("g")
      .attr("class", "gb-eq-points")
      .selectAll("circle")
      .data(drawn)
      .join("circle")
      .attr("class", (p) => `gb-eq-point${p.e.loss > 0 ? "" : " gb-floored"}${p.e.is_best ? " gb-best" : ""}`)
      .attr("data-id", (p) => p.e.id)
      .attr("cx", (p) => x(p.e.complexity))
      .attr("cy", (p) => y(p.y))
      .attr("r", POINT_R)
      .attr("fill", POINT_COLOR)
      .attr("stroke", "#ffffff")
      .attr("stroke-width", 1)
      .attr("tabindex", 0)
      .attr("role", "button")
      .attr("aria-label", (p) => equationTitle(p.e, d.outputName).replace("\n", "; "));
    points.append("title").text((p) => equationTitle(p.e, d.outputName));
  }

  function drawTable(d: Norm): void {
    const table = h("table", "gb-table gb-eq-table");
    const head = h("thead");
    const hr = h("tr");
    for (const [label, cls] of [
      ["complexity", "gb-num"],
      [`equation (${d.outputName} =)`, "gb-eq-head"],
      ["loss", "gb-num"],
      [`${metricLabel("r2")} [CI]`, "gb-num"],
    ]) {
      const th = h("th", cls, label);
      th.scope = "col";
      hr.appendChild(th);
    }
    head.appendChild(hr);
    const tb = h("tbody");
    for (const e of d.equations) {
      const tr = h("tr", "gb-row gb-eq-row");
      tr.dataset.id = String(e.id);
      tr.tabIndex = 0;
      tr.title = equationTitle(e, d.outputName);
      const eqCell = h("td", "gb-eq-cell");
      eqCell.appendChild(mathElement(e.latex, e.text));
      if (e.is_best) {
        tr.classList.add("gb-best");
        eqCell.appendChild(h("span", "gb-badge gb-best-badge", "best"));
      }
      tr.append(
        h("td", "gb-num", formatNumber(e.complexity)),
        eqCell,
        h("td", "gb-num", formatNumber(e.loss)),
        scoreCell(e),
      );
      tb.appendChild(tr);
    }
    table.append(head, tb);
    tableWrap.replaceChildren(table);
  }

  function drawSide(): void {
    sideChart.replaceChildren();
    const d = data;
    if (!d || d.equations.length === 0) return;
    const fi = featureIndex();
    const ov = d.overlay[fi];
    const f = d.features[fi] ?? normFeature(null, "x");
    if (!ov || ov.x.length === 0) {
      sideChart.appendChild(messageEl("no overlay data for this feature"));
      return;
    }
    const eq = selectedEq();
    const eqY = eq ? ov.equations[String(eq.id)] ?? null : null;

    const { width, height } = sideSize;
    const margin: Margin = { top: 22, right: 16, bottom: 44, left: 58 };
    const innerWidth = Math.max(40, width - margin.left - margin.right);
    const innerHeight = Math.max(40, height - margin.top - margin.bottom);
    const range = validRange([f.low, f.high]);
    const x = scaleLinear()
      .domain(range ? safeExtent(range, ov.x) : safeExtent(ov.x))
      .range([0, innerWidth]);
    const [y0, y1] = sideDomain(ov.teacher, eqY);
    const pad = (y1 - y0) * 0.06; // keep flat curves off the frame
    const y = scaleLinear().domain([y0 - pad, y1 + pad]).nice().range([innerHeight, 0]);

    const svg = appendSvg(sideChart, "gb-chart gb-side-chart", width, height, "img", `teacher${eq ? " and the selected equation" : ""} along ${f.name}`);
    const g: G = svg.append("g").attr("transform", `translate(${margin.left},${margin.top})`);
    drawAxes(g, { x, y, innerWidth, innerHeight, margin, xLabel: featureLabel(f), yLabel: d.outputName, grid: true });

    // clip the curves to the plot area (a poor equation can shoot far outside the teacher's range)
    const clipId = uniqueId("gb-side-clip");
    g.append("clipPath").attr("id", clipId).append("rect").attr("x", -2).attr("y", -2).attr("width", innerWidth + 4).attr("height", innerHeight + 4);
    const curves = g.append("g").attr("class", "gb-curves").attr("clip-path", `url(#${clipId})`);
    curves
      .append("path")
      .attr("class", "gb-teacher-line")
      .attr("fill", "none")
      .attr("stroke", TEACHER_COLOR)
      .attr("stroke-width", 2)
      .attr("stroke-linejoin", "round")
      .attr("d", linePath(ov.x, ov.teacher, x, y));
    if (eqY) {
      curves
        .append("path")
        .attr("class", "gb-equation-line")
        .attr("fill", "none")
        .attr("stroke", SELECTED_COLOR)
        .attr("stroke-width", 2.25)
        .attr("stroke-dasharray", "6 4")
        .attr("stroke-linejoin", "round")
        .attr("d", linePath(ov.x, eqY, x, y));
    }

    // legend along the top edge
    const lg = g.append("g").attr("class", "gb-legend").attr("transform", "translate(0,-12)");
    const item = (dx: number, label: string, color: string, dash: string | null, cls: string) => {
      const it = lg.append("g").attr("class", cls).attr("transform", `translate(${dx},0)`);
      it.append("line")
        .attr("x1", 0)
        .attr("x2", 22)
        .attr("y1", 0)
        .attr("y2", 0)
        .attr("stroke", color)
        .attr("stroke-width", 2.25)
        .attr("stroke-dasharray", dash);
      it.append("text").attr("x", 27).attr("dy", "0.32em").text(label);
    };
    item(0, "teacher", TEACHER_COLOR, null, "gb-legend-teacher");
    if (eq) {
      item(88, eqY ? `equation (complexity ${formatNumber(eq.complexity)})` : "equation: no curve sent", SELECTED_COLOR, "6 4", "gb-legend-equation");
    } else {
      lg.append("text").attr("class", "gb-legend-hint").attr("x", 88).attr("dy", "0.32em").text("select an equation to compare");
    }
  }

  // ---- selection (cheap: no full re-render)
  function updateSelection(): void {
    const d = data;
    if (!d || d.equations.length === 0) return;
    const id = selectedId();
    const eq = selectedEq();
    root.querySelectorAll<SVGCircleElement>(".gb-eq-point").forEach((c) => {
      const on = eq !== null && Number(c.getAttribute("data-id")) === id;
      c.classList.toggle("gb-selected", on);
      c.setAttribute("aria-pressed", String(on));
      c.setAttribute("r", String(on ? SELECTED_R : POINT_R));
      c.setAttribute("fill", on ? SELECTED_COLOR : POINT_COLOR);
      c.setAttribute("stroke", on ? "#111827" : "#ffffff");
      c.setAttribute("stroke-width", on ? "1.5" : "1");
      if (on) c.parentNode?.appendChild(c); // raise
    });
    root.querySelectorAll<HTMLTableRowElement>("tr.gb-eq-row").forEach((r) => {
      const on = eq !== null && Number(r.dataset.id) === id;
      r.classList.toggle("gb-selected", on);
      r.setAttribute("aria-selected", String(on));
    });
    if (eq) {
      readout.textContent = `selected: complexity ${formatNumber(eq.complexity)} · loss ${formatNumber(eq.loss)} · ${metricLabel("r2")} ${formatScoreCI(eq.r2, eq.r2_ci, formatScorePrecise)} · ${d.outputName} = ${eq.text || eq.latex}`;
    } else if (id >= 0) {
      readout.textContent = `equation #${id} is not on the current front; ${EMPTY_SELECTION_TEXT}`;
    } else {
      readout.textContent = EMPTY_SELECTION_TEXT;
    }
    drawSide();
  }

  function onFeatureTrait(): void {
    if (!data) return;
    featSelect.value = String(featureIndex());
    drawSide();
  }

  const idOf = (t: Element) => Number(t.getAttribute("data-id"));
  const pick = ".gb-eq-point, tr.gb-eq-row";

  draw();

  const offs = [
    onChange(model, "_data", draw),
    onChange(model, "height", draw),
    onChange(model, "_selected_id", updateSelection),
    onChange(model, "_overlay_feature", onFeatureTrait),
    // delegated on the persistent root: live re-renders never lose these
    delegateActivate(root, pick, (t) => selectEquation(idOf(t))),
    delegate<Event>(root, "change", ".gb-feature-select", () => {
      const i = Number(featSelect.value);
      if (!Number.isInteger(i)) return;
      model.set("_overlay_feature", i);
      model.save_changes();
      drawSide();
    }),
    observeWidth(el, () => lastWidth, draw),
  ];

  return disposer(root, offs);
}

export type { AnyModel };
export default { render };
