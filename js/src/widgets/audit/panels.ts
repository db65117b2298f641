/** The audit view's panels: measures, sensitivity rows, parity per group, the flipped pairs. */
import { num, obj, str } from "../../shared/data";
import { h, messageEl, svgEl, tableHead } from "../../shared/dom";
import { formatPercent, formatScore } from "../../shared/format";
import { CATEGORICAL } from "../../shared/palette";
import { NO_FLIPS_SENT_TEXT, NO_PROTECTED_TEXT, NO_VARIABLES_TEXT, SELECT_HINT_TEXT, WAITING_TEXT, axisMax, estimateText } from "./data";
import type { Estimate, Flips, Norm } from "./data";

export const TRACK_WIDTH = 220;
const TRACK_HEIGHT = 14;

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

/** The headline measures as chips: flip rate, paraphrase consistency, the expected answers. */
export function drawMeasures(measures: HTMLElement, d: Norm): void {
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

/** One focusable row (`.gb-var-row`) per variable: its flip rate as a bar with a CI whisker (protected ones marked). */
export function drawSensitivity(sensBody: HTMLElement, d: Norm): void {
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

/** For each protected variable, the positive rate per group with CIs and the parity gap. */
export function drawParity(parityBody: HTMLElement, d: Norm): void {
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

/**
 * The flips panel for variable `name` (null: none selected): a hint, a waiting note while the
 * host answers, or the swaps that flipped the decision as a table.
 */
export function drawFlips(flipsHead: HTMLElement, flipsBody: HTMLElement, d: Norm, name: string | null, flips: Flips | null, waiting: boolean): void {
  flipsBody.replaceChildren();
  if (!name) {
    flipsHead.textContent = "flipped decisions";
    flipsBody.appendChild(messageEl(SELECT_HINT_TEXT, "gb-message gb-hint"));
    return;
  }
  if (waiting || !flips || flips.variable !== name) {
    flipsHead.textContent = `swaps of ${name}`;
    flipsBody.appendChild(waiting ? messageEl(WAITING_TEXT, "gb-message gb-waiting") : messageEl(NO_FLIPS_SENT_TEXT));
    return;
  }
  flipsHead.textContent = `swaps of ${name} that flipped the decision: ${flips.total} of ${flips.pairs}`;
  if (flips.rows.length === 0) {
    flipsBody.appendChild(messageEl(`no swap of ${name} changed the decision`, "gb-message gb-empty"));
    return;
  }
  const hasP = flips.rows.some((r) => Number.isFinite(num(r.p_from)) && Number.isFinite(num(r.p_to)));
  const table = h("table", "gb-table gb-flips-table");
  const thead = tableHead(["#", "other variables", name, "decision", ...(hasP ? [`p(${d.positive})`] : [])]);
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
