/**
 * The neuron graph's layout: a deterministic force layout (d3-force) run synchronously over the
 * strongest edges only, and the neurons those edges leave alone in a tidy grid under it.
 *
 * A real layer gives hundreds or thousands of weak edges (a graphical lasso chosen by cross-validation
 * keeps many); laid out with all of them, every neuron is pulled to every other and the picture is a
 * hairball in the middle of the panel. So the layout, and the edges shown at first, are the
 * `edgeBudget(n)` strongest: enough for the communities to show, few enough to read. A neuron with none
 * of them is not pushed to the rim by the repulsion: it sits in a row under the graph, grouped by
 * community, with a line that says why it is there.
 */
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY } from "d3-force";
import type { SimulationLinkDatum, SimulationNodeDatum } from "d3-force";

import { unionEdges } from "./data";
import type { GraphEdge, GraphNode, Norm } from "./data";

/** Force-layout ticks, run synchronously (d3-force's default cooling: alpha 1 -> 0.001 in 300 ticks). */
export const LAYOUT_TICKS = 300;

/** Space between the graph and the panel's edge, px. */
const PAD = 6;
/** Height of the line over the grid of neurons without edges, px. */
const BAND_LABEL = 20;

export interface NodePos {
  x: number;
  y: number;
  r: number;
}

/** The grid under the graph: the neurons none of the layout's edges touch. */
export interface IsolatedBand {
  /** Top of the band (its label line), px. */
  y: number;
  height: number;
  /** Node ids in the grid, in reading order. */
  ids: string[];
  /** The |weight| the layout's edges were chosen by (the band's neurons have no edge this strong); 0: every edge. */
  minWeight: number;
}

export interface GraphLayout {
  width: number;
  /** The whole drawing: the graph and, under it, the band. */
  height: number;
  pos: Map<string, NodePos>;
  rMax: number;
  /** Keys of the edges the layout pulled along. */
  edgeKeys: Set<string>;
  band: IsolatedBand | null;
}

interface SimNode extends SimulationNodeDatum {
  id: string;
  r: number;
  tx: number;
  ty: number;
}

/** Height of the graph for n neurons: grows like √n, 320–620 px. */
export function graphHeight(n: number): number {
  return Math.max(320, Math.min(620, Math.round(44 * Math.sqrt(Math.max(1, n)))));
}

/** Largest node radius for n neurons (smaller dots when there are many). */
export function maxRadius(n: number): number {
  return n <= 40 ? 12 : n <= 100 ? 9 : n <= 180 ? 7 : 6;
}

/** How many edges are laid out and shown at first for n neurons: 2.5 per neuron, 40–300. */
export function edgeBudget(n: number): number {
  return Math.max(40, Math.min(300, Math.round(2.5 * n)));
}

/**
 * The |weight| of the `budget`-th strongest edge: a threshold that shows the `budget` strongest
 * (ties included); 0 when there are no more edges than that.
 */
export function strongestThreshold(edges: readonly GraphEdge[], budget: number): number {
  if (edges.length <= budget) return 0;
  const a = edges.map((e) => Math.abs(e.weight)).sort((x, y) => y - x);
  return a[Math.max(0, budget - 1)];
}

/**
 * The edges the layout pulls along by default: the strongest of every edge set (so positions stay put
 * when the set changes), none below the host's threshold (so that, for a single graph, they are the
 * edges shown at first).
 */
export function defaultLayoutEdges(d: Norm): LayoutEdges {
  const all = unionEdges(d);
  const floor = Number.isFinite(d.threshold) ? Math.max(0, d.threshold) : 0;
  const t = Math.max(floor, strongestThreshold(all, edgeBudget(d.nodes.length)));
  return chooseEdges(all, t);
}

/** The edges of `edges` with |weight| ≥ `t`; the minimum weight is 0 when that leaves none out. */
export function chooseEdges(edges: readonly GraphEdge[], t: number): LayoutEdges {
  const kept = edges.filter((e) => Math.abs(e.weight) >= t);
  return { edges: kept, minWeight: kept.length < edges.length ? t : 0 };
}

/** The edges a layout pulls along, and the |weight| they were chosen by (0: every edge). */
export interface LayoutEdges {
  edges: GraphEdge[];
  minWeight: number;
}

/** Community order for the grid and the centres: biggest first, then by id; no community last. */
function byCommunity(size: Map<number, number>) {
  return (a: GraphNode, b: GraphNode) => {
    const ca = a.community;
    const cb = b.community;
    if (ca !== cb) {
      if (ca === null) return 1;
      if (cb === null) return -1;
      return (size.get(cb) ?? 0) - (size.get(ca) ?? 0) || ca - cb;
    }
    return a.neuron - b.neuron;
  };
}

/**
 * Node positions: the neurons that `links` touch by a deterministic force layout in a `width` ×
 * `height` box (fixed start positions, `LAYOUT_TICKS` synchronous ticks, forceX/forceY towards their
 * community's centre, kept inside the box every tick); the others in a grid under it (the drawing is
 * then taller than `height`). `chosen` defaults to `defaultLayoutEdges(d)`.
 */
export function layoutGraph(d: Norm, width: number, height: number, chosen: LayoutEdges = defaultLayoutEdges(d)): GraphLayout {
  const links = chosen.edges;
  const minWeight = chosen.minWeight;
  const n = d.nodes.length;
  const rMax = maxRadius(n);
  const rMin = Math.max(2.5, rMax * 0.38);
  const maxStrength = Math.max(1e-12, ...d.nodes.map((v) => (Number.isFinite(v.strength) ? v.strength : 0)));
  const radius = (v: GraphNode) => rMin + (rMax - rMin) * Math.sqrt(Number.isFinite(v.strength) ? Math.max(0, v.strength) / maxStrength : 0);

  const usable = links.filter((e) => d.byId.has(e.source) && d.byId.has(e.target));
  const degree = new Map<string, number>();
  for (const e of usable) for (const id of [e.source, e.target]) degree.set(id, (degree.get(id) ?? 0) + 1);
  const maxW = Math.max(1e-12, ...usable.map((e) => Math.abs(e.weight)));

  const size = new Map<number, number>();
  for (const v of d.nodes) if (v.community !== null) size.set(v.community, (size.get(v.community) ?? 0) + 1);
  const order = byCommunity(size);
  const linked = d.nodes.filter((v) => degree.has(v.id));
  const alone = d.nodes.filter((v) => !degree.has(v.id)).sort(order);

  const pos = new Map<string, NodePos>();
  const graphH = linked.length > 0 ? height : 0;

  // ---------------------------------------------------------------- the grid of neurons without edges
  let band: IsolatedBand | null = null;
  if (alone.length > 0) {
    const cell = Math.max(2 * rMax + 6, 16);
    const cols = Math.max(1, Math.floor((width - 2 * PAD) / cell));
    const rows = Math.ceil(alone.length / cols);
    const top = graphH;
    const label = linked.length > 0 ? BAND_LABEL : 0;
    const inRow = Math.min(cols, alone.length);
    const x0 = (width - inRow * cell) / 2 + cell / 2;
    alone.forEach((v, k) => {
      const row = Math.floor(k / cols);
      const col = k % cols;
      pos.set(v.id, { x: x0 + col * cell, y: top + label + row * cell + cell / 2, r: radius(v) });
    });
    band = { y: top, height: label + rows * cell + PAD, ids: alone.map((v) => v.id), minWeight };
  }

  // ---------------------------------------------------------------- the force layout of the others
  if (linked.length > 0) {
    const cx = width / 2;
    const cy = graphH / 2;
    // community centres on a grid over the whole box, as many columns as its shape asks (biggest
    // community first, row by row, a short last row centred); a neuron alone in its community (or in
    // none) is pulled to the middle
    const linkedSize = new Map<number, number>();
    for (const v of linked) if (v.community !== null) linkedSize.set(v.community, (linkedSize.get(v.community) ?? 0) + 1);
    const groups = [...linkedSize.entries()].filter(([, s]) => s >= 2).sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([c]) => c);
    const centre = new Map<number, [number, number]>();
    const k = groups.length;
    const cols = Math.max(1, Math.min(k, Math.round(Math.sqrt((k * width) / Math.max(1, graphH)))));
    const rows = Math.ceil(k / cols);
    groups.forEach((c, i) => {
      const row = Math.floor(i / cols);
      const inRow = row === rows - 1 ? k - row * cols : cols;
      const col = i % cols;
      centre.set(c, [width * ((col + 0.5 + (cols - inRow) / 2) / cols), graphH * ((row + 0.5) / rows)]);
    });

    // start: a sunflower around each centre
    const seen = new Map<number, number>();
    const golden = Math.PI * (3 - Math.sqrt(5));
    const spacing = Math.sqrt((width * graphH * 0.5) / linked.length);
    const sim: SimNode[] = linked.map((v, i) => {
      const c = v.community !== null ? centre.get(v.community) : undefined;
      const [gx, gy] = c ?? [cx, cy];
      const key = c ? v.community! : -1;
      const k = seen.get(key) ?? 0;
      seen.set(key, k + 1);
      const rr = 0.5 * spacing * Math.sqrt(k + 0.5);
      return { id: v.id, r: radius(v), x: gx + rr * Math.cos(k * golden), y: gy + rr * Math.sin(k * golden), tx: gx, ty: gy, index: i };
    });

    type L = SimulationLinkDatum<SimNode> & { w: number; across: boolean };
    const communityOf = (id: string) => d.byId.get(id)?.community ?? null;
    const simLinks: L[] = usable.map((e) => {
      const a = communityOf(e.source);
      return { source: e.source, target: e.target, w: Math.abs(e.weight) / maxW, across: a === null || a !== communityOf(e.target) };
    });
    const deg = (s: SimNode | string | number) => degree.get(typeof s === "object" ? s.id : String(s)) ?? 1;
    const simulation = forceSimulation<SimNode>(sim)
      .force(
        "link",
        forceLink<SimNode, L>(simLinks)
          .id((s) => s.id)
          // strong edges pull their neurons closer
          .distance((l) => Math.max(12, spacing * (1 - 0.45 * l.w)))
          // edges between communities pull less: the communities stay apart instead of folding into one ball
          .strength((l) => ((l.across ? 0.3 : 1) * (0.2 + 0.8 * l.w)) / Math.min(deg(l.source), deg(l.target))),
      )
      .force("charge", forceManyBody<SimNode>().strength(-Math.max(10, Math.min(80, spacing * 1.1))).distanceMax(spacing * 5))
      // towards the community's centre: communities apart, the whole box used, nobody pushed out
      .force("x", forceX<SimNode>((s) => s.tx).strength(0.12))
      .force("y", forceY<SimNode>((s) => s.ty).strength(0.12))
      .force("collide", forceCollide<SimNode>((s) => s.r + 2.5))
      .stop();
    for (let t = 0; t < LAYOUT_TICKS; t++) {
      simulation.tick();
      for (const s of sim) {
        s.x = Math.min(width - s.r - PAD, Math.max(s.r + PAD, s.x ?? cx));
        s.y = Math.min(graphH - s.r - PAD, Math.max(s.r + PAD, s.y ?? cy));
      }
    }
    for (const s of sim) pos.set(s.id, { x: s.x ?? cx, y: s.y ?? cy, r: s.r });
  }

  const total = graphH + (band ? band.height : 0);
  return { width, height: Math.max(total, 2 * rMax + 2 * PAD), pos, rMax, edgeKeys: new Set(usable.map((e) => e.key)), band };
}

/** Stroke width and opacity of an edge of |weight| `a` out of a largest `amax`. */
export function edgeStyle(a: number, amax: number): { width: number; opacity: number } {
  const t = amax > 0 && Number.isFinite(a) ? Math.min(1, Math.max(0, a / amax)) : 0;
  return { width: 0.7 + 4.3 * t, opacity: 0.28 + 0.6 * t };
}
