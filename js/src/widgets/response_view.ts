/**
 * GlassBox response view: how a model output responds to one feature (kind "line") or two
 * features (kind "heatmap"), with the probe points the teacher was evaluated on. Clicking a probe
 * point (or Enter / Space on it) asks the host to select it.
 *
 * View data: see ResponseData below. Selection: the point's index into `points`, or null; no
 * details. View-local state: `height` (px of the chart, default 360; the width fills the container).
 */
import { scaleLinear, scaleSequential } from "d3-scale";
import type { ScaleLinear, ScaleSequential } from "d3-scale";
import { interpolateViridis } from "d3-scale-chromatic";

import { appendSvg, cellEdges, drawAxes, linePath, safeExtent, validRange } from "../shared/axes";
import type { G, Margin } from "../shared/axes";
import { colorBar } from "../shared/colorbar";
import { int, intOrNull, normFeature, nums } from "../shared/data";
import type { Feature } from "../shared/data";
import { delegateActivate, h, liveRegion } from "../shared/dom";
import { featureLabel, featureValue, formatNumber } from "../shared/format";
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

const POINT_R = 3;
const SELECTED_R = 6;
const LINE_COLOR = "#c2410c"; // dark orange: response curve
const POINT_COLOR = "#1d4ed8"; // blue: probe points (orange/blue is colour-blind safe)
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

/** Probe points drawn (finite coordinates), by their index in `points`. */
function drawnPoints(d: Norm): number[] {
  const heat = d.kind === "heatmap";
  const idx: number[] = [];
  for (let i = 0; i < d.n; i++) {
    if (Number.isFinite(d.px[i]) && (heat ? Number.isFinite(d.py[i]) : Number.isFinite(d.pv[i]))) idx.push(i);
  }
  return idx;
}

/** The chart: response line or heat map with its legend, and the probe points (`circle.gb-probe-point`). */
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
    color = scaleSequential(interpolateViridis)
      .domain(d.zRange ?? safeExtent(...(d.gz as number[][]), d.pv))
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
  } else {
    dataLayer
      .append("path")
      .attr("class", "gb-response-line")
      .attr("fill", "none")
      .attr("stroke", LINE_COLOR)
      .attr("stroke-width", 2)
      .attr("stroke-linejoin", "round")
      .attr("d", linePath(d.gx, d.gz as number[], x, y));
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
    .attr("fill", (i) => (color ? (Number.isFinite(d.pv[i]) ? color(d.pv[i]) : MISSING_COLOR) : POINT_COLOR))
    .attr("tabindex", 0)
    .attr("role", "button")
    .attr("aria-label", (i) => pointText(d, i))
    .style("cursor", "pointer");
  circles.append("title").text((i) => pointText(d, i));
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
    .attr("fill", (c) => (Number.isFinite(c.v) ? color(c.v) : MISSING_COLOR));
}

/** The heat map's vertical colour bar, the output's name above it, its range beside it. */
function drawLegend(lg: G, d: Norm, color: ScaleSequential<string>, innerHeight: number): void {
  const barW = 12;
  const barH = Math.max(40, Math.min(innerHeight, 220));
  const [lo, hi] = color.domain();
  lg.attr("class", "gb-legend");
  lg.append("text").attr("class", "gb-legend-title").attr("x", 0).attr("y", -8).text(d.outputName);
  colorBar(lg, { colors: interpolateViridis, length: barH, thickness: barW, vertical: true });
  lg.append("text").attr("class", "gb-legend-max").attr("x", barW + 4).attr("y", 0).attr("dy", "0.8em").text(formatNumber(hi));
  lg.append("text").attr("class", "gb-legend-min").attr("x", barW + 4).attr("y", barH).text(formatNumber(lo));
}

/** The response view for any host: selection value = a probe point's index (null = none), no details. */
export const spec: WidgetSpec<Norm, number | null> = {
  name: "response_view",
  className: "gb-response-view",
  normalize,
  value: intOrNull,
  observeWidth: true,
  create(shell) {
    const chart = h("div", "gb-response-chart");
    const readout = liveRegion("gb-selection");
    shell.body.appendChild(chart);
    shell.footer.appendChild(readout);
    shell.watchState("height", shell.redraw);
    shell.listen(delegateActivate(shell.root, ".gb-probe-point", (t) => shell.select(Number(t.getAttribute("data-index")))));
    return {
      render(d) {
        const width = Math.max(MIN_WIDTH, Math.round(shell.containerWidth() || DEFAULT_WIDTH));
        const height = Math.max(120, int(shell.state("height"), DEFAULT_HEIGHT) || DEFAULT_HEIGHT);
        chart.replaceChildren();
        drawChart(chart, d, width, height);
      },
      update(d, s) {
        const sel = s.wanted !== null && s.wanted >= 0 && s.wanted < d.n ? s.wanted : -1;
        readout.textContent = d.n === 0 ? NO_POINTS_TEXT : sel >= 0 ? pointText(d, sel) : EMPTY_SELECTION_TEXT;
        const heat = d.kind === "heatmap";
        for (const c of chart.querySelectorAll<SVGCircleElement>(".gb-probe-point")) {
          const on = Number(c.getAttribute("data-index")) === sel;
          c.classList.toggle("gb-selected", on);
          c.setAttribute("aria-pressed", String(on));
          c.setAttribute("r", String(on ? SELECTED_R : POINT_R));
          c.setAttribute("stroke", on ? "#111827" : "#ffffff");
          c.setAttribute("stroke-width", String(on ? 2 : heat ? 0.9 : 0.5));
          c.setAttribute("fill-opacity", String(on || heat ? 1 : 0.55));
          if (on) c.parentNode?.appendChild(c); // raise
        }
      },
      clear() {
        chart.replaceChildren();
      },
    };
  },
};

export default anywidget(spec);
