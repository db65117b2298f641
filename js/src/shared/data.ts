/** Defensive readers for the `_data` dicts that Python sends (any field may be missing or null). */

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

/** A plain object (not an array), or an empty one. */
export function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** An array, or an empty one. */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
