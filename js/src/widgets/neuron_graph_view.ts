/**
 * GlassBox neuron graph view (anywidget ESM module): the conditional-independence graph of a
 * layer's MLP neurons (graphical lasso), nodes = neurons, edges = partial correlations.
 *
 * The layout is a force layout (d3-force) run for a fixed number of ticks synchronously from
 * deterministic start positions, so the same data always gives the same picture: neurons of a
 * community are pulled towards a common centre (communities on a ring), neurons without edges
 * sit on the rim. Nodes are coloured by community (grey when alone), hubs are ringed, the area
 * grows with the weighted degree (strength). Edges are blue (positive) or red (negative), their
 * width following |weight|; a slider hides edges below a |weight| threshold (browser-side).
 * Labels are drawn only for hubs, the selected neuron and the one under the mouse, so the view
 * stays readable at a few hundred neurons. For a topic comparison a dropdown switches between
 * edge sets (one per topic and their difference) over the same node positions.
 *
 * Hovering (or focusing) a node highlights its edges and tells its id, community and degree;
 * clicking it (or Enter / Space) asks Python for the inputs that activate it most.
 *
 * Synced traits:
 *   _data    (read)        see NeuronGraphData below
 *   _select  (read/write)  the clicked neuron id (int) + save_changes; Python calls
 *                          `finding.select_neuron(id)` and answers with a new `_data` carrying
 *                          `selected_neuron`, `top_inputs` and `error`
 *
 * The threshold and the edge set are view state of the browser (no round trip);
 * `_data.threshold` / `_data.edge_set` set them initially (and again when Python sends new values).
 */
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY } from "d3-force";
import type { SimulationLinkDatum, SimulationNodeDatum } from "d3-force";

import { appendSvg } from "../shared/axes";
import { arr, int, num, obj, str } from "../shared/data";
import { delegate, delegateActivate, delegateHover, disposer, guardedDraw, h, headerBar, liveRegion, messageEl, observeWidth, optionEl, panel, setCaption, showMessage } from "../shared/dom";
import { formatNumber, formatPercent, formatSigned, withMinus } from "../shared/format";
import { onChange, sendRequest } from "../shared/model";
import type { AnyModel, RenderContext } from "../shared/model";
import { NEUTRAL, categoryColor } from "../shared/palette";
import { fitText, textWidth } from "../shared/text";

// ---------------------------------------------------------------------------------------- data

export interface NeuronGraphData {
  title?: string;
  caption?: string;
  nodes?: { id: string; neuron: number; label?: string; community?: number | null; degree?: number; strength?: number; hub?: boolean; variance?: number; members?: number[] }[];
  edges?: { source: string; target: string; weight: number; stability?: number | null }[];
  edge_sets?: Record<string, { source: string; target: string; weight: number; stability?: number | null }[]> | null;
  edge_set?: string | null;
  threshold?: number;
  selected_neuron?: number | null;
  top_inputs?: { label: string; activation: number; topic?: string | null }[];
  actions?: string[];
  error?: string | null;
}

export interface GraphNode {
  id: string;
  neuron: number;
  label: string;
  community: number | null;
  degree: number;
  strength: number;
  hub: boolean;
  variance: number;
  /** Neuron ids this node stands for (merged exact duplicates); always holds `neuron`. */
  members: number[];
}

export interface GraphEdge {
  key: string;
  source: string;
  target: string;
  weight: number;
  /** Share of bootstrap resamples in which the edge holds; NaN when not measured. */
  stability: number;
}

export interface TopInput {
  label: string;
  activation: number;
  topic: string | null;
}

/** Normalised, defensive view of `_data`. */
export interface Norm {
  title: string;
  caption: string;
  nodes: GraphNode[];
  byId: Map<string, GraphNode>;
  /** Every neuron id (members of merged nodes included) -> its node. */
  byNeuron: Map<number, GraphNode>;
  edges: GraphEdge[];
  /** Named edge sets (topics, "difference") or null for a single graph. */
  edgeSets: Map<string, GraphEdge[]> | null;
  edgeSet: string | null;
  threshold: number; // NaN when absent
  selectedNeuron: number | null;
  topInputs: TopInput[];
  actions: string[];
  error: string;
}

export const NO_DATA_TEXT = "no data to show yet";
export const NO_NODES_TEXT = "the graph has no neurons";
export const SELECT_HINT_TEXT = "click a neuron to see the inputs that activate it most";
export const NO_INPUTS_TEXT = "no inputs were sent for this neuron";
export const DEFAULT_WIDTH = 760;
/** Below this container width the side panel goes under the graph. */
export const SIDE_BY_SIDE_MIN = 640;
/** Force-layout ticks, run synchronously (d3-force's default cooling: alpha 1 -> 0.001 in 300 ticks). */
export const LAYOUT_TICKS = 300;
/** Edge colours: positive blue, negative red (the ends of RdBu). */
export const POSITIVE = "#2166ac";
export const NEGATIVE = "#b2182b";
const MAX_NODES = 2000;
const MAX_EDGES = 20000;
const MAX_INPUTS = 200;
const GAP = 16;
const LABEL_FONT = 11;

const pendingText = (label: string) => `finding the inputs that activate ${label}…`;

export const edgeKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

function neuronOf(o: Record<string, unknown>, id: string): number {
  const n = int(o.neuron, NaN);
  if (Number.isInteger(n)) return n;
  const m = /(\d+)$/.exec(id);
  return m ? Number(m[1]) : NaN;
}

function edgeList(v: unknown, byId: Map<string, GraphNode>): GraphEdge[] {
  const out: GraphEdge[] = [];
  const seen = new Set<string>();
  for (const e of arr(v)) {
    const o = obj(e);
    const source = str(o.source);
    const target = str(o.target);
    const weight = num(o.weight);
    if (source === target || !byId.has(source) || !byId.has(target) || !Number.isFinite(weight)) continue;
    const key = edgeKey(source, target);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, source, target, weight, stability: num(o.stability) });
    if (out.length >= MAX_EDGES) break;
  }
  return out;
}

export function normalize(raw: unknown): Norm | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const d = raw as Record<string, unknown>;
  const nodes: GraphNode[] = [];
  const byId = new Map<string, GraphNode>();
  const byNeuron = new Map<number, GraphNode>();
  for (const n of arr(d.nodes)) {
    const o = obj(n);
    let id = str(o.id);
    const neuron = neuronOf(o, id);
    if (!Number.isInteger(neuron)) continue;
    if (id === "") id = `n${neuron}`;
    if (byId.has(id) || byNeuron.has(neuron)) continue;
    const community = int(o.community, -1);
    const members = [neuron, ...arr(o.members).map((m) => int(m, NaN)).filter((m) => Number.isInteger(m) && m !== neuron)];
    const node: GraphNode = {
      id,
      neuron,
      label: str(o.label) || `#${neuron}`,
      community: community >= 0 ? community : null,
      degree: num(o.degree),
      strength: num(o.strength),
      hub: o.hub === true,
      variance: num(o.variance),
      members: [...new Set(members)],
    };
    nodes.push(node);
    byId.set(id, node);
    if (nodes.length >= MAX_NODES) break;
  }
  for (const n of nodes) for (const m of n.members) if (!byNeuron.has(m)) byNeuron.set(m, n);

  let edgeSets: Map<string, GraphEdge[]> | null = null;
  if (d.edge_sets && typeof d.edge_sets === "object" && !Array.isArray(d.edge_sets)) {
    edgeSets = new Map();
    for (const [name, list] of Object.entries(obj(d.edge_sets))) if (Array.isArray(list)) edgeSets.set(name, edgeList(list, byId));
    if (edgeSets.size === 0) edgeSets = null;
  }
  const wanted = str(d.edge_set);
  const edgeSet = edgeSets ? (edgeSets.has(wanted) ? wanted : [...edgeSets.keys()][0]) : null;
  const sel = int(d.selected_neuron, NaN);

  return {
    title: str(d.title),
    caption: str(d.caption),
    nodes,
    byId,
    byNeuron,
    edges: edgeList(d.edges, byId),
    edgeSets,
    edgeSet,
    threshold: num(d.threshold),
    selectedNeuron: Number.isInteger(sel) && byNeuron.has(sel) ? sel : null,
    topInputs: arr(d.top_inputs)
      .slice(0, MAX_INPUTS)
      .map((t) => {
        const o = obj(t);
        return { label: str(o.label), activation: num(o.activation), topic: str(o.topic).trim() || null };
      }),
    actions: arr(d.actions)
      .map((a) => str(a).trim())
      .filter((a) => a !== ""),
    error: str(d.error).trim(),
  };
}

/** The edges of the set `name` (the plain `edges` when there are no sets). */
export function edgesOf(d: Norm, name: string | null): GraphEdge[] {
  if (d.edgeSets) return d.edgeSets.get(name ?? "") ?? d.edgeSets.get(d.edgeSet ?? "") ?? [];
  return d.edges;
}

/** Every edge of every set once (the largest |weight| of its copies): what the layout pulls along. */
export function unionEdges(d: Norm): GraphEdge[] {
  const all = new Map<string, GraphEdge>();
  for (const list of [d.edges, ...(d.edgeSets ? d.edgeSets.values() : [])]) {
    for (const e of list) {
      const old = all.get(e.key);
      if (!old || Math.abs(e.weight) > Math.abs(old.weight)) all.set(e.key, e);
    }
  }
  return [...all.values()];
}

/**
 * Colour of every community: communities of two or more neurons, biggest first, get the
 * categorical colours; a neuron alone in its community (or with none) is grey.
 */
export function communityColors(nodes: readonly GraphNode[]): Map<number, string> {
  const size = new Map<number, number>();
  for (const n of nodes) if (n.community !== null) size.set(n.community, (size.get(n.community) ?? 0) + 1);
  const multi = [...size.entries()].filter(([, s]) => s >= 2).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const out = new Map<number, string>();
  multi.forEach(([c], i) => out.set(c, categoryColor(i, multi.length)));
  for (const c of size.keys()) if (!out.has(c)) out.set(c, NEUTRAL);
  return out;
}

/** "partial correlation" or, for a difference set, "difference". */
export function weightName(edgeSet: string | null): string {
  return edgeSet && /diff/i.test(edgeSet) ? "difference" : "partial correlation";
}

/** "+0.31" / "−0.31". */
const signedText = (v: number) => withMinus(formatSigned(v));

// -------------------------------------------------------------------------------------- layout

export interface NodePos {
  x: number;
  y: number;
  r: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  pos: Map<string, NodePos>;
  rMax: number;
}

interface SimNode extends SimulationNodeDatum {
  id: string;
  r: number;
  tx: number;
  ty: number;
  rim: boolean;
}

/** Height of the graph for n neurons: grows like √n, 320–620 px. */
export function graphHeight(n: number): number {
  return Math.max(320, Math.min(620, Math.round(44 * Math.sqrt(Math.max(1, n)))));
}

/** Largest node radius for n neurons (smaller dots when there are many). */
export function maxRadius(n: number): number {
  return n <= 40 ? 12 : n <= 100 ? 9 : n <= 180 ? 7 : 6;
}

/**
 * Node positions in a `width` × `height` box: a deterministic force layout (fixed start
 * positions, `LAYOUT_TICKS` synchronous ticks, positions kept inside the box every tick).
 */
export function layoutGraph(d: Norm, width: number, height: number): GraphLayout {
  const n = d.nodes.length;
  const rMax = maxRadius(n);
  const rMin = Math.max(2.5, rMax * 0.38);
  const maxStrength = Math.max(1e-12, ...d.nodes.map((v) => (Number.isFinite(v.strength) ? v.strength : 0)));
  const radius = (v: GraphNode) => rMin + (rMax - rMin) * Math.sqrt(Number.isFinite(v.strength) ? Math.max(0, v.strength) / maxStrength : 0);

  const links = unionEdges(d);
  const degree = new Map<string, number>();
  for (const e of links) for (const id of [e.source, e.target]) degree.set(id, (degree.get(id) ?? 0) + 1);
  const maxW = Math.max(1e-12, ...links.map((e) => Math.abs(e.weight)));

  // community centres on an ellipse (biggest community first, from the top, clockwise)
  const cx = width / 2;
  const cy = height / 2;
  const size = new Map<number, number>();
  for (const v of d.nodes) if (v.community !== null && degree.has(v.id)) size.set(v.community, (size.get(v.community) ?? 0) + 1);
  const groups = [...size.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([c]) => c);
  const centre = new Map<number, [number, number]>();
  groups.forEach((c, i) => {
    if (groups.length === 1) return centre.set(c, [cx, cy]);
    const a = -Math.PI / 2 + (2 * Math.PI * i) / groups.length;
    centre.set(c, [cx + 0.27 * width * Math.cos(a), cy + 0.27 * height * Math.sin(a)]);
  });

  // start: a sunflower around the community centre; neurons without edges evenly on the rim
  const rim = d.nodes.filter((v) => !degree.has(v.id));
  const rimIndex = new Map(rim.map((v, i) => [v.id, i]));
  const seen = new Map<number, number>();
  const golden = Math.PI * (3 - Math.sqrt(5));
  const sim: SimNode[] = d.nodes.map((v, i) => {
    const r = radius(v);
    const ri = rimIndex.get(v.id);
    if (ri !== undefined) {
      const a = -Math.PI / 2 + (2 * Math.PI * (ri + 0.5)) / rim.length;
      const x = cx + (width / 2 - rMax - 6) * Math.cos(a);
      const y = cy + (height / 2 - rMax - 6) * Math.sin(a);
      return { id: v.id, r, x, y, tx: x, ty: y, rim: true, index: i };
    }
    const c = v.community !== null ? centre.get(v.community) : undefined;
    const [gx, gy] = c ?? [cx, cy];
    const k = v.community !== null ? (seen.get(v.community) ?? 0) : i;
    if (v.community !== null) seen.set(v.community, k + 1);
    const rr = 2 * rMax * Math.sqrt(k + 0.5);
    return { id: v.id, r, x: gx + rr * Math.cos(k * golden), y: gy + rr * Math.sin(k * golden), tx: gx, ty: gy, rim: false, index: i };
  });

  const inner = sim.filter((s) => !s.rim).length;
  const spacing = Math.sqrt((width * height * 0.6) / Math.max(1, inner));
  type L = SimulationLinkDatum<SimNode> & { w: number };
  const simLinks: L[] = links.map((e) => ({ source: e.source, target: e.target, w: Math.abs(e.weight) / maxW }));
  const pad = 4;
  const simulation = forceSimulation<SimNode>(sim)
    .force(
      "link",
      forceLink<SimNode, L>(simLinks)
        .id((s) => s.id)
        .distance(Math.max(14, spacing * 0.55))
        .strength((l) => (0.25 + 0.75 * l.w) / Math.min(degree.get((l.source as SimNode).id) ?? 1, degree.get((l.target as SimNode).id) ?? 1)),
    )
    .force("charge", forceManyBody<SimNode>().strength(-Math.max(8, Math.min(60, spacing * 0.9))).distanceMax(spacing * 4))
    .force("x", forceX<SimNode>((s) => s.tx).strength((s) => (s.rim ? 0.5 : 0.07)))
    .force("y", forceY<SimNode>((s) => s.ty).strength((s) => (s.rim ? 0.5 : 0.07)))
    .force("collide", forceCollide<SimNode>((s) => s.r + 2))
    .stop();
  for (let t = 0; t < LAYOUT_TICKS; t++) {
    simulation.tick();
    for (const s of sim) {
      s.x = Math.min(width - s.r - pad, Math.max(s.r + pad, s.x ?? cx));
      s.y = Math.min(height - s.r - pad, Math.max(s.r + pad, s.y ?? cy));
    }
  }
  const pos = new Map<string, NodePos>();
  for (const s of sim) pos.set(s.id, { x: s.x ?? cx, y: s.y ?? cy, r: s.r });
  return { width, height, pos, rMax };
}

/** Stroke width and opacity of an edge of |weight| `a` out of a largest `amax`. */
export function edgeStyle(a: number, amax: number): { width: number; opacity: number } {
  const t = amax > 0 && Number.isFinite(a) ? Math.min(1, Math.max(0, a / amax)) : 0;
  return { width: 0.7 + 4.3 * t, opacity: 0.28 + 0.6 * t };
}

// -------------------------------------------------------------------------------------- render

function render({ model, el }: RenderContext): () => void {
  const root = h("div", "gb-widget gb-neuron-graph-view");
  const { header, titleEl, statusEl, statusText } = headerBar("gb-neuron-header");

  const empty = h("div", "gb-message gb-empty");
  const body = h("div", "gb-neuron-body");

  // controls: edge set, threshold
  const controls = h("div", "gb-neuron-controls");
  const setLabel = h("label", "gb-control gb-edge-set", "edges ");
  const setSelect = h("select", "gb-edge-set-select");
  setSelect.setAttribute("aria-label", "which edges to show");
  setLabel.appendChild(setSelect);
  const thrLabel = h("label", "gb-control gb-threshold", "hide |weight| below ");
  const thrInput = h("input", "gb-threshold-input");
  thrInput.type = "range";
  thrInput.min = "0";
  thrInput.setAttribute("aria-label", "hide edges whose |weight| is below this value");
  const thrValue = h("output", "gb-threshold-value");
  thrLabel.append(thrInput, thrValue);
  const edgeCount = h("span", "gb-edge-count");
  controls.append(setLabel, thrLabel, edgeCount);

  const main = h("div", "gb-neuron-main");
  const chartWrap = h("div", "gb-neuron-chart");
  const hoverInfo = liveRegion("gb-node-info");
  const legend = h("div", "gb-neuron-legend");
  const graphPanel = panel("gb-graph-panel", h("div", "gb-panel-head gb-graph-head"), chartWrap, hoverInfo, legend);

  const sideHead = h("div", "gb-panel-head gb-neuron-title");
  const sideStats = h("div", "gb-neuron-stats");
  const inputsBody = h("div", "gb-inputs-body");
  const errorEl = h("div", "gb-neuron-error gb-error");
  errorEl.setAttribute("role", "alert");
  const side = panel("gb-neuron-side", sideHead, sideStats, errorEl, inputsBody);
  main.append(graphPanel, side);

  const actionsList = h("ul", "gb-actions-list");
  const actionsPanel = panel("gb-actions", "what was done to the activations before fitting", actionsList);
  body.append(controls, main, actionsPanel);

  const captionWrap = h("div", "gb-caption-wrap");
  root.append(header, empty, body, captionWrap);
  el.appendChild(root);

  // ---- state
  let data: Norm | null = null;
  let lay: GraphLayout | null = null;
  let structure = "";
  let lastWidth = 0;
  let threshold = 0;
  let dataThreshold = NaN;
  let edgeSet: string | null = null;
  let dataEdgeSet: string | null = null;
  let pending: number | null = null; // neuron clicked, not answered yet
  let hoverId: string | null = null;
  let tabId: string | null = null;
  let colors = new Map<number, string>();

  const nodeEls = new Map<string, SVGGElement>();
  const edgeEls = new Map<string, SVGLineElement>();
  const incident = new Map<string, string[]>(); // node id -> edge keys of the shown set
  let shownEdges: GraphEdge[] = [];
  let edgeLayer: SVGGElement | null = null;

  const idOf = (t: Element) => t.getAttribute("data-id") ?? "";
  const colorOf = (n: GraphNode) => (n.community === null ? NEUTRAL : (colors.get(n.community) ?? NEUTRAL));
  /** The node whose inputs the side panel shows (or is waiting for). */
  const shownNeuron = (): number | null => pending ?? data?.selectedNeuron ?? null;
  const selectedNode = (): GraphNode | null => {
    const s = shownNeuron();
    return s === null || !data ? null : (data.byNeuron.get(s) ?? null);
  };

  // ---- actions
  function selectNeuron(neuron: number): void {
    const d = data;
    if (!d) return;
    if (pending === neuron || (pending === null && d.selectedNeuron === neuron && d.error === "")) return;
    sendRequest(model, "_select", neuron);
    pending = neuron;
    updateNodeStates();
    updateSide();
  }

  // ---- full render; a failure is shown in place of the widget
  const draw = guardedDraw("neuron_graph_view", drawAll, empty, body, () => {
    chartWrap.replaceChildren();
    nodeEls.clear();
    edgeEls.clear();
  });

  function signature(raw: unknown): string {
    const o = obj(raw);
    try {
      return JSON.stringify([o.nodes, o.edges, o.edge_sets, Math.round(el.clientWidth || 0)]);
    } catch {
      return String(Math.random());
    }
  }

  /** A new `_data`: redraw only what changed (the SVG only when the graph itself changed). */
  function onData(): void {
    const raw = model.get("_data");
    if (data && lay && signature(raw) === structure) {
      const d = normalize(raw);
      if (d) {
        const setBefore = edgeSet;
        data = d;
        takeSettings(d);
        takeSelection(d);
        drawText(d);
        if (edgeSet !== setBefore) drawEdges();
        updateEdges();
        updateNodeStates();
        updateSide();
        return;
      }
    }
    draw();
  }

  function takeSettings(d: Norm): void {
    if (Number.isFinite(d.threshold) && d.threshold !== dataThreshold) threshold = Math.max(0, d.threshold);
    dataThreshold = d.threshold;
    if (d.edgeSet !== dataEdgeSet || edgeSet === null || !d.edgeSets?.has(edgeSet)) edgeSet = d.edgeSet;
    dataEdgeSet = d.edgeSet;
  }

  /** Python's answer settles a pending click: the neuron it selected, or an error. */
  function takeSelection(d: Norm): void {
    if (pending === null) return;
    if (d.selectedNeuron !== null && d.byNeuron.get(d.selectedNeuron) === d.byNeuron.get(pending)) pending = null;
    else if (d.error !== "" || !d.byNeuron.has(pending)) pending = null;
  }

  function drawText(d: Norm): void {
    titleEl.textContent = d.title;
    titleEl.hidden = !d.title;
    setCaption(captionWrap, null, d.caption);
    actionsList.replaceChildren(...d.actions.map((a) => h("li", "gb-action", a)));
    actionsPanel.hidden = d.actions.length === 0;
    syncSetSelect(d);
  }

  function drawAll(): void {
    const active = document.activeElement;
    const focusId = active && root.contains(active) && active.classList.contains("gb-node") ? idOf(active) : null;
    const raw = model.get("_data");
    structure = signature(raw);
    const d = normalize(raw);
    data = d;
    captionWrap.replaceChildren();
    empty.className = "gb-message gb-empty";
    nodeEls.clear();
    edgeEls.clear();
    incident.clear();
    chartWrap.replaceChildren();
    edgeLayer = null;
    hoverId = null;
    root.classList.remove("gb-hovering");
    if (!d || d.nodes.length === 0) {
      lay = null;
      titleEl.textContent = d?.title ?? "";
      titleEl.hidden = !d?.title;
      showMessage(empty, d ? NO_NODES_TEXT : NO_DATA_TEXT, body);
      if (d) setCaption(captionWrap, null, d.caption);
      pending = null;
      statusEl.hidden = true;
      return;
    }
    showMessage(empty, null, body);
    takeSettings(d);
    takeSelection(d);
    drawText(d);
    colors = communityColors(d.nodes);

    const width = Math.max(280, Math.round(el.clientWidth || DEFAULT_WIDTH));
    lastWidth = el.clientWidth;
    const sideBySide = width >= SIDE_BY_SIDE_MIN;
    const sideW = sideBySide ? Math.max(240, Math.min(330, Math.round(width * 0.34))) : width;
    main.classList.toggle("gb-stacked", !sideBySide);
    side.style.width = sideBySide ? `${sideW}px` : "";
    const graphW = sideBySide ? width - sideW - GAP : width;
    lay = layoutGraph(d, graphW, graphHeight(d.nodes.length));
    drawGraph(d, lay);
    drawEdges();
    if (!tabId || !d.byId.has(tabId)) tabId = selectedNode()?.id ?? d.nodes[0].id;
    updateEdges();
    updateNodeStates();
    updateSide();
    if (focusId && nodeEls.has(focusId)) nodeEls.get(focusId)!.focus({ preventScroll: true });
  }

  function drawGraph(d: Norm, L: GraphLayout): void {
    const svg = appendSvg(
      chartWrap,
      "gb-chart gb-neuron-svg",
      L.width,
      L.height,
      "group",
      `graph of ${d.nodes.length} neurons and their partial correlations; Enter shows the inputs that activate a neuron most, arrow keys move`,
    );
    edgeLayer = svg.append("g").attr("class", "gb-edges").attr("aria-hidden", "true").node()!;
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
  }

  /** (Re)draw the lines of the shown edge set, weakest first so that strong ones are on top. */
  function drawEdges(): void {
    const d = data;
    const L = lay;
    if (!d || !L || !edgeLayer) return;
    edgeLayer.replaceChildren();
    edgeEls.clear();
    incident.clear();
    shownEdges = edgesOf(d, edgeSet);
    const wname = weightName(edgeSet);
    const sorted = [...shownEdges].sort((a, b) => Math.abs(a.weight) - Math.abs(b.weight));
    for (const e of sorted) {
      const a = L.pos.get(e.source)!;
      const b = L.pos.get(e.target)!;
      const line = document.createElementNS("http://www.w3.org/2000/svg", "line");
      line.setAttribute("class", `gb-edge ${e.weight >= 0 ? "gb-positive" : "gb-negative"}`);
      line.setAttribute("data-source", e.source);
      line.setAttribute("data-target", e.target);
      line.setAttribute("x1", a.x.toFixed(1));
      line.setAttribute("y1", a.y.toFixed(1));
      line.setAttribute("x2", b.x.toFixed(1));
      line.setAttribute("y2", b.y.toFixed(1));
      line.setAttribute("stroke", e.weight >= 0 ? POSITIVE : NEGATIVE);
      const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      const stab = Number.isFinite(e.stability) ? ` · stability ${formatPercent(e.stability)}` : "";
      title.textContent = `${d.byId.get(e.source)!.label} — ${d.byId.get(e.target)!.label}: ${wname} ${signedText(e.weight)}${stab}`;
      line.appendChild(title);
      edgeLayer.appendChild(line);
      edgeEls.set(e.key, line);
      for (const id of [e.source, e.target]) (incident.get(id) ?? incident.set(id, []).get(id)!).push(e.key);
    }
  }

  function syncSetSelect(d: Norm): void {
    const names = d.edgeSets ? [...d.edgeSets.keys()] : [];
    const key = names.join("\u0000");
    if (setSelect.dataset.names !== key) {
      setSelect.dataset.names = key;
      setSelect.replaceChildren(...names.map((nm) => optionEl(nm, `${nm} (${d.edgeSets!.get(nm)!.length})`)));
    }
    setLabel.hidden = names.length === 0;
    if (edgeSet !== null) setSelect.value = edgeSet;
  }

  // ---- cheap updates (no re-render)

  /** Edge widths/opacities, visibility for the threshold, slider, count and legend. */
  function updateEdges(): void {
    const d = data;
    if (!d || !lay) return;
    const amax = Math.max(0, ...shownEdges.map((e) => Math.abs(e.weight)));
    thrInput.max = String(amax > 0 ? amax : 1);
    thrInput.step = String(amax > 0 ? amax / 200 : 0.01);
    threshold = Math.min(threshold, amax > 0 ? amax : threshold);
    thrInput.value = String(threshold);
    thrValue.textContent = formatNumber(threshold);
    let shown = 0;
    for (const e of shownEdges) {
      const line = edgeEls.get(e.key);
      if (!line) continue;
      const s = edgeStyle(Math.abs(e.weight), amax);
      line.setAttribute("stroke-width", s.width.toFixed(2));
      line.setAttribute("stroke-opacity", s.opacity.toFixed(3));
      const visible = Math.abs(e.weight) >= threshold;
      if (visible) {
        line.removeAttribute("display");
        shown++;
      } else line.setAttribute("display", "none");
      line.classList.toggle("gb-edge-hidden", !visible);
    }
    edgeCount.textContent = `${shown} of ${shownEdges.length} edges shown`;
    const head = graphPanel.querySelector(".gb-graph-head")!;
    head.textContent = `${d.nodes.length} neurons${d.edgeSets && edgeSet ? ` · ${edgeSet}` : ""} · click a neuron to see its top inputs`;
    drawLegend(amax);
    if (hoverId) setHover(hoverId, true);
  }

  function drawLegend(amax: number): void {
    const wname = weightName(edgeSet);
    const sw = (cls: string) => {
      const s = h("span", `gb-swatch ${cls}`);
      s.setAttribute("aria-hidden", "true");
      return s;
    };
    const item = (...parts: (Node | string)[]) => {
      const it = h("span", "gb-legend-item");
      it.append(...parts);
      return it;
    };
    legend.replaceChildren(
      item(sw("gb-swatch-pos"), `positive ${wname}`),
      item(sw("gb-swatch-neg"), `negative (width ∝ |weight|, largest ${formatNumber(amax)})`),
      item(sw("gb-swatch-hub"), "hub"),
      item("colour: community (grey: alone) · size ∝ strength"),
    );
  }

  function nodeSummary(n: GraphNode): string {
    const parts = [n.label];
    parts.push(n.community === null ? "no community" : `community ${n.community}`);
    if (Number.isFinite(n.degree)) parts.push(`degree ${formatNumber(n.degree)}`);
    if (Number.isFinite(n.strength)) parts.push(`strength ${formatNumber(n.strength)}`);
    if (Number.isFinite(n.variance)) parts.push(`variance ${formatNumber(n.variance)}`);
    if (n.hub) parts.push("hub");
    if (n.members.length > 1) parts.push(`stands for ${n.members.map((m) => `#${m}`).join(", ")} (duplicates)`);
    return parts.join(" · ");
  }

  function updateNodeStates(): void {
    const d = data;
    if (!d) return;
    const sel = selectedNode();
    statusEl.hidden = pending === null;
    root.classList.toggle("gb-is-busy", pending !== null);
    if (pending !== null) statusText.textContent = pendingText(d.byNeuron.get(pending)?.label ?? `#${pending}`);
    const near = new Set<string>();
    if (hoverId) {
      for (const k of incident.get(hoverId) ?? []) {
        const line = edgeEls.get(k);
        if (line && !line.classList.contains("gb-edge-hidden")) for (const id of k.split("\u0000")) near.add(id);
      }
    }
    for (const [id, g] of nodeEls) {
      const n = d.byId.get(id)!;
      const isSel = sel?.id === id;
      g.classList.toggle("gb-selected", isSel && pending === null);
      g.classList.toggle("gb-pending", isSel && pending !== null);
      g.classList.toggle("gb-hovered", id === hoverId);
      g.classList.toggle("gb-neighbour", near.has(id) && id !== hoverId);
      g.setAttribute("aria-pressed", String(isSel));
      g.setAttribute("tabindex", id === tabId ? "0" : "-1");
      const showLabel = n.hub || isSel || id === hoverId || (near.size <= 7 && near.has(id));
      const label = g.querySelector(".gb-node-label");
      if (label) {
        if (showLabel) label.removeAttribute("display");
        else label.setAttribute("display", "none");
      }
      const text = `${nodeSummary(n)} · ${isSel ? "selected" : "click to see the inputs that activate it most"}`;
      g.setAttribute("aria-label", text);
      const t = g.querySelector("title");
      if (t) t.textContent = text;
    }
    // the hovered / selected node above its neighbours (moving the focused node would blur it)
    const lift = hoverId ? nodeEls.get(hoverId) : sel ? nodeEls.get(sel.id) : undefined;
    if (lift && lift.parentNode && lift.parentNode.lastChild !== lift && !lift.contains(document.activeElement)) lift.parentNode.appendChild(lift);
  }

  function updateSide(): void {
    const d = data;
    if (!d) return;
    const n = selectedNode();
    inputsBody.replaceChildren();
    const err = pending === null ? d.error : "";
    errorEl.textContent = err;
    errorEl.hidden = err === "";
    if (!n) {
      sideHead.textContent = "top inputs";
      sideStats.textContent = "";
      sideStats.hidden = true;
      inputsBody.appendChild(messageEl(SELECT_HINT_TEXT, "gb-message gb-hint"));
      return;
    }
    sideHead.replaceChildren();
    const dot = h("span", "gb-community-dot");
    dot.style.background = colorOf(n);
    dot.setAttribute("aria-hidden", "true");
    sideHead.append(dot, document.createTextNode(`${n.label}: top inputs`));
    sideStats.hidden = false;
    sideStats.textContent = nodeSummary(n).split(" · ").slice(1).join(" · ");
    if (pending !== null) {
      inputsBody.appendChild(messageEl(pendingText(n.label), "gb-message gb-pending-text"));
      return;
    }
    if (d.topInputs.length === 0) {
      inputsBody.appendChild(messageEl(NO_INPUTS_TEXT));
      return;
    }
    const amax = Math.max(1e-12, ...d.topInputs.map((t) => (Number.isFinite(t.activation) ? Math.abs(t.activation) : 0)));
    const list = h("ol", "gb-inputs-list");
    list.setAttribute("aria-label", `the inputs that activate ${n.label} most`);
    d.topInputs.forEach((t, i) => {
      const li = h("li", "gb-input-row");
      li.dataset.index = String(i);
      li.title = `${t.label}: activation ${formatNumber(t.activation)}${t.topic ? ` · topic ${t.topic}` : ""}`;
      const label = h("div", "gb-input-label", t.label || "(no label)");
      const line = h("div", "gb-input-bar-line");
      const track = h("span", "gb-bar-track");
      const fill = h("span", `gb-bar-fill${t.activation < 0 ? " gb-negative" : ""}`);
      fill.style.width = `${(Number.isFinite(t.activation) ? (Math.abs(t.activation) / amax) * 100 : 0).toFixed(1)}%`;
      track.appendChild(fill);
      line.append(track, h("span", "gb-bar-value", withMinus(formatNumber(t.activation))));
      if (t.topic) line.appendChild(h("span", "gb-badge gb-topic", t.topic));
      li.append(label, line);
      list.appendChild(li);
    });
    inputsBody.appendChild(list);
  }

  // ---- hover / focus
  function setHover(id: string | null, force = false): void {
    if (id === hoverId && !force) return;
    hoverId = id && data?.byId.has(id) ? id : null;
    root.classList.toggle("gb-hovering", hoverId !== null);
    const hot = new Set(hoverId ? (incident.get(hoverId) ?? []) : []);
    for (const [k, line] of edgeEls) line.classList.toggle("gb-incident", hot.has(k));
    updateNodeStates();
    const d = data;
    const n = hoverId && d ? d.byId.get(hoverId) : undefined;
    if (!n) {
      hoverInfo.textContent = "hover a neuron to see its edges · click it for its top inputs";
      hoverInfo.classList.add("gb-hint");
      return;
    }
    const visible = [...hot].filter((k) => !edgeEls.get(k)?.classList.contains("gb-edge-hidden")).length;
    hoverInfo.classList.remove("gb-hint");
    hoverInfo.textContent = `${nodeSummary(n)} · ${visible} edge${visible === 1 ? "" : "s"} shown`;
  }

  // ---- keyboard: arrows move to the nearest node in that direction (roving tabindex)
  function moveFocus(event: KeyboardEvent, t: Element): void {
    const L = lay;
    const dirs: Record<string, [number, number]> = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };
    const dir = dirs[event.key];
    if (!L || !dir) return;
    event.preventDefault();
    const from = L.pos.get(idOf(t));
    if (!from) return;
    let best: string | null = null;
    let bestScore = Infinity;
    for (const [id, p] of L.pos) {
      const along = (p.x - from.x) * dir[0] + (p.y - from.y) * dir[1];
      if (along <= 0.5) continue;
      const across = Math.abs((p.x - from.x) * dir[1] - (p.y - from.y) * dir[0]);
      const score = along + 2 * across;
      if (score < bestScore) [best, bestScore] = [id, score];
    }
    if (!best) return;
    tabId = best;
    for (const [id, g] of nodeEls) g.setAttribute("tabindex", id === tabId ? "0" : "-1");
    nodeEls.get(best)?.focus();
  }

  draw();
  setHover(null, true);

  const pick = ".gb-node";
  const offs = [
    onChange(model, "_data", onData),
    onChange(model, "_select", () => {
      // Python moved the selection itself (e.g. refresh after select_neuron from code)
      const v = model.get("_select");
      if (pending !== null && v !== pending) {
        pending = null;
        updateNodeStates();
        updateSide();
      }
    }),
    delegateActivate(root, pick, (t) => {
      const n = data?.byId.get(idOf(t));
      if (n) selectNeuron(n.neuron);
    }),
    delegate<KeyboardEvent>(root, "keydown", pick, moveFocus),
    delegateHover(root, pick, (_e, t) => setHover(idOf(t)), () => setHover(null)),
    delegate<FocusEvent>(root, "focusin", pick, (_e, t) => {
      tabId = idOf(t);
      for (const [id, g] of nodeEls) g.setAttribute("tabindex", id === tabId ? "0" : "-1");
      setHover(tabId);
    }),
    delegate<FocusEvent>(root, "focusout", pick, () => setHover(null)),
    ...(["input", "change"] as const).map((type) =>
      delegate<Event>(root, type, ".gb-threshold-input", () => {
        const v = Number(thrInput.value);
        if (!Number.isFinite(v)) return;
        threshold = Math.max(0, v);
        updateEdges();
      }),
    ),
    delegate<Event>(root, "change", ".gb-edge-set-select", () => {
      if (!data?.edgeSets?.has(setSelect.value) || setSelect.value === edgeSet) return;
      // keep the slider's relative position: the same share of the largest |weight|
      const before = Math.max(0, ...shownEdges.map((e) => Math.abs(e.weight)));
      const rel = before > 0 ? threshold / before : 0;
      edgeSet = setSelect.value;
      drawEdges();
      threshold = rel * Math.max(0, ...shownEdges.map((e) => Math.abs(e.weight)));
      updateEdges();
      updateNodeStates();
    }),
    observeWidth(el, () => lastWidth, draw),
  ];

  return disposer(root, offs);
}

export type { AnyModel };
export default { render };
