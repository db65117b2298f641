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
