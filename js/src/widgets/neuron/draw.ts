/** The neuron graph's drawings: nodes, edge lines, the legend and the side panel of top inputs. */
import { appendSvg } from "../../shared/axes";
import { h, messageEl, shareBar, svgEl } from "../../shared/dom";
import { formatNumber, formatPercent, withMinus } from "../../shared/format";
import { fitText, textWidth } from "../../shared/text";
import { NEGATIVE, NO_INPUTS_TEXT, POSITIVE, SELECT_HINT_TEXT, edgeText } from "./data";
import type { EdgeSetInfo, GraphEdge, GraphNode, Norm, TopInput } from "./data";
import type { GraphLayout } from "./layout";

const LABEL_FONT = 11;

/** The status and side-panel text while the host finds a neuron's top inputs. */
export const pendingText = (label: string) => `finding the inputs that activate ${label}…`;

/**
 * The graph's SVG in `chartWrap`: an (empty) edge layer, then one focusable node (`g.gb-node`) per
 * neuron, hubs last so that they are on top. Returns the edge layer and the node elements by id.
 */
export function drawGraph(chartWrap: HTMLElement, d: Norm, L: GraphLayout, colorOf: (n: GraphNode) => string): { edgeLayer: SVGGElement; nodeEls: Map<string, SVGGElement> } {
  const nodeEls = new Map<string, SVGGElement>();
  const svg = appendSvg(
    chartWrap,
    "gb-chart gb-neuron-svg",
    L.width,
    L.height,
    "group",
    `graph of ${d.nodes.length} neurons and their partial correlations; Enter shows the inputs that activate a neuron most, arrow keys move`,
  );
  if (L.band) {
    const b = svg.append("g").attr("class", "gb-isolated-band").attr("aria-hidden", "true");
    if (L.band.y > 0) {
      b.append("line").attr("class", "gb-band-rule").attr("x1", 6).attr("x2", L.width - 6).attr("y1", L.band.y + 0.5).attr("y2", L.band.y + 0.5);
      b.append("text").attr("class", "gb-band-label").attr("x", 8).attr("y", L.band.y + 14).text(bandText(L.band.ids.length, L.band.minWeight));
    }
  }
  const edgeLayer = svg.append("g").attr("class", "gb-edges").attr("aria-hidden", "true").node()!;
  const ng = svg.append("g").attr("class", "gb-nodes");
  // hubs last, so that they are on top
  const order = [...d.nodes].sort((a, b) => Number(a.hub) - Number(b.hub));
  for (const n of order) {
    const p = L.pos.get(n.id)!;
    const g = ng
      .append("g")
      .attr("class", `gb-node${n.hub ? " gb-hub" : ""}`)
      .attr("data-id", n.id)
      .attr("data-neuron", n.neuron)
      .attr("transform", `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`)
      .attr("role", "button")
      .attr("tabindex", -1);
    g.append("circle").attr("class", "gb-node-hit").attr("r", Math.max(p.r + 2, 6).toFixed(1));
    g.append("circle").attr("class", "gb-select-ring").attr("r", (p.r + 4.5).toFixed(1));
    if (n.hub) g.append("circle").attr("class", "gb-hub-ring").attr("r", (p.r + 2).toFixed(1));
    // a style, not an attribute: the stylesheet's grey would win over a presentation attribute
    g.append("circle").attr("class", "gb-node-dot").attr("r", p.r.toFixed(2)).style("fill", colorOf(n));
    const text = fitText(n.label, 90, LABEL_FONT);
    const right = p.x + p.r + 4 + textWidth(text, LABEL_FONT) <= L.width;
    g.append("text")
      .attr("class", "gb-node-label")
      .attr("x", right ? (p.r + 4).toFixed(1) : (-p.r - 4).toFixed(1))
      .attr("dy", "0.35em")
      .attr("text-anchor", right ? "start" : "end")
      .attr("font-size", LABEL_FONT)
      .attr("display", "none")
      .text(text);
    g.append("title");
    nodeEls.set(n.id, g.node()!);
  }
  return { edgeLayer, nodeEls };
}

/** "7 neurons without an edge of |weight| ≥ 0.12, the edges laid out above": the line over the grid of neurons left alone. */
export function bandText(count: number, minWeight: number): string {
  const who = `${count} neuron${count === 1 ? "" : "s"}`;
  return minWeight > 0 ? `${who} without an edge of |weight| ≥ ${formatNumber(minWeight)}, the edges laid out above` : `${who} without edges`;
}

/** The lines drawn for an edge set: each line by edge key, and the edge keys at each node. */
export interface DrawnEdges {
  lines: Map<string, SVGLineElement>;
  incident: Map<string, string[]>;
}

/** (Re)draw the lines of `edges` (of a set described by `info`) into `edgeLayer`, weakest first so that strong ones are on top. */
export function drawEdges(edgeLayer: SVGGElement, d: Norm, L: GraphLayout, edges: readonly GraphEdge[], info: EdgeSetInfo): DrawnEdges {
  edgeLayer.replaceChildren();
  const edgeEls = new Map<string, SVGLineElement>();
  const incident = new Map<string, string[]>();
  const sorted = [...edges].sort((a, b) => Math.abs(a.weight) - Math.abs(b.weight));
  for (const e of sorted) {
    const a = L.pos.get(e.source)!;
    const b = L.pos.get(e.target)!;
    const line = svgEl("line", {});
    line.setAttribute("class", `gb-edge ${e.weight >= 0 ? "gb-positive" : "gb-negative"}`);
    line.setAttribute("data-source", e.source);
    line.setAttribute("data-target", e.target);
    line.setAttribute("x1", a.x.toFixed(1));
    line.setAttribute("y1", a.y.toFixed(1));
    line.setAttribute("x2", b.x.toFixed(1));
    line.setAttribute("y2", b.y.toFixed(1));
    line.setAttribute("stroke", e.weight >= 0 ? POSITIVE : NEGATIVE);
    const title = svgEl("title", {});
    const stab = Number.isFinite(e.stability) ? ` · stability ${formatPercent(e.stability)}` : "";
    title.textContent = `${edgeText(d, e, info)}${stab}`;
    line.appendChild(title);
    edgeLayer.appendChild(line);
    edgeEls.set(e.key, line);
    for (const id of [e.source, e.target]) (incident.get(id) ?? incident.set(id, []).get(id)!).push(e.key);
  }
  return { lines: edgeEls, incident };
}

/**
 * The key: what blue and red edges mean in the set shown (`info`: for a topic difference, which topic
 * is compared with which), widths (largest |weight| `amax`), hubs, colours and sizes of nodes.
 */
export function drawLegend(legend: HTMLElement, info: EdgeSetInfo, amax: number): void {
  const sw = (cls: string) => {
    const s = h("span", `gb-swatch ${cls}`);
    s.setAttribute("aria-hidden", "true");
    return s;
  };
  const item = (cls: string, ...parts: (Node | string)[]) => {
    const it = h("span", `gb-legend-item ${cls}`);
    it.append(...parts);
    return it;
  };
  const items = [item("gb-legend-positive", sw("gb-swatch-pos"), `blue: ${info.positive}`)];
  if (info.negative) items.push(item("gb-legend-negative", sw("gb-swatch-neg"), `red: ${info.negative}`));
  items.push(
    item("gb-legend-width", `width ∝ |${info.weight}| (largest ${formatNumber(amax)})`),
    item("gb-legend-hub", sw("gb-swatch-hub"), "hub"),
    item("gb-legend-nodes", "colour: community (grey: alone) · size ∝ strength"),
  );
  legend.replaceChildren(...items);
}

/** "#12 · community 0 · degree 4 · …": what a node is, for its label, hover line and the side panel. */
export function nodeSummary(n: GraphNode): string {
  const parts = [n.label];
  parts.push(n.community === null ? "no community" : `community ${n.community}`);
  if (Number.isFinite(n.degree)) parts.push(`degree ${formatNumber(n.degree)}`);
  if (Number.isFinite(n.strength)) parts.push(`strength ${formatNumber(n.strength)}`);
  if (Number.isFinite(n.variance)) parts.push(`variance ${formatNumber(n.variance)}`);
  if (n.hub) parts.push("hub");
  if (n.members.length > 1) parts.push(`stands for ${n.members.map((m) => `#${m}`).join(", ")} (duplicates)`);
  return parts.join(" · ");
}

/** The side panel's parts. */
export interface SideParts {
  head: HTMLElement;
  stats: HTMLElement;
  body: HTMLElement;
}

/**
 * The side panel for node `n` (null: none selected): a hint, a note while the host answers, or
 * the inputs that activate it most with activation bars.
 */
export function drawSide(p: SideParts, n: GraphNode | null, color: string, inputs: readonly TopInput[], waiting: boolean): void {
  p.body.replaceChildren();
  if (!n) {
    p.head.textContent = "top inputs";
    p.stats.textContent = "";
    p.stats.hidden = true;
    p.body.appendChild(messageEl(SELECT_HINT_TEXT, "gb-message gb-hint"));
    return;
  }
  p.head.replaceChildren();
  const dot = h("span", "gb-community-dot");
  dot.style.background = color;
  dot.setAttribute("aria-hidden", "true");
  p.head.append(dot, document.createTextNode(`${n.label}: top inputs`));
  p.stats.hidden = false;
  p.stats.textContent = nodeSummary(n).split(" · ").slice(1).join(" · ");
  if (waiting) {
    p.body.appendChild(messageEl(pendingText(n.label), "gb-message gb-pending-text"));
    return;
  }
  if (inputs.length === 0) {
    p.body.appendChild(messageEl(NO_INPUTS_TEXT));
    return;
  }
  const amax = Math.max(1e-12, ...inputs.map((t) => (Number.isFinite(t.activation) ? Math.abs(t.activation) : 0)));
  const list = h("ol", "gb-inputs-list");
  list.setAttribute("aria-label", `the inputs that activate ${n.label} most`);
  inputs.forEach((t, i) => {
    const li = h("li", "gb-input-row");
    li.dataset.index = String(i);
    li.title = `${t.label}: activation ${formatNumber(t.activation)}${t.topic ? ` · topic ${t.topic}` : ""}`;
    const label = h("div", "gb-input-label", t.label || "(no label)");
    const line = h("div", "gb-input-bar-line");
    const track = shareBar(Math.abs(t.activation) / amax, "gb-bar-track", `gb-bar-fill${t.activation < 0 ? " gb-negative" : ""}`);
    line.append(track, h("span", "gb-bar-value", withMinus(formatNumber(t.activation))));
    if (t.topic) line.appendChild(h("span", "gb-badge gb-topic", t.topic));
    li.append(label, line);
    list.appendChild(li);
  });
  p.body.appendChild(list);
}
