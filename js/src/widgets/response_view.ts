/**
 * GlassBox response view (anywidget ESM module).
 *
 * Shows how a model output responds to one feature (kind "line") or two
 * features (kind "heatmap"), with the probe points the teacher was evaluated
 * on. Clicking a probe point selects it and syncs `_selected_index` back to
 * Python.
 *
 * Synced traits:
 *   _data            (read)        see ResponseData below
 *   _selected_index  (read/write)  -1 = nothing selected
 *   height           (read)        SVG height in px, default 360
 */
import { scaleLinear, scaleSequential } from "d3-scale";
import type { ScaleLinear, ScaleSequential } from "d3-scale";
import { interpolateViridis } from "d3-scale-chromatic";
import type { Selection } from "d3-selection";

import { appendSvg, cellEdges, drawAxes, linePath, safeExtent, validRange } from "../shared/axes";
import type { G, Margin } from "../shared/axes";
import { normFeature, nums } from "../shared/data";
import type { Feature } from "../shared/data";
import { captionBlock, delegateActivate, disposer, liveRegion, messageEl, observeWidth, renderFailure } from "../shared/dom";
import { featureLabel, featureValue, formatNumber } from "../shared/format";
import type { Fidelity } from "../shared/format";
import { getInt, onChange, uniqueId } from "../shared/model";
import type { AnyModel, RenderContext } from "../shared/model";

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
interface Norm {
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

type Circles = Selection<SVGCircleElement, number, SVGGElement, unknown>;

function render({ model, el }: RenderContext): () => void {
  const root = document.createElement("div");
  root.className = "gb-widget gb-response-view";
  el.appendChild(root);

  let data: Norm | null = null;
  let circles: Circles | null = null;
  let readout: HTMLDivElement | null = null;
  let lastWidth = 0;

  function selectPoint(i: number): void {
    model.set("_selected_index", i);
    model.save_changes();
    updateSelection(); // in case the model does not echo change events for local sets
  }

  function selectedIndex(): number {
    return getInt(model, "_selected_index", -1);
  }

  function updateSelection(): void {
    if (!readout) return;
    const sel = selectedIndex();
    const d = data;
    if (!d || d.n === 0) {
      readout.textContent = NO_POINTS_TEXT;
    } else if (sel >= 0 && sel < d.n) {
      readout.textContent = pointText(d, sel);
    } else {
      readout.textContent = EMPTY_SELECTION_TEXT;
    }
    if (!circles) return;
    const heat = d?.kind === "heatmap";
    circles
      .classed("gb-selected", (i) => i === sel)
      .attr("aria-pressed", (i) => String(i === sel))
      .attr("r", (i) => (i === sel ? SELECTED_R : POINT_R))
      .attr("stroke", (i) => (i === sel ? "#111827" : "#ffffff"))
      .attr("stroke-width", (i) => (i === sel ? 2 : heat ? 0.9 : 0.5))
      .attr("fill-opacity", (i) => (i === sel || heat ? 1 : 0.55));
    circles.filter((i) => i === sel).raise();
  }

  function message(text: string, cls = "gb-message"): void {
    root.appendChild(messageEl(text, cls));
  }

  function draw(): void {
    root.replaceChildren();
    circles = null;
    readout = null;
    data = normalize(model.get("_data"));
    if (!data) {
      message("no data to show yet");
      return;
    }
    try {
      drawChart(data);
    } catch (err) {
      const text = renderFailure("response_view", err);
      root.replaceChildren();
      circles = null;
      readout = null;
      message(text, "gb-message gb-error");
    }
  }

  function drawChart(d: Norm): void {
    const width = Math.max(MIN_WIDTH, Math.round(el.clientWidth || DEFAULT_WIDTH));
    const height = Math.max(120, getInt(model, "height", DEFAULT_HEIGHT) || DEFAULT_HEIGHT);
    lastWidth = el.clientWidth;
    const heat = d.kind === "heatmap";

    if (d.title) {
      const t = document.createElement("div");
      t.className = "gb-title";
      t.textContent = d.title;
      root.appendChild(t);
    }

    const margin: Margin = heat
      ? { top: 22, right: 96, bottom: 44, left: 60 }
      : { top: 12, right: 16, bottom: 44, left: 60 };
    const innerWidth = Math.max(40, width - margin.left - margin.right);
    const innerHeight = Math.max(40, height - margin.top - margin.bottom);

    const svg = appendSvg(root, "gb-chart", width, height, "img", d.title || `response of ${d.outputName}`);
    const g: G = svg.append("g").attr("transform", `translate(${margin.left},${margin.top})`);

    const x = scaleLinear().domain(featureDomain(d.fx, d.gx, d.px)).range([0, innerWidth]);
    let y: ScaleLinear<number, number>;
    let color: ScaleSequential<string> | null = null;

    if (heat) {
      y = scaleLinear().domain(featureDomain(d.fy!, d.gy, d.py)).range([innerHeight, 0]);
      const zr = d.zRange ?? safeExtent(...(d.gz as number[][]), d.pv);
      color = scaleSequential(interpolateViridis).domain(zr).clamp(true);
    } else {
      const yd = safeExtent(d.zRange ?? [], d.gz as number[], d.pv);
      y = scaleLinear().domain(yd).nice().range([innerHeight, 0]);
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

    if (heat && color) {
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

    // Probe points (only those with finite coordinates are drawn; data-index keeps the original index).
    const idx: number[] = [];
    for (let i = 0; i < d.n; i++) {
      const ok = Number.isFinite(d.px[i]) && (heat ? Number.isFinite(d.py[i]) : Number.isFinite(d.pv[i]));
      if (ok) idx.push(i);
    }
    const pointsLayer = g.append("g").attr("class", "gb-probe-points");
    circles = pointsLayer
      .selectAll<SVGCircleElement, number>("circle")
      .data(idx)
      .join("circle")
      .attr("class", "gb-probe-point")
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

    const cap = captionBlock(d.fidelity, d.caption);
    if (cap) root.appendChild(cap);

    readout = liveRegion("gb-selection");
    root.appendChild(readout);

    updateSelection();
  }

  function drawCells(
    layer: G,
    d: Norm,
    x: ScaleLinear<number, number>,
    y: ScaleLinear<number, number>,
    color: ScaleSequential<string>,
  ): void {
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

  function drawLegend(lg: G, d: Norm, color: ScaleSequential<string>, innerHeight: number): void {
    const id = uniqueId("gb-viridis");
    const barW = 12;
    const barH = Math.max(40, Math.min(innerHeight, 220));
    const [lo, hi] = color.domain();
    lg.attr("class", "gb-legend");
    const grad = lg
      .append("defs")
      .append("linearGradient")
      .attr("id", id)
      .attr("x1", "0")
      .attr("y1", "1")
      .attr("x2", "0")
      .attr("y2", "0");
    for (let k = 0; k <= 10; k++) {
      grad
        .append("stop")
        .attr("offset", `${k * 10}%`)
        .attr("stop-color", interpolateViridis(k / 10));
    }
    lg.append("text").attr("class", "gb-legend-title").attr("x", 0).attr("y", -8).text(d.outputName);
    lg.append("rect")
      .attr("class", "gb-legend-bar")
      .attr("width", barW)
      .attr("height", barH)
      .attr("fill", `url(#${id})`)
      .attr("stroke", "#8c959f")
      .attr("stroke-width", 0.5);
    lg.append("text")
      .attr("class", "gb-legend-max")
      .attr("x", barW + 4)
      .attr("y", 0)
      .attr("dy", "0.8em")
      .text(formatNumber(hi));
    lg.append("text")
      .attr("class", "gb-legend-min")
      .attr("x", barW + 4)
      .attr("y", barH)
      .text(formatNumber(lo));
  }

  draw();

  const pointIndex = (t: Element) => Number(t.getAttribute("data-index"));
  const offs = [
    onChange(model, "_data", draw),
    onChange(model, "height", draw),
    onChange(model, "_selected_index", updateSelection),
    // Delegated on the root, so re-renders never need re-wiring.
    delegateActivate(root, ".gb-probe-point", (t) => selectPoint(pointIndex(t))),
    // Re-render when the container width changes (e.g. JupyterLab panel resize).
    observeWidth(el, () => lastWidth, draw),
  ];

  return disposer(root, offs);
}

export type { AnyModel };
export default { render };
