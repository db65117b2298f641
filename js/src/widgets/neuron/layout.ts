/** The neuron graph's layout: a deterministic force layout (d3-force) run synchronously. */
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY } from "d3-force";
import type { SimulationLinkDatum, SimulationNodeDatum } from "d3-force";

import { unionEdges } from "./data";
import type { GraphNode, Norm } from "./data";

/** Force-layout ticks, run synchronously (d3-force's default cooling: alpha 1 -> 0.001 in 300 ticks). */
export const LAYOUT_TICKS = 300;

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
