/** The neuron graph's data: nodes, edges and edge sets normalized; a selection's top inputs; colours and names. */
import { arr, int, num, obj, str } from "../../shared/data";
import { formatSigned, withMinus } from "../../shared/format";
import { NEUTRAL, categoryColor } from "../../shared/palette";

/** An edge as the host sends it; a difference edge may say which topic's partial correlation is higher. */
export interface EdgeData {
  source: string;
  target: string;
  weight: number;
  stability?: number | null;
  higher?: string | null;
  lower?: string | null;
  /** The partial correlation in each topic. */
  weights?: Record<string, number> | null;
}

/** What an edge set's weight is and what its blue (positive) and red (negative) edges mean. */
export interface EdgeSetInfoData {
  weight?: string;
  positive?: string;
  negative?: string | null;
}

export interface NeuronGraphData {
  title?: string;
  caption?: string;
  nodes?: { id: string; neuron: number; label?: string; community?: number | null; degree?: number; strength?: number; hub?: boolean; variance?: number; members?: number[] }[];
  edges?: EdgeData[];
  edge_sets?: Record<string, EdgeData[]> | null;
  edge_set?: string | null;
  /** Per edge set (or "" for `edges`): the legend's words for it. */
  edge_set_info?: Record<string, EdgeSetInfoData> | null;
  /** The least |weight| shown at first (the view raises it to show the strongest edges only). */
  threshold?: number;
  actions?: string[];
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
  /** A difference edge: the topic whose partial correlation is higher, and the one where it is lower. */
  higher: string | null;
  lower: string | null;
  /** A difference edge: the partial correlation in each topic (empty otherwise). */
  weights: [string, number][];
}

/** The legend's words for an edge set: what its weight is, what blue and red mean (null: no red edges). */
export interface EdgeSetInfo {
  weight: string;
  positive: string;
  negative: string | null;
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
  /** The legend's words per edge set ("" for the plain `edges`), as the host sent them. */
  edgeSetInfo: Map<string, EdgeSetInfo>;
  threshold: number; // NaN when absent
  actions: string[];
}

export const NO_NODES_TEXT = "the graph has no neurons";
export const SELECT_HINT_TEXT = "click a neuron to see the inputs that activate it most";
export const NO_INPUTS_TEXT = "no inputs were sent for this neuron";
export const DEFAULT_WIDTH = 760;
/** Below this container width the side panel goes under the graph. */
export const SIDE_BY_SIDE_MIN = 640;
/** Edge colours: positive blue, negative red (the ends of RdBu). */
export const POSITIVE = "#2166ac";
export const NEGATIVE = "#b2182b";
const MAX_NODES = 2000;
const MAX_EDGES = 20000;
const MAX_INPUTS = 200;

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
    const weights = Object.entries(obj(o.weights))
      .map(([t, w]): [string, number] => [t, num(w)])
      .filter(([, w]) => Number.isFinite(w));
    out.push({ key, source, target, weight, stability: num(o.stability), higher: str(o.higher) || null, lower: str(o.lower) || null, weights });
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

  const edgeSetInfo = new Map<string, EdgeSetInfo>();
  for (const [name, raw] of Object.entries(obj(d.edge_set_info))) {
    const o = obj(raw);
    const positive = str(o.positive).trim();
    if (!positive) continue;
    edgeSetInfo.set(name, { weight: str(o.weight).trim() || weightName(name), positive, negative: str(o.negative).trim() || null });
  }

  return {
    title: str(d.title),
    caption: str(d.caption),
    nodes,
    byId,
    byNeuron,
    edges: edgeList(d.edges, byId),
    edgeSets,
    edgeSet,
    edgeSetInfo,
    threshold: num(d.threshold),
    actions: arr(d.actions)
      .map((a) => str(a).trim())
      .filter((a) => a !== ""),
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

/**
 * The legend's words for the edge set `name` (null: the plain edges): the host's, or for a host that
 * sends none, what a partial correlation's sign means (a difference's sign is then only "positive").
 */
export function edgeSetInfo(d: Norm, name: string | null): EdgeSetInfo {
  const given = d.edgeSetInfo.get(name ?? "");
  if (given) return given;
  const wname = weightName(name);
  if (wname === "difference") return { weight: "difference", positive: "positive difference", negative: "negative difference" };
  return { weight: wname, positive: "positive partial correlation", negative: "negative partial correlation" };
}

/**
 * What an edge is, for its tooltip: "#10 — #17: partial correlation +0.31", and for a difference
 * edge the topics compared ("higher for cooking (+0.35) than for finance (+0.04)").
 */
export function edgeText(d: Norm, e: GraphEdge, info: EdgeSetInfo): string {
  const ends = `${d.byId.get(e.source)?.label ?? e.source} — ${d.byId.get(e.target)?.label ?? e.target}`;
  const parts = [`${ends}: ${info.weight} ${signedText(e.weight)}`];
  if (e.higher && e.lower) {
    const rho = new Map(e.weights);
    const at = (t: string) => (rho.has(t) ? ` (${signedText(rho.get(t)!)})` : "");
    parts.push(`partial correlation higher for ${e.higher}${at(e.higher)} than for ${e.lower}${at(e.lower)}`);
  }
  return parts.join(" · ");
}

/** "+0.31" / "−0.31". */
export const signedText = (v: number) => withMinus(formatSigned(v));

/** The top inputs in a selection's details (`top_inputs`), at most a few hundred. */
export function topInputsOf(details: Record<string, unknown>): TopInput[] {
  return arr(details.top_inputs)
    .slice(0, MAX_INPUTS)
    .map((t) => {
      const o = obj(t);
      return { label: str(o.label), activation: num(o.activation), topic: str(o.topic).trim() || null };
    });
}
