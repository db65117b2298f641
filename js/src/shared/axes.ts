import { axisBottom, axisLeft } from "d3-axis";
import type { ScaleLinear } from "d3-scale";
import type { Selection } from "d3-selection";

export interface Margin {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export type G = Selection<SVGGElement, unknown, null, undefined>;

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

export interface AxesOptions {
  x: ScaleLinear<number, number>;
  y: ScaleLinear<number, number>;
  innerWidth: number;
  innerHeight: number;
  margin: Margin;
  xLabel: string;
  yLabel: string;
  /** Light background grid lines (skip on heatmaps, where cells cover them). */
  grid?: boolean;
}

/**
 * Draw x/y axes with labels (and optionally light grid lines) into `g`, which must
 * already be translated by the margins. Call it before drawing the data so the
 * data sits above the grid.
 */
export function drawAxes(g: G, o: AxesOptions): void {
  const xTicks = Math.max(2, Math.floor(o.innerWidth / 80));
  const yTicks = Math.max(2, Math.floor(o.innerHeight / 50));

  if (o.grid) {
    const grid = g.append("g").attr("class", "gb-grid").attr("aria-hidden", "true");
    grid
      .append("g")
      .attr("transform", `translate(0,${o.innerHeight})`)
      .call(axisBottom(o.x).ticks(xTicks).tickSize(-o.innerHeight).tickFormat(() => ""));
    grid.append("g").call(axisLeft(o.y).ticks(yTicks).tickSize(-o.innerWidth).tickFormat(() => ""));
    grid.selectAll(".domain").remove();
  }

  g.append("g")
    .attr("class", "gb-axis gb-axis-x")
    .attr("transform", `translate(0,${o.innerHeight})`)
    .call(axisBottom(o.x).ticks(xTicks));
  g.append("g").attr("class", "gb-axis gb-axis-y").call(axisLeft(o.y).ticks(yTicks));

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
