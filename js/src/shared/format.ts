import { format } from "d3-format";

const general = format(".4~g");
const fixed2 = format(".2f");

/** Compact, human-readable number: 0.1235, 12.5, 1.235e+5; "n/a" for non-finite. */
export function formatNumber(v: unknown): string {
  const n = typeof v === "number" ? v : Number(v);
  if (v === null || v === undefined || !Number.isFinite(n)) return "n/a";
  if (n === 0) return "0";
  return general(n).replace("−", "-");
}

/** Two decimals for scores in [-100, 100] (e.g. R² = 0.62), compact otherwise. */
export function formatScore(v: unknown): string {
  const n = typeof v === "number" ? v : Number(v);
  if (v === null || v === undefined || !Number.isFinite(n)) return "n/a";
  return Math.abs(n) < 100 ? fixed2(n).replace("−", "-") : formatNumber(n);
}

/** "name [unit]" or just "name" when there is no unit. */
export function featureLabel(f: { name: string; unit?: string | null }): string {
  return f.unit ? `${f.name} [${f.unit}]` : f.name;
}

/** "name = 1.5 unit" for read-outs and hover text. */
export function featureValue(f: { name: string; unit?: string | null }, v: unknown): string {
  return `${f.name} = ${formatNumber(v)}${f.unit ? ` ${f.unit}` : ""}`;
}

const METRIC_NAMES: Record<string, string> = {
  r2: "R²",
  "r^2": "R²",
  r_squared: "R²",
  rsquared: "R²",
};

/** Pretty metric name: "r2" -> "R²", anything else unchanged. */
export function metricLabel(metric: string): string {
  return METRIC_NAMES[metric.trim().toLowerCase()] ?? metric;
}

export interface Fidelity {
  metric: string;
  value: number;
  ci?: [number, number] | number[] | null;
}

/** "fidelity R² = 0.62 [0.60, 0.64] on held-out probes" (CI omitted when absent). */
export function fidelityText(f: Fidelity | null | undefined): string {
  if (!f || typeof f !== "object") return "";
  const metric = metricLabel(String(f.metric ?? "score"));
  let s = `fidelity ${metric} = ${formatScore(f.value)}`;
  const ci = f.ci;
  if (Array.isArray(ci) && ci.length === 2 && ci.every((c) => Number.isFinite(Number(c)))) {
    s += ` [${formatScore(ci[0])}, ${formatScore(ci[1])}]`;
  }
  return `${s} on held-out probes`;
}
