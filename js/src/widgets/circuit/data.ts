/** The circuit heat map's data: normalized scores, head types and attention; the circuit and faithfulness of a selection; their text. */
import { arr, finitePair, indexPair, int, num, obj, str } from "../../shared/data";
import { formatNumber, formatScore, formatSigned, withMinus } from "../../shared/format";
import type { Fidelity } from "../../shared/format";

export interface Metric {
  value: number;
  ci: [number, number] | null;
  exact: boolean;
}

export interface CircuitData {
  title?: string;
  n_layers?: number;
  n_heads?: number;
  scores?: (number | null)[][];
  score_label?: string;
  head_types?: (string | null)[][];
  /** Per head, the numbers its type was measured from (shown in its tooltip). */
  head_type_notes?: (string | null)[][] | null;
  /** How the types were measured, shown under the key of type glyphs. */
  type_note?: string | null;
  tokens?: string[];
  attention?: Record<string, number[]> | null;
  /** Which prompt the attention panel's tokens come from ("prompt 1 of 28"). */
  attention_note?: string | null;
  logit_diff?: { clean: number; corrupted: number } | null;
  /** Logit difference read off the residual stream after each layer, and each head's direct effect. */
  logit_lens?: { labels?: string[]; by_layer?: number[]; direct_effects?: number[][]; measures?: string } | null;
  caption?: string;
}

/** The logit lens, normalised: one value per residual-stream read-out, direct effects per head. */
export interface Lens {
  labels: string[];
  byLayer: number[];
  direct: number[][];
  measures: string;
}

export const NO_HEADS_TEXT = "no attention heads to show";
export const EMPTY_CIRCUIT_TEXT = "circuit: empty — click a head to add it";
export const NO_FAITHFULNESS_TEXT = "not computed yet";
export const NO_ATTENTION_TEXT = "no attention patterns were sent";
export const ATTENTION_HINT_TEXT = "hover a head (or shift-click to pin it) to see its attention";
export const DEFAULT_SCORE_LABEL = "attribution score";
export const DEFAULT_WIDTH = 760;
export const MIN_CELL = 28;
export const MAX_CELL = 72;
/** Below this container width the side panels go under the grid. */
export const SIDE_BY_SIDE_MIN = 620;
/** Sanity cap on n_layers and n_heads (a malformed `_data` must not build millions of cells). */
const MAX_DIM = 512;

export const METRICS: { key: "sufficiency" | "comprehensiveness" | "f1"; label: string; help: string }[] = [
  { key: "sufficiency", label: "sufficiency", help: "how much of the model's behaviour the circuit alone recovers" },
  { key: "comprehensiveness", label: "comprehensiveness", help: "how much of the behaviour is lost when the circuit is removed" },
  { key: "f1", label: "F1", help: "sufficiency and comprehensiveness combined" },
];

export type Head = [number, number];
export type Faithfulness = Record<"sufficiency" | "comprehensiveness" | "f1", Metric | null>;

/** Normalised, defensive view of `_data`. */
export interface Norm {
  title: string;
  nLayers: number;
  nHeads: number;
  scores: number[][]; // [layer][head], NaN = missing
  scoreLabel: string;
  headTypes: (string | null)[][];
  headTypeNotes: (string | null)[][];
  typeNote: string;
  tokens: string[];
  attention: Map<string, number[]> | null; // key "layer.head"
  attentionNote: string;
  logitDiff: { clean: number; corrupted: number } | null;
  lens: Lens | null;
  caption: string;
}

export const headKey = (l: number, hd: number) => `${l}.${hd}`;
export const headLabel = (l: number, hd: number) => `L${l}H${hd}`;

/** "1.2", "L1H2", "1,2", "1_2" -> "1.2"; null when it is not two integers. */
export function parseHeadKey(k: string): string | null {
  const m = /^\s*L?(\d+)\s*[^\d]+\s*(\d+)\s*$/i.exec(k);
  return m ? headKey(Number(m[1]), Number(m[2])) : null;
}

function metric(v: unknown): Metric | null {
  if (!v || typeof v !== "object") return null;
  const o = obj(v);
  return { value: num(o.value), ci: finitePair(o.ci), exact: o.exact === true };
}

export function normalize(raw: unknown): Norm | null {
  if (!raw || typeof raw !== "object") return null;
  const d = raw as Record<string, unknown>;
  const rawScores = arr(d.scores).map((row) => arr(row).map(num));
  const rawTypes = arr(d.head_types).map((row) => arr(row));
  const rawNotes = arr(d.head_type_notes).map((row) => arr(row));
  let nLayers = int(d.n_layers, -1);
  let nHeads = int(d.n_heads, -1);
  if (!(nLayers > 0)) nLayers = Math.max(rawScores.length, rawTypes.length);
  if (!(nHeads > 0)) nHeads = Math.max(0, ...rawScores.map((r) => r.length), ...rawTypes.map((r) => r.length));
  nLayers = Math.min(Math.max(0, nLayers), MAX_DIM);
  nHeads = Math.min(Math.max(0, nHeads), MAX_DIM);
  if (nLayers === 0 || nHeads === 0) nLayers = nHeads = 0;

  const scores: number[][] = [];
  const headTypes: (string | null)[][] = [];
  const headTypeNotes: (string | null)[][] = [];
  for (let l = 0; l < nLayers; l++) {
    const sr = rawScores[l] ?? [];
    const tr = rawTypes[l] ?? [];
    const nr = rawNotes[l] ?? [];
    headTypeNotes.push(Array.from({ length: nHeads }, (_, hd) => (typeof nr[hd] === "string" && nr[hd] !== "" ? (nr[hd] as string) : null)));
    scores.push(Array.from({ length: nHeads }, (_, hd) => (sr[hd] === undefined ? NaN : sr[hd])));
    headTypes.push(
      Array.from({ length: nHeads }, (_, hd) => {
        const t = tr[hd];
        return t === null || t === undefined || String(t).trim() === "" ? null : String(t).trim();
      }),
    );
  }

  let attention: Map<string, number[]> | null = null;
  if (d.attention && typeof d.attention === "object" && !Array.isArray(d.attention)) {
    attention = new Map();
    for (const [k, v] of Object.entries(obj(d.attention))) {
      const key = parseHeadKey(k);
      if (key && Array.isArray(v)) attention.set(key, v.map(num));
    }
  }

  let logitDiff: Norm["logitDiff"] = null;
  if (d.logit_diff && typeof d.logit_diff === "object") {
    const ld = obj(d.logit_diff);
    logitDiff = { clean: num(ld.clean), corrupted: num(ld.corrupted) };
  }

  let lens: Lens | null = null;
  if (d.logit_lens && typeof d.logit_lens === "object") {
    const o = obj(d.logit_lens);
    const byLayer = arr(o.by_layer).map(num);
    const labels = arr(o.labels).map((t) => str(t));
    if (byLayer.length > 0) {
      lens = {
        byLayer,
        labels: byLayer.map((_, i) => labels[i] || (i === 0 ? "embed" : `after L${i - 1}`)),
        direct: arr(o.direct_effects).map((row) => arr(row).map(num)),
        measures: str(o.measures),
      };
    }
  }

  return {
    title: str(d.title),
    nLayers,
    nHeads,
    scores,
    scoreLabel: str(d.score_label) || DEFAULT_SCORE_LABEL,
    headTypes,
    headTypeNotes,
    typeNote: str(d.type_note),
    tokens: arr(d.tokens).map((t) => str(t)),
    attention,
    attentionNote: str(d.attention_note),
    logitDiff,
    lens,
    caption: str(d.caption),
  };
}

const TYPE_ABBREV: Record<string, string> = {
  "previous-token": "PT",
  "prev-token": "PT",
  "duplicate-token": "DT",
  induction: "IND",
  "name-mover": "NM",
  "negative-name-mover": "NNM",
  "backup-name-mover": "BNM",
  "s-inhibition": "SI",
  "copy-suppression": "CS",
  successor: "SUC",
};

/** Short glyph for a head type: "previous-token" -> "PT", "induction" -> "IND", "name-mover" -> "NM"; others: initials. */
export function typeAbbrev(type: string | null | undefined): string {
  if (!type) return "";
  const t = String(type).trim();
  const known = TYPE_ABBREV[t.toLowerCase().replace(/[\s_]+/g, "-")];
  if (known) return known;
  if (t.length <= 4 && t === t.toUpperCase()) return t;
  const words = t.split(/[^A-Za-z0-9]+/).filter(Boolean);
  if (words.length === 0) return t.slice(0, 3);
  if (words.length === 1) return words[0].slice(0, 3).toUpperCase();
  return words
    .slice(0, 3)
    .map((w) => w[0])
    .join("")
    .toUpperCase();
}

/** Font size of a type glyph alone in a cell: ~0.3 × the cell, at most 11 px, narrower for long glyphs. */
export function glyphSize(cell: number, chars: number): number {
  const fit = (cell - 12) / (0.85 * Math.max(1, chars)); // bold capitals are ~0.85 em wide
  return Math.max(7, Math.min(11, cell * 0.3, fit));
}

// Every number the heat map shows writes a negative sign as the minus sign "−" (U+2212), like the Altair charts.
/** Compact number: "0.1235", "−2.504". */
export const numberText = (v: unknown) => withMinus(formatNumber(v));
/** Two decimals (faithfulness): "0.82", "−0.05". */
export const scoreText = (v: unknown) => withMinus(formatScore(v));
/** Signed, two decimals (cell scores, logit diff): "+0.71", "−0.84", "0.00". */
export const signedText = (v: unknown) => withMinus(formatSigned(v));

/** "+0.71" / "−0.84" style number with 4 significant digits, for tooltips and the legend. */
export function signedNumber(v: number): string {
  return Number.isFinite(v) && v > 0 ? `+${formatNumber(v)}` : numberText(v);
}

/** The hover text of a head: "L1H2: score +0.71 · type s-inhibition · in circuit". */
export function headTitle(d: Norm, l: number, hd: number, inCircuit: boolean): string {
  const type = d.headTypes[l]?.[hd] ?? null;
  const direct = d.lens?.direct[l]?.[hd];
  const effect = direct !== undefined && Number.isFinite(direct) ? ` · direct effect ${signedNumber(direct)}` : "";
  return `${headLabel(l, hd)}: score ${signedNumber(d.scores[l]?.[hd] ?? NaN)}${effect} · type ${type ?? "—"} · ${inCircuit ? "in circuit" : "not in circuit"}`;
}

/** "circuit: L0H1, L1H2 (2 heads)". */
export function circuitText(circuit: readonly [number, number][]): string {
  if (circuit.length === 0) return EMPTY_CIRCUIT_TEXT;
  return `circuit: ${circuit.map(([l, hd]) => headLabel(l, hd)).join(", ")} (${circuit.length} head${circuit.length === 1 ? "" : "s"})`;
}

/** Largest |score| (0 when there is none). */
export function maxAbsScore(scores: readonly (readonly number[])[]): number {
  let m = 0;
  for (const row of scores) for (const v of row) if (Number.isFinite(v) && Math.abs(v) > m) m = Math.abs(v);
  return m;
}

/** A token made readable: spaces as "·", newlines as "↵", tabs as "→"; "∅" when empty. */
export function tokenDisplay(t: string): string {
  if (t === "") return "∅";
  return t.replace(/ /g, "·").replace(/\r?\n/g, "↵").replace(/\t/g, "→");
}

/** A circuit read from its wire form: unique [layer, head] pairs, sorted. */
export function circuitValue(wire: unknown): Head[] {
  const seen = new Set<string>();
  const circuit: Head[] = [];
  for (const c of arr(wire)) {
    const p = indexPair(c);
    if (!p || seen.has(headKey(p[0], p[1]))) continue;
    seen.add(headKey(p[0], p[1]));
    circuit.push(p);
  }
  return circuit.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** The heads of `circuit` that exist in the model of `d`. */
export function headsIn(circuit: readonly Head[], d: Norm): Head[] {
  return circuit.filter(([l, hd]) => l < d.nLayers && hd < d.nHeads);
}

/** `circuit` with head (l, hd) added, or removed when it is in it (sorted). */
export function toggleHead(circuit: readonly Head[], l: number, hd: number): Head[] {
  const rest = circuit.filter(([a, b]) => a !== l || b !== hd);
  return rest.length < circuit.length ? rest : circuitValue([...circuit, [l, hd]]);
}

/** The faithfulness metrics in a selection's details, or null when none were sent. */
export function faithfulnessOf(details: Record<string, unknown>): Faithfulness | null {
  if (!details.faithfulness || typeof details.faithfulness !== "object") return null;
  const f = obj(details.faithfulness);
  return { sufficiency: metric(f.sufficiency), comprehensiveness: metric(f.comprehensiveness), f1: metric(f.f1) };
}

/** The circuit's fidelity in a selection's details (`{metric, value, ci, text?}`, or `ci_low`/`ci_high`), or null. */
export function fidelityOf(details: Record<string, unknown>): Fidelity | null {
  if (!details.fidelity || typeof details.fidelity !== "object") return null;
  const f = obj(details.fidelity);
  const value = num(f.value);
  if (!Number.isFinite(value)) return null;
  return { metric: str(f.metric) || "agreement", value, ci: finitePair(f.ci) ?? finitePair([f.ci_low, f.ci_high]), text: str(f.text) };
}
