/**
 * GlassBox response view: how a model output responds to one feature (kind "line") or two
 * features (kind "heatmap"), with the probe points the teacher was evaluated on. Clicking a probe
 * point (or Enter / Space on it) asks the host to select it.
 *
 * The probe points must not hide the surface: they are small and translucent under the line, and
 * small hollow rings on the heat map, never filled with the surface's colours (the colour bar is the
 * partial dependence's alone). A key under the chart says what each mark is and how many of the
 * probes are drawn; a checkbox hides them.
 *
 * View data: see ResponseData below. Selection: the point's index into `points`, or null; details:
 * `{inputs: {feature: value}, output, output_name, partial_dependence}` (the probe's full input and
 * the model's output there), listed under the read-out. View-local state: `height` (px of the chart,
 * default 360; the width fills the container).
 */
import { scaleLinear, scaleSequential } from "d3-scale";
import type { ScaleLinear, ScaleSequential } from "d3-scale";
import { interpolateViridis } from "d3-scale-chromatic";

import { appendSvg, cellEdges, drawAxes, linePath, safeExtent, validRange } from "../shared/axes";
import type { G, Margin } from "../shared/axes";
import { colorBar } from "../shared/colorbar";
import { int, intOrNull, normFeature, num, nums, obj, str } from "../shared/data";
import type { Feature } from "../shared/data";
import { delegate, delegateActivate, h, liveRegion } from "../shared/dom";
import { featureLabel, featureValue, formatNumber, withMinus } from "../shared/format";
import type { Fidelity } from "../shared/format";
import { anywidget } from "../shared/model";
import type { WidgetSpec } from "../shared/widget";

export type { Feature };

export interface ResponseData {
  kind: "line" | "heatmap";
  title?: string;
  output_name?: string;
  features: Feature[];
  grid: { x: number[]; y?: number[]; z: number[] | number[][] };
  points?: { x?: number[]; y?: number[] | null; value?: number[] } | null;
  /** How many probes there are (the points drawn may be a sample of them). */
  points_total?: number | null;
  z_range?: [number, number] | null;
  fidelity?: Fidelity | null;
  caption?: string | null;
}

export { NO_DATA_TEXT } from "../shared/widget";
export const DEFAULT_HEIGHT = 360;
export const DEFAULT_WIDTH = 560;
export const MIN_WIDTH = 240;
export const EMPTY_SELECTION_TEXT = "click a probe point to select it";
export const NO_POINTS_TEXT = "no probe points";
export const HIDDEN_POINTS_TEXT = "probe points hidden: tick “show them” to select one";

/** Radius of a probe point: small, so that 1,500 of them leave the surface readable. */
export const POINT_R = 2.2;
const SELECTED_R = 5.5;
const LINE_COLOR = "#c2410c"; // dark orange: response curve
const POINT_COLOR = "#1d4ed8"; // blue: probe points on the line chart (orange/blue is colour-blind safe)
const RING_COLOR = "#ffffff"; // the heat map's probe rings: no hue (drawn in difference blend: dark on light cells, light on dark)
const MISSING_COLOR = "#d0d7de";

/** Normalised, defensive view of `_data`. */
export interface Norm {
  kind: "line" | "heatmap";
  title: string;
  outputName: string;
  fx: Feature;
  fy: Feature | null;
  gx: number[];
  gy: number[];
  gz: number[] | number[][];
  px: number[];
  py: number[];
  pv: number[];
  n: number;
  /** Probes in all (at least `n`): the points drawn are a sample when it is larger. */
  total: number;
  zRange: [number, number] | null;
  fidelity: Fidelity | null;
  caption: string;
}

export function normalize(raw: unknown): Norm | null {
  if (!raw || typeof raw !== "object") return null;
  const d = raw as ResponseData;
  const kind = d.kind === "heatmap" ? "heatmap" : "line";
  const features = Array.isArray(d.features) ? d.features : [];
  const grid = (d.grid && typeof d.grid === "object" ? d.grid : {}) as ResponseData["grid"];
  const points = (d.points && typeof d.points === "object" ? d.points : {}) as NonNullable<ResponseData["points"]>;
  const pv = nums(points.value);
  const px = nums(points.x);
  const py = nums(points.y);
  const gz =
    kind === "heatmap"
      ? Array.isArray(grid.z)
        ? (grid.z as unknown[]).map((row) => nums(row))
        : []
      : nums(grid.z);
  return {
    kind,
    title: d.title ? String(d.title) : "",
    outputName: d.output_name ? String(d.output_name) : "output",
    fx: normFeature(features[0], "x"),
    fy: kind === "heatmap" ? normFeature(features[1], "y") : null,
    gx: nums(grid.x),
    gy: nums(grid.y),
    gz,
    px,
    py,
    pv,
    n: pv.length,
    total: Math.max(pv.length, int(d.points_total, pv.length)),
    zRange: validRange(d.z_range),
    fidelity: d.fidelity && typeof d.fidelity === "object" ? d.fidelity : null,
    caption: d.caption ? String(d.caption) : "",
  };
}

/** Axis domain for a feature: its [low, high] plus any grid/probe values outside it. */
function featureDomain(f: Feature, ...lists: number[][]): [number, number] {
  const r = validRange([f.low, f.high]);
  return r ? safeExtent(r, ...lists) : safeExtent(...lists);
}

/** Read-out text for point i (hover text and selection line). */
export function pointText(d: Norm, i: number): string {
  const parts = [featureValue(d.fx, d.px[i])];
  if (d.fy) parts.push(featureValue(d.fy, d.py[i]));
  return `probe #${i}: ${parts.join(", ")} → ${d.outputName} = ${formatNumber(d.pv[i])}`;
}

/** The selection's details as the host sent them: the probe's full input and the model's output there. */
export interface PointDetails {
  inputs: [string, number][];
  output: number;
  outputName: string;
  partialDependence: number;
}

export function pointDetails(details: Record<string, unknown>): PointDetails | null {
  const inputs = obj(details.inputs);
  const output = num(details.output);
  const names = Object.keys(inputs);
  if (names.length === 0 && !Number.isFinite(output)) return null;
  return {
    inputs: names.map((k) => [k, num(inputs[k])]),
    output,
    outputName: str(details.output_name),
    partialDependence: num(details.partial_dependence),
  };
}

/** "model output y = 1.7 · partial dependence here 1.55": the selection's output line. */
export function outputText(d: Norm, p: PointDetails): string {
  const name = p.outputName || d.outputName;
  const parts = [`model output ${name} = ${withMinus(formatNumber(p.output))}`];
  if (Number.isFinite(p.partialDependence)) parts.push(`partial dependence here ${withMinus(formatNumber(p.partialDependence))}`);
  return parts.join(" · ");
}

/** "1,500 of 2,000 probes drawn (a seeded sample)" / "all 400 probes drawn". */
export function pointCountText(d: Norm): string {
  const n = drawnPoints(d).length;
  const count = (v: number) => v.toLocaleString("en-US");
  return n < d.total ? `${count(n)} of ${count(d.total)} probes drawn (a seeded sample)` : `all ${count(n)} probes drawn`;
}

/** Probe points drawn (finite coordinates), by their index in `points`. */
function drawnPoints(d: Norm): number[] {
  const heat = d.kind === "heatmap";
  const idx: number[] = [];
  for (let i = 0; i < d.n; i++) {
    if (Number.isFinite(d.px[i]) && (heat ? Number.isFinite(d.py[i]) : Number.isFinite(d.pv[i]))) idx.push(i);
  }
  return idx;
}

/** The chart: response line or heat map with its colour bar, and the probe points (`circle.gb-probe-point`). */
function drawChart(parent: HTMLElement, d: Norm, width: number, height: number): void {
  const heat = d.kind === "heatmap";
  const margin: Margin = heat ? { top: 22, right: 96, bottom: 44, left: 60 } : { top: 12, right: 16, bottom: 44, left: 60 };
  const innerWidth = Math.max(40, width - margin.left - margin.right);
  const innerHeight = Math.max(40, height - margin.top - margin.bottom);

  const svg = appendSvg(parent, "gb-chart", width, height, "img", d.title || `response of ${d.outputName}`);
  const g: G = svg.append("g").attr("transform", `translate(${margin.left},${margin.top})`);

  const x = scaleLinear().domain(featureDomain(d.fx, d.gx, d.px)).range([0, innerWidth]);
  let y: ScaleLinear<number, number>;
  let color: ScaleSequential<string> | null = null;
  if (heat) {
    y = scaleLinear().domain(featureDomain(d.fy!, d.gy, d.py)).range([innerHeight, 0]);
    // the colour scale is the surface's alone: the probes' outputs (drawn as rings) do not stretch it
    color = scaleSequential(interpolateViridis)
      .domain(d.zRange ?? safeExtent(...(d.gz as number[][])))
      .clamp(true);
  } else {
    y = scaleLinear()
      .domain(safeExtent(d.zRange ?? [], d.gz as number[], d.pv))
      .nice()
      .range([innerHeight, 0]);
  }

  drawAxes(g, {
    x,
    y,
    innerWidth,
    innerHeight,
    margin,
    xLabel: featureLabel(d.fx),
    yLabel: heat ? featureLabel(d.fy!) : d.outputName,
    grid: !heat,
  });

  const dataLayer = g.append("g").attr("class", "gb-data");
  if (color) {
    drawCells(dataLayer, d, x, y, color);
    drawLegend(svg.append("g").attr("transform", `translate(${margin.left + innerWidth + 20},${margin.top})`), d, color, innerHeight);
  }

  // only points with finite coordinates are drawn; data-index keeps the original index
  const circles = g
    .append("g")
    .attr("class", "gb-probe-points")
    .selectAll<SVGCircleElement, number>("circle")
    .data(drawnPoints(d))
    .join("circle")
    .attr("class", "gb-probe-point gb-point")
    .attr("data-index", (i) => i)
    .attr("cx", (i) => x(d.px[i]))
    .attr("cy", (i) => y(heat ? d.py[i] : d.pv[i]))
    .attr("r", POINT_R)
    .attr("tabindex", 0)
    .attr("role", "button")
    .attr("aria-label", (i) => pointText(d, i))
    .style("cursor", "pointer");
  circles.append("title").text((i) => pointText(d, i));

  // the response line over the points, so that a cloud of probes never hides it
  if (!heat) {
    g.append("path")
      .attr("class", "gb-response-line")
      .attr("fill", "none")
      .attr("stroke", LINE_COLOR)
      .attr("stroke-width", 2.5)
      .attr("stroke-linejoin", "round")
      .attr("d", linePath(d.gx, d.gz as number[], x, y));
  }
}

function drawCells(layer: G, d: Norm, x: ScaleLinear<number, number>, y: ScaleLinear<number, number>, color: ScaleSequential<string>): void {
  const [x0, x1] = x.domain();
  const [y0, y1] = y.domain();
  const xe = cellEdges(d.gx, x0, x1);
  const ye = cellEdges(d.gy, y0, y1);
  const z = d.gz as number[][];
  const cells: { ix: number; iy: number; v: number }[] = [];
  for (let iy = 0; iy < d.gy.length; iy++) {
    const row = z[iy] ?? [];
    for (let ix = 0; ix < d.gx.length; ix++) cells.push({ ix, iy, v: row[ix] ?? NaN });
  }
  layer
    .append("g")
    .attr("class", "gb-response-cells")
    .selectAll("rect")
    .data(cells)
    .join("rect")
    .attr("class", "gb-response-cell")
    .attr("x", (c) => Math.min(x(xe[c.ix]), x(xe[c.ix + 1])))
    .attr("y", (c) => Math.min(y(ye[c.iy]), y(ye[c.iy + 1])))
    // +0.5 px overlap hides anti-aliasing seams between neighbouring cells
    .attr("width", (c) => Math.abs(x(xe[c.ix + 1]) - x(xe[c.ix])) + 0.5)
    .attr("height", (c) => Math.abs(y(ye[c.iy + 1]) - y(ye[c.iy])) + 0.5)
    .attr("fill", (c) => (Number.isFinite(c.v) ? color(c.v) : MISSING_COLOR))
    .append("title")
    .text((c) => `${featureValue(d.fx, d.gx[c.ix])}, ${featureValue(d.fy!, d.gy[c.iy])} → partial dependence ${formatNumber(c.v)}`);
}

/** The heat map's vertical colour bar: "partial dependence" and the output's name above it, its range beside it. */
function drawLegend(lg: G, d: Norm, color: ScaleSequential<string>, innerHeight: number): void {
  const barW = 12;
  const barH = Math.max(40, Math.min(innerHeight - 30, 220));
  const [lo, hi] = color.domain();
  lg.attr("class", "gb-legend");
  const top = 30;
  // "partial dependence" over two lines, so that the title fits the legend's column
  const title = lg.append("text").attr("class", "gb-legend-title").attr("x", 0).attr("y", -8);
  title.append("tspan").attr("class", "gb-legend-kind").attr("x", 0).text("partial");
  title.append("tspan").attr("class", "gb-legend-kind").attr("x", 0).attr("dy", "1.15em").text("dependence");
  title.append("tspan").attr("class", "gb-legend-name").attr("x", 0).attr("dy", "1.15em").text(d.outputName);
  const bar = lg.append("g").attr("transform", `translate(0,${top})`);
  colorBar(bar, { colors: interpolateViridis, length: barH, thickness: barW, vertical: true });
  bar.append("text").attr("class", "gb-legend-max").attr("x", barW + 4).attr("y", 0).attr("dy", "0.8em").text(formatNumber(hi));
  bar.append("text").attr("class", "gb-legend-min").attr("x", barW + 4).attr("y", barH).text(formatNumber(lo));
}

/** A key entry: a small mark (styled by `markStyle`) and its text. */
function keyItem(cls: string, markStyle: Partial<CSSStyleDeclaration>, text: string): HTMLSpanElement {
  const item = h("span", `gb-legend-item gb-key-item ${cls}`);
  const mark = h("span", "gb-key-mark");
  mark.setAttribute("aria-hidden", "true");
  Object.assign(mark.style, markStyle);
  item.append(mark, h("span", "gb-key-text", text));
  return item;
}

const VIRIDIS_CSS = `linear-gradient(to right, ${[0, 0.25, 0.5, 0.75, 1].map((t) => interpolateViridis(t)).join(", ")})`;

/** The key under the chart: what the line or the colours are, what the probe points are, and how many are drawn. */
function drawKey(key: HTMLElement, toggle: HTMLLabelElement, d: Norm): void {
  // the checkbox ends the key, beside the count of the points it hides
  const heat = d.kind === "heatmap";
  const surface = heat
    ? keyItem("gb-key-surface", { width: "18px", height: "9px", background: VIRIDIS_CSS }, `colour: partial dependence of ${d.outputName}`)
    : keyItem("gb-key-surface", { width: "18px", height: "3px", background: LINE_COLOR }, `line: partial dependence of ${d.outputName}`);
  const probe = heat
    ? keyItem("gb-key-probe", { width: "6px", height: "6px", borderRadius: "50%", border: "1px solid #59636e" }, "ring: a probe input (hover it for the model's output there)")
    : keyItem("gb-key-probe", { width: "6px", height: "6px", borderRadius: "50%", background: POINT_COLOR, opacity: "0.5" }, "dot: the model's output at a probe");
  const count = h("span", "gb-point-count", d.n === 0 ? NO_POINTS_TEXT : pointCountText(d));
  key.replaceChildren(surface, probe, count, toggle);
  toggle.hidden = d.n === 0;
}

/** The response view for any host: selection value = a probe point's index (null = none); details = its input and output. */
export const spec: WidgetSpec<Norm, number | null> = {
  name: "response_view",
  className: "gb-response-view",
  normalize,
  value: intOrNull,
  observeWidth: true,
  create(shell) {
    const controls = h("div", "gb-controls gb-response-controls");
    const toggle = h("label", "gb-control gb-probe-toggle");
    const checkbox = h("input", "gb-probe-toggle-input");
    checkbox.type = "checkbox";
    checkbox.checked = true;
    checkbox.setAttribute("aria-label", "show the probe points");
    toggle.append(checkbox, document.createTextNode("show them"));
    const key = h("div", "gb-legend-key gb-response-key");
    controls.append(key);
    const chart = h("div", "gb-response-chart");
    const readout = liveRegion("gb-selection");
    const detailsEl = h("div", "gb-selection-details");
    detailsEl.hidden = true;
    shell.body.append(chart, controls);
    shell.footer.append(readout, detailsEl);
    let showPoints = true;
    const applyToggle = () => {
      const layer = chart.querySelector(".gb-probe-points");
      if (showPoints) layer?.removeAttribute("display");
      else layer?.setAttribute("display", "none");
      chart.classList.toggle("gb-points-hidden", !showPoints);
    };
    shell.watchState("height", shell.redraw);
    shell.listen(
      delegateActivate(shell.root, ".gb-probe-point", (t) => shell.select(Number(t.getAttribute("data-index")))),
      delegate<Event>(shell.root, "change", ".gb-probe-toggle-input", () => {
        showPoints = checkbox.checked;
        applyToggle();
        shell.update();
      }),
    );
    return {
      render(d) {
        const width = Math.max(MIN_WIDTH, Math.round(shell.containerWidth() || DEFAULT_WIDTH));
        const height = Math.max(120, int(shell.state("height"), DEFAULT_HEIGHT) || DEFAULT_HEIGHT);
        chart.replaceChildren();
        drawChart(chart, d, width, height);
        drawKey(key, toggle, d);
        applyToggle();
      },
      update(d, s) {
        const sel = s.wanted !== null && s.wanted >= 0 && s.wanted < d.n ? s.wanted : -1;
        readout.textContent =
          d.n === 0 ? NO_POINTS_TEXT : sel >= 0 ? pointText(d, sel) : showPoints ? EMPTY_SELECTION_TEXT : HIDDEN_POINTS_TEXT;
        // the host's details belong to the selection it holds, not to one still asked for
        const details = sel >= 0 && !s.busy && s.value === sel ? pointDetails(s.details) : null;
        drawDetails(detailsEl, d, details);
        const heat = d.kind === "heatmap";
        for (const c of chart.querySelectorAll<SVGCircleElement>(".gb-probe-point")) {
          const on = Number(c.getAttribute("data-index")) === sel;
          c.classList.toggle("gb-selected", on);
          c.setAttribute("aria-pressed", String(on));
          c.setAttribute("r", String(on ? SELECTED_R : POINT_R));
          if (heat) {
            // hollow rings: the cell colour underneath stays visible
            c.setAttribute("fill", on ? "#ffffff" : "none");
            c.setAttribute("fill-opacity", on ? "0.35" : "0");
            c.setAttribute("stroke", on ? "#111827" : RING_COLOR);
            c.setAttribute("stroke-width", String(on ? 2 : 0.8));
            c.setAttribute("stroke-opacity", on ? "1" : "0.6");
            c.classList.toggle("gb-ring", !on);
          } else {
            c.setAttribute("fill", POINT_COLOR);
            c.setAttribute("fill-opacity", on ? "1" : "0.35");
            c.setAttribute("stroke", on ? "#111827" : "none");
            c.setAttribute("stroke-width", String(on ? 2 : 0));
            c.removeAttribute("stroke-opacity");
          }
          if (on) c.parentNode?.appendChild(c); // raise
        }
      },
      clear() {
        chart.replaceChildren();
      },
    };
  },
};

/** Under the read-out: the model's output at the selected probe and its full input (the shown features first). */
function drawDetails(el: HTMLElement, d: Norm, p: PointDetails | null): void {
  el.replaceChildren();
  el.hidden = p === null;
  if (!p) return;
  el.appendChild(h("div", "gb-selected-output", outputText(d, p)));
  const shown = new Set([d.fx.name, ...(d.fy ? [d.fy.name] : [])]);
  const order = [...p.inputs].sort((a, b) => Number(shown.has(b[0])) - Number(shown.has(a[0])));
  const list = h("ul", "gb-selected-inputs");
  list.setAttribute("aria-label", "the selected probe's full input");
  for (const [name, value] of order) {
    const li = h("li", `gb-selected-input${shown.has(name) ? " gb-shown-feature" : ""}`, `${name} = ${withMinus(formatNumber(value))}`);
    list.appendChild(li);
  }
  el.appendChild(h("div", "gb-selected-inputs-head", "input:"));
  el.appendChild(list);
}

export default anywidget(spec);
