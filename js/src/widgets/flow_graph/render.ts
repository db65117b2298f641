/** The flow-graph explorer's drawings: the graph and the user's path over it. */
import { appendSvg } from "../../shared/axes";
import type { G } from "../../shared/axes";
import { formatNumber } from "../../shared/format";
import { edgeValue } from "./data";
import type { Coefficient, Norm } from "./data";
import { classIndex, edgeD, num4, pathColor } from "./layout";
import type { Layout } from "./layout";

/** What `drawGraph` drew, for the cheap updates. */
export interface DrawnGraph {
  nodeEls: Map<string, SVGGElement>;
  edgeEls: Map<string, SVGPathElement>;
  /** Node id -> the keys of its edges. */
  incident: Map<string, string[]>;
  bestLayer: G;
  pathLayer: G;
}

/**
 * The flow graph's SVG in `chartWrap`: column headers and guides, the edges (weakest first for
 * `coef`), the best path of every class in its colour, a layer for the user's path, and one
 * focusable node (`g.gb-flow-node`) per cluster.
 */
export function drawGraph(chartWrap: HTMLElement, d: Norm, L: Layout, coef: Coefficient): DrawnGraph {
  const nodeEls = new Map<string, SVGGElement>();
  const edgeEls = new Map<string, SVGPathElement>();
  const incident = new Map<string, string[]>();
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

  const bestLayer = svg.append("g").attr("class", "gb-best-paths").attr("aria-hidden", "true");
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
  const pathLayer = svg.append("g").attr("class", "gb-user-path").attr("aria-hidden", "true");

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
  return { nodeEls, edgeEls, incident, bestLayer, pathLayer };
}

/** Restack the edges so that the strongest for `coef` are drawn last (on top). */
export function restackEdges(d: Norm, g: DrawnGraph, coef: Coefficient): void {
  const parent = g.edgeEls.values().next().value?.parentNode;
  if (!parent) return;
  for (const e of [...d.edges].sort((a, b) => edgeValue(a, coef) - edgeValue(b, coef))) {
    const p = g.edgeEls.get(e.key);
    if (p) parent.appendChild(p);
  }
}

/** The user's path as a dark line with a white casing, over everything but the nodes. */
export function drawUserPath(pathLayer: G, L: Layout, path: readonly string[]): void {
  pathLayer.selectAll("*").remove();
  if (path.length < 2) return;
  const segs: string[] = [];
  for (let i = 1; i < path.length; i++) segs.push(edgeD(L.pos.get(path[i - 1])!, L.pos.get(path[i])!));
  pathLayer.append("path").attr("class", "gb-user-path-casing").attr("d", segs.join(""));
  pathLayer.append("path").attr("class", "gb-user-path-line").attr("d", segs.join(""));
}
