/**
 * GlassBox audit view (anywidget ESM module): what a black-box audit measured.
 *
 * - measures: overall decision flip rate, consistency across paraphrases (with CIs), and a
 *   "partial" banner when probes failed or the audit was interrupted;
 * - sensitivity: one row per context variable, its flip rate as a bar with the CI as a whisker
 *   (protected variables marked); clicking a row (or Enter / Space) selects that variable;
 * - parity: for each protected variable, the positive rate per group with CIs and the parity gap;
 * - flips: the counterfactual pairs of the selected variable whose decision flipped, as Python
 *   sends them back.
 *
 * Synced traits:
 *   _data    (read)        see AuditData below
 *   _select  (read/write)  the clicked variable's name ("" = none); Python answers with
 *                          `_data.selected` and `_data.flips`
 */
import { arr, finitePair, int, num, obj, str } from "../shared/data";
import { delegateActivate, disposer, h, headerBar, liveRegion, messageEl, panel, renderFailure, setCaption } from "../shared/dom";
import { formatPercent, formatScore } from "../shared/format";
import type { Fidelity } from "../shared/format";
import { onChange } from "../shared/model";
import type { AnyModel, RenderContext } from "../shared/model";
import { CATEGORICAL } from "../shared/palette";

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
  selected?: string | null;
  flips?: { variable: string; total: number; pairs: number; rows: FlipRow[] } | null;
  caption?: string;
}

export const NO_DATA_TEXT = "no data to show yet";
export const NO_VARIABLES_TEXT = "no variables were audited";
export const SELECT_HINT_TEXT = "click a variable to list the swaps that flipped the decision";
export const NO_PROTECTED_TEXT = "no protected attribute was named (audit(..., protected=[...]))";
export const WAITING_TEXT = "loading the flipped pairs…";
export const TRACK_WIDTH = 220;
const TRACK_HEIGHT = 14;
const SVG_NS = "http://www.w3.org/2000/svg";

export interface Estimate {
  value: number;
  ci: [number, number] | null;
}

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
  selected: string | null;
  flips: { variable: string; total: number; pairs: number; rows: FlipRow[] } | null;
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
  const flips = d.flips && typeof d.flips === "object" ? obj(d.flips) : null;
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
    selected: d.selected ? str(d.selected) : null,
    flips: flips
      ? {
          variable: str(flips.variable),
          total: int(flips.total, 0),
          pairs: int(flips.pairs, 0),
          rows: arr(flips.rows).map((r) => obj(r) as unknown as FlipRow),
        }
      : null,
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

function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/**
 * A horizontal bar (0 → value) with a CI whisker, on a track of `width` px scaled to [0, max].
 * `color` null leaves the bar's fill to the stylesheet (a CSS variable on the row).
 */
export function barTrack(e: Estimate, max: number, color: string | null, label: string, width = TRACK_WIDTH): SVGSVGElement {
  const svg = svgEl("svg", { class: "gb-track", width, height: TRACK_HEIGHT, viewBox: `0 0 ${width} ${TRACK_HEIGHT}`, role: "img" });
  svg.setAttribute("aria-label", label);
  const x = (v: number) => Math.max(0, Math.min(width, (v / (max > 0 ? max : 1)) * width));
  const mid = TRACK_HEIGHT / 2;
  svg.appendChild(svgEl("rect", { class: "gb-track-bg", x: 0, y: 2, width, height: TRACK_HEIGHT - 4, rx: 2 }));
  if (Number.isFinite(e.value)) {
    const bar = svgEl("rect", { class: "gb-bar", x: 0, y: 3, width: Math.max(e.value > 0 ? 1.5 : 0, x(e.value)).toFixed(1), height: TRACK_HEIGHT - 6 });
    if (color) bar.setAttribute("fill", color); // otherwise the stylesheet colours it
    svg.appendChild(bar);
  }
  if (e.ci) {
    const [a, b] = [x(e.ci[0]), x(e.ci[1])];
    svg.appendChild(svgEl("line", { class: "gb-whisker", x1: a.toFixed(1), x2: b.toFixed(1), y1: mid, y2: mid }));
    for (const c of [a, b]) svg.appendChild(svgEl("line", { class: "gb-whisker", x1: c.toFixed(1), x2: c.toFixed(1), y1: mid - 4, y2: mid + 4 }));
  }
  return svg;
}

/** Parity bars: the colour of protected variables (as in the sensitivity rows, see audit_view.css). */
export const PROTECTED_COLOR = CATEGORICAL[3];

function valueText(v: unknown): string {
  return v === null || v === undefined ? "—" : String(v);
}

function render({ model, el }: RenderContext): () => void {
  const root = h("div", "gb-widget gb-audit-view");
  const { header, titleEl, statusEl } = headerBar("gb-audit-header");
  statusEl.hidden = true; // the audit is finished when the view exists; a partial one gets a banner instead
  const empty = h("div", "gb-message gb-empty");
  const summaryEl = h("div", "gb-audit-summary");
  const partial = h("div", "gb-partial");
  partial.setAttribute("role", "status");
  const measures = h("div", "gb-measures");
  const sensBody = h("div", "gb-sens-body");
  const sensPanel = panel("gb-sensitivity", "decision flip rate per variable (95% CI) · click a variable", sensBody);
  const parityBody = h("div", "gb-parity-body");
  const parityPanel = panel("gb-parity", "positive rate per protected group (95% CI)", parityBody);
  const body = h("div", "gb-audit-body");
  body.append(sensPanel, parityPanel);
  const flipsHead = h("div", "gb-panel-head gb-flips-head");
  const flipsBody = h("div", "gb-flips-body");
  const flipsPanel = panel("gb-flips", flipsHead, flipsBody);
  const captionWrap = h("div", "gb-caption-wrap");
  const readout = liveRegion("gb-selection");
  root.append(header, empty, summaryEl, partial, measures, body, flipsPanel, captionWrap, readout);
  el.appendChild(root);

  let data: Norm | null = null;

  const selected = (): string | null => {
    const v = model.get("_select");
    return typeof v === "string" && v !== "" ? v : null;
  };

  function select(name: string | null): void {
    model.set("_select", name ?? "");
    model.save_changes();
    updateSelection();
  }

  function drawMeasures(d: Norm): void {
    measures.replaceChildren();
    const chip = (label: string, value: string, title: string) => {
      const c = h("span", "gb-measure");
      c.title = title;
      c.append(h("span", "gb-measure-label", label), h("b", "gb-measure-value", value));
      measures.appendChild(c);
    };
    if (d.flipRate) chip("flip rate", estimateText(d.flipRate), `share of ${d.flipRate.n} single-variable swaps that flip the decision`);
    if (d.consistency)
      chip("paraphrase consistency", estimateText(d.consistency), `share of ${d.consistency.n} contexts where all ${d.consistency.variants.length} wordings agree`);
    chip("answers", `${d.positive} / ${d.negative}`, "the expected positive and negative answers");
  }

  function drawSensitivity(d: Norm): void {
    sensBody.replaceChildren();
    if (d.variables.length === 0) {
      sensBody.appendChild(messageEl(NO_VARIABLES_TEXT, "gb-message gb-empty"));
      return;
    }
    const max = axisMax(d.variables.map((v) => v.rate));
    const list = h("div", "gb-var-list");
    list.setAttribute("role", "group");
    list.setAttribute("aria-label", "variables");
    for (const v of d.variables) {
      const row = h("div", "gb-var-row");
      row.dataset.name = v.name;
      row.tabIndex = 0;
      row.setAttribute("role", "button");
      row.setAttribute("aria-pressed", "false");
      const text = `${v.name}: flip rate ${estimateText(v.rate)} over ${v.nPairs} pairs`;
      row.title = Number.isFinite(v.dp) ? `${text}; mean |Δp| ${formatScore(v.dp)}` : text;
      const name = h("span", "gb-var-name", v.name);
      if (v.protected) name.appendChild(h("span", "gb-badge gb-protected", "protected"));
      if (v.protected) row.classList.add("gb-protected-row");
      row.append(
        name,
        barTrack(v.rate, max, null, text),
        h("span", `gb-var-value${v.sensitive ? " gb-sensitive" : ""}`, estimateText(v.rate)),
        h("span", "gb-var-n", `n = ${v.nPairs}`),
      );
      list.appendChild(row);
    }
    sensBody.append(list, h("div", "gb-axis-note", `bar scale 0 – ${formatPercent(max)}`));
  }

  function drawParity(d: Norm): void {
    parityBody.replaceChildren();
    if (d.parity.length === 0) {
      parityBody.appendChild(messageEl(NO_PROTECTED_TEXT, "gb-message gb-empty"));
      return;
    }
    for (const p of d.parity) {
      const block = h("div", "gb-parity-block");
      block.dataset.variable = p.variable;
      const head = h("div", "gb-parity-head");
      head.append(h("b", undefined, p.variable), document.createTextNode(` · parity gap ${Number.isFinite(p.gap.value) ? formatScore(p.gap.value) : "n/a"}`));
      if (p.gap.ci) head.appendChild(document.createTextNode(` [${formatScore(p.gap.ci[0])}, ${formatScore(p.gap.ci[1])}]`));
      block.appendChild(head);
      for (const g of p.groups) {
        const row = h("div", "gb-group-row");
        row.dataset.group = g.group;
        const label = `${p.variable} = ${g.group}: ${d.positive} ${estimateText(g.rate)} (n = ${g.n})`;
        row.title = label;
        row.append(h("span", "gb-group-name", g.group), barTrack(g.rate, 1, PROTECTED_COLOR, label, 160), h("span", "gb-group-value", `${estimateText(g.rate)}`), h("span", "gb-var-n", `n = ${g.n}`));
        block.appendChild(row);
      }
      parityBody.appendChild(block);
    }
  }

  function drawFlips(): void {
    const d = data;
    const name = selected();
    flipsBody.replaceChildren();
    if (!d || !name) {
      flipsHead.textContent = "flipped decisions";
      flipsBody.appendChild(messageEl(SELECT_HINT_TEXT, "gb-message gb-hint"));
      return;
    }
    const flips = d.flips && d.flips.variable === name && d.selected === name ? d.flips : null;
    if (!flips) {
      flipsHead.textContent = `swaps of ${name}`;
      flipsBody.appendChild(messageEl(WAITING_TEXT, "gb-message gb-waiting"));
      return;
    }
    flipsHead.textContent = `swaps of ${name} that flipped the decision: ${flips.total} of ${flips.pairs}`;
    if (flips.rows.length === 0) {
      flipsBody.appendChild(messageEl(`no swap of ${name} changed the decision`, "gb-message gb-empty"));
      return;
    }
    const hasP = flips.rows.some((r) => Number.isFinite(num(r.p_from)) && Number.isFinite(num(r.p_to)));
    const table = h("table", "gb-table gb-flips-table");
    const headRow = h("tr");
    for (const label of ["#", "other variables", name, "decision", ...(hasP ? [`p(${d.positive})`] : [])]) {
      const th = h("th", undefined, label);
      th.scope = "col";
      headRow.appendChild(th);
    }
    const thead = h("thead");
    thead.appendChild(headRow);
    const tbody = h("tbody");
    flips.rows.forEach((r, i) => {
      const tr = h("tr", "gb-flip-row");
      tr.title = `${str(r.prompt_from)}\n→ ${str(r.prompt_to)}`;
      const ctx = Object.entries(obj(r.context))
        .map(([k, v]) => `${k} = ${valueText(v)}`)
        .join(", ");
      const dec = h("td", "gb-flip-decision");
      dec.append(h("span", `gb-decision gb-${r.decision_from === d.positive ? "pos" : "neg"}`, str(r.decision_from)), document.createTextNode(" → "), h("span", `gb-decision gb-${r.decision_to === d.positive ? "pos" : "neg"}`, str(r.decision_to)));
      tr.append(h("td", "gb-num", String(i + 1)), h("td", "gb-flip-context", ctx), h("td", "gb-flip-swap", `${valueText(r.from)} → ${valueText(r.to)}`), dec);
      if (hasP) tr.appendChild(h("td", "gb-num gb-flip-p", `${formatScore(r.p_from)} → ${formatScore(r.p_to)}`));
      tbody.appendChild(tr);
    });
    table.append(thead, tbody);
    const wrap = h("div", "gb-flips-wrap");
    wrap.appendChild(table);
    flipsBody.appendChild(wrap);
    if (flips.total > flips.rows.length) flipsBody.appendChild(h("div", "gb-more", `showing the first ${flips.rows.length} of ${flips.total}`));
  }

  function updateSelection(): void {
    const name = selected();
    root.querySelectorAll<HTMLElement>(".gb-var-row").forEach((row) => {
      const on = name !== null && row.dataset.name === name;
      row.classList.toggle("gb-selected", on);
      row.setAttribute("aria-pressed", String(on));
    });
    drawFlips();
    const v = data?.variables.find((x) => x.name === name);
    readout.textContent = v ? `selected ${v.name}: flip rate ${estimateText(v.rate)}` : "";
  }

  function draw(): void {
    const active = document.activeElement;
    const focusName = active instanceof HTMLElement && root.contains(active) && active.classList.contains("gb-var-row") ? active.dataset.name : undefined;
    data = normalize(model.get("_data"));
    const d = data;
    const parts = [summaryEl, partial, measures, body, flipsPanel, captionWrap];
    empty.hidden = d !== null;
    for (const p of parts) p.hidden = d === null;
    if (!d) {
      titleEl.textContent = "";
      empty.textContent = NO_DATA_TEXT;
      return;
    }
    try {
      titleEl.textContent = d.title;
      summaryEl.textContent = d.summary;
      partial.hidden = d.complete;
      partial.replaceChildren();
      if (!d.complete) {
        partial.appendChild(h("b", undefined, d.completeness || "partial results"));
        if (d.errors.length) {
          const ul = h("ul", "gb-error-list");
          for (const e of d.errors) ul.appendChild(h("li", undefined, e));
          partial.appendChild(ul);
        }
      }
      drawMeasures(d);
      drawSensitivity(d);
      drawParity(d);
      setCaption(captionWrap, d.fidelity, d.caption);
    } catch (err) {
      for (const p of parts) p.hidden = true;
      empty.hidden = false;
      empty.className = "gb-message gb-error";
      empty.textContent = renderFailure("audit_view", err);
      return;
    }
    updateSelection();
    if (focusName !== undefined) {
      const again = Array.from(root.querySelectorAll<HTMLElement>(".gb-var-row")).find((r) => r.dataset.name === focusName);
      again?.focus({ preventScroll: true });
    }
  }

  draw();

  const onKey = (event: KeyboardEvent) => {
    if (event.key === "Escape" && selected() !== null) {
      event.preventDefault();
      select(null);
    }
  };
  root.addEventListener("keydown", onKey);
  const offs = [
    onChange(model, "_data", draw),
    onChange(model, "_select", updateSelection),
    delegateActivate(root, ".gb-var-row", (t) => {
      const name = (t as HTMLElement).dataset.name ?? "";
      select(selected() === name ? null : name);
    }),
    () => root.removeEventListener("keydown", onKey),
  ];
  return disposer(root, offs);
}

export type { AnyModel };
export default { render };
