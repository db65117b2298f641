/** The Pareto picker's view data: normalized equations, features and overlays, and the pure helpers of the charts. */
import { quantileSorted } from "d3-array";

import { safeExtent } from "../../shared/axes";
import { arr, int, normFeature, num, nums, obj, str } from "../../shared/data";
import type { Feature } from "../../shared/data";
import { formatNumber, formatScoreCI, formatScorePrecise, metricLabel } from "../../shared/format";

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
export const EMPTY_FRONT_TEXT = "no equations on the Pareto front yet";
export const EMPTY_FRONT_RUNNING_TEXT = "searching… equations will appear here as the front improves";


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
export function logDomain(values: readonly number[]): [number, number] {
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
