/**
 * The rules view's numbers: the overall fidelity line (with the precision Python reports) and each
 * rule's own fidelity with the count of held-out probes it rests on.
 */
import { format } from "d3-format";

import { formatPercent, formatScore, metricLabel } from "../../shared/format";
import type { Fidelity } from "../../shared/format";

/** Python's `Fidelity.describe()` writes three decimals; more are used only where three would mislead. */
export const FIDELITY_DECIMALS = 3;
const MAX_DECIMALS = 6;

const fixed = (decimals: number) => format(`.${decimals}f`);

/**
 * `value [low, high]` with three decimals, as Python writes it ("0.999 [0.996, 1.000]"), and more where
 * three would make a real interval look like a point ([0.9996, 1.0] is "[0.9996, 1.0000]", never
 * "[1.000, 1.000]") or round a value short of 1 (or above 0) to exactly 1 (or 0).
 */
export function scoreWithInterval(value: number, ci: readonly [number, number] | null): string {
  let decimals = FIDELITY_DECIMALS;
  const misleads = (d: number): boolean => {
    const f = fixed(d);
    if (ci && ci[0] !== ci[1] && f(ci[0]) === f(ci[1])) return true; // an interval shown as a point
    const edge = (v: number) => (v !== 1 && f(v) === f(1)) || (v !== 0 && f(v) === f(0)); // 0.9996 -> "1.000"
    return edge(value) || (ci !== null && (edge(ci[0]) || edge(ci[1])));
  };
  while (decimals < MAX_DECIMALS && misleads(decimals)) decimals += 1;
  const f = fixed(decimals);
  const text = (v: number) => f(v).replace("−", "-");
  return ci ? `${text(value)} [${text(ci[0])}, ${text(ci[1])}]` : text(value);
}

/**
 * The overall fidelity as the caption shows it: Python's own line when it sent one (it names the split and
 * the number of probes), else "agreement = 0.999 [0.996, 1.000] (held-out)" with Python's precision.
 */
export function fidelityWithText(f: Fidelity | null): Fidelity | null {
  if (!f) return null;
  if (typeof f.text === "string" && f.text.trim() !== "") return f;
  const value = Number(f.value);
  if (!Number.isFinite(value)) return f;
  const ci = Array.isArray(f.ci) && f.ci.length === 2 && f.ci.every((c) => c !== null && Number.isFinite(Number(c))) ? ([Number(f.ci[0]), Number(f.ci[1])] as [number, number]) : null;
  const split = typeof f.split === "string" && f.split.trim() !== "" ? ` (${f.split.trim()})` : "";
  return { ...f, text: `${metricLabel(String(f.metric ?? "score"))} = ${scoreWithInterval(value, ci)}${split}` };
}

/** A rule's own fidelity and what it rests on. */
export interface RuleSupport {
  task: "classification" | "regression";
  fidelity: number | null;
  ci: [number, number] | null;
  n: number;
  small: boolean;
}

/** "100% of 5" (agreement) or "R² 0.71 of 600" (regression); "— (no held-out probe)" without one. */
export function ruleFidelityText(r: RuleSupport): string {
  if (r.fidelity === null || !Number.isFinite(r.fidelity) || r.n <= 0) return r.n <= 0 ? "— (no held-out probe)" : "—";
  const value = r.task === "regression" ? formatScore(r.fidelity) : formatPercent(r.fidelity);
  return `${value} of ${r.n}`;
}

/** The tooltip of a rule's fidelity: what was measured, on how many probes, its interval, and the warning. */
export function ruleFidelityTitle(r: RuleSupport, minSupport: number): string {
  if (r.fidelity === null || !Number.isFinite(r.fidelity) || r.n <= 0) return "no held-out probe meets this rule's conditions, so its own fidelity was not measured";
  const probes = `${r.n} held-out probe${r.n === 1 ? "" : "s"}`;
  const what =
    r.task === "regression"
      ? `R² of the rule's value against the model on the ${probes} it covers`
      : `the model decides as this rule on ${formatPercent(r.fidelity)} of the ${probes} it covers`;
  const interval = r.ci ? `; 95% CI ${formatPercent(r.ci[0])}–${formatPercent(r.ci[1])} (exact binomial)` : "";
  const warning = r.small ? `. Only ${probes} (under ${minSupport}): too few to trust this number` : "";
  return `${what}${interval}${warning}`;
}
