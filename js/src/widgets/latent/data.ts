/** The latent usage heat map's data: latents × features usage and laws, normalized, and the grid's layout. */
import { arr, num, nums, obj, str } from "../../shared/data";
import { formatPercent, formatScoreCI, withMinus } from "../../shared/format";
import { fitText, textWidth } from "../../shared/text";
import { fixedFormat, r2Decimals } from "../pareto/data";

export interface LatentUsageData {
  title?: string;
  caption?: string;
  latents?: string[];
  features?: string[];
  usage?: (number | null)[][];
  selected_use?: (boolean | null)[][];
  laws?: {
    latent: string;
    /** Plain text, "z0 = x0*x1" (hover text, and the fallback when the LaTeX fails). */
    equation: string;
    /** LaTeX of the whole law, "z_{0} = x_{0} x_{1}", typeset with KaTeX as in the Pareto picker. */
    latex?: string;
    r2?: number | null;
    r2_ci?: [number, number] | null;
    /** The host's warning about this R² ("fit failed: worse than predicting the mean"), "" when none. */
    r2_note?: string;
    complexity?: number | null;
  }[];
  redundant?: string[];
}

export interface Law {
  latent: string;
  equation: string;
  latex: string;
  r2: number; // NaN when absent
  r2Ci: [number, number] | null;
  r2Note: string;
  complexity: number; // NaN when absent
}

/** Normalised, defensive view of `_data`. */
export interface Norm {
  title: string;
  caption: string;
  latents: string[];
  features: string[];
  /** [latent][feature] share in [0, 1]; NaN = missing. */
  usage: number[][];
  /** [latent][feature]: used by the latent's selected formula. */
  selectedUse: boolean[][];
  /** One law per latent (index-aligned with `latents`), or null when none was sent. */
  laws: (Law | null)[];
  /** Every R² of the view (rows, panel, intervals) at one number of decimals: "0.970", "−0.120". */
  formatR2: (v: unknown) => string;
  redundant: Set<string>;
}

export const NO_LATENTS_TEXT = "no latents to show";
export const SELECT_HINT_TEXT = "click a latent (a row) to see its formula";
export const DEFAULT_WIDTH = 760;
export const MIN_CELL = 22;
export const MAX_CELL = 46;
/** Cells at least this big show the share as a number. */
export const NUMBER_MIN_CELL = 34;
const MAX_DIM = 500;
export const LABEL_FONT = 11.5;
export const HEAD_FONT = 11;
/** Longest feature label (px, before rotation). */
const MAX_HEAD_TEXT = 150;
/** Shortest a feature label is cut to. */
const MIN_HEAD_TEXT = 48;
const COS45 = Math.SQRT1_2;

export const percentText = (v: number) => (Number.isFinite(v) ? formatPercent(v) : "n/a");
/** "R² 0.970", "R² −0.120", "R² n/a" (`fmt`: the view's R² format). */
export const r2Text = (v: number, fmt: (v: unknown) => string) => `R² ${fmt(v)}`;

/** "0.970 [0.960, 0.978]" in the view's R² format (no interval when none was measured). */
export const r2WithCi = (law: Law, d: Norm) => formatScoreCI(law.r2, law.r2Ci, d.formatR2);

/** "held-out R² −0.120 [−0.200, −0.050] (fit failed: worse than predicting the mean)" for hover and ARIA text. */
export const lawFitText = (law: Law, d: Norm) => `held-out R² ${r2WithCi(law, d)}${law.r2Note ? ` (${law.r2Note})` : ""}`;

/** The row's R² label: "R² −0.440 ⚠" when the host warns about the fit. */
export const r2Label = (law: Law, d: Norm) => `${r2Text(law.r2, d.formatR2)}${law.r2Note ? " ⚠" : ""}`;

export function normalize(raw: unknown): Norm | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const d = raw as Record<string, unknown>;
  const rawUsage = arr(d.usage).slice(0, MAX_DIM).map((row) => arr(row).slice(0, MAX_DIM));
  const rawUse = arr(d.selected_use).slice(0, MAX_DIM).map((row) => arr(row).slice(0, MAX_DIM));
  let latents = arr(d.latents).slice(0, MAX_DIM).map((v) => str(v));
  let features = arr(d.features).slice(0, MAX_DIM).map((v) => str(v));
  if (latents.length === 0) latents = rawUsage.map((_, i) => `z${i}`);
  if (features.length === 0) features = Array.from({ length: Math.max(0, ...rawUsage.map((r) => r.length)) }, (_, j) => `x${j}`);
  latents = latents.map((z, i) => z || `z${i}`);
  features = features.map((f, j) => f || `x${j}`);
  const nF = features.length;

  const usage = latents.map((_, i) =>
    Array.from({ length: nF }, (_, j) => {
      const v = num(rawUsage[i]?.[j]);
      return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : NaN;
    }),
  );
  const selectedUse = latents.map((_, i) => Array.from({ length: nF }, (_, j) => rawUse[i]?.[j] === true || rawUse[i]?.[j] === 1));

  const byName = new Map<string, Law>();
  const byIndex: Law[] = [];
  for (const l of arr(d.laws)) {
    const o = obj(l);
    const ci = nums(o.r2_ci);
    const law: Law = {
      latent: str(o.latent),
      equation: str(o.equation),
      latex: str(o.latex),
      r2: num(o.r2),
      r2Ci: ci.length === 2 && ci.every(Number.isFinite) ? [ci[0], ci[1]] : null,
      r2Note: str(o.r2_note),
      complexity: num(o.complexity),
    };
    byIndex.push(law);
    if (law.latent && !byName.has(law.latent)) byName.set(law.latent, law);
  }
  const laws = latents.map((z, i) => byName.get(z) ?? (byIndex[i] && !byIndex[i].latent ? byIndex[i] : null));
  const fixed = fixedFormat(r2Decimals(laws.flatMap((l) => (l ? [l.r2, ...(l.r2Ci ?? [])] : []))));

  return {
    title: str(d.title),
    caption: str(d.caption),
    latents,
    features,
    usage,
    selectedUse,
    laws,
    formatR2: (v) => withMinus(fixed(v)),
    redundant: new Set(arr(d.redundant).map((f) => str(f))),
  };
}

/** The features used by latent i's selected formula. */
export function usedFeatures(d: Norm, i: number): string[] {
  return d.features.filter((_, j) => d.selectedUse[i]?.[j]);
}

// -------------------------------------------------------------------------------------- layout

export interface HeatLayout {
  cell: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
  /** Latent label and R² text of every row, and where the R² column starts. */
  rowLabels: string[];
  r2Labels: string[];
  r2X: number;
  heads: string[];
}

export function layoutHeat(d: Norm, avail: number): HeatLayout {
  const nF = Math.max(1, d.features.length);
  const rowLabels = d.latents.map((z) => fitText(z, 120, LABEL_FONT) || z.slice(0, 1));
  const r2Labels = d.laws.map((l) => (l ? r2Label(l, d) : ""));
  const nameW = Math.max(...rowLabels.map((t) => textWidth(t, LABEL_FONT)), 10);
  const r2W = Math.max(0, ...r2Labels.map((t) => textWidth(t, LABEL_FONT - 1)));
  const left = Math.ceil(12 + nameW + (r2W > 0 ? 10 + r2W : 0) + 8);
  const r2X = left - 8;
  const fit = Math.floor((avail - left - 24) / nF);
  const cell = Math.max(MIN_CELL, Math.min(MAX_CELL, fit));
  // rotated labels run up and to the right: the last columns' labels are cut to stay inside `avail`
  // (never below MIN_HEAD_TEXT; a grid wider than the container scrolls sideways anyway)
  const room = avail - left - nF * cell;
  const heads = d.features.map((f, j) => {
    const reach = ((nF - j - 0.5) * cell + room - 6) / COS45;
    return fitText(f, Math.max(MIN_HEAD_TEXT, Math.min(MAX_HEAD_TEXT, reach)), HEAD_FONT) || f.slice(0, 1);
  });
  const headW = heads.map((t) => textWidth(t, HEAD_FONT));
  const top = Math.ceil(12 + Math.max(0, ...headW) * COS45 + 6);
  let right = 8;
  headW.forEach((w, j) => {
    right = Math.max(right, (j + 0.5) * cell + w * COS45 + 6 - nF * cell);
  });
  right = Math.ceil(right);
  const bottom = 6;
  return { cell, left, top, right, bottom, width: left + nF * cell + right, height: top + d.latents.length * cell + bottom, rowLabels, r2Labels, r2X, heads };
}
