/** Defensive readers for the JSON a host sends (view data, selections): any field may be missing or null. */

export interface Feature {
  name: string;
  unit?: string | null;
  low: number;
  high: number;
}

/** A number list; null/undefined/"" become NaN so that gaps are kept (and skipped when drawing). */
export function nums(a: unknown): number[] {
  if (!Array.isArray(a)) return [];
  return a.map((v) => (v === null || v === undefined || v === "" ? NaN : Number(v)));
}

/** A feature dict with a non-empty name (fallbackName otherwise), unit or null, numeric low/high (NaN if absent). */
export function normFeature(f: unknown, fallbackName: string): Feature {
  const o = (f && typeof f === "object" ? f : {}) as Partial<Feature>;
  return {
    name: o.name != null && String(o.name) !== "" ? String(o.name) : fallbackName,
    unit: o.unit ? String(o.unit) : null,
    low: Number(o.low),
    high: Number(o.high),
  };
}

/** String value or fallback for null/undefined. */
export function str(v: unknown, fallback = ""): string {
  return v === null || v === undefined ? fallback : String(v);
}

/** Finite number or NaN. */
export function num(v: unknown): number {
  if (v === null || v === undefined || v === "") return NaN;
  const n = Number(v);
  return Number.isFinite(n) ? n : NaN;
}

/** Integer or the fallback (for ids and indices). */
export function int(v: unknown, fallback: number): number {
  const n = num(v);
  return Number.isFinite(n) ? Math.trunc(n) : fallback;
}

/** An integer (a JSON number with no fraction), or null: selections of one item by id or index. */
export function intOrNull(v: unknown): number | null {
  return typeof v === "number" && Number.isInteger(v) ? v : null;
}

/** A non-empty string, or null. */
export function strOrNull(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

/** A plain object (not an array), or an empty one. */
export function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** An array, or an empty one. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Two finite numbers as a pair (e.g. a confidence interval), or null. */
export function finitePair(v: unknown): [number, number] | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const a = num(v[0]);
  const b = num(v[1]);
  return Number.isFinite(a) && Number.isFinite(b) ? [a, b] : null;
}

/** Two non-negative integers as a pair (e.g. [layer, head]), or null. */
export function indexPair(v: unknown): [number, number] | null {
  const p = finitePair(v);
  if (!p || !Number.isInteger(p[0]) || !Number.isInteger(p[1]) || p[0] < 0 || p[1] < 0) return null;
  return p;
}
