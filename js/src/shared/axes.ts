import { ticks } from "d3-array";
import { axisBottom, axisLeft } from "d3-axis";
import type { ScaleContinuousNumeric } from "d3-scale";
import { select } from "d3-selection";
import type { Selection } from "d3-selection";

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export type G = Selection<SVGGElement, unknown, null, undefined>;
export type Svg = Selection<SVGSVGElement, unknown, null, undefined>;

/**
 * Append to `parent` an `<svg class="cls">` of `width` × `height` px (viewBox to match)
 * with an ARIA `role` ("img" for a picture, "group" when it holds focusable marks) and `label`.
 */
export function appendSvg(parent: Element, cls: string, width: number, height: number, role: "img" | "group", label: string): Svg {
  return select(parent)
    .append("svg")
    .attr("class", cls)
    .attr("width", width)
    .attr("height", height)
    .attr("viewBox", `0 0 ${width} ${height}`)
    .attr("role", role)
    .attr("aria-label", label);
}

/** Finite [min, max] over several number lists; falls back to [0, 1]. Widens a zero-width span. */
export function safeExtent(...lists: ReadonlyArray<ArrayLike<unknown> | null | undefined>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const list of lists) {
    if (!list) continue;
    for (let i = 0; i < list.length; i++) {
      const v = list[i];
      if (typeof v !== "number" || !Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(lo <= hi)) return [0, 1];
  if (lo === hi) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.05 : 0.5;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

/** A valid [lo, hi] pair or null. */
export function validRange(r: unknown): [number, number] | null {
  if (!Array.isArray(r) || r.length !== 2) return null;
  const lo = Number(r[0]);
  const hi = Number(r[1]);
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) return null;
  return [lo, hi];
}

/** Linear or log scale (anything d3-axis can tick). */
export type NumScale = ScaleContinuousNumeric<number, number>;

export interface AxesOptions {
  x: NumScale;
  y: NumScale;
  innerWidth: number;
  innerHeight: number;
  margin: Margin;
  xLabel: string;
  yLabel: string;
  /** Light background grid lines (skip on heatmaps, where cells cover them). */
  grid?: boolean;
  /** Explicit tick positions (e.g. integerTicks / logTicks); default: the scale's own ticks. */
  xTickValues?: number[];
  yTickValues?: number[];
  /** Tick label formatters; default: the scale's own tickFormat. */
  xTickFormat?: (v: number) => string;
  yTickFormat?: (v: number) => string;
}

/**
 * Draw x/y axes with labels (and optionally light grid lines) into `g`, which must
 * already be translated by the margins. Call it before drawing the data so the
 * data sits above the grid.
 */
export function drawAxes(g: G, o: AxesOptions): void {
  const xTicks = Math.max(2, Math.floor(o.innerWidth / 80));
  const yTicks = Math.max(2, Math.floor(o.innerHeight / 50));
  const xAxis = () => {
    const a = axisBottom(o.x).ticks(xTicks);
    if (o.xTickValues) a.tickValues(o.xTickValues);
    return a;
  };
  const yAxis = () => {
    const a = axisLeft(o.y).ticks(yTicks);
    if (o.yTickValues) a.tickValues(o.yTickValues);
    return a;
  };

  if (o.grid) {
    const grid = g.append("g").attr("class", "gb-grid").attr("aria-hidden", "true");
    grid
      .append("g")
      .attr("transform", `translate(0,${o.innerHeight})`)
      .call(xAxis().tickSize(-o.innerHeight).tickFormat(() => ""));
    grid.append("g").call(yAxis().tickSize(-o.innerWidth).tickFormat(() => ""));
    grid.selectAll(".domain").remove();
  }

  const xa = xAxis();
  if (o.xTickFormat) xa.tickFormat((v) => o.xTickFormat!(Number(v)));
  const ya = yAxis();
  if (o.yTickFormat) ya.tickFormat((v) => o.yTickFormat!(Number(v)));
  g.append("g").attr("class", "gb-axis gb-axis-x").attr("transform", `translate(0,${o.innerHeight})`).call(xa);
  g.append("g").attr("class", "gb-axis gb-axis-y").call(ya);

  g.append("text")
    .attr("class", "gb-axis-label gb-axis-label-x")
    .attr("x", o.innerWidth / 2)
    .attr("y", o.innerHeight + o.margin.bottom - 8)
    .attr("text-anchor", "middle")
    .text(o.xLabel);
  g.append("text")
    .attr("class", "gb-axis-label gb-axis-label-y")
    .attr("transform", `translate(${-o.margin.left + 14},${o.innerHeight / 2}) rotate(-90)`)
    .attr("text-anchor", "middle")
    .text(o.yLabel);
}

/** Integer ticks in [lo, hi], thinned (every 2nd, 5th, 10th, …) to at most maxTicks. */
export function integerTicks(lo: number, hi: number, maxTicks: number): number[] {
  const a = Math.ceil(Math.min(lo, hi));
  const b = Math.floor(Math.max(lo, hi));
  if (!Number.isFinite(a) || !Number.isFinite(b) || b < a) return [];
  const n = b - a + 1;
  const steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000];
  const cap = Math.max(1, maxTicks);
  const step = steps.find((s) => Math.ceil(n / s) <= cap) ?? Math.ceil(n / cap);
  const out: number[] = [];
  for (let v = Math.ceil(a / step) * step; v <= b; v += step) out.push(v);
  return out;
}

/**
 * Tick positions for a log10 axis over [lo, hi] (both > 0): whole powers of ten
 * (every k-th when there are too many) when the span is wide, otherwise 1-2-5 steps.
 */
export function logTicks(lo: number, hi: number, maxTicks: number): number[] {
  const a = Math.min(lo, hi);
  const b = Math.max(lo, hi);
  if (!(a > 0) || !Number.isFinite(b)) return [];
  const cap = Math.max(2, maxTicks);
  const e0 = Math.ceil(Math.log10(a) - 1e-9);
  const e1 = Math.floor(Math.log10(b) + 1e-9);
  const nPow = e1 - e0 + 1;
  if (nPow >= 2) {
    const step = Math.ceil(nPow / cap);
    const out: number[] = [];
    // anchor the thinning at the top so 1 (or the largest power) keeps its label
    for (let e = e1; e >= e0; e -= step) out.unshift(Number(`1e${e}`));
    return out;
  }
  let out: number[] = [];
  for (let e = Math.floor(Math.log10(a)); e <= Math.ceil(Math.log10(b)); e++) {
    for (const m of [1, 2, 5]) {
      const v = Number(`${m}e${e}`);
      if (v >= a * (1 - 1e-9) && v <= b * (1 + 1e-9)) out.push(v);
    }
  }
  const mantissa = (v: number) => Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
  if (out.length > cap) out = out.filter((v) => mantissa(v) !== 2);
  if (out.length > cap) out = out.filter((v) => mantissa(v) === 1);
  // a narrow span (less than a factor 2.5 or so): plain linear ticks read better
  return out.length >= 2 ? out : ticks(a, b, Math.min(cap, 4)).filter((v) => v > 0);
}

/** SVG path through finite (x, y) pairs; non-finite values break the line. */
export function linePath(xs: readonly number[], ys: readonly number[], x: (v: number) => number, y: (v: number) => number): string {
  let path = "";
  let pen = false;
  const n = Math.min(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const px = Number.isFinite(xs[i]) ? x(xs[i]) : NaN;
    const py = Number.isFinite(ys[i]) ? y(ys[i]) : NaN;
    if (!Number.isFinite(px) || !Number.isFinite(py)) {
      pen = false;
      continue;
    }
    path += `${pen ? "L" : "M"}${px.toFixed(2)},${py.toFixed(2)}`;
    pen = true;
  }
  return path;
}

/**
 * Cell boundaries for (possibly non-uniform) grid centres: midpoints between
 * neighbours, half a step beyond the ends, clamped to [lo, hi].
 */
export function cellEdges(centres: readonly number[], lo: number, hi: number): number[] {
  const n = centres.length;
  if (n === 0) return [];
  if (n === 1) return [lo, hi];
  const edges = new Array<number>(n + 1);
  for (let i = 1; i < n; i++) edges[i] = (centres[i - 1] + centres[i]) / 2;
  edges[0] = centres[0] - (centres[1] - centres[0]) / 2;
  edges[n] = centres[n - 1] + (centres[n - 1] - centres[n - 2]) / 2;
  const a = Math.min(lo, hi);
  const b = Math.max(lo, hi);
  return edges.map((e) => Math.min(b, Math.max(a, e)));
}
