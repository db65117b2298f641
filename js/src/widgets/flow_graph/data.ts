/** The flow-graph explorer's data: the flow graph normalized, paths through it and a path's statistics. */
import { arr, int, num, obj, str } from "../../shared/data";

export const COEFFICIENTS = ["confidence", "certainty", "covering", "strength"] as const;
export type Coefficient = (typeof COEFFICIENTS)[number];

export const COEFFICIENT_HELP: Record<Coefficient, string> = {
  confidence: "harmonic mean of certainty and covering",
  certainty: "share of this node's samples that go on to the next node, s/|n|",
  covering: "share of the next node's samples that came from this node, s/|n′|",
  strength: "share of all samples that take this edge, s/N",
};

export interface FlowData {
  title?: string;
  caption?: string;
  columns?: string[];
  nodes?: {
    id: string;
    column: string;
    column_index?: number;
    cluster: number | string;
    label?: string;
    support: number;
    share?: number;
    thumbnail?: number[][] | null;
    histogram?: { edges: number[]; counts: number[] } | null;
  }[];
  edges?: { source: string; target: string; count: number; strength: number; certainty: number; covering: number; confidence: number }[];
  best_paths?: { class: string; nodes: string[]; fitness: number; certainty?: number; coverage?: number; strength?: number }[];
  coefficient?: Coefficient;
  threshold?: number;
}

export interface FlowNode {
  id: string;
  column: string;
  col: number;
  cluster: string;
  label: string;
  support: number;
  share: number;
  thumbnail: number[][] | null;
  histogram: { edges: number[] | null; counts: number[] } | null;
  isClass: boolean;
}

export interface FlowEdge {
  key: string;
  source: string;
  target: string;
  count: number;
  strength: number;
  certainty: number;
  covering: number;
  confidence: number;
}

export interface BestPath {
  cls: string;
  nodes: string[];
  fitness: number;
  certainty: number;
  coverage: number;
  strength: number;
}

export interface PathStats {
  certainty: number;
  coverage: number;
  strength: number;
  complete: boolean | null;
}

/** Normalised, defensive view of `_data`. */
export interface Norm {
  title: string;
  caption: string;
  columns: string[];
  nodes: FlowNode[];
  byId: Map<string, FlowNode>;
  edges: FlowEdge[];
  edgeByKey: Map<string, FlowEdge>;
  /** One best path per class (the fittest), in class-column order. */
  bestPaths: BestPath[];
  coefficient: Coefficient | null;
  threshold: number; // NaN when absent
}

export const NO_NODES_TEXT = "the flow graph has no nodes";
export const EMPTY_PATH_TEXT = "click a node to start a path, then a node in the next column (dashed ring) to extend it · Esc clears";
export const PENDING_TEXT = "computing the path's coefficients…";
export const DEFAULT_WIDTH = 760;
export const DEFAULT_COEFFICIENT: Coefficient = "confidence";
/** Columns never come closer than this; a narrower container scrolls sideways. */
export const MIN_COL_SPACING = 46;
/** Node labels are drawn only when the vertical pitch leaves room for a line of text. */
export const MIN_LABEL_PITCH = 10;
const MAX_COLUMNS = 64;
const MAX_NODES = 4000;
const MAX_EDGES = 40000;
const MAX_THUMB = 64;
const MAX_BINS = 200;

export const edgeKey = (source: string, target: string) => `${source}\u0000${target}`;

/** Compare cluster values naturally: numbers numerically, then strings. */
export function naturalCompare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  const fa = a.trim() !== "" && Number.isFinite(na);
  const fb = b.trim() !== "" && Number.isFinite(nb);
  if (fa && fb) return na - nb;
  if (fa !== fb) return fa ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function thumbnail(v: unknown): number[][] | null {
  const rows = arr(v).slice(0, MAX_THUMB).map((r) => arr(r).slice(0, MAX_THUMB).map(num));
  const w = Math.max(0, ...rows.map((r) => r.length));
  if (rows.length === 0 || w === 0) return null;
  return rows.map((r) => Array.from({ length: w }, (_, i) => (i < r.length ? r[i] : NaN)));
}

function histogram(v: unknown): FlowNode["histogram"] {
  if (!v || typeof v !== "object") return null;
  const o = obj(v);
  const counts = arr(o.counts).slice(0, MAX_BINS).map((c) => Math.max(0, num(c) || 0));
  if (counts.length === 0) return null;
  const edges = arr(o.edges).map(num);
  return { counts, edges: edges.length === counts.length + 1 && edges.every(Number.isFinite) ? edges : null };
}

export function coefficientOf(v: unknown): Coefficient | null {
  const s = str(v).trim().toLowerCase();
  if (s === "coverage") return "covering";
  return (COEFFICIENTS as readonly string[]).includes(s) ? (s as Coefficient) : null;
}

export function normalize(raw: unknown): Norm | null {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return null;
  const d = raw as Record<string, unknown>;
  let columns = [...new Set(arr(d.columns).map((c) => str(c)).filter((c) => c !== ""))].slice(0, MAX_COLUMNS);

  // nodes: unique ids; the column by name, else by index
  const rawNodes: { o: Record<string, unknown>; id: string; column: string; ci: number }[] = [];
  const seen = new Set<string>();
  for (const n of arr(d.nodes)) {
    const o = obj(n);
    const id = str(o.id);
    if (id === "" || seen.has(id)) continue;
    seen.add(id);
    rawNodes.push({ o, id, column: str(o.column), ci: int(o.column_index, -1) });
    if (rawNodes.length >= MAX_NODES) break;
  }
  if (columns.length === 0) {
    // no column list: order the columns by column_index, then by first appearance
    const first = new Map<string, number>();
    rawNodes.forEach((n, i) => {
      const name = n.column || (n.ci >= 0 ? `column ${n.ci}` : "");
      if (name && !first.has(name)) first.set(name, (n.ci >= 0 ? n.ci : 1e6) * 1e6 + i);
    });
    columns = [...first.keys()].sort((a, b) => first.get(a)! - first.get(b)!).slice(0, MAX_COLUMNS);
  }
  const colIndex = new Map(columns.map((c, i) => [c, i]));
  const last = columns.length - 1;

  const nodes: FlowNode[] = [];
  for (const { o, id, column, ci } of rawNodes) {
    let col = colIndex.get(column || (ci >= 0 ? `column ${ci}` : "")) ?? -1;
    if (col < 0 && !column && ci >= 0 && ci < columns.length) col = ci;
    if (col < 0) continue;
    const cluster = str(o.cluster, id.includes(":") ? id.slice(id.lastIndexOf(":") + 1) : id);
    nodes.push({
      id,
      column: columns[col],
      col,
      cluster,
      label: str(o.label) || `${columns[col]} #${cluster}`,
      support: Math.max(0, num(o.support) || 0),
      share: num(o.share),
      thumbnail: thumbnail(o.thumbnail),
      histogram: histogram(o.histogram),
      isClass: col === last && columns.length > 1,
    });
  }
  // share: given, else support over the samples of the biggest column
  const colTotals = new Array<number>(columns.length).fill(0);
  for (const n of nodes) colTotals[n.col] += n.support;
  const total = Math.max(0, ...colTotals);
  for (const n of nodes) if (!Number.isFinite(n.share)) n.share = total > 0 ? n.support / total : 0;
  const byId = new Map(nodes.map((n) => [n.id, n]));

  const edges: FlowEdge[] = [];
  const edgeByKey = new Map<string, FlowEdge>();
  for (const e of arr(d.edges)) {
    const o = obj(e);
    const source = str(o.source);
    const target = str(o.target);
    const a = byId.get(source);
    const b = byId.get(target);
    if (!a || !b || b.col !== a.col + 1) continue;
    const key = edgeKey(source, target);
    if (edgeByKey.has(key)) continue;
    const fe: FlowEdge = {
      key,
      source,
      target,
      count: Math.max(0, num(o.count) || 0),
      strength: num(o.strength),
      certainty: num(o.certainty),
      covering: num(o.covering ?? o.coverage),
      confidence: num(o.confidence),
    };
    edges.push(fe);
    edgeByKey.set(key, fe);
    if (edges.length >= MAX_EDGES) break;
  }

  // best paths: the fittest per class, in the order of the class nodes
  const best = new Map<string, BestPath>();
  for (const p of arr(d.best_paths)) {
    const o = obj(p);
    const ids = arr(o.nodes).map((x) => str(x)).filter((x) => byId.has(x));
    if (ids.length < 2) continue;
    const lastNode = byId.get(ids[ids.length - 1])!;
    const cls = str(o.class, lastNode.isClass ? lastNode.cluster : "");
    const bp: BestPath = { cls, nodes: ids, fitness: num(o.fitness), certainty: num(o.certainty), coverage: num(o.coverage), strength: num(o.strength) };
    const old = best.get(cls);
    if (!old || (Number.isFinite(bp.fitness) && !(old.fitness >= bp.fitness))) best.set(cls, bp);
  }
  const classOrder = new Map(
    nodes
      .filter((n) => n.isClass)
      .sort((a, b) => naturalCompare(a.cluster, b.cluster))
      .map((n, i) => [n.cluster, i]),
  );
  const bestPaths = [...best.values()].sort(
    (a, b) => (classOrder.get(a.cls) ?? 1e9) - (classOrder.get(b.cls) ?? 1e9) || naturalCompare(a.cls, b.cls),
  );

  return {
    title: str(d.title),
    caption: str(d.caption),
    columns,
    nodes,
    byId,
    edges,
    edgeByKey,
    bestPaths,
    coefficient: coefficientOf(d.coefficient),
    threshold: num(d.threshold),
  };
}

/**
 * The longest prefix of `ids` that is a path: known nodes in consecutive columns (and, when
 * `needEdges`, joined by edges).
 */
export function validPath(byId: Map<string, FlowNode>, edgeByKey: Map<string, FlowEdge>, ids: readonly string[], needEdges = true): string[] {
  const out: string[] = [];
  for (const id of ids) {
    const n = byId.get(id);
    if (!n) break;
    if (out.length > 0) {
      const prev = byId.get(out[out.length - 1])!;
      if (n.col !== prev.col + 1 || (needEdges && !edgeByKey.has(edgeKey(prev.id, id)))) break;
    }
    out.push(id);
  }
  return out;
}

/**
 * The path after clicking node `id`: clicking the last node removes it; a node in the next
 * column joined to the last node by an edge is appended; any other node starts a new path.
 */
export function nextPath(d: Pick<Norm, "byId" | "edgeByKey">, path: readonly string[], id: string): string[] {
  const n = d.byId.get(id);
  if (!n) return [...path];
  const lastId = path.length > 0 ? path[path.length - 1] : null;
  if (lastId === id) return path.slice(0, -1);
  const last = lastId ? d.byId.get(lastId) : undefined;
  if (last && n.col === last.col + 1 && d.edgeByKey.has(edgeKey(last.id, id))) return [...path, id];
  return [id];
}

/** Value of an edge for a coefficient (0 when missing). */
export function edgeValue(e: FlowEdge, c: Coefficient): number {
  const v = e[c];
  return Number.isFinite(v) ? v : 0;
}
/** A path read from its wire form: node ids (anything else becomes its string). */
export function pathValue(wire: unknown): string[] {
  return arr(wire).map((x) => str(x));
}

/** The statistics of the selected path in a selection's details (`path_stats`), or null. */
export function pathStatsOf(details: Record<string, unknown>): PathStats | null {
  if (!details.path_stats || typeof details.path_stats !== "object") return null;
  const s = obj(details.path_stats);
  return {
    certainty: num(s.certainty),
    coverage: num(s.coverage ?? s.covering),
    strength: num(s.strength),
    complete: typeof s.complete === "boolean" ? s.complete : null,
  };
}
