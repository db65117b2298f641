/** The flow-graph explorer's panels: the node tooltip and the read-out of the user's path. */
import { h, svgEl } from "../../shared/dom";
import { formatNumber, formatPercent } from "../../shared/format";
import { EMPTY_PATH_TEXT, PENDING_TEXT, edgeValue } from "./data";
import type { Coefficient, FlowNode, Norm, PathStats } from "./data";
import { num4 } from "./layout";
import type { Layout } from "./layout";
import type { DrawnGraph } from "./render";

/** "conv1 #0: 10 samples (50%)". */
export function nodeSummary(n: FlowNode): string {
  return `${n.label}: ${formatNumber(n.support)} samples (${formatPercent(n.share)})`;
}

/** The path read-out's parts. */
export interface PathParts {
  nodes: HTMLElement;
  stats: HTMLElement;
}

/**
 * The path read-out: the nodes of `path` (a hint when it is empty), then its statistics once the
 * host has answered (`stats`), or a note while it computes them.
 */
export function drawPathReadout(p: PathParts, d: Norm, path: readonly string[], stats: PathStats | null, busy: boolean): void {
  p.nodes.classList.toggle("gb-hint", path.length === 0);
  if (path.length === 0) p.nodes.textContent = EMPTY_PATH_TEXT;
  else {
    const first = d.byId.get(path[0])!;
    const span = path.length === d.columns.length ? "complete" : `partial: ${path.length} of ${d.columns.length} columns, from ${first.column}`;
    p.nodes.textContent = `path: ${path.map((id) => d.byId.get(id)!.label).join(" → ")} (${span})`;
  }
  p.stats.replaceChildren();
  if (busy && path.length > 0) {
    p.stats.textContent = PENDING_TEXT;
  } else if (!busy && stats && path.length > 0) {
    for (const [k, v] of [
      ["certainty", stats.certainty],
      ["coverage", stats.coverage],
      ["strength", stats.strength],
    ] as [string, number][]) {
      const item = h("span", "gb-stat");
      item.dataset.stat = k;
      item.append(h("span", "gb-stat-name", `${k} `), h("b", "gb-stat-value", num4(v)));
      p.stats.appendChild(item);
    }
    const complete = stats.complete ?? path.length === d.columns.length;
    p.stats.appendChild(h("span", `gb-badge ${complete ? "gb-complete" : "gb-partial"}`, complete ? "complete path" : "partial path"));
  }
  p.stats.hidden = p.stats.childNodes.length === 0;
}

/** Where the tooltip goes: the stage it is placed in and the (sideways scrolling) chart. */
export interface TooltipPlace {
  stage: HTMLElement;
  chartWrap: HTMLElement;
}

/**
 * Fill `tooltip` for node `id` (support, strongest edge out for `coef`, best paths through it, the
 * mean input and the activation histogram) and place it beside the node.
 */
export function showTooltip(tooltip: HTMLElement, place: TooltipPlace, d: Norm, L: Layout, g: DrawnGraph, id: string, coef: Coefficient): void {
  const n = d.byId.get(id);
  if (!n) return;
  const { stage, chartWrap } = place;
  const p = L.pos.get(id)!;
  tooltip.replaceChildren();
  tooltip.dataset.id = id;
  tooltip.appendChild(h("div", "gb-tip-title", n.label));
  tooltip.appendChild(h("div", "gb-tip-support", `${formatNumber(n.support)} samples · ${formatPercent(n.share)} of all`));
  const outs = (g.incident.get(id) ?? []).map((k) => d.edgeByKey.get(k)!).filter((e) => e.source === id);
  if (outs.length > 0) {
    const top = outs.reduce((a, b) => (edgeValue(b, coef) > edgeValue(a, coef) ? b : a));
    tooltip.appendChild(h("div", "gb-tip-next", `${outs.length} edge${outs.length === 1 ? "" : "s"} out · strongest → ${d.byId.get(top.target)!.label} (${coef} ${num4(edgeValue(top, coef))})`));
  }
  const onBest = d.bestPaths.filter((b) => b.nodes.includes(id)).map((b) => b.cls);
  if (onBest.length > 0) tooltip.appendChild(h("div", "gb-tip-best", `on the best path of class ${onBest.join(", ")}`));
  const pics = h("div", "gb-tip-pics");
  if (n.thumbnail) pics.appendChild(figure("mean input", thumbnailSvg(n.thumbnail)));
  if (n.histogram) pics.appendChild(figure("activation norm", histogramSvg(n.histogram)));
  if (pics.childNodes.length > 0) tooltip.appendChild(pics);
  tooltip.hidden = false;

  // place beside the node, inside the stage (the chart may be scrolled sideways): on its left,
  // over the columns a path has already passed, so that the next column's nodes stay visible
  const sw = stage.clientWidth || L.width;
  const sh = stage.clientHeight || L.height;
  const tw = tooltip.offsetWidth || 240;
  const th = tooltip.offsetHeight || 160;
  const x = p.x - chartWrap.scrollLeft;
  let left = x - p.r - 10 - tw;
  if (left < 0) left = x + p.r + 10 + tw <= sw ? x + p.r + 10 : Math.max(0, sw - tw);
  const top = Math.max(0, Math.min(sh - th, p.y - 24));
  tooltip.style.left = `${Math.round(left)}px`;
  tooltip.style.top = `${Math.round(top)}px`;
}

function figure(caption: string, content: Element): HTMLElement {
  const f = h("figure", "gb-tip-figure");
  const cap = h("figcaption", undefined, caption);
  f.append(content, cap);
  return f;
}

/** The mean input as a grid of grey squares (0 white … 1 black). */
function thumbnailSvg(t: number[][]): SVGSVGElement {
  const rows = t.length;
  const cols = t[0].length;
  const cell = Math.max(2, Math.floor(72 / Math.max(rows, cols)));
  const svg = svgEl("svg", { class: "gb-thumbnail", width: cols * cell, height: rows * cell, viewBox: `0 0 ${cols * cell} ${rows * cell}`, role: "img", "aria-label": `mean input, ${rows}×${cols}, darker = larger` });
  t.forEach((row, i) =>
    row.forEach((v, j) => {
      const g = Number.isFinite(v) ? Math.round(255 * (1 - Math.min(1, Math.max(0, v)))) : 235;
      svg.appendChild(svgEl("rect", { x: j * cell, y: i * cell, width: cell, height: cell, fill: `rgb(${g},${g},${g})` }));
    }),
  );
  return svg;
}

/** Small bar chart of the activation-norm histogram, with the range under it. */
function histogramSvg(hg: NonNullable<FlowNode["histogram"]>): SVGSVGElement {
  const W = 120;
  const H = 48;
  const k = hg.counts.length;
  const m = Math.max(1e-12, ...hg.counts);
  const bw = W / k;
  const svg = svgEl("svg", { class: "gb-histogram", width: W, height: H + 14, viewBox: `0 0 ${W} ${H + 14}`, role: "img", "aria-label": `histogram of the activation norm, ${k} bins` });
  hg.counts.forEach((c, i) => {
    const bh = (c / m) * H;
    svg.appendChild(svgEl("rect", { class: "gb-hist-bar", x: (i * bw + 0.5).toFixed(1), y: (H - bh).toFixed(1), width: Math.max(0.5, bw - 1).toFixed(1), height: bh.toFixed(1) }));
  });
  svg.appendChild(svgEl("line", { class: "gb-hist-base", x1: 0, x2: W, y1: H + 0.5, y2: H + 0.5 }));
  if (hg.edges) {
    const lo = svgEl("text", { class: "gb-hist-tick", x: 0, y: H + 12, "text-anchor": "start" });
    lo.textContent = formatNumber(hg.edges[0]);
    const hi = svgEl("text", { class: "gb-hist-tick", x: W, y: H + 12, "text-anchor": "end" });
    hi.textContent = formatNumber(hg.edges[hg.edges.length - 1]);
    svg.append(lo, hi);
  }
  return svg;
}
