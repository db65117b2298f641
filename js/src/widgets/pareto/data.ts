/** The Pareto picker's view data: normalized equations, features and overlays, and the pure helpers of the charts. */
import { quantileSorted } from "d3-array";
import { format } from "d3-format";

import { safeExtent } from "../../shared/axes";
import { arr, int, normFeature, num, nums, obj, str } from "../../shared/data";
import type { Feature } from "../../shared/data";
import { formatNumber, formatScoreCI } from "../../shared/format";

export interface Equation {
  id: number;
  complexity: number;
  loss: number;
  r2: number;
  r2_ci: [number, number] | null;
  /** The host's warning about this R² ("fit failed: worse than predicting the mean"), "" when none. */
  r2_note: string;
  latex: string;
  text: string;
  is_best: boolean;
  /** Where the host's search found it: "stitched" (from separable pieces), "units" (from dimensionless groups);
   * "search" or "" for the direct search. */
  origin: string;
}

/** How the readout and the hover text name an equation's origin (nothing for the direct search). */
export const ORIGIN_TEXT: Record<string, string> = {
  stitched: "stitched from separable pieces",
  units: "found on the dimensionless groups",
};

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
  /** What `loss` measures, e.g. "validation MSE" or "leave-one-out MSE" (the axis and the table say it). */
  loss_name?: string;
  /** What `r2` measures, e.g. "held-out R²", and the confidence of `r2_ci` (0.95). */
  score_name?: string;
  confidence?: number;
  /** What the side plot compares the equations with ("teacher", "measured held-out reconstruction error"),
   * and whether it is drawn as a line or as points (measurements at a few x). */
  teacher_label?: string;
  teacher_marks?: "line" | "points";
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
  lossName: string;
  scoreName: string;
  /** "95% CI" */
  ciName: string;
  teacherLabel: string;
  teacherPoints: boolean;
  /** One format per column, chosen from the whole front: losses at 4 significant digits in one notation, R² at one number of decimals. */
  formatLoss: (v: number) => string;
  formatR2: (v: unknown) => string;
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
      r2_note: str(o.r2_note),
      latex: str(o.latex),
      text: str(o.text),
      is_best: o.is_best === true,
      origin: str(o.origin),
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
  const confidence = num(d.confidence);
  return {
    title: str(d.title),
    outputName: str(d.output_name) || "output",
    status: str(d.status),
    running: d.running === true,
    lossName: str(d.loss_name) || "validation MSE",
    scoreName: str(d.score_name) || "held-out R²",
    ciName: `${confidence > 0 && confidence < 1 ? Math.round(confidence * 100) : 95}% CI`,
    teacherLabel: str(d.teacher_label) || "teacher",
    teacherPoints: d.teacher_marks === "points",
    formatLoss: significantFormat(equations.map((e) => e.loss)),
    formatR2: fixedFormat(r2Decimals(equations.flatMap((e) => [e.r2, ...(e.r2_ci ?? [])]))),
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

const MINUS = /\u2212/g;

/**
 * One notation for a whole column at 4 significant digits: fixed ("37.19", "0.02996") when every
 * non-zero magnitude lies in [0.001, 100000), scientific ("3.719e+1", "7.404e-5") otherwise; 0 is "0"
 * and a non-finite value "n/a".
 */
export function significantFormat(values: readonly number[]): (v: number) => string {
  const sizes = values.filter((v) => Number.isFinite(v) && v !== 0).map(Math.abs);
  const scientific = sizes.length > 0 && (Math.min(...sizes) < 1e-3 || Math.max(...sizes) >= 1e5);
  const f = format(scientific ? ".3~e" : ".4~r");
  return (v) => (!Number.isFinite(v) ? "n/a" : v === 0 ? "0" : f(v).replace(MINUS, "-"));
}

/**
 * Decimals that show every R² of a column at one precision: 3, or as many as tell the one closest
 * below 1 apart from 1 (0.9996 needs 4, 0.999976 needs 5), at most 6.
 */
export function r2Decimals(values: readonly number[]): number {
  let decimals = 3;
  for (const v of values) {
    if (Number.isFinite(v) && v > 0.999 && v < 1) decimals = Math.max(decimals, Math.min(6, Math.ceil(-Math.log10(1 - v))));
  }
  return decimals;
}

/** The class of a host's warning: "gb-fit-failed" (red) when the fit failed, "gb-fit-uncertain" (amber) otherwise. */
export const fitNoteClass = (note: string) => (note.startsWith("fit failed") ? "gb-fit-failed" : "gb-fit-uncertain");

/** A fixed number of decimals ("-0.440", "0.965"); "n/a" for anything but a finite number. */
export function fixedFormat(decimals: number): (v: unknown) => string {
  const f = format(`.${decimals}f`);
  return (v) => (typeof v === "number" && Number.isFinite(v) ? f(v).replace(MINUS, "-") : "n/a");
}

/** "complexity 6 · leave-one-out MSE 3.804e-4 · leave-one-out R² 0.965 [0.914, 0.992]", plus the host's warning. */
export function equationStats(e: Equation, d: Norm): string {
  const loss = e.loss > 0 || !Number.isFinite(e.loss) ? d.formatLoss(e.loss) : `${d.formatLoss(e.loss)} (drawn at the axis floor)`;
  const note = (e.r2_note ? ` · ${e.r2_note}` : "") + (ORIGIN_TEXT[e.origin] ? ` · ${ORIGIN_TEXT[e.origin]}` : "");
  return `complexity ${formatNumber(e.complexity)} · ${d.lossName} ${loss} · ${d.scoreName} ${formatScoreCI(e.r2, e.r2_ci, d.formatR2)}${note}`;
}

/** Hover text of an equation. */
export function equationTitle(e: Equation, d: Norm): string {
  return [`${d.outputName} = ${e.text || e.latex}`, `${equationStats(e, d)}${e.is_best ? " · best" : ""}`].join("\n");
}
