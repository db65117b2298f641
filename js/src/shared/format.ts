import { format } from "d3-format";

const general = format(".4~g");
const fixed2 = format(".2f");
const signed2 = format("+.2f");

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

/** The minus sign (U+2212) that d3-format, and so the Altair (Vega) charts, print for negative numbers. */
export const MINUS = "\u2212";

/**
 * `s` with a leading ASCII hyphen turned into the minus sign: "-2.504" -> "−2.504",
 * "-1.2e-7" -> "−1.2e-7" (the exponent keeps its hyphen, as in d3-format); anything else unchanged.
 */
export function withMinus(s: string): string {
  return s.startsWith("-") ? MINUS + s.slice(1) : s;
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
  /** The host's own line for it (it names the split: held-out, in-sample, test–retest), used when sent. */
  text?: string | null;
  /** Which cases it was measured on ("held-out", "in-sample", "test-retest", …), shown when `text` is not sent. */
  split?: string | null;
}

/**
 * Like formatScore, but keeps the digits that tell near-perfect scores apart:
 * 0.9996 -> "0.9996", 0.99998 -> "0.99998" (at most 6 decimals), 0.957 -> "0.96".
 */
export function formatScorePrecise(v: unknown): string {
  const n = typeof v === "number" ? v : Number(v);
  if (v === null || v === undefined || !Number.isFinite(n)) return "n/a";
  if (n >= 0.99 && n < 1) {
    const decimals = Math.min(6, Math.ceil(-Math.log10(1 - n)) + 1);
    const s = format(`.${decimals}~f`)(n);
    return s === "1" ? "1.00" : s;
  }
  return formatScore(n);
}

/** "0.62 [0.60, 0.64]" (the interval is omitted when it is absent or not two finite numbers). */
export function formatScoreCI(value: unknown, ci?: unknown, fmt: (v: unknown) => string = formatScore): string {
  let s = fmt(value);
  if (Array.isArray(ci) && ci.length === 2 && ci.every((c) => c !== null && Number.isFinite(Number(c)))) {
    s += ` [${fmt(ci[0])}, ${fmt(ci[1])}]`;
  }
  return s;
}

const grouped = format(",.5~r");

/** Split thresholds: compact, but 52,000 rather than 5.2e+4 for large magnitudes. */
export function formatThreshold(v: unknown): string {
  const n = typeof v === "number" ? v : Number(v);
  if (v === null || v === undefined || !Number.isFinite(n)) return "n/a";
  const a = Math.abs(n);
  if (a >= 1e4 && a < 1e9) return grouped(n).replace("−", "-");
  return formatNumber(n);
}

/**
 * "fidelity <text>" when the host sent its own line (Python always does: it names the split and the
 * cases), else "fidelity R² = 0.62 [0.60, 0.64] (held-out)" from the numbers (CI and split omitted when absent).
 */
export function fidelityText(f: Fidelity | null | undefined): string {
  if (!f || typeof f !== "object") return "";
  if (typeof f.text === "string" && f.text.trim() !== "") return `fidelity ${f.text.trim()}`;
  // without the host's own line, say only what is known: no split is claimed that was not sent
  const metric = metricLabel(String(f.metric ?? "score"));
  const split = typeof f.split === "string" && f.split.trim() !== "" ? ` (${f.split.trim()})` : "";
  return `fidelity ${metric} = ${formatScoreCI(f.value, f.ci)}${split}`;
}

/** A share in [0, 1] as a percentage: 0.973 -> "97%", 0.004 -> "0.4%", 0 -> "0%"; "n/a" if not finite. */
export function formatPercent(v: unknown): string {
  const n = typeof v === "number" ? v : Number(v);
  if (v === null || v === undefined || !Number.isFinite(n)) return "n/a";
  const p = n * 100;
  if (p === 0) return "0%";
  if (Math.abs(p) < 1) return `${format(".1~f")(p).replace("−", "-")}%`;
  return `${Math.round(p)}%`;
}

const SUPERSCRIPT: Record<string, string> = {
  "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹",
};

/**
 * Tick label for a log axis: exact powers of ten as 10⁻³ (1 and 10 stay plain),
 * anything else compact (0.2, 5e-7).
 */
export function formatLogTick(v: unknown): string {
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n) || n <= 0) return formatNumber(n);
  const k = Math.round(Math.log10(n));
  if (Math.abs(n / 10 ** k - 1) < 1e-9) {
    if (k === 0) return "1";
    if (k === 1) return "10";
    return `10${String(k).replace(/[-0-9]/g, (c) => SUPERSCRIPT[c])}`;
  }
  return formatNumber(n);
}

/**
 * Signed score with two decimals for |v| < 100 ("+0.52", "-0.31", "0.00"), compact with a sign
 * otherwise ("+1.235e+5"); "n/a" for non-finite. For diverging quantities (attributions, effects).
 */
export function formatSigned(v: unknown): string {
  const n = typeof v === "number" ? v : Number(v);
  if (v === null || v === undefined || !Number.isFinite(n)) return "n/a";
  if (Math.abs(n) >= 100) return `${n > 0 ? "+" : ""}${formatNumber(n)}`;
  const s = signed2(n).replace("−", "-");
  return s === "+0.00" || s === "-0.00" ? "0.00" : s;
}
