/**
 * GlassBox flow-graph explorer (anywidget ESM module): the rough-set flow graph of a
 * readable twin (HuReTEx) — one column per layer, left to right, the predicted class last.
 *
 * Nodes are activation clusters, their area proportional to the share of samples; edges
 * join clusters of consecutive layers, their width and opacity following the chosen
 * Pawlak coefficient (certainty, strength, covering or confidence), with a threshold
 * slider hiding the weak ones. The best path of every class is drawn in that class's
 * colour. Clicking nodes builds a path (the next node must be in the next column and
 * joined by an edge; anything else starts a new path; clicking the last node again
 * removes it; Escape clears it); the path goes to Python, which sends its certainty,
 * coverage and strength back. Hovering (or focusing) a node shows the mean input of its
 * samples and their activation-norm histogram.
 *
 * Synced traits:
 *   _data  (read)        see FlowData below
 *   _path  (read/write)  node ids of the path being built (+ save_changes on every click)
 *
 * The coefficient, the threshold and the best-path class picker are view state of the
 * browser (no round trip); `_data.coefficient` / `_data.threshold` only set them initially
 * (and again when Python sends different values).
 */
import { appendSvg } from "../shared/axes";
import type { G } from "../shared/axes";
import { arr, int, num, obj, str } from "../shared/data";
import { delegate, delegateActivate, delegateHover, disposer, guardedDraw, h, headerBar, liveRegion, observeWidth, optionEl, setCaption, showMessage } from "../shared/dom";
import { formatNumber, formatPercent } from "../shared/format";
import { onChange } from "../shared/model";
import type { AnyModel, RenderContext } from "../shared/model";
import { categoryColor } from "../shared/palette";
import { fitText, textWidth } from "../shared/text";

// ---------------------------------------------------------------------------------------- data

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
  selected_path?: string[];
  path_stats?: { certainty: number; coverage: number; strength: number; complete: boolean } | null;
  error?: string | null;
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
  selectedPath: string[];
  pathStats: PathStats | null;
  error: string;
}

export const NO_DATA_TEXT = "no data to show yet";
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

function coefficientOf(v: unknown): Coefficient | null {
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

  let pathStats: PathStats | null = null;
  if (d.path_stats && typeof d.path_stats === "object") {
    const s = obj(d.path_stats);
    pathStats = {
      certainty: num(s.certainty),
      coverage: num(s.coverage ?? s.covering),
      strength: num(s.strength),
      complete: typeof s.complete === "boolean" ? s.complete : null,
    };
  }

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
    selectedPath: validPath(byId, edgeByKey, arr(d.selected_path).map((x) => str(x)), false),
    pathStats,
    error: str(d.error).trim(),
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

const sameList = (a: readonly string[] | null, b: readonly string[] | null) =>
  !!a && !!b && a.length === b.length && a.every((x, i) => x === b[i]);

/** Value of an edge for a coefficient (0 when missing). */
export function edgeValue(e: FlowEdge, c: Coefficient): number {
  const v = e[c];
  return Number.isFinite(v) ? v : 0;
}

// -------------------------------------------------------------------------------------- layout

export { fitText, textWidth };

/**
 * Order the nodes of every column to reduce edge crossings: a few barycentre sweeps
 * (weights = edge counts), the class column kept in class order. Deterministic.
 */
export function orderColumns(d: Pick<Norm, "columns" | "nodes" | "edges">): FlowNode[][] {
  const cols: FlowNode[][] = d.columns.map(() => []);
  for (const n of d.nodes) cols[n.col].push(n);
  for (const c of cols) c.sort((a, b) => naturalCompare(a.cluster, b.cluster) || (a.id < b.id ? -1 : 1));
  const nC = cols.length;
  if (nC < 2) return cols;
  const out = new Map<string, [string, number][]>();
  const inc = new Map<string, [string, number][]>();
  for (const e of d.edges) {
    const w = Math.max(e.count, 1e-9);
    (out.get(e.source) ?? out.set(e.source, []).get(e.source)!).push([e.target, w]);
    (inc.get(e.target) ?? inc.set(e.target, []).get(e.target)!).push([e.source, w]);
  }
  const pos = new Map<string, number>();
  const setPos = (c: FlowNode[]) => c.forEach((n, i) => pos.set(n.id, c.length > 1 ? i / (c.length - 1) : 0.5));
  cols.forEach(setPos);
  const sweep = (c: number, nb: Map<string, [string, number][]>) => {
    const bary = new Map<string, number>();
    for (const n of cols[c]) {
      let s = 0;
      let w = 0;
      for (const [m, wt] of nb.get(n.id) ?? []) {
        s += wt * (pos.get(m) ?? 0.5);
        w += wt;
      }
      bary.set(n.id, w > 0 ? s / w : pos.get(n.id)!);
    }
    const before = new Map(cols[c].map((n, i) => [n.id, i]));
    cols[c].sort((a, b) => bary.get(a.id)! - bary.get(b.id)! || before.get(a.id)! - before.get(b.id)!);
    setPos(cols[c]);
  };
  const fixedLast = cols[nC - 1].some((n) => n.isClass);
  const lastFree = fixedLast ? nC - 2 : nC - 1;
  for (let it = 0; it < 3; it++) {
    for (let c = lastFree; c >= 0; c--) if (c + 1 < nC) sweep(c, out);
    for (let c = 1; c <= lastFree; c++) sweep(c, inc);
  }
  for (let c = lastFree; c >= 0; c--) if (c + 1 < nC) sweep(c, out);
  return cols;
}

export interface NodePos {
  x: number;
  y: number;
  r: number;
  /** Radius of the (invisible) click target: at least 9 px, never into the neighbours'. */
  hit: number;
}

export interface Layout {
  width: number;
  height: number;
  top: number;
  innerHeight: number;
  xs: number[];
  colSpacing: number;
  pos: Map<string, NodePos>;
  cols: FlowNode[][];
  rMax: number;
  fontSize: number;
  showLabels: boolean;
  /** Text of every node label ("" = none) after fitting. */
  labels: Map<string, string>;
  headers: { text: string; full: string; x: number; y: number }[];
}

/** Vertical distance between node centres in the busiest column. */
function pitchFor(maxN: number): number {
  return maxN <= 5 ? 48 : maxN <= 10 ? 34 : maxN <= 24 ? 24 : 14;
}

export function layout(d: Norm, availWidth: number): Layout {
  const cols = orderColumns(d);
  const nC = cols.length;
  const maxN = Math.max(1, ...cols.map((c) => c.length));
  const innerHeight = Math.max(200, maxN * pitchFor(maxN));
  const pitch = innerHeight / maxN;
  const fontSize = Math.max(8, Math.min(11, Math.floor(pitch * 0.5)));
  const showLabels = pitch >= MIN_LABEL_PITCH;
  const rPitch = Math.max(2, Math.min(16, pitch / 2 - 1.5));

  // margins: the first column's labels on the left, class names on the right
  // a node is labelled by its cluster value (the class name in the class column); the full label is in its tooltip
  const nodeText = (n: FlowNode) => n.cluster;
  const firstW = showLabels && nC > 0 ? Math.min(44, Math.max(0, ...cols[0].map((n) => textWidth(nodeText(n), fontSize)))) : 0;
  const classW = showLabels && nC > 1 && cols[nC - 1].some((n) => n.isClass) ? Math.min(110, Math.max(0, ...cols[nC - 1].map((n) => textWidth(nodeText(n), fontSize)))) : 0;
  const left = Math.ceil(Math.max(16, rPitch + 6 + firstW + 2));
  const right = Math.ceil(Math.max(16, rPitch + 6 + classW + 4));
  let width = Math.max(200, Math.round(availWidth));
  let colSpacing = nC > 1 ? (width - left - right) / (nC - 1) : 0;
  if (nC > 1 && colSpacing < MIN_COL_SPACING) {
    colSpacing = MIN_COL_SPACING;
    width = Math.ceil(left + right + colSpacing * (nC - 1));
  }
  const xs = cols.map((_, i) => (nC > 1 ? left + i * colSpacing : width / 2));
  const rMax = Math.max(2, Math.min(rPitch, nC > 1 ? colSpacing * 0.2 : rPitch));
  const rMin = Math.min(2.5, rMax);
  const maxShare = Math.max(1e-12, ...d.nodes.map((n) => n.share));

  // column headers: one row, or two staggered rows when a name does not fit between columns
  const headFont = 11;
  const one = nC > 1 ? colSpacing - 8 : width;
  const staggered = nC > 2 && d.columns.some((c) => textWidth(c, headFont) > one);
  const avail = staggered ? 2 * colSpacing - 10 : one;
  const headerRows = staggered ? 2 : 1;
  const top = 14 + headerRows * 15;
  const headers = d.columns.map((c, i) => {
    const text = fitText(c, avail, headFont) || fitText(c, avail + 8, headFont);
    const w = textWidth(text, headFont);
    const x = Math.min(width - w / 2, Math.max(w / 2, xs[i]));
    return { text, full: c, x, y: staggered && i % 2 === 1 ? 27 : 12 };
  });

  const pos = new Map<string, NodePos>();
  const labels = new Map<string, string>();
  // room for a label left of a node: the gap to the previous column's biggest node
  const labelRoom = nC > 1 ? colSpacing - 2 * rMax - 10 : width / 2 - rMax - 6;
  cols.forEach((col, c) => {
    const step = innerHeight / col.length;
    col.forEach((n, j) => {
      const r = Math.max(rMin, rMax * Math.sqrt(Math.max(0, n.share) / maxShare));
      const hit = Math.max(r, Math.min(9, step / 2 - 0.5, nC > 1 ? colSpacing / 2 - 1 : 9));
      pos.set(n.id, { x: xs[c], y: top + (j + 0.5) * step, r, hit });
      let text = "";
      if (showLabels) {
        if (n.isClass) text = fitText(nodeText(n), 110, fontSize);
        else text = fitText(nodeText(n), c === 0 ? Math.max(firstW, left - rMax - 8) : labelRoom, fontSize);
      }
      labels.set(n.id, text);
    });
  });
  const height = top + innerHeight + 8;
  return { width, height, top, innerHeight, xs, colSpacing, pos, cols, rMax, fontSize, showLabels, labels, headers };
}

/** The SVG path of an edge: a horizontal S-curve between two node centres. */
export function edgeD(a: NodePos, b: NodePos): string {
  const mx = (a.x + b.x) / 2;
  const f = (v: number) => v.toFixed(1);
  return `M${f(a.x)},${f(a.y)}C${f(mx)},${f(a.y)} ${f(mx)},${f(b.y)} ${f(b.x)},${f(b.y)}`;
}

/** Stroke width and opacity of an edge whose coefficient is `v` out of a largest `vmax`. */
export function edgeStyle(v: number, vmax: number): { width: number; opacity: number } {
  const t = vmax > 0 && Number.isFinite(v) ? Math.min(1, Math.max(0, v / vmax)) : 0;
  return { width: 0.6 + 5.4 * t, opacity: 0.12 + 0.58 * t };
}

/**
 * Colour of class i of n (see `categoryColor`: Okabe–Ito without black, black being the user's path,
 * for up to 7 classes, Tableau 10 for 8–10, cycling beyond; NEUTRAL for a negative index).
 */
export const pathColor = categoryColor;

const num4 = (v: number) => formatNumber(v);

/** "certainty 0.33 · coverage 0.5 · strength 0.02". */
export function statsText(s: { certainty: number; coverage: number; strength: number }): string {
  return `certainty ${num4(s.certainty)} · coverage ${num4(s.coverage)} · strength ${num4(s.strength)}`;
}

// -------------------------------------------------------------------------------------- render

function render({ model, el }: RenderContext): () => void {
  const root = h("div", "gb-widget gb-flow-graph-explorer");
  root.tabIndex = -1; // receives Escape after a click on the background
  const { header, titleEl, statusEl } = headerBar("gb-flow-header", PENDING_TEXT);

  const empty = h("div", "gb-message gb-empty");
  const body = h("div", "gb-flow-body");

  // controls: coefficient, threshold, best path per class, clear
  const controls = h("div", "gb-flow-controls");
  const coefLabel = h("label", "gb-control", "edges by ");
  const coefSelect = h("select", "gb-coef-select");
  coefSelect.setAttribute("aria-label", "coefficient that sets edge width and opacity");
  for (const c of COEFFICIENTS) {
    const o = optionEl(c, c);
    o.title = COEFFICIENT_HELP[c];
    coefSelect.appendChild(o);
  }
  coefLabel.appendChild(coefSelect);
  const thrLabel = h("label", "gb-control gb-threshold", "hide below ");
  const thrInput = h("input", "gb-threshold-input");
  thrInput.type = "range";
  thrInput.min = "0";
  thrInput.setAttribute("aria-label", "hide edges whose coefficient is below this value");
  const thrValue = h("output", "gb-threshold-value");
  thrLabel.append(thrInput, thrValue);
  const classLabel = h("label", "gb-control", "best path ");
  const classSelect = h("select", "gb-class-select");
  classSelect.setAttribute("aria-label", "class whose best path is highlighted");
  classLabel.appendChild(classSelect);
  const clearBtn = h("button", "gb-clear-path", "clear path");
  clearBtn.type = "button";
  const edgeCount = h("span", "gb-edge-count");
  controls.append(coefLabel, thrLabel, classLabel, clearBtn, edgeCount);

  const stage = h("div", "gb-flow-stage");
  const chartWrap = h("div", "gb-flow-chart");
  const tooltip = h("div", "gb-flow-tooltip");
  tooltip.hidden = true;
  tooltip.setAttribute("role", "tooltip");
  stage.append(chartWrap, tooltip);

  const legend = h("div", "gb-flow-legend");
  const pathPanel = h("div", "gb-flow-path");
  const pathNodes = liveRegion("gb-path-nodes");
  const pathStatsEl = h("div", "gb-path-stats");
  const errorEl = h("div", "gb-flow-error gb-error");
  errorEl.setAttribute("role", "alert");
  pathPanel.append(pathNodes, pathStatsEl, errorEl);
  body.append(controls, stage, legend, pathPanel);

  const captionWrap = h("div", "gb-caption-wrap");
  root.append(header, empty, body, captionWrap);
  el.appendChild(root);

  // ---- state
  let data: Norm | null = null;
  let lay: Layout | null = null;
  let structure = ""; // signature of what the SVG shows: a new one redraws it
  let lastWidth = 0;
  let coef: Coefficient = DEFAULT_COEFFICIENT;
  let threshold = 0;
  let dataCoef: Coefficient | null = null; // the last values Python sent
  let dataThreshold = NaN;
  let classPick = "*"; // "*" all classes, "" none, else a class
  let path: string[] = [];
  let pending = false;
  let hoverId: string | null = null;
  let tabId: string | null = null;
  const vmax: Record<Coefficient, number> = { confidence: 1, certainty: 1, covering: 1, strength: 1 };

  const nodeEls = new Map<string, SVGGElement>();
  const edgeEls = new Map<string, SVGPathElement>();
  const incident = new Map<string, string[]>(); // node id -> edge keys
  let bestLayer: G | null = null;
  let pathLayer: G | null = null;

  const nodeEl = (id: string) => nodeEls.get(id) ?? null;
  const idOf = (t: Element) => t.getAttribute("data-id") ?? "";

  // ---- actions
  function writePath(next: string[]): void {
    path = next;
    pending = true;
    model.set("_path", [...next]);
    model.save_changes();
    updatePathState();
  }

  function clickNode(id: string): void {
    if (!data) return;
    writePath(nextPath(data, path, id));
  }

  function clearPath(): void {
    if (path.length === 0 && !(Array.isArray(model.get("_path")) && model.get("_path").length > 0)) return;
    writePath([]);
  }

  // ---- full render; a failure is shown in place of the widget
  const draw = guardedDraw("flow_graph_explorer", drawAll, empty, body, () => {
    chartWrap.replaceChildren();
    nodeEls.clear();
    edgeEls.clear();
  });

  function signature(raw: unknown): string {
    const o = obj(raw);
    try {
      return JSON.stringify([o.title, o.caption, o.columns, o.nodes, o.edges, o.best_paths, Math.round(el.clientWidth || 0)]);
    } catch {
      return String(Math.random());
    }
  }

  /** A new `_data`: redraw what changed (the SVG only when the graph itself changed). */
  function onData(): void {
    const raw = model.get("_data");
    const sig = signature(raw);
    if (data && lay && sig === structure) {
      const d = normalize(raw);
      if (d) {
        data = d;
        takeDataSettings(d);
        takeDataPath(d);
        titleEl.textContent = d.title;
        titleEl.hidden = !d.title;
        setCaption(captionWrap, null, d.caption);
        updateEdges();
        updatePathState();
        return;
      }
    }
    draw();
  }

  function takeDataSettings(d: Norm): void {
    if (d.coefficient && d.coefficient !== dataCoef) coef = d.coefficient;
    dataCoef = d.coefficient;
    if (Number.isFinite(d.threshold) && d.threshold !== dataThreshold) threshold = Math.max(0, d.threshold);
    dataThreshold = d.threshold;
  }

  /** Python's answer: its selected path wins, unless it is still answering an older click. */
  function takeDataPath(d: Norm): void {
    const trait = model.get("_path");
    const asked = Array.isArray(trait) ? trait.map((x: unknown) => str(x)) : null;
    const answered = !pending || d.error !== "" || asked === null || sameList(asked, d.selectedPath);
    if (answered) {
      pending = false;
      path = d.selectedPath;
    } else {
      path = validPath(d.byId, d.edgeByKey, path, false);
    }
  }

  function drawAll(): void {
    const active = document.activeElement;
    const focusId = active && root.contains(active) && active.classList.contains("gb-flow-node") ? idOf(active) : null;
    const raw = model.get("_data");
    structure = signature(raw);
    const d = normalize(raw);
    data = d;
    titleEl.textContent = d?.title ?? "";
    titleEl.hidden = !d?.title;
    captionWrap.replaceChildren();
    empty.className = "gb-message gb-empty";
    nodeEls.clear();
    edgeEls.clear();
    incident.clear();
    chartWrap.replaceChildren();
    hideTooltip();
    if (!d || d.nodes.length === 0) {
      lay = null;
      showMessage(empty, d ? NO_NODES_TEXT : NO_DATA_TEXT, body);
      if (d) setCaption(captionWrap, null, d.caption);
      pending = false;
      statusEl.hidden = true;
      return;
    }
    showMessage(empty, null, body);
    takeDataSettings(d);
    if (lay === null) path = d.selectedPath; // first draw: Python's selection
    takeDataPath(d);
    for (const c of COEFFICIENTS) vmax[c] = Math.max(0, ...d.edges.map((e) => edgeValue(e, c)));

    const avail = Math.round(el.clientWidth || DEFAULT_WIDTH);
    lastWidth = el.clientWidth;
    lay = layout(d, avail);
    drawGraph(d, lay);
    syncClassSelect(d);
    setCaption(captionWrap, null, d.caption);
    if (!tabId || !d.byId.has(tabId)) tabId = path[0] ?? lay.cols.find((c) => c.length > 0)?.[0]?.id ?? null;
    updateEdges();
    updatePathState();
    if (focusId && nodeEls.has(focusId)) nodeEl(focusId)!.focus({ preventScroll: true });
  }

  function drawGraph(d: Norm, L: Layout): void {
    const svg = appendSvg(
      chartWrap,
      "gb-chart gb-flow-svg",
      L.width,
      L.height,
      "group",
      `flow graph: ${d.columns.length} columns (${d.columns.join(", ")}), ${d.nodes.length} nodes, ${d.edges.length} edges; Enter adds a node to the path, arrow keys move, Escape clears`,
    );
    // column headers and faint column guides
    const guides = svg.append("g").attr("class", "gb-flow-guides").attr("aria-hidden", "true");
    L.xs.forEach((x) => {
      guides.append("line").attr("x1", x).attr("x2", x).attr("y1", L.top - 4).attr("y2", L.top + L.innerHeight + 4);
    });
    const heads = svg.append("g").attr("class", "gb-flow-columns");
    L.headers.forEach((hd, i) => {
      const g = heads.append("g").attr("class", "gb-column-head").attr("data-column", i);
      g.append("title").text(`${hd.full} (${L.cols[i]?.length ?? 0} node${L.cols[i]?.length === 1 ? "" : "s"})`);
      g.append("text")
        .attr("class", "gb-column-label")
        .attr("data-column", i)
        .attr("x", hd.x.toFixed(1))
        .attr("y", hd.y)
        .attr("text-anchor", "middle")
        .text(hd.text);
    });

    // edges, weakest first so that strong ones are on top
    const eg = svg.append("g").attr("class", "gb-flow-edges").attr("aria-hidden", "true");
    const sorted = [...d.edges].sort((a, b) => edgeValue(a, coef) - edgeValue(b, coef));
    for (const e of sorted) {
      const a = L.pos.get(e.source)!;
      const b = L.pos.get(e.target)!;
      const p = eg
        .append("path")
        .attr("class", "gb-flow-edge")
        .attr("data-source", e.source)
        .attr("data-target", e.target)
        .attr("d", edgeD(a, b));
      const na = d.byId.get(e.source)!;
      const nb = d.byId.get(e.target)!;
      p.append("title").text(
        `${na.label} → ${nb.label}: ${formatNumber(e.count)} samples · certainty ${num4(e.certainty)} · covering ${num4(e.covering)} · confidence ${num4(e.confidence)} · strength ${num4(e.strength)}`,
      );
      edgeEls.set(e.key, p.node()!);
      for (const id of [e.source, e.target]) (incident.get(id) ?? incident.set(id, []).get(id)!).push(e.key);
    }

    bestLayer = svg.append("g").attr("class", "gb-best-paths").attr("aria-hidden", "true");
    const classIdx = classIndex(d);
    for (const bp of d.bestPaths) {
      const segs: string[] = [];
      for (let i = 1; i < bp.nodes.length; i++) segs.push(edgeD(L.pos.get(bp.nodes[i - 1])!, L.pos.get(bp.nodes[i])!));
      bestLayer
        .append("path")
        .attr("class", "gb-best-path")
        .attr("data-class", bp.cls)
        .attr("d", segs.join(""))
        .attr("stroke", pathColor(classIdx.get(bp.cls) ?? -1, classIdx.size));
    }
    pathLayer = svg.append("g").attr("class", "gb-user-path").attr("aria-hidden", "true");

    // nodes
    const ng = svg.append("g").attr("class", "gb-flow-nodes");
    L.cols.forEach((col, c) => {
      for (const n of col) {
        const p = L.pos.get(n.id)!;
        const g = ng
          .append("g")
          .attr("class", `gb-flow-node${n.isClass ? " gb-class-node" : ""}`)
          .attr("data-id", n.id)
          .attr("data-column", c)
          .attr("transform", `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`)
          .attr("role", "button")
          .attr("tabindex", -1);
        g.append("circle").attr("class", "gb-node-hit").attr("r", p.hit.toFixed(1));
        g.append("circle").attr("class", "gb-node-ring").attr("r", (p.r + 3).toFixed(1));
        const dot = g.append("circle").attr("class", "gb-node-dot").attr("r", p.r.toFixed(2));
        // a style, not an attribute: the stylesheet's grey would win over a presentation attribute
        if (n.isClass) dot.style("fill", pathColor(classIdx.get(n.cluster) ?? -1, classIdx.size));
        const text = L.labels.get(n.id) ?? "";
        if (text) {
          g.append("text")
            .attr("class", "gb-node-label")
            .attr("x", n.isClass ? (p.r + 5).toFixed(1) : (-p.r - 4).toFixed(1))
            .attr("dy", "0.35em")
            .attr("text-anchor", n.isClass ? "start" : "end")
            .attr("font-size", L.fontSize)
            .text(text);
        }
        g.append("title");
        nodeEls.set(n.id, g.node()!);
      }
    });
  }

  function classIndex(d: Norm): Map<string, number> {
    return new Map(
      d.nodes
        .filter((n) => n.isClass)
        .sort((a, b) => naturalCompare(a.cluster, b.cluster))
        .map((n, i) => [n.cluster, i]),
    );
  }

  function syncClassSelect(d: Norm): void {
    const opts = [optionEl("*", "all classes"), optionEl("", "none")];
    for (const bp of d.bestPaths) {
      const fit = Number.isFinite(bp.fitness) ? ` (fitness ${num4(bp.fitness)})` : "";
      opts.push(optionEl(bp.cls, `class ${bp.cls}${fit}`));
    }
    classSelect.replaceChildren(...opts);
    if (classPick !== "*" && classPick !== "" && !d.bestPaths.some((b) => b.cls === classPick)) classPick = "*";
    classSelect.value = classPick;
    classLabel.hidden = d.bestPaths.length === 0;
  }

  // ---- cheap updates (no re-render)

  /** Edge widths/opacities for the coefficient, visibility for the threshold, slider and legend. */
  function updateEdges(): void {
    const d = data;
    if (!d || !lay) return;
    const vm = vmax[coef];
    coefSelect.value = coef;
    coefSelect.title = `${coef}: ${COEFFICIENT_HELP[coef]}`;
    const step = vm > 0 ? vm / 200 : 0.01;
    thrInput.max = String(vm > 0 ? vm : 1);
    thrInput.step = String(step);
    threshold = Math.min(threshold, vm > 0 ? vm : threshold);
    thrInput.value = String(threshold);
    thrValue.textContent = num4(threshold);
    let shown = 0;
    for (const e of d.edges) {
      const p = edgeEls.get(e.key);
      if (!p) continue;
      const v = edgeValue(e, coef);
      const s = edgeStyle(v, vm);
      p.setAttribute("stroke-width", s.width.toFixed(2));
      p.setAttribute("stroke-opacity", s.opacity.toFixed(3));
      const visible = v >= threshold;
      if (visible) {
        p.removeAttribute("display");
        shown++;
      } else p.setAttribute("display", "none");
      p.classList.toggle("gb-edge-hidden", !visible);
    }
    edgeCount.textContent = `${shown} of ${d.edges.length} edges shown`;
    legend.textContent = `node area ∝ share of samples · edge width and opacity ∝ ${coef} (${COEFFICIENT_HELP[coef]}; largest ${num4(vm)}) · coloured lines: best path per class · black line: your path`;
    updateBest();
  }

  /** Restack edges so that the strongest (for the coefficient) are drawn last. */
  function restackEdges(): void {
    const d = data;
    if (!d) return;
    const parent = edgeEls.values().next().value?.parentNode;
    if (!parent) return;
    const sorted = [...d.edges].sort((a, b) => edgeValue(a, coef) - edgeValue(b, coef));
    for (const e of sorted) {
      const p = edgeEls.get(e.key);
      if (p) parent.appendChild(p);
    }
  }

  /** Which class's best path is bold: the picked one, else the class of the hovered node. */
  function updateBest(): void {
    const d = data;
    if (!d || !bestLayer) return;
    const hoverNode = hoverId ? d.byId.get(hoverId) : undefined;
    const hoverCls = hoverNode?.isClass ? hoverNode.cluster : null;
    bestLayer.selectAll<SVGPathElement, unknown>(".gb-best-path").each(function () {
      const cls = this.getAttribute("data-class") ?? "";
      const hidden = classPick === "" || (classPick !== "*" && classPick !== cls);
      const bold = !hidden && (classPick === cls || hoverCls === cls);
      if (hidden) this.setAttribute("display", "none");
      else this.removeAttribute("display");
      this.classList.toggle("gb-best-bold", bold);
    });
    const onBest = new Set<string>();
    for (const bp of d.bestPaths) if (classPick === bp.cls || (classPick === "*" && hoverCls === bp.cls)) bp.nodes.forEach((id) => onBest.add(id));
    for (const [id, g] of nodeEls) g.classList.toggle("gb-on-best", onBest.has(id));
  }

  function updatePathState(): void {
    const d = data;
    if (!d || !lay) return;
    const L = lay;
    statusEl.hidden = !pending;
    root.classList.toggle("gb-is-busy", pending);
    const inPath = new Map(path.map((id, i) => [id, i]));
    const lastId = path.length > 0 ? path[path.length - 1] : null;
    const last = lastId ? d.byId.get(lastId) : undefined;
    const candidates = new Set<string>();
    if (last) for (const k of incident.get(last.id) ?? []) {
      const e = d.edgeByKey.get(k);
      if (e && e.source === last.id) candidates.add(e.target);
    }
    if (!tabId || !nodeEls.has(tabId)) tabId = path[0] ?? nodeEls.keys().next().value ?? null;
    for (const [id, g] of nodeEls) {
      const n = d.byId.get(id)!;
      const idx = inPath.get(id);
      const on = idx !== undefined;
      g.classList.toggle("gb-in-path", on);
      g.classList.toggle("gb-path-end", id === lastId);
      g.classList.toggle("gb-candidate", candidates.has(id));
      g.setAttribute("aria-pressed", String(on));
      g.setAttribute("tabindex", id === tabId ? "0" : "-1");
      const what = on
        ? id === lastId
          ? `step ${idx! + 1} of the path (click to remove it)`
          : `step ${idx! + 1} of the path`
        : candidates.has(id)
          ? "click to extend the path"
          : "click to start a path here";
      const label = `${nodeSummary(n)} · ${what}`;
      g.setAttribute("aria-label", label);
      const t = g.querySelector("title");
      if (t) t.textContent = label;
    }
    // the user's path over everything but the nodes
    if (pathLayer) {
      pathLayer.selectAll("*").remove();
      if (path.length >= 2) {
        const segs: string[] = [];
        for (let i = 1; i < path.length; i++) segs.push(edgeD(L.pos.get(path[i - 1])!, L.pos.get(path[i])!));
        pathLayer.append("path").attr("class", "gb-user-path-casing").attr("d", segs.join(""));
        pathLayer.append("path").attr("class", "gb-user-path-line").attr("d", segs.join(""));
      }
    }
    // read-out
    if (path.length === 0) {
      pathNodes.textContent = EMPTY_PATH_TEXT;
      pathNodes.classList.add("gb-hint");
    } else {
      pathNodes.classList.remove("gb-hint");
      const first = d.byId.get(path[0])!;
      const span = path.length === d.columns.length ? "complete" : `partial: ${path.length} of ${d.columns.length} columns, from ${first.column}`;
      pathNodes.textContent = `path: ${path.map((id) => d.byId.get(id)!.label).join(" → ")} (${span})`;
    }
    const settled = !pending && sameList(path, d.selectedPath);
    const s = d.pathStats;
    pathStatsEl.replaceChildren();
    if (pending && path.length > 0) {
      pathStatsEl.textContent = PENDING_TEXT;
    } else if (settled && s && path.length > 0) {
      for (const [k, v] of [
        ["certainty", s.certainty],
        ["coverage", s.coverage],
        ["strength", s.strength],
      ] as [string, number][]) {
        const item = h("span", "gb-stat");
        item.dataset.stat = k;
        item.append(h("span", "gb-stat-name", `${k} `), h("b", "gb-stat-value", num4(v)));
        pathStatsEl.appendChild(item);
      }
      const complete = s.complete ?? path.length === d.columns.length;
      const badge = h("span", `gb-badge ${complete ? "gb-complete" : "gb-partial"}`, complete ? "complete path" : "partial path");
      pathStatsEl.appendChild(badge);
    }
    pathStatsEl.hidden = pathStatsEl.childNodes.length === 0;
    const err = pending ? "" : d.error;
    errorEl.textContent = err;
    errorEl.hidden = err === "";
  }

  function nodeSummary(n: FlowNode): string {
    return `${n.label}: ${formatNumber(n.support)} samples (${formatPercent(n.share)})`;
  }

  // ---- tooltip
  function hideTooltip(): void {
    tooltip.hidden = true;
    tooltip.replaceChildren();
  }

  function showTooltip(id: string): void {
    const d = data;
    const L = lay;
    const n = d?.byId.get(id);
    if (!d || !L || !n) return;
    const p = L.pos.get(id)!;
    tooltip.replaceChildren();
    tooltip.dataset.id = id;
    tooltip.appendChild(h("div", "gb-tip-title", n.label));
    tooltip.appendChild(h("div", "gb-tip-support", `${formatNumber(n.support)} samples · ${formatPercent(n.share)} of all`));
    const outs = (incident.get(id) ?? []).map((k) => d.edgeByKey.get(k)!).filter((e) => e.source === id);
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

  function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    return e;
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

  // ---- hover / focus
  function setHover(id: string | null): void {
    if (id === hoverId) return;
    hoverId = id;
    const d = data;
    root.classList.toggle("gb-hovering", id !== null);
    const hot = new Set(id ? incident.get(id) ?? [] : []);
    for (const [k, p] of edgeEls) p.classList.toggle("gb-incident", hot.has(k));
    for (const [nid, g] of nodeEls) g.classList.toggle("gb-hovered", nid === id);
    updateBest();
    if (id && d) showTooltip(id);
    else hideTooltip();
  }

  // ---- keyboard: arrows move between nodes (roving tabindex)
  function moveFocus(event: KeyboardEvent, t: Element): void {
    const L = lay;
    if (!L) return;
    const id = idOf(t);
    const c = Number(t.getAttribute("data-column"));
    const col = L.cols[c] ?? [];
    const j = col.findIndex((n) => n.id === id);
    let target: FlowNode | undefined;
    const nearestIn = (cc: number) => {
      const other = L.cols[cc];
      if (!other || other.length === 0) return undefined;
      const y = L.pos.get(id)!.y;
      return other.reduce((a, b) => (Math.abs(L.pos.get(b.id)!.y - y) < Math.abs(L.pos.get(a.id)!.y - y) ? b : a));
    };
    if (event.key === "ArrowUp") target = col[Math.max(0, j - 1)];
    else if (event.key === "ArrowDown") target = col[Math.min(col.length - 1, j + 1)];
    else if (event.key === "ArrowLeft") target = nearestIn(c - 1);
    else if (event.key === "ArrowRight") target = nearestIn(c + 1);
    else if (event.key === "Home") target = col[0];
    else if (event.key === "End") target = col[col.length - 1];
    else return;
    event.preventDefault();
    if (!target) return;
    tabId = target.id;
    for (const [nid, g] of nodeEls) g.setAttribute("tabindex", nid === tabId ? "0" : "-1");
    nodeEl(target.id)?.focus();
  }

  draw();

  const pick = ".gb-flow-node";
  const offs = [
    onChange(model, "_data", onData),
    onChange(model, "_path", () => {
      const v = model.get("_path");
      const ids = Array.isArray(v) ? v.map((x: unknown) => str(x)) : [];
      if (!data || sameList(ids, path)) return;
      path = validPath(data.byId, data.edgeByKey, ids, false);
      updatePathState();
    }),
    delegateActivate(root, pick, (t) => clickNode(idOf(t))),
    delegate<KeyboardEvent>(root, "keydown", pick, moveFocus),
    delegate<KeyboardEvent>(root, "keydown", ".gb-widget", (event) => {
      if (event.key !== "Escape") return;
      if (path.length === 0) return;
      event.preventDefault();
      event.stopPropagation();
      clearPath();
    }),
    delegateHover(root, pick, (_e, t) => setHover(idOf(t)), () => setHover(null)),
    delegate<FocusEvent>(root, "focusin", pick, (_e, t) => {
      tabId = idOf(t);
      for (const [nid, g] of nodeEls) g.setAttribute("tabindex", nid === tabId ? "0" : "-1");
      setHover(tabId);
    }),
    delegate<FocusEvent>(root, "focusout", pick, () => setHover(null)),
    delegate<Event>(root, "change", ".gb-coef-select", () => {
      const c = coefficientOf(coefSelect.value);
      if (!c || c === coef) return;
      // keep the slider's relative position: the same share of the largest value
      const rel = vmax[coef] > 0 ? threshold / vmax[coef] : 0;
      coef = c;
      threshold = rel * vmax[c];
      restackEdges();
      updateEdges();
      if (hoverId) showTooltip(hoverId);
    }),
    ...(["input", "change"] as const).map((type) =>
      delegate<Event>(root, type, ".gb-threshold-input", () => {
        const v = Number(thrInput.value);
        if (!Number.isFinite(v)) return;
        threshold = Math.max(0, v);
        updateEdges();
      }),
    ),
    delegate<Event>(root, "change", ".gb-class-select", () => {
      classPick = classSelect.value;
      updateBest();
    }),
    delegate<MouseEvent>(root, "click", ".gb-clear-path", () => clearPath()),
    observeWidth(el, () => lastWidth, draw),
  ];

  return disposer(root, offs);
}

export type { AnyModel };
export default { render };
