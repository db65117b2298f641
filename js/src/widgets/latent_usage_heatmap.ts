/**
 * GlassBox latent usage heat map (anywidget ESM module): which inputs the laws z_i = f(x) of an
 * encoder's latents use.
 *
 * Rows are latents (their label carries the held-out R² of the latent's selected formula),
 * columns are input features; a cell's colour is the share of the latent's Pareto front whose
 * equations use the feature, and a dot marks the features of the selected formula. Columns of
 * features that no latent's selected formula uses (redundant inputs) are hatched and greyed.
 * Clicking a row (its label or any cell, or Enter / Space on a focused row) asks Python to select
 * that latent; the panel below shows its formula, R² and complexity.
 *
 * Synced traits:
 *   _data    (read)        see LatentUsageData below
 *   _select  (read/write)  the clicked latent's index (int) + save_changes; Python calls
 *                          `finding.select_latent(i)` and answers with a new `_data` carrying
 *                          `selected_latent` (and `error` when it refused)
 */
import { appendSvg } from "../shared/axes";
import type { G } from "../shared/axes";
import { arr, int, num, obj, str } from "../shared/data";
import { delegate, delegateActivate, delegateHover, disposer, guardedDraw, h, headerBar, liveRegion, messageEl, observeWidth, panel, setCaption, showMessage } from "../shared/dom";
import { formatNumber, formatPercent, formatScorePrecise, withMinus } from "../shared/format";
import { onChange, sendRequest, uniqueId } from "../shared/model";
import type { AnyModel, RenderContext } from "../shared/model";
import { MISSING_FILL, interpolateSequential, textColorOn } from "../shared/palette";
import { fitText, textWidth } from "../shared/text";

// ---------------------------------------------------------------------------------------- data

export interface LatentUsageData {
  title?: string;
  caption?: string;
  latents?: string[];
  features?: string[];
  usage?: (number | null)[][];
  selected_use?: (boolean | null)[][];
  laws?: { latent: string; equation: string; r2?: number | null; complexity?: number | null }[];
  redundant?: string[];
  selected_latent?: number | null;
  error?: string | null;
}

export interface Law {
  latent: string;
  equation: string;
  r2: number; // NaN when absent
  complexity: number; // NaN when absent
}

/** Normalised, defensive view of `_data`. */
export interface Norm {
  title: string;
  caption: string;
  latents: string[];
  features: string[];
  /** [latent][feature] share in [0, 1]; NaN = missing. */
  usage: number[][];
  /** [latent][feature]: used by the latent's selected formula. */
  selectedUse: boolean[][];
  /** One law per latent (index-aligned with `latents`), or null when none was sent. */
  laws: (Law | null)[];
  redundant: Set<string>;
  selectedLatent: number | null;
  error: string;
}

export const NO_DATA_TEXT = "no data to show yet";
export const NO_LATENTS_TEXT = "no latents to show";
export const SELECT_HINT_TEXT = "click a latent (a row) to see its formula";
export const DEFAULT_WIDTH = 760;
export const MIN_CELL = 22;
export const MAX_CELL = 46;
/** Cells at least this big show the share as a number. */
export const NUMBER_MIN_CELL = 34;
const MAX_DIM = 500;
const LABEL_FONT = 11.5;
const HEAD_FONT = 11;
/** Longest feature label (px, before rotation). */
const MAX_HEAD_TEXT = 150;
/** Shortest a feature label is cut to. */
const MIN_HEAD_TEXT = 48;
const COS45 = Math.SQRT1_2;

const percentText = (v: number) => (Number.isFinite(v) ? formatPercent(v) : "n/a");
/** "R² 0.97", "R² −0.12", "R² n/a". */
export const r2Text = (v: number) => `R² ${Number.isFinite(v) ? withMinus(formatScorePrecise(v)) : "n/a"}`;

export function normalize(raw: unknown): Norm | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const d = raw as Record<string, unknown>;
  const rawUsage = arr(d.usage).slice(0, MAX_DIM).map((row) => arr(row).slice(0, MAX_DIM));
  const rawUse = arr(d.selected_use).slice(0, MAX_DIM).map((row) => arr(row).slice(0, MAX_DIM));
  let latents = arr(d.latents).slice(0, MAX_DIM).map((v) => str(v));
  let features = arr(d.features).slice(0, MAX_DIM).map((v) => str(v));
  if (latents.length === 0) latents = rawUsage.map((_, i) => `z${i}`);
  if (features.length === 0) features = Array.from({ length: Math.max(0, ...rawUsage.map((r) => r.length)) }, (_, j) => `x${j}`);
  latents = latents.map((z, i) => z || `z${i}`);
  features = features.map((f, j) => f || `x${j}`);
  const nF = features.length;

  const usage = latents.map((_, i) =>
    Array.from({ length: nF }, (_, j) => {
      const v = num(rawUsage[i]?.[j]);
      return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : NaN;
    }),
  );
  const selectedUse = latents.map((_, i) => Array.from({ length: nF }, (_, j) => rawUse[i]?.[j] === true || rawUse[i]?.[j] === 1));

  const byName = new Map<string, Law>();
  const byIndex: Law[] = [];
  for (const l of arr(d.laws)) {
    const o = obj(l);
    const law: Law = { latent: str(o.latent), equation: str(o.equation), r2: num(o.r2), complexity: num(o.complexity) };
    byIndex.push(law);
    if (law.latent && !byName.has(law.latent)) byName.set(law.latent, law);
  }
  const laws = latents.map((z, i) => byName.get(z) ?? (byIndex[i] && !byIndex[i].latent ? byIndex[i] : null));
  const sel = int(d.selected_latent, NaN);

  return {
    title: str(d.title),
    caption: str(d.caption),
    latents,
    features,
    usage,
    selectedUse,
    laws,
    redundant: new Set(arr(d.redundant).map((f) => str(f))),
    selectedLatent: Number.isInteger(sel) && sel >= 0 && sel < latents.length ? sel : null,
    error: str(d.error).trim(),
  };
}

/** The features used by latent i's selected formula. */
export function usedFeatures(d: Norm, i: number): string[] {
  return d.features.filter((_, j) => d.selectedUse[i]?.[j]);
}

// -------------------------------------------------------------------------------------- layout

export interface HeatLayout {
  cell: number;
  left: number;
  top: number;
  right: number;
  bottom: number;
  width: number;
  height: number;
  /** Latent label and R² text of every row, and where the R² column starts. */
  rowLabels: string[];
  r2Labels: string[];
  r2X: number;
  heads: string[];
}

export function layoutHeat(d: Norm, avail: number): HeatLayout {
  const nF = Math.max(1, d.features.length);
  const rowLabels = d.latents.map((z) => fitText(z, 120, LABEL_FONT) || z.slice(0, 1));
  const r2Labels = d.laws.map((l) => (l ? r2Text(l.r2) : ""));
  const nameW = Math.max(...rowLabels.map((t) => textWidth(t, LABEL_FONT)), 10);
  const r2W = Math.max(0, ...r2Labels.map((t) => textWidth(t, LABEL_FONT - 1)));
  const left = Math.ceil(12 + nameW + (r2W > 0 ? 10 + r2W : 0) + 8);
  const r2X = left - 8;
  const fit = Math.floor((avail - left - 24) / nF);
  const cell = Math.max(MIN_CELL, Math.min(MAX_CELL, fit));
  // rotated labels run up and to the right: the last columns' labels are cut to stay inside `avail`
  // (never below MIN_HEAD_TEXT; a grid wider than the container scrolls sideways anyway)
  const room = avail - left - nF * cell;
  const heads = d.features.map((f, j) => {
    const reach = ((nF - j - 0.5) * cell + room - 6) / COS45;
    return fitText(f, Math.max(MIN_HEAD_TEXT, Math.min(MAX_HEAD_TEXT, reach)), HEAD_FONT) || f.slice(0, 1);
  });
  const headW = heads.map((t) => textWidth(t, HEAD_FONT));
  const top = Math.ceil(12 + Math.max(0, ...headW) * COS45 + 6);
  let right = 8;
  headW.forEach((w, j) => {
    right = Math.max(right, (j + 0.5) * cell + w * COS45 + 6 - nF * cell);
  });
  right = Math.ceil(right);
  const bottom = 6;
  return { cell, left, top, right, bottom, width: left + nF * cell + right, height: top + d.latents.length * cell + bottom, rowLabels, r2Labels, r2X, heads };
}

// -------------------------------------------------------------------------------------- render

function render({ model, el }: RenderContext): () => void {
  const root = h("div", "gb-widget gb-latent-usage-heatmap");
  const { header, titleEl, statusEl, statusText } = headerBar("gb-latent-header");

  const empty = h("div", "gb-message gb-empty");
  const body = h("div", "gb-latent-body");

  const chartWrap = h("div", "gb-heat-wrap");
  const legendWrap = h("div", "gb-heat-legend");
  const cellInfo = liveRegion("gb-cell-info");
  const heatPanel = panel("gb-heat-panel", "latents × input features · click a latent to see its formula", chartWrap, legendWrap, cellInfo);

  const lawHead = h("div", "gb-panel-head gb-law-title");
  const lawBody = h("div", "gb-law-body");
  const errorEl = h("div", "gb-latent-error gb-error");
  errorEl.setAttribute("role", "alert");
  const lawPanel = panel("gb-law-panel", lawHead, errorEl, lawBody);
  const redundantEl = h("div", "gb-redundant-note");
  body.append(heatPanel, lawPanel, redundantEl);

  const captionWrap = h("div", "gb-caption-wrap");
  root.append(header, empty, body, captionWrap);
  el.appendChild(root);

  // ---- state
  let data: Norm | null = null;
  let lay: HeatLayout | null = null;
  let structure = "";
  let lastWidth = 0;
  let pending: number | null = null;
  let hover: [number, number] | null = null; // [latent, feature]; feature -1 = the row label
  let tabRow = 0;
  const rowEls: SVGGElement[] = [];

  const rowOf = (t: Element) => Number(t.closest(".gb-latent-row")?.getAttribute("data-latent") ?? NaN);
  /** The latent whose formula the panel shows (or is waiting for). */
  const shownLatent = (): number | null => pending ?? data?.selectedLatent ?? null;

  // ---- actions
  function selectLatent(i: number): void {
    const d = data;
    if (!d || !(i >= 0 && i < d.latents.length)) return;
    if (pending === i || (pending === null && d.selectedLatent === i && d.error === "")) return;
    sendRequest(model, "_select", i);
    pending = i;
    updateRows();
    updateLaw();
  }

  // ---- full render; a failure is shown in place of the widget
  const draw = guardedDraw("latent_usage_heatmap", drawAll, empty, body, () => {
    chartWrap.replaceChildren();
    rowEls.length = 0;
  });

  function signature(raw: unknown): string {
    const o = obj(raw);
    try {
      return JSON.stringify([o.latents, o.features, o.usage, o.selected_use, o.laws, o.redundant, Math.round(el.clientWidth || 0)]);
    } catch {
      return String(Math.random());
    }
  }

  /** A new `_data`: only the selection changed -> cheap update, else a redraw. */
  function onData(): void {
    const raw = model.get("_data");
    if (data && lay && signature(raw) === structure) {
      const d = normalize(raw);
      if (d) {
        data = d;
        takeSelection(d);
        drawText(d);
        updateRows();
        updateLaw();
        return;
      }
    }
    draw();
  }

  function takeSelection(d: Norm): void {
    if (pending === null) return;
    if (d.selectedLatent === pending || d.error !== "" || pending >= d.latents.length) pending = null;
  }

  function drawText(d: Norm): void {
    titleEl.textContent = d.title;
    titleEl.hidden = !d.title;
    setCaption(captionWrap, null, d.caption);
    const red = d.features.filter((f) => d.redundant.has(f));
    redundantEl.hidden = red.length === 0;
    redundantEl.textContent = red.length > 0 ? `never used by a selected formula (redundant): ${red.join(", ")}` : "";
  }

  function drawAll(): void {
    const active = document.activeElement;
    const focusRow = active && root.contains(active) && active.classList.contains("gb-latent-row") ? rowOf(active) : null;
    const raw = model.get("_data");
    structure = signature(raw);
    const d = normalize(raw);
    data = d;
    captionWrap.replaceChildren();
    empty.className = "gb-message gb-empty";
    chartWrap.replaceChildren();
    legendWrap.replaceChildren();
    rowEls.length = 0;
    hover = null;
    if (!d || d.latents.length === 0 || d.features.length === 0) {
      lay = null;
      titleEl.textContent = d?.title ?? "";
      titleEl.hidden = !d?.title;
      showMessage(empty, d ? NO_LATENTS_TEXT : NO_DATA_TEXT, body);
      if (d) setCaption(captionWrap, null, d.caption);
      pending = null;
      statusEl.hidden = true;
      return;
    }
    showMessage(empty, null, body);
    takeSelection(d);
    drawText(d);
    const avail = Math.max(280, Math.round(el.clientWidth || DEFAULT_WIDTH));
    lastWidth = el.clientWidth;
    lay = layoutHeat(d, avail);
    drawHeat(d, lay);
    drawLegend(d);
    if (!(tabRow >= 0 && tabRow < d.latents.length)) tabRow = 0;
    if (d.selectedLatent !== null && focusRow === null) tabRow = d.selectedLatent;
    updateRows();
    updateLaw();
    updateInfo();
    if (focusRow !== null && rowEls[focusRow]) rowEls[focusRow].focus({ preventScroll: true });
  }

  function drawHeat(d: Norm, L: HeatLayout): void {
    const { cell } = L;
    const nF = d.features.length;
    const svg = appendSvg(
      chartWrap,
      "gb-chart gb-usage-grid",
      L.width,
      L.height,
      "group",
      `${d.latents.length} latents × ${nF} features coloured by the share of each latent's Pareto front using the feature; Enter selects a latent, arrow keys move`,
    );
    const hatchId = uniqueId("gb-hatch");
    svg
      .append("defs")
      .append("pattern")
      .attr("id", hatchId)
      .attr("patternUnits", "userSpaceOnUse")
      .attr("width", 6)
      .attr("height", 6)
      .attr("patternTransform", "rotate(45)")
      .append("line")
      .attr("x1", 0)
      .attr("y1", 0)
      .attr("x2", 0)
      .attr("y2", 6)
      .attr("class", "gb-hatch-line");
    const g: G = svg.append("g").attr("transform", `translate(${L.left},${L.top})`);

    // feature labels, rotated; redundant ones greyed
    const heads = g.append("g").attr("class", "gb-axis gb-feature-labels");
    d.features.forEach((f, j) => {
      const t = heads
        .append("text")
        .attr("class", `gb-feature-label${d.redundant.has(f) ? " gb-redundant" : ""}`)
        .attr("data-feature", j)
        .attr("transform", `translate(${((j + 0.5) * cell).toFixed(1)},-6) rotate(-45)`)
        .attr("text-anchor", "start")
        .attr("font-size", HEAD_FONT)
        .text(L.heads[j]);
      t.append("title").text(d.redundant.has(f) ? `${f}: used by no latent's selected formula` : f);
    });

    // rows: label, R², cells
    const rows = g.append("g").attr("class", "gb-latent-rows");
    d.latents.forEach((_z, i) => {
      const row = rows
        .append("g")
        .attr("class", "gb-latent-row")
        .attr("data-latent", i)
        .attr("transform", `translate(0,${i * cell})`)
        .attr("role", "button")
        .attr("tabindex", -1);
      row.append("rect").attr("class", "gb-row-band").attr("x", -L.left + 4).attr("y", 0).attr("width", L.left - 4 + nF * cell + 4).attr("height", cell);
      row
        .append("text")
        .attr("class", "gb-latent-label")
        .attr("x", -L.left + 12)
        .attr("y", cell / 2)
        .attr("dy", "0.35em")
        .attr("font-size", LABEL_FONT)
        .text(L.rowLabels[i]);
      if (L.r2Labels[i]) {
        row
          .append("text")
          .attr("class", "gb-r2-label")
          .attr("x", -8)
          .attr("y", cell / 2)
          .attr("dy", "0.35em")
          .attr("text-anchor", "end")
          .attr("font-size", LABEL_FONT - 1)
          .text(L.r2Labels[i]);
      }
      const showNumber = cell >= NUMBER_MIN_CELL;
      d.features.forEach((f, j) => {
        const v = d.usage[i][j];
        const fill = Number.isFinite(v) ? interpolateSequential(v) : MISSING_FILL;
        const c = row.append("g").attr("class", "gb-usage-cell").attr("data-latent", i).attr("data-feature", j).attr("transform", `translate(${j * cell},0)`);
        c.append("rect").attr("class", "gb-cell-fill").attr("x", 1).attr("y", 1).attr("width", cell - 2).attr("height", cell - 2).attr("rx", 2).attr("fill", fill);
        if (d.redundant.has(f)) c.append("rect").attr("class", "gb-hatch").attr("x", 1).attr("y", 1).attr("width", cell - 2).attr("height", cell - 2).attr("rx", 2).attr("fill", `url(#${hatchId})`);
        const used = d.selectedUse[i][j];
        if (showNumber && Number.isFinite(v) && v > 0) {
          c.append("text")
            .attr("class", "gb-cell-number")
            .attr("x", cell / 2)
            .attr("y", used ? cell / 2 + 5 : cell / 2)
            .attr("dy", "0.35em")
            .attr("text-anchor", "middle")
            .attr("fill", textColorOn(fill))
            .text(percentText(v));
        }
        if (used) {
          const dotR = Math.max(2.5, Math.min(4, cell * 0.11));
          c.append("circle")
            .attr("class", "gb-used-dot")
            .attr("cx", cell / 2)
            .attr("cy", showNumber && Number.isFinite(v) && v > 0 ? cell / 2 - 7 : cell / 2)
            .attr("r", dotR)
            .attr("fill", textColorOn(fill) === "#ffffff" ? "#ffffff" : "#111827");
        }
        c.append("title").text(cellText(d, i, j));
      });
      row.append("rect").attr("class", "gb-row-outline").attr("x", -L.left + 4).attr("y", 0.5).attr("width", L.left - 4 + nF * cell + 3).attr("height", cell - 1).attr("rx", 3);
      row.append("title");
      rowEls.push(row.node()!);
    });
  }

  function drawLegend(d: Norm): void {
    const barW = 160;
    const svg = appendSvg(legendWrap, "gb-legend", barW + 12, 30, "img", "colour scale: share of the latent's Pareto front using the feature, 0% (white) to 100% (dark blue)");
    const id = uniqueId("gb-seq");
    const grad = svg.append("defs").append("linearGradient").attr("id", id).attr("x1", "0").attr("x2", "1").attr("y1", "0").attr("y2", "0");
    for (let k = 0; k <= 10; k++) grad.append("stop").attr("offset", `${k * 10}%`).attr("stop-color", interpolateSequential(k / 10));
    const g = svg.append("g").attr("transform", "translate(6,2)");
    g.append("rect").attr("class", "gb-legend-bar").attr("width", barW).attr("height", 10).attr("fill", `url(#${id})`).attr("stroke", "#8c959f").attr("stroke-width", 0.5);
    g.append("text").attr("class", "gb-legend-min").attr("x", 0).attr("y", 25).attr("text-anchor", "start").text("0%");
    g.append("text").attr("class", "gb-legend-max").attr("x", barW).attr("y", 25).attr("text-anchor", "end").text("100%");
    const key = h("div", "gb-legend-key");
    key.append(h("span", "gb-legend-label", "share of the latent's Pareto front using the feature"));
    const dot = h("span", "gb-legend-item");
    const dotMark = h("span", "gb-dot-mark");
    dotMark.setAttribute("aria-hidden", "true");
    dot.append(dotMark, document.createTextNode("used by the selected formula"));
    key.appendChild(dot);
    if (d.features.some((f) => d.redundant.has(f))) {
      const hatch = h("span", "gb-legend-item");
      const hatchMark = h("span", "gb-hatch-mark");
      hatchMark.setAttribute("aria-hidden", "true");
      hatch.append(hatchMark, document.createTextNode("hatched: used by no selected formula"));
      key.appendChild(hatch);
    }
    legendWrap.appendChild(key);
  }

  function cellText(d: Norm, i: number, j: number): string {
    const f = d.features[j];
    const v = d.usage[i][j];
    const share = Number.isFinite(v) ? `used by ${percentText(v)} of the front` : "usage n/a";
    const sel = d.selectedUse[i][j] ? "in the selected formula" : "not in the selected formula";
    return `${d.latents[i]} × ${f}: ${share} · ${sel}${d.redundant.has(f) ? " · redundant input" : ""}`;
  }

  // ---- cheap updates
  function updateRows(): void {
    const d = data;
    if (!d) return;
    const shown = shownLatent();
    statusEl.hidden = pending === null;
    root.classList.toggle("gb-is-busy", pending !== null);
    if (pending !== null) statusText.textContent = `selecting ${d.latents[pending] ?? pending}…`;
    rowEls.forEach((row, i) => {
      const sel = shown === i;
      row.classList.toggle("gb-selected", sel && pending === null);
      row.classList.toggle("gb-pending", sel && pending !== null);
      row.classList.toggle("gb-hovered", hover?.[0] === i);
      row.setAttribute("aria-pressed", String(sel));
      row.setAttribute("tabindex", i === tabRow ? "0" : "-1");
      const law = d.laws[i];
      const used = usedFeatures(d, i);
      const label = `${d.latents[i]}${law ? ` · ${r2Text(law.r2)}` : ""} · selected formula uses ${used.length > 0 ? used.join(", ") : "no feature"}${sel ? " · selected" : ""}`;
      row.setAttribute("aria-label", label);
      const t = row.querySelector(":scope > title");
      if (t) t.textContent = `${label}\nclick: show its formula`;
    });
  }

  function updateInfo(): void {
    const d = data;
    if (!d) return;
    if (!hover) {
      cellInfo.textContent = "hover a cell for the share of the front using that feature · click a row for its formula";
      cellInfo.classList.add("gb-hint");
      return;
    }
    cellInfo.classList.remove("gb-hint");
    const [i, j] = hover;
    if (j < 0) {
      const law = d.laws[i];
      cellInfo.textContent = `${d.latents[i]}${law ? ` · ${r2Text(law.r2)} · ${law.equation}` : ""}`;
    } else cellInfo.textContent = cellText(d, i, j);
  }

  function updateLaw(): void {
    const d = data;
    if (!d) return;
    const i = shownLatent();
    lawBody.replaceChildren();
    const err = pending === null ? d.error : "";
    errorEl.textContent = err;
    errorEl.hidden = err === "";
    if (i === null) {
      lawHead.textContent = "selected formula";
      lawBody.appendChild(messageEl(SELECT_HINT_TEXT, "gb-message gb-hint"));
      return;
    }
    lawHead.textContent = `${d.latents[i]}: selected formula`;
    if (pending !== null) {
      lawBody.appendChild(messageEl(`selecting ${d.latents[i]}…`, "gb-message gb-pending-text"));
      return;
    }
    const law = d.laws[i];
    if (!law) {
      lawBody.appendChild(messageEl(`no formula was sent for ${d.latents[i]}`));
      return;
    }
    lawBody.appendChild(h("code", "gb-equation", law.equation || "(empty)"));
    const stats = h("div", "gb-law-stats");
    const stat = (name: string, value: string, cls: string) => {
      const s = h("span", `gb-stat ${cls}`);
      s.append(h("span", "gb-stat-name", `${name} `), h("b", "gb-stat-value", value));
      return s;
    };
    stats.append(
      stat("held-out R²", Number.isFinite(law.r2) ? withMinus(formatScorePrecise(law.r2)) : "n/a", "gb-law-r2"),
      stat("complexity", Number.isFinite(law.complexity) ? formatNumber(law.complexity) : "n/a", "gb-law-complexity"),
    );
    const used = usedFeatures(d, i);
    stats.appendChild(stat("uses", used.length > 0 ? used.join(", ") : "no input (a constant)", "gb-law-uses"));
    lawBody.appendChild(stats);
  }

  function setHover(next: [number, number] | null): void {
    if (next === hover || (next && hover && next[0] === hover[0] && next[1] === hover[1])) return;
    hover = next;
    root.classList.toggle("gb-hovering", hover !== null);
    root.querySelectorAll(".gb-usage-cell.gb-hovered, .gb-feature-label.gb-hovered").forEach((c) => c.classList.remove("gb-hovered"));
    if (hover && hover[1] >= 0) {
      root.querySelector(`.gb-usage-cell[data-latent="${hover[0]}"][data-feature="${hover[1]}"]`)?.classList.add("gb-hovered");
      root.querySelector(`.gb-feature-label[data-feature="${hover[1]}"]`)?.classList.add("gb-hovered");
    }
    updateRows();
    updateInfo();
  }

  function moveFocus(event: KeyboardEvent, t: Element): void {
    const d = data;
    if (!d) return;
    const i = rowOf(t);
    let next: number | null = null;
    if (event.key === "ArrowDown") next = Math.min(d.latents.length - 1, i + 1);
    else if (event.key === "ArrowUp") next = Math.max(0, i - 1);
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = d.latents.length - 1;
    if (next === null) return;
    event.preventDefault();
    tabRow = next;
    rowEls.forEach((r, k) => r.setAttribute("tabindex", k === tabRow ? "0" : "-1"));
    rowEls[next]?.focus();
  }

  draw();

  const offs = [
    onChange(model, "_data", onData),
    onChange(model, "_select", () => {
      const v = model.get("_select");
      if (pending !== null && v !== pending) {
        pending = null;
        updateRows();
        updateLaw();
      }
    }),
    delegateActivate(root, ".gb-latent-row", (t) => selectLatent(rowOf(t))),
    delegate<KeyboardEvent>(root, "keydown", ".gb-latent-row", moveFocus),
    delegateHover(
      root,
      ".gb-latent-row",
      (e, t) => {
        const c = (e.target as Element).closest(".gb-usage-cell");
        setHover([rowOf(t), c ? Number(c.getAttribute("data-feature")) : -1]);
      },
      () => setHover(null),
    ),
    delegate<FocusEvent>(root, "focusin", ".gb-latent-row", (_e, t) => {
      tabRow = rowOf(t);
      rowEls.forEach((r, k) => r.setAttribute("tabindex", k === tabRow ? "0" : "-1"));
      setHover([tabRow, -1]);
    }),
    delegate<FocusEvent>(root, "focusout", ".gb-latent-row", () => setHover(null)),
    observeWidth(el, () => lastWidth, draw),
  ];

  return disposer(root, offs);
}

export type { AnyModel };
export default { render };
