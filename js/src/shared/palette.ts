import { scaleDiverging } from "d3-scale";
import type { ScaleDiverging } from "d3-scale";
import { interpolateBlues, interpolateRdBu } from "d3-scale-chromatic";

/**
 * Okabe–Ito categorical palette (colour-blind safe), reordered so that the first
 * colours are the most distinct; yellow comes late because it is weak on white.
 */
export const CATEGORICAL = [
  "#0072B2", // blue
  "#E69F00", // orange
  "#009E73", // bluish green
  "#CC79A7", // reddish purple
  "#D55E00", // vermillion
  "#56B4E9", // sky blue
  "#F0E442", // yellow
  "#000000", // black
] as const;

export const NEUTRAL = "#8c959f";

/** Colour for class index i (cycles); NEUTRAL for null / negative / non-integer. */
export function classColor(i: number | null | undefined): string {
  if (i === null || i === undefined || !Number.isInteger(i) || i < 0) return NEUTRAL;
  return CATEGORICAL[i % CATEGORICAL.length];
}

/** Okabe–Ito without black (black marks selections and paths): colour-blind safe, for up to 7 categories. */
const FEW_CATEGORIES = CATEGORICAL.filter((c) => c !== "#000000");

/** Tableau 10 (d3-scale-chromatic's schemeTableau10) with cyan for its grey, which would look like an edge. */
const TABLEAU10 = ["#4e79a7", "#f28e2c", "#e15759", "#76b7b2", "#59a14f", "#edc949", "#af7aa1", "#ff9da7", "#9c755f", "#17becf"];

/**
 * Colour of category i of n (classes, communities): Okabe–Ito without black for up to 7
 * categories, Tableau 10 for 8–10 (ten distinct hues, e.g. for digits), cycling beyond;
 * NEUTRAL for a negative or non-integer index.
 */
export function categoryColor(i: number, n = FEW_CATEGORIES.length): string {
  if (i < 0 || !Number.isInteger(i)) return NEUTRAL;
  const palette = n <= FEW_CATEGORIES.length ? FEW_CATEGORIES : TABLEAU10;
  return palette[i % palette.length];
}

/** Fill for missing values in heat maps. */
export const MISSING_FILL = "#eaeef2";

/** Diverging colour map: blue (negative) - white (0) - red (positive); t in [0, 1]. */
export function interpolateDiverging(t: number): string {
  return interpolateRdBu(1 - t);
}

/** Sequential colour map for shares and other values in [0, 1]: near-white (0) to dark blue (1); clamped. */
export function interpolateSequential(t: number): string {
  const u = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  return interpolateBlues(0.03 + 0.92 * u);
}

/**
 * Diverging colour scale centred at 0 and symmetric over [-maxAbs, maxAbs]
 * (so equal magnitudes get equal saturation); clamped. maxAbs <= 0 or not finite -> 1.
 */
export function divergingScale(maxAbs: number): ScaleDiverging<string> {
  const m = Number.isFinite(maxAbs) && maxAbs > 0 ? maxAbs : 1;
  return scaleDiverging(interpolateDiverging).domain([-m, 0, m]).clamp(true);
}

/** Black or white, whichever reads better on the CSS colour `bg` ("#rrggbb" or "rgb(r, g, b)"). */
export function textColorOn(bg: string): string {
  let r = NaN;
  let g = NaN;
  let b = NaN;
  const hex = /^#([0-9a-f]{6})$/i.exec(bg.trim());
  const rgb = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/i.exec(bg.trim());
  if (hex) {
    const n = parseInt(hex[1], 16);
    [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  } else if (rgb) {
    [r, g, b] = [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])];
  }
  if (![r, g, b].every(Number.isFinite)) return "#1f2328";
  const lin = (c: number) => {
    const x = c / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  const lum = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  // contrast against white vs against near-black (#1f2328, luminance ~0.016)
  return (1.05 / (lum + 0.05)) > ((lum + 0.05) / 0.066) ? "#ffffff" : "#1f2328";
}
