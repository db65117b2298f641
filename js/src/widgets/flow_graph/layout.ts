/** The flow-graph explorer's layout: columns left to right, nodes ordered to cross less, sized by share. */
import { formatNumber } from "../../shared/format";
import { categoryColor } from "../../shared/palette";
import { fitText, textWidth } from "../../shared/text";
import type { EdgeStyle } from "../../shared/edges";
import { MIN_COL_SPACING, MIN_LABEL_PITCH, naturalCompare } from "./data";
import type { FlowNode, Norm } from "./data";

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
export function edgeStyle(v: number, vmax: number): EdgeStyle {
  const t = vmax > 0 && Number.isFinite(v) ? Math.min(1, Math.max(0, v / vmax)) : 0;
  return { width: 0.6 + 5.4 * t, opacity: 0.12 + 0.58 * t };
}

/**
 * Colour of class i of n (see `categoryColor`: Okabe–Ito without black, black being the user's path,
 * for up to 7 classes, Tableau 10 for 8–10, cycling beyond; NEUTRAL for a negative index).
 */
export const pathColor = categoryColor;

/** Coefficients as compact numbers ("0.6", "0.3333"). */
export const num4 = (v: number) => formatNumber(v);

/** "certainty 0.33 · coverage 0.5 · strength 0.02". */
export function statsText(s: { certainty: number; coverage: number; strength: number }): string {
  return `certainty ${num4(s.certainty)} · coverage ${num4(s.coverage)} · strength ${num4(s.strength)}`;
}

/** Class value -> its index among the class nodes in natural order (for the class colours). */
export function classIndex(d: Pick<Norm, "nodes">): Map<string, number> {
  return new Map(
    d.nodes
      .filter((n) => n.isClass)
      .sort((a, b) => naturalCompare(a.cluster, b.cluster))
      .map((n, i) => [n.cluster, i]),
  );
}
