/** The audit view's data: the audit's measures normalized, the flipped pairs of a selection, and their text. */
import { arr, finitePair, int, num, obj, str } from "../../shared/data";
import { formatPercent } from "../../shared/format";
import type { Fidelity } from "../../shared/format";

export interface VariableRow {
  name: string;
  flip_rate: number | null;
  ci: [number | null, number | null];
  n_pairs: number;
  mean_abs_delta_p?: number | null;
  protected: boolean;
  sensitive: boolean;
}

export interface FlipRow {
  context: Record<string, unknown>;
  from: unknown;
  to: unknown;
  decision_from: string;
  decision_to: string;
  p_from?: number | null;
  p_to?: number | null;
  prompt_from?: string;
  prompt_to?: string;
}

export interface AuditData {
  title?: string;
  summary?: string;
  expected?: { positive: string; negative: string };
  variables?: VariableRow[];
  flip_rate?: { value: number | null; ci: (number | null)[]; n: number } | null;
  consistency?: { value: number | null; ci: (number | null)[]; n: number; variants: string[] } | null;
  parity?: { variable: string; gap: number | null; gap_ci: (number | null)[]; groups: { group: string; rate: number | null; ci: (number | null)[]; n: number }[] }[];
  fidelity?: Fidelity | null;
  complete?: boolean;
  completeness?: string;
  errors?: string[];
  caption?: string;
}

export const NO_VARIABLES_TEXT = "no variables were audited";
export const SELECT_HINT_TEXT = "click a variable to list the swaps that flipped the decision";
export const NO_PROTECTED_TEXT = "no protected attribute was named (audit(..., protected=[...]))";
export const WAITING_TEXT = "loading the flipped pairs…";
export const NO_FLIPS_SENT_TEXT = "no flipped pairs were sent for this variable";

export interface Estimate {
  value: number;
  ci: [number, number] | null;
}

/** The counterfactual pairs of the selected variable whose decision flipped (the selection's details). */
export interface Flips {
  variable: string;
  total: number;
  pairs: number;
  rows: FlipRow[];
}

/** Normalised, defensive view of `_data`. */
export interface Norm {
  title: string;
  summary: string;
  positive: string;
  negative: string;
  variables: { name: string; rate: Estimate; nPairs: number; dp: number; protected: boolean; sensitive: boolean }[];
  flipRate: (Estimate & { n: number }) | null;
  consistency: (Estimate & { n: number; variants: string[] }) | null;
  parity: { variable: string; gap: Estimate; groups: { group: string; rate: Estimate; n: number }[] }[];
  fidelity: Fidelity | null;
  complete: boolean;
  completeness: string;
  errors: string[];
  caption: string;
}

function est(value: unknown, ci: unknown): Estimate {
  return { value: num(value), ci: finitePair(ci) };
}

export function normalize(raw: unknown): Norm | null {
  if (!raw || typeof raw !== "object") return null;
  const d = raw as Record<string, unknown>;
  const expected = obj(d.expected);
  const fr = d.flip_rate && typeof d.flip_rate === "object" ? obj(d.flip_rate) : null;
  const cons = d.consistency && typeof d.consistency === "object" ? obj(d.consistency) : null;
  return {
    title: str(d.title),
    summary: str(d.summary),
    positive: str(expected.positive, "positive"),
    negative: str(expected.negative, "negative"),
    variables: arr(d.variables)
      .map((v) => obj(v))
      .filter((v) => str(v.name) !== "")
      .map((v) => ({
        name: str(v.name),
        rate: est(v.flip_rate, v.ci),
        nPairs: int(v.n_pairs, 0),
        dp: num(v.mean_abs_delta_p),
        protected: v.protected === true,
        sensitive: v.sensitive === true,
      })),
    flipRate: fr ? { ...est(fr.value, fr.ci), n: int(fr.n, 0) } : null,
    consistency: cons ? { ...est(cons.value, cons.ci), n: int(cons.n, 0), variants: arr(cons.variants).map((s) => str(s)) } : null,
    parity: arr(d.parity).map((p) => {
      const o = obj(p);
      return {
        variable: str(o.variable),
        gap: est(o.gap, o.gap_ci),
        groups: arr(o.groups).map((g) => {
          const go = obj(g);
          return { group: str(go.group), rate: est(go.rate, go.ci), n: int(go.n, 0) };
        }),
      };
    }),
    fidelity: d.fidelity && typeof d.fidelity === "object" ? (obj(d.fidelity) as unknown as Fidelity) : null,
    complete: d.complete !== false,
    completeness: str(d.completeness),
    errors: arr(d.errors).map((e) => str(e)),
    caption: str(d.caption),
  };
}

/** "36% [26%, 48%]" (the interval is left out when it is missing). */
export function estimateText(e: Estimate): string {
  if (!Number.isFinite(e.value)) return "n/a";
  return e.ci ? `${formatPercent(e.value)} [${formatPercent(e.ci[0])}, ${formatPercent(e.ci[1])}]` : formatPercent(e.value);
}

/** Upper end of the flip-rate axis: the largest CI end (or value), at least 10 %, at most 100 %. */
export function axisMax(values: Estimate[]): number {
  let top = 0.1;
  for (const e of values) {
    const hi = e.ci ? e.ci[1] : e.value;
    if (Number.isFinite(hi) && hi > top) top = hi;
  }
  return Math.min(1, top * 1.05);
}

/** The flips in a selection's details, or null when none were sent. */
export function flipsOf(details: Record<string, unknown>): Flips | null {
  if (!details.flips || typeof details.flips !== "object") return null;
  const f = obj(details.flips);
  return {
    variable: str(f.variable),
    total: int(f.total, 0),
    pairs: int(f.pairs, 0),
    rows: arr(f.rows).map((r) => obj(r) as unknown as FlipRow),
  };
}
