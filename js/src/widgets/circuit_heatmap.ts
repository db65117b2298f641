/**
 * GlassBox circuit heat map (anywidget ESM module): a transformer circuit explorer.
 *
 * A layer × head grid coloured by a signed attribution score (diverging colours
 * centred at 0); heads in the circuit are outlined. Clicking a head asks Python
 * to toggle it in/out of the circuit (`_toggle`); Python recomputes the
 * faithfulness metrics and sends a new `_data`. Side panels: faithfulness
 * (sufficiency, comprehensiveness, F1 with CIs) and the attention pattern of one
 * head from the final position over the prompt tokens.
 *
 * Synced traits:
 *   _data    (read)        see CircuitData below
 *   _toggle  (read/write)  [layer, head] written on click (+ save_changes); Python toggles that
 *                          head, sends the new `_data` and resets `_toggle` to null
 *   _focus   (read/write)  [layer, head] or null: the head whose attention is pinned in the side
 *                          panel (shift-click / Shift+Enter on a cell or the panel's <select>)
 *
 * Circuit membership is never changed locally: a clicked cell only gets a
 * "pending" style until Python's next `_data` settles it.
 */
import { appendSvg } from "../shared/axes";
import type { G } from "../shared/axes";
import { arr, finitePair, indexPair, int, num, obj, str } from "../shared/data";
import { delegate, delegateActivate, delegateHover, disposer, guardedDraw, h, headerBar, liveRegion, messageEl, observeWidth, optionEl, panel, setCaption, showMessage } from "../shared/dom";
import { formatNumber, formatScore, formatSigned, withMinus } from "../shared/format";
import { onChange, sendRequest, uniqueId } from "../shared/model";
import type { AnyModel, RenderContext } from "../shared/model";
import { MISSING_FILL, divergingScale, interpolateDiverging, textColorOn } from "../shared/palette";

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
  circuit?: [number, number][];
  faithfulness?: { sufficiency?: Metric; comprehensiveness?: Metric; f1?: Metric } | null;
  busy?: boolean;
  tokens?: string[];
  attention?: Record<string, number[]> | null;
  logit_diff?: { clean: number; corrupted: number } | null;
  caption?: string;
}

export const NO_DATA_TEXT = "no data to show yet";
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
const MAX_GRID_HEIGHT = 440;
const GAP = 18;
const GRID_MARGIN = { top: 20, right: 4, bottom: 4, left: 30 };
/** Cells at least this big show their score as a number (and the type glyph in a corner). */
const SCORE_TEXT_MIN_CELL = 44;

export const METRICS: { key: "sufficiency" | "comprehensiveness" | "f1"; label: string; help: string }[] = [
  { key: "sufficiency", label: "sufficiency", help: "how much of the model's behaviour the circuit alone recovers" },
  { key: "comprehensiveness", label: "comprehensiveness", help: "how much of the behaviour is lost when the circuit is removed" },
  { key: "f1", label: "F1", help: "sufficiency and comprehensiveness combined" },
];

/** Normalised, defensive view of `_data`. */
export interface Norm {
  title: string;
  nLayers: number;
  nHeads: number;
  scores: number[][]; // [layer][head], NaN = missing
  scoreLabel: string;
  headTypes: (string | null)[][];
  circuit: [number, number][]; // sorted, unique, in range
  faithfulness: Record<"sufficiency" | "comprehensiveness" | "f1", Metric | null> | null;
  busy: boolean;
  tokens: string[];
  attention: Map<string, number[]> | null; // key "layer.head"
  logitDiff: { clean: number; corrupted: number } | null;
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
  let nLayers = int(d.n_layers, -1);
  let nHeads = int(d.n_heads, -1);
  if (!(nLayers > 0)) nLayers = Math.max(rawScores.length, rawTypes.length);
  if (!(nHeads > 0)) nHeads = Math.max(0, ...rawScores.map((r) => r.length), ...rawTypes.map((r) => r.length));
  nLayers = Math.min(Math.max(0, nLayers), MAX_DIM);
  nHeads = Math.min(Math.max(0, nHeads), MAX_DIM);
  if (nLayers === 0 || nHeads === 0) nLayers = nHeads = 0;

  const scores: number[][] = [];
  const headTypes: (string | null)[][] = [];
  for (let l = 0; l < nLayers; l++) {
    const sr = rawScores[l] ?? [];
    const tr = rawTypes[l] ?? [];
    scores.push(Array.from({ length: nHeads }, (_, hd) => (sr[hd] === undefined ? NaN : sr[hd])));
    headTypes.push(
      Array.from({ length: nHeads }, (_, hd) => {
        const t = tr[hd];
        return t === null || t === undefined || String(t).trim() === "" ? null : String(t).trim();
      }),
    );
  }

  const seen = new Set<string>();
  const circuit: [number, number][] = [];
  for (const c of arr(d.circuit)) {
    const p = indexPair(c);
    if (!p || p[0] >= nLayers || p[1] >= nHeads) continue;
    const k = headKey(p[0], p[1]);
    if (seen.has(k)) continue;
    seen.add(k);
    circuit.push(p);
  }
  circuit.sort((a, b) => a[0] - b[0] || a[1] - b[1]);

  let faithfulness: Norm["faithfulness"] = null;
  if (d.faithfulness && typeof d.faithfulness === "object") {
    const f = obj(d.faithfulness);
    faithfulness = { sufficiency: metric(f.sufficiency), comprehensiveness: metric(f.comprehensiveness), f1: metric(f.f1) };
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

  return {
    title: str(d.title),
    nLayers,
    nHeads,
    scores,
    scoreLabel: str(d.score_label) || DEFAULT_SCORE_LABEL,
    headTypes,
    circuit,
    faithfulness,
    busy: d.busy === true,
    tokens: arr(d.tokens).map((t) => str(t)),
    attention,
    logitDiff,
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
const numberText = (v: unknown) => withMinus(formatNumber(v));
/** Two decimals (faithfulness): "0.82", "−0.05". */
const scoreText = (v: unknown) => withMinus(formatScore(v));
/** Signed, two decimals (cell scores, logit diff): "+0.71", "−0.84", "0.00". */
const signedText = (v: unknown) => withMinus(formatSigned(v));

/** "+0.71" / "−0.84" style number with 4 significant digits, for tooltips and the legend. */
function signedNumber(v: number): string {
  return Number.isFinite(v) && v > 0 ? `+${formatNumber(v)}` : numberText(v);
}

/** The hover text of a head: "L1H2: score +0.71 · type s-inhibition · in circuit". */
export function headTitle(d: Norm, l: number, hd: number, inCircuit: boolean): string {
  const type = d.headTypes[l]?.[hd] ?? null;
  return `${headLabel(l, hd)}: score ${signedNumber(d.scores[l]?.[hd] ?? NaN)} · type ${type ?? "—"} · ${inCircuit ? "in circuit" : "not in circuit"}`;
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

type Shown = { key: string; l: number; hd: number; source: string } | null;

function render({ model, el }: RenderContext): () => void {
  // ---- persistent skeleton (live `_data` updates re-fill it; the <select> and listeners survive)
  const root = h("div", "gb-widget gb-circuit-heatmap");
  const { header, titleEl, statusEl } = headerBar("gb-circuit-header", "recomputing faithfulness…");

  const empty = h("div", "gb-message gb-empty");
  const body = h("div", "gb-circuit-body");

  const gridWrap = h("div", "gb-grid-wrap");
  const legendWrap = h("div", "gb-legend-wrap");
  const typeKey = h("div", "gb-type-key");
  const headInfo = liveRegion("gb-head-info");
  const gridPanel = panel("gb-grid-panel", "layers × heads · click a head to add or remove it", gridWrap, legendWrap, typeKey, headInfo);

  const side = h("div", "gb-circuit-side");
  const faithBody = h("div", "gb-faith-body");
  const logitEl = h("div", "gb-logit-diff");
  const faithPanel = panel("gb-faithfulness", "faithfulness of the circuit", faithBody, logitEl);

  const attnHead = h("div", "gb-attention-head");
  const attnTitle = h("div", "gb-attention-title");
  const attnNote = h("div", "gb-attention-note");
  const pinLabel = h("label", "gb-focus-label", "pin ");
  const focusSelect = h("select", "gb-focus-select");
  focusSelect.setAttribute("aria-label", "head whose attention pattern is shown");
  pinLabel.appendChild(focusSelect);
  attnHead.append(attnTitle, pinLabel);
  const attnBody = h("div", "gb-attention-body");
  const attnPanel = panel("gb-attention", attnHead, attnNote, attnBody);
  side.append(faithPanel, attnPanel);
  body.append(gridPanel, side);

  const captionWrap = h("div", "gb-caption-wrap");
  const readout = liveRegion("gb-selection");
  root.append(header, empty, body, captionWrap, readout);
  el.appendChild(root);

  let data: Norm | null = null;
  let inCircuit = new Set<string>();
  let lastWidth = 0;
  let selectKey = "";
  /** Heads clicked whose toggle Python has not answered yet. */
  const pending = new Set<string>();
  let hoverKey: string | null = null; // mouse
  let kbdKey: string | null = null; // keyboard focus
  let lastClicked: string | null = null;
  let tabKey: string | null = null; // the cell with tabindex 0 (roving tabindex)

  const keyOf = (t: Element) => headKey(Number(t.getAttribute("data-layer")), Number(t.getAttribute("data-head")));
  const splitKey = (k: string): [number, number] => k.split(".").map(Number) as [number, number];
  const validKey = (k: string | null): k is string => {
    if (!k || !data) return false;
    const [l, hd] = splitKey(k);
    return l >= 0 && l < data.nLayers && hd >= 0 && hd < data.nHeads;
  };
  const focusTrait = (): string | null => {
    const p = indexPair(model.get("_focus"));
    return p ? headKey(p[0], p[1]) : null;
  };
  const cellAt = (k: string) => {
    const [l, hd] = splitKey(k);
    return root.querySelector<SVGGElement>(`.gb-head-cell[data-layer="${l}"][data-head="${hd}"]`);
  };

  // ---- actions
  function toggleHead(l: number, hd: number): void {
    sendRequest(model, "_toggle", [l, hd]);
    const k = headKey(l, hd);
    pending.add(k);
    lastClicked = k;
    updateCellStates();
    updateReadout();
    updateAttention();
  }

  function pinFocus(k: string | null): void {
    model.set("_focus", k ? splitKey(k) : null);
    model.save_changes();
    updateFocusState();
  }

  // ---- full render; a failure is shown in place of the panels
  const draw = guardedDraw("circuit_heatmap", drawAll, empty, body);

  function drawAll(): void {
    const active = document.activeElement;
    const focusCell = active && root.contains(active) && active.classList.contains("gb-head-cell") ? keyOf(active) : null;
    const before = inCircuit;

    data = normalize(model.get("_data"));
    const d = data;
    titleEl.textContent = d?.title ?? "";
    titleEl.hidden = !d?.title;
    statusEl.hidden = !d?.busy;
    root.classList.toggle("gb-is-busy", !!d?.busy);
    empty.className = "gb-message gb-empty";
    captionWrap.replaceChildren();
    inCircuit = new Set((d?.circuit ?? []).map(([l, hd]) => headKey(l, hd)));

    // a pending toggle is settled by a `_data` that is not busy, or one where that head changed
    for (const k of [...pending]) {
      if (!d || !d.busy || before.has(k) !== inCircuit.has(k)) pending.delete(k);
    }

    if (!d || d.nLayers === 0) {
      showMessage(empty, d ? NO_HEADS_TEXT : NO_DATA_TEXT, body, readout);
      gridWrap.replaceChildren();
      if (d) setCaption(captionWrap, null, d.caption);
      return;
    }
    showMessage(empty, null, body, readout);
    if (!validKey(hoverKey)) hoverKey = null;
    if (!validKey(kbdKey)) kbdKey = null;
    if (!validKey(lastClicked)) lastClicked = null;
    if (!validKey(tabKey)) tabKey = headKey(0, 0);

    const width = Math.max(280, Math.round(el.clientWidth || DEFAULT_WIDTH));
    lastWidth = el.clientWidth;
    const sideBySide = width >= SIDE_BY_SIDE_MIN;
    const sideW = sideBySide ? Math.max(260, Math.min(400, Math.round(width * 0.42))) : width;
    const gridAvail = sideBySide ? width - sideW - GAP : width;
    body.classList.toggle("gb-stacked", !sideBySide);
    side.style.width = sideBySide ? `${sideW}px` : "";

    drawGrid(d, gridAvail);
    drawTypeKey(d);
    drawFaithfulness(d);
    syncFocusSelect(d);
    setCaption(captionWrap, null, d.caption);
    updateCellStates();
    updateReadout();
    updateAttention();

    if (focusCell && validKey(focusCell)) cellAt(focusCell)?.focus({ preventScroll: true });
  }

  function drawGrid(d: Norm, avail: number): void {
    gridWrap.replaceChildren();
    legendWrap.replaceChildren();
    const m = GRID_MARGIN;
    const wFit = Math.floor((avail - m.left - m.right) / d.nHeads);
    const hFit = Math.floor(MAX_GRID_HEIGHT / d.nLayers);
    const cell = Math.max(MIN_CELL, Math.min(MAX_CELL, wFit, hFit));
    const gridW = cell * d.nHeads;
    const gridH = cell * d.nLayers;
    const width = m.left + gridW + m.right;
    const height = m.top + gridH + m.bottom;
    const maxAbs = maxAbsScore(d.scores);
    const color = divergingScale(maxAbs);
    const showScore = cell >= SCORE_TEXT_MIN_CELL;

    const svg = appendSvg(gridWrap, "gb-chart gb-head-grid", width, height, "group", `${d.nLayers} layers × ${d.nHeads} heads coloured by ${d.scoreLabel}; Enter toggles a head, arrow keys move`);
    const g: G = svg.append("g").attr("transform", `translate(${m.left},${m.top})`);

    // head labels along the top, layer labels down the left (thinned when cells are small and many)
    const every = (n: number) => (n <= 16 || cell >= 36 ? 1 : n <= 32 ? 2 : 4);
    const hx = g.append("g").attr("class", "gb-axis gb-head-labels").attr("aria-hidden", "true");
    for (let hd = 0; hd < d.nHeads; hd += every(d.nHeads)) {
      hx.append("text").attr("x", hd * cell + cell / 2).attr("y", -6).attr("text-anchor", "middle").text(`H${hd}`);
    }
    const ly = g.append("g").attr("class", "gb-axis gb-layer-labels").attr("aria-hidden", "true");
    for (let l = 0; l < d.nLayers; l += every(d.nLayers)) {
      ly.append("text").attr("x", -6).attr("y", l * cell + cell / 2).attr("dy", "0.32em").attr("text-anchor", "end").text(`L${l}`);
    }

    const cells: { l: number; hd: number; v: number; type: string | null }[] = [];
    for (let l = 0; l < d.nLayers; l++) {
      for (let hd = 0; hd < d.nHeads; hd++) cells.push({ l, hd, v: d.scores[l][hd], type: d.headTypes[l][hd] });
    }
    const cg = g
      .append("g")
      .attr("class", "gb-head-cells")
      .selectAll("g")
      .data(cells)
      .join("g")
      .attr("class", "gb-head-cell")
      .attr("data-layer", (c) => c.l)
      .attr("data-head", (c) => c.hd)
      .attr("transform", (c) => `translate(${c.hd * cell},${c.l * cell})`)
      .attr("role", "button")
      .attr("tabindex", -1);
    const fillOf = (v: number) => (Number.isFinite(v) ? color(v) : MISSING_FILL);
    cg.append("rect")
      .attr("class", "gb-cell-fill")
      .attr("x", 1)
      .attr("y", 1)
      .attr("width", cell - 2)
      .attr("height", cell - 2)
      .attr("rx", 2)
      .attr("fill", (c) => fillOf(c.v));
    cg.append("rect")
      .attr("class", "gb-cell-outline")
      .attr("x", 2.5)
      .attr("y", 2.5)
      .attr("width", cell - 5)
      .attr("height", cell - 5)
      .attr("rx", 1.5);
    cg.append("rect")
      .attr("class", "gb-cell-halo")
      .attr("x", 4.5)
      .attr("y", 4.5)
      .attr("width", cell - 9)
      .attr("height", cell - 9)
      .attr("rx", 1);
    cg.append("rect")
      .attr("class", "gb-focus-ring")
      .attr("x", -0.5)
      .attr("y", -0.5)
      .attr("width", cell + 1)
      .attr("height", cell + 1)
      .attr("rx", 3);
    const ink = (c: { v: number }) => textColorOn(fillOf(c.v));
    cg.filter((c) => !!c.type)
      .append("text")
      .attr("class", "gb-type-glyph")
      .attr("x", showScore ? 6 : cell / 2)
      .attr("y", showScore ? 7 : cell / 2)
      .attr("dy", showScore ? "0.8em" : "0.35em")
      .attr("text-anchor", showScore ? "start" : "middle")
      // glyph-only cells: shrink long glyphs ("NNM") so they stay inside the circuit outline
      .attr("font-size", (c) => (showScore ? 9.5 : glyphSize(cell, typeAbbrev(c.type).length)))
      .attr("fill", ink)
      .text((c) => typeAbbrev(c.type));
    if (showScore) {
      cg.append("text")
        .attr("class", "gb-cell-score")
        .attr("x", cell / 2)
        .attr("y", cell / 2 + (cell >= 52 ? 6 : 4))
        .attr("dy", "0.35em")
        .attr("text-anchor", "middle")
        .attr("fill", ink)
        .text((c) => (Number.isFinite(c.v) ? signedText(c.v) : "n/a"));
    }
    cg.append("circle")
      .attr("class", "gb-focus-marker")
      .attr("cx", cell - 7)
      .attr("cy", 7)
      .attr("r", 3);
    cg.append("title");

    drawLegend(d, color.domain() as number[], Math.max(180, Math.min(gridW, 300)), maxAbs);
  }

  function drawLegend(d: Norm, domain: number[], barW: number, maxAbs: number): void {
    const [lo, , hi] = domain;
    const barH = 10;
    const pad = 6; // room for the end labels
    const width = barW + 2 * pad;
    const svg = appendSvg(legendWrap, "gb-legend", width, 36, "img", `colour scale of ${d.scoreLabel}: blue ${numberText(lo)}, white 0, red ${signedNumber(hi)}`);
    const id = uniqueId("gb-diverging");
    const grad = svg.append("defs").append("linearGradient").attr("id", id).attr("x1", "0").attr("x2", "1").attr("y1", "0").attr("y2", "0");
    for (let k = 0; k <= 10; k++) grad.append("stop").attr("offset", `${k * 10}%`).attr("stop-color", interpolateDiverging(k / 10));
    const g = svg.append("g").attr("transform", `translate(${pad},2)`);
    g.append("rect")
      .attr("class", "gb-legend-bar")
      .attr("width", barW)
      .attr("height", barH)
      .attr("fill", `url(#${id})`)
      .attr("stroke", "#8c959f")
      .attr("stroke-width", 0.5);
    // observed extremes as small ticks under the bar
    const flat = d.scores.flat().filter(Number.isFinite);
    if (flat.length > 0 && maxAbs > 0) {
      const xOf = (v: number) => ((v - lo) / (hi - lo)) * barW;
      for (const [v, name] of [
        [Math.min(...flat), "smallest"],
        [Math.max(...flat), "largest"],
      ] as [number, string][]) {
        g.append("path")
          .attr("class", "gb-legend-marker")
          .attr("d", `M${xOf(v).toFixed(1)},${barH}l-3.5,5h7z`)
          .append("title")
          .text(`${name} score ${signedNumber(v)}`);
      }
    }
    const label = (cls: string, x: number, anchor: string, text: string) =>
      g.append("text").attr("class", cls).attr("x", x).attr("y", barH + 17).attr("text-anchor", anchor).text(text);
    label("gb-legend-min", 0, "start", numberText(lo));
    label("gb-legend-mid", barW / 2, "middle", "0");
    label("gb-legend-max", barW, "end", signedNumber(hi));
    legendWrap.appendChild(h("div", "gb-legend-label", `colour: ${d.scoreLabel} (red > 0 > blue)`));
  }

  function drawTypeKey(d: Norm): void {
    typeKey.replaceChildren();
    const seen = new Map<string, string>();
    for (const row of d.headTypes) for (const t of row) if (t && !seen.has(t)) seen.set(t, typeAbbrev(t));
    typeKey.hidden = seen.size === 0;
    for (const [t, ab] of seen) {
      const item = h("span", "gb-type-item");
      item.append(h("b", "gb-type-abbrev", ab), document.createTextNode(` ${t}`));
      typeKey.appendChild(item);
    }
  }

  function drawFaithfulness(d: Norm): void {
    faithPanel.classList.toggle("gb-busy", d.busy);
    faithPanel.setAttribute("aria-busy", String(d.busy));
    faithBody.replaceChildren();
    const f = d.faithfulness;
    if (!f) {
      faithBody.appendChild(messageEl(d.busy ? "computing…" : NO_FAITHFULNESS_TEXT, "gb-message gb-faith-empty"));
    } else {
      for (const { key, label, help } of METRICS) {
        const m = f[key];
        const row = h("div", "gb-faith-row");
        row.dataset.metric = key;
        row.title = `${label}: ${help}`;
        const name = h("span", "gb-faith-name", label);
        const bar = h("span", "gb-faith-bar");
        bar.setAttribute("aria-hidden", "true");
        const valueCell = h("span", "gb-faith-value");
        const tag = h("span", "gb-badge gb-faith-tag");
        if (m && Number.isFinite(m.value)) {
          const pct = (v: number) => `${(Math.min(1, Math.max(0, v)) * 100).toFixed(1)}%`;
          const fill = h("span", "gb-faith-fill");
          fill.style.width = pct(m.value);
          bar.appendChild(fill);
          if (m.ci) {
            const w = h("span", "gb-faith-ci-bar");
            const a = Math.min(m.ci[0], m.ci[1]);
            const b = Math.max(m.ci[0], m.ci[1]);
            w.style.left = pct(a);
            w.style.width = `${((Math.min(1, Math.max(0, b)) - Math.min(1, Math.max(0, a))) * 100).toFixed(1)}%`;
            bar.appendChild(w);
          }
          valueCell.appendChild(h("span", "gb-faith-number", scoreText(m.value)));
          if (m.ci) valueCell.appendChild(h("span", "gb-ci", ` [${scoreText(m.ci[0])}, ${scoreText(m.ci[1])}]`));
          tag.textContent = m.exact ? "exact" : "approx.";
          tag.classList.add(m.exact ? "gb-exact" : "gb-approx");
          tag.title = m.exact ? "computed exactly (by ablation)" : "an approximation (estimate)";
        } else {
          valueCell.appendChild(h("span", "gb-faith-number", "n/a"));
          tag.hidden = true;
        }
        row.append(name, bar, valueCell, tag);
        faithBody.appendChild(row);
      }
    }
    const ld = d.logitDiff;
    logitEl.hidden = !ld;
    logitEl.textContent = ld ? `logit diff: clean ${signedText(ld.clean)} · corrupted ${signedText(ld.corrupted)}` : "";
  }

  function syncFocusSelect(d: Norm): void {
    const keys = d.attention
      ? [...d.attention.keys()].filter(validKey).sort((a, b) => {
          const [la, ha] = splitKey(a);
          const [lb, hb] = splitKey(b);
          return la - lb || ha - hb;
        })
      : [];
    const key = keys.join(",");
    if (key !== selectKey) {
      selectKey = key;
      focusSelect.replaceChildren(optionEl("", "—"), ...keys.map((k) => optionEl(k, headLabel(...splitKey(k)))));
    }
    pinLabel.hidden = keys.length === 0;
    const ft = focusTrait();
    focusSelect.value = ft && keys.includes(ft) ? ft : "";
  }

  // ---- cheap updates (no re-render)
  function updateCellStates(): void {
    const d = data;
    if (!d) return;
    const ft = focusTrait();
    root.querySelectorAll<SVGGElement>(".gb-head-cell").forEach((c) => {
      const k = keyOf(c);
      const [l, hd] = splitKey(k);
      const on = inCircuit.has(k);
      const isPending = pending.has(k);
      c.classList.toggle("gb-in-circuit", on);
      c.classList.toggle("gb-pending", isPending);
      c.classList.toggle("gb-focused", ft === k);
      c.setAttribute("aria-pressed", String(on));
      if (isPending) c.setAttribute("aria-busy", "true");
      else c.removeAttribute("aria-busy");
      c.setAttribute("tabindex", k === tabKey ? "0" : "-1");
      const title = headTitle(d, l, hd, on) + (isPending ? " · updating…" : "");
      c.setAttribute("aria-label", title);
      const t = c.querySelector("title");
      if (t) t.textContent = `${title}\nclick: ${on ? "remove from" : "add to"} the circuit · shift-click: pin its attention`;
    });
    updateHeadInfo();
  }

  function updateReadout(): void {
    if (!data) return;
    let text = circuitText(data.circuit);
    if (pending.size > 0) text += ` · updating ${[...pending].map((k) => headLabel(...splitKey(k))).join(", ")}…`;
    readout.textContent = text;
  }

  function updateHeadInfo(): void {
    const d = data;
    if (!d) return;
    const k = hoverKey ?? kbdKey;
    if (!k) {
      headInfo.textContent = "click: add/remove a head · shift-click: pin its attention · arrow keys + Enter work too";
      headInfo.classList.add("gb-hint");
      return;
    }
    const [l, hd] = splitKey(k);
    headInfo.classList.remove("gb-hint");
    headInfo.textContent = headTitle(d, l, hd, inCircuit.has(k)) + (pending.has(k) ? " · updating…" : "");
  }

  function updateFocusState(): void {
    if (!data) return;
    const ft = focusTrait();
    root.querySelectorAll<SVGGElement>(".gb-head-cell").forEach((c) => c.classList.toggle("gb-focused", ft === keyOf(c)));
    const has = [...focusSelect.options].some((o) => o.value === ft);
    focusSelect.value = ft && has ? ft : "";
    updateAttention();
  }

  /** Which head the attention panel shows, and why. */
  function shownHead(): Shown {
    const d = data;
    if (!d) return null;
    const mk = (k: string, source: string): Shown => {
      const [l, hd] = splitKey(k);
      return { key: k, l, hd, source };
    };
    if (hoverKey) return mk(hoverKey, "under the mouse");
    if (kbdKey) return mk(kbdKey, "focused");
    const ft = focusTrait();
    if (validKey(ft)) return mk(ft, "pinned");
    if (lastClicked) return mk(lastClicked, "last clicked");
    if (!d.attention || d.attention.size === 0) return null;
    const c = d.circuit.find(([l, hd]) => d.attention!.has(headKey(l, hd)));
    if (c) return mk(headKey(c[0], c[1]), "first head of the circuit");
    let best: string | null = null;
    let bestV = -1;
    for (const k of d.attention.keys()) {
      if (!validKey(k)) continue;
      const [l, hd] = splitKey(k);
      const v = Math.abs(d.scores[l][hd]);
      if (Number.isFinite(v) && v > bestV) [best, bestV] = [k, v];
    }
    return best ? mk(best, "largest |score|") : null;
  }

  function updateAttention(): void {
    const d = data;
    if (!d) return;
    attnBody.replaceChildren();
    const s = shownHead();
    if (!d.attention || d.attention.size === 0) {
      attnTitle.textContent = s ? `${headLabel(s.l, s.hd)} attention from the last token` : "attention from the last token";
      attnNote.textContent = "";
      attnBody.appendChild(messageEl(NO_ATTENTION_TEXT));
      return;
    }
    if (!s) {
      attnTitle.textContent = "attention from the last token";
      attnNote.textContent = "";
      attnBody.appendChild(messageEl(ATTENTION_HINT_TEXT));
      return;
    }
    attnTitle.textContent = `${headLabel(s.l, s.hd)} attention from the last token`;
    const weights = d.attention.get(s.key);
    const n = d.tokens.length > 0 ? d.tokens.length : weights?.length ?? 0;
    const last = n > 0 ? d.tokens[n - 1] : undefined;
    attnNote.textContent = `${s.source}${last !== undefined ? ` · query token "${tokenDisplay(last)}"` : ""} · bars on a 0–1 scale`;
    if (!weights) {
      attnBody.appendChild(messageEl(`no attention pattern was sent for ${headLabel(s.l, s.hd)}`));
      return;
    }
    let argmax = -1;
    for (let i = 0; i < n; i++) if (Number.isFinite(weights[i]) && (argmax < 0 || weights[i] > weights[argmax])) argmax = i;
    const list = h("div", "gb-attention-list");
    list.setAttribute("role", "list");
    list.setAttribute("aria-label", `attention of ${headLabel(s.l, s.hd)} from the last token`);
    for (let i = 0; i < n; i++) {
      const tok = d.tokens[i] ?? `#${i}`;
      const w = i < weights.length ? weights[i] : NaN;
      const row = h("div", "gb-attention-bar");
      row.setAttribute("role", "listitem");
      row.dataset.index = String(i);
      if (i === argmax) row.classList.add("gb-attention-max");
      if (i === n - 1) row.classList.add("gb-query-token");
      row.title = `"${tok}" (position ${i}): ${numberText(w)}`;
      const label = h("span", "gb-token", tokenDisplay(tok));
      const track = h("span", "gb-bar-track");
      const fill = h("span", "gb-bar-fill");
      fill.style.width = `${(Number.isFinite(w) ? Math.min(1, Math.max(0, w)) * 100 : 0).toFixed(1)}%`;
      track.appendChild(fill);
      row.append(label, track, h("span", "gb-bar-value", Number.isFinite(w) ? withMinus(w.toFixed(2)) : "n/a"));
      list.appendChild(row);
    }
    attnBody.appendChild(list);
    if (weights.length !== n && d.tokens.length > 0) {
      attnBody.appendChild(messageEl(`${weights.length} weights for ${n} tokens`, "gb-message gb-warning"));
    }
  }

  // ---- click / Enter / Space toggles a head, with Shift pins it
  function onCellActivate(t: Element, event: MouseEvent | KeyboardEvent): void {
    const [l, hd] = splitKey(keyOf(t));
    if (event.shiftKey) pinFocus(headKey(l, hd));
    else toggleHead(l, hd);
  }

  // ---- keyboard: arrows move (roving tabindex)
  function onCellKey(event: KeyboardEvent, t: Element): void {
    const d = data;
    if (!d) return;
    const [l, hd] = splitKey(keyOf(t));
    const moves: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
    };
    let next: [number, number] | null = null;
    if (moves[event.key]) next = [l + moves[event.key][0], hd + moves[event.key][1]];
    else if (event.key === "Home") next = [l, 0];
    else if (event.key === "End") next = [l, d.nHeads - 1];
    if (!next) return;
    event.preventDefault();
    const k = headKey(Math.min(d.nLayers - 1, Math.max(0, next[0])), Math.min(d.nHeads - 1, Math.max(0, next[1])));
    const cell = cellAt(k);
    if (cell) {
      tabKey = k;
      root.querySelectorAll<SVGGElement>(".gb-head-cell").forEach((c) => c.setAttribute("tabindex", keyOf(c) === k ? "0" : "-1"));
      cell.focus();
    }
  }

  draw();

  const pick = ".gb-head-cell";
  const offs = [
    onChange(model, "_data", draw),
    onChange(model, "_focus", updateFocusState),
    delegateActivate(root, pick, onCellActivate),
    delegate<KeyboardEvent>(root, "keydown", pick, onCellKey),
    delegateHover(
      root,
      pick,
      (_e, t) => {
        const k = keyOf(t);
        if (k === hoverKey) return;
        hoverKey = k;
        updateHeadInfo();
        updateAttention();
      },
      () => {
        hoverKey = null;
        updateHeadInfo();
        updateAttention();
      },
    ),
    delegate<FocusEvent>(root, "focusin", pick, (_e, t) => {
      kbdKey = tabKey = keyOf(t);
      root.querySelectorAll<SVGGElement>(".gb-head-cell").forEach((c) => c.setAttribute("tabindex", keyOf(c) === tabKey ? "0" : "-1"));
      updateHeadInfo();
      updateAttention();
    }),
    delegate<FocusEvent>(root, "focusout", pick, () => {
      kbdKey = null;
      updateHeadInfo();
      updateAttention();
    }),
    delegate<Event>(root, "change", ".gb-focus-select", () => pinFocus(focusSelect.value || null)),
    observeWidth(el, () => lastWidth, draw),
  ];

  return disposer(root, offs);
}

export type { AnyModel };
export default { render };
