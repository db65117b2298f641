import { describe, expect, it } from "vitest";

import widget, {
  EMPTY_PATH_TEXT,
  NO_DATA_TEXT,
  NO_NODES_TEXT,
  PENDING_TEXT,
  edgeStyle,
  fitText,
  naturalCompare,
  nextPath,
  normalize,
  pathColor,
  orderColumns,
  textWidth,
  validPath,
} from "../src/widgets/flow_graph_explorer";
import { FakeModel, widgetModel } from "./fake_model";
import { change, click, el, hover, key, unhover, useWidget } from "./mount";

// ------------------------------------------------------------------ data: a real flow graph from samples

/** A small seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The view data of Pawlak's flow graph of `samples` (one row per sample: one cluster per column,
 * the last column being the class), as TwinFinding.view_data() sends it.
 */
function graphFrom(columns: string[], samples: number[][], extra: Record<string, unknown> = {}, name: (v: number) => string | number = (v) => v) {
  const N = samples.length;
  const support = new Map<string, number>();
  const pair = new Map<string, number>();
  const id = (c: number, v: number) => `${columns[c]}:${v}`;
  for (const s of samples) {
    s.forEach((v, c) => support.set(id(c, v), (support.get(id(c, v)) ?? 0) + 1));
    for (let c = 0; c + 1 < s.length; c++) {
      const k = `${id(c, s[c])}|${id(c + 1, s[c + 1])}`;
      pair.set(k, (pair.get(k) ?? 0) + 1);
    }
  }
  const nodes = [...support.entries()].map(([nid, n]) => {
    const [column, cluster] = nid.split(":");
    const ci = columns.indexOf(column);
    const v = Number(cluster);
    return {
      id: nid,
      column,
      column_index: ci,
      cluster: ci === columns.length - 1 ? v : name(v),
      label: ci === columns.length - 1 ? `class ${v}` : `${column} #${name(v)}`,
      support: n,
      share: n / N,
      thumbnail: Array.from({ length: 8 }, (_, i) => Array.from({ length: 8 }, (_, j) => ((i * 8 + j + v) % 11) / 10)),
      histogram: { edges: [0, 0.5, 1, 1.5, 2, 2.5], counts: [1, 4, n, 3, v] },
    };
  });
  const edges = [...pair.entries()].map(([k, s]) => {
    const [source, target] = k.split("|");
    const cer = s / support.get(source)!;
    const cov = s / support.get(target)!;
    return { source, target, count: s, strength: s / N, certainty: cer, covering: cov, confidence: (2 * cer * cov) / (cer + cov) };
  });
  return { title: "readable twin", caption: "digits_cnn · Ward", columns, nodes, edges, coefficient: "confidence", threshold: 0, best_paths: [], ...extra };
}

/** 3 columns: conv1 {0,1} → fc1 {0,1,2} → class {0,1}; no sample goes conv1:1 → fc1:0 or fc1:2 → class:0. */
const SMALL_SAMPLES: number[][] = [
  ...Array.from({ length: 6 }, () => [0, 0, 0]),
  ...Array.from({ length: 2 }, () => [0, 1, 0]),
  ...Array.from({ length: 2 }, () => [0, 1, 1]),
  ...Array.from({ length: 4 }, () => [1, 1, 1]),
  ...Array.from({ length: 6 }, () => [1, 2, 1]),
];
const COLS = ["conv1", "fc1", "class"];
const BEST = [
  { class: "0", nodes: ["conv1:0", "fc1:0", "class:0"], fitness: 0.81, certainty: 0.75, coverage: 0.75, strength: 0.3 },
  { class: "1", nodes: ["conv1:1", "fc1:2", "class:1"], fitness: 0.66, certainty: 0.6, coverage: 0.5, strength: 0.3 },
  { class: "1", nodes: ["conv1:1", "fc1:1", "class:1"], fitness: 0.2, certainty: 0.4, coverage: 0.3, strength: 0.2 },
];
const small = (extra: Record<string, unknown> = {}) => graphFrom(COLS, SMALL_SAMPLES, { best_paths: BEST, ...extra });

/** nCols columns (the last = class with 10 classes) × up to nNodes clusters, from a seeded Markov chain. */
function bigData(nCols: number, nNodes: number, seed = 1, nSamples = 4000, name?: (v: number) => string) {
  const r = rng(seed);
  const columns = [...Array.from({ length: nCols - 1 }, (_, i) => (i < 2 ? `conv${i + 1}` : `dense_layer_${i - 1}`)), "class"];
  const samples: number[][] = [];
  for (let s = 0; s < nSamples; s++) {
    const cls = Math.floor(r() * 10);
    const row: number[] = [];
    for (let c = 0; c < nCols - 1; c++) {
      // mostly follows the class (so that there is structure), sometimes anywhere
      const k = r() < 0.6 ? (cls * 2 + Math.floor(r() * 2) + c) % nNodes : Math.floor(r() * nNodes);
      row.push(k);
    }
    row.push(cls);
    samples.push(row);
  }
  return graphFrom(columns, samples, { threshold: 0.05 }, name);
}

const { mount, unmount } = useWidget(widget);

/** A model as Python creates it: `path` is the selection, `stats` its details' path_stats. */
const model = (data: unknown = small(), path: string[] = [], stats: unknown = null) => widgetModel(data, path, { path_stats: stats });
/** The path Python holds. */
const held = (m: FakeModel) => m.get("_selection").value;
const nodes = () => Array.from(el.querySelectorAll<SVGGElement>(".gb-flow-node"));
const node = (id: string) => el.querySelector<SVGGElement>(`.gb-flow-node[data-id="${id}"]`)!;
const edges = () => Array.from(el.querySelectorAll<SVGPathElement>(".gb-flow-edge"));
const edge = (s: string, t: string) => el.querySelector<SVGPathElement>(`.gb-flow-edge[data-source="${s}"][data-target="${t}"]`)!;
const visibleEdges = () => edges().filter((e) => e.getAttribute("display") !== "none");
const width = (e: Element) => Number(e.getAttribute("stroke-width"));
const slider = () => el.querySelector<HTMLInputElement>(".gb-threshold-input")!;
const coefSelect = () => el.querySelector<HTMLSelectElement>(".gb-coef-select")!;
const classSelect = () => el.querySelector<HTMLSelectElement>(".gb-class-select")!;
const pathText = () => el.querySelector(".gb-path-nodes")!.textContent;
const errorEl = () => el.querySelector<HTMLElement>(".gb-flow-error")!;
const statsEl = () => el.querySelector<HTMLElement>(".gb-path-stats")!;
const tooltip = () => el.querySelector<HTMLElement>(".gb-flow-tooltip")!;
const pos = (g: Element) => g.getAttribute("transform")!.match(/translate\(([-\d.]+),([-\d.]+)\)/)!.slice(1).map(Number);
const radius = (g: Element) => Number(g.querySelector(".gb-node-dot")!.getAttribute("r"));
const inPath = () => nodes().filter((g) => g.classList.contains("gb-in-path")).map((g) => g.dataset.id);

function input(target: HTMLInputElement, value: string): void {
  target.value = value;
  target.dispatchEvent(new Event("input", { bubbles: true }));
}

describe("graph", () => {
  it("draws one node per cluster in its column, left to right, and one edge per pair", () => {
    mount(model());
    expect(nodes()).toHaveLength(7);
    expect(edges()).toHaveLength(8);
    expect(el.querySelector(".gb-title")!.textContent).toBe("readable twin");
    expect(Array.from(el.querySelectorAll(".gb-column-label"), (t) => t.textContent)).toEqual(["conv1", "fc1", "class"]);
    const x = (id: string) => pos(node(id))[0];
    expect(x("conv1:0")).toBeLessThan(x("fc1:0"));
    expect(x("fc1:0")).toBeLessThan(x("class:0"));
    expect(x("fc1:0")).toBe(x("fc1:2"));
    // nodes sized by sqrt(share): fc1:0 (6 of 20) vs fc1:2 (6) vs fc1:1 (8)
    expect(radius(node("fc1:1"))).toBeGreaterThan(radius(node("fc1:0")));
    expect(radius(node("fc1:1")) / radius(node("conv1:0"))).toBeCloseTo(Math.sqrt(8 / 10), 2);
    // labels: cluster numbers left of the nodes, class names right of the class nodes
    expect(node("fc1:2").querySelector(".gb-node-label")!.textContent).toBe("2");
    expect(node("class:1").querySelector(".gb-node-label")!.getAttribute("text-anchor")).toBe("start");
    const dotFill = (id: string) => node(id).querySelector<SVGCircleElement>(".gb-node-dot")!.style.fill;
    expect(dotFill("class:0")).not.toBe("");
    expect(dotFill("class:0")).not.toBe(dotFill("class:1"));
    expect(node("conv1:0").getAttribute("aria-label")).toBe("conv1 #0: 10 samples (50%) · click to start a path here");
    expect(edge("conv1:0", "fc1:0").querySelector("title")!.textContent).toContain("conv1 #0 → fc1 #0: 6 samples · certainty 0.6 · covering 1");
    expect(el.querySelector(".gb-caption")!.textContent).toBe("digits_cnn · Ward");
    expect(pathText()).toBe(EMPTY_PATH_TEXT);
  });

  it("orders nodes within columns to follow the edges (fewer crossings)", () => {
    // fc1:0 only feeds class:1, fc1:1 only class:0: barycentres swap them
    const samples = [[0, 0, 1], [0, 0, 1], [1, 1, 0], [1, 1, 0], [1, 1, 0]];
    const d = normalize(graphFrom(COLS, samples))!;
    const cols = orderColumns(d);
    expect(cols[2].map((n) => n.id)).toEqual(["class:0", "class:1"]); // class column in class order
    expect(cols[1].map((n) => n.id)).toEqual(["fc1:1", "fc1:0"]);
    expect(cols[0].map((n) => n.id)).toEqual(["conv1:1", "conv1:0"]);
  });

  it("edge width and opacity follow the coefficient (confidence by default)", () => {
    mount(model());
    const d = normalize(small())!;
    const vmax = Math.max(...d.edges.map((e) => e.confidence));
    for (const e of d.edges) expect(width(edge(e.source, e.target))).toBeCloseTo(edgeStyle(e.confidence, vmax).width, 2);
    expect(coefSelect().value).toBe("confidence");
    expect(el.querySelector(".gb-flow-legend")!.textContent).toContain("edge width and opacity ∝ confidence");
  });
});

describe("view controls (browser only)", () => {
  it("the threshold slider hides edges below it and shows the rest", () => {
    const m = model();
    mount(m);
    expect(visibleEdges()).toHaveLength(8);
    input(slider(), "0.5");
    const t = Number(slider().value);
    const d = normalize(small())!;
    const below = d.edges.filter((e) => e.confidence < t);
    expect(below.length).toBeGreaterThan(0);
    expect(below.length).toBeLessThan(8);
    for (const e of d.edges) expect(edge(e.source, e.target).getAttribute("display") === "none").toBe(e.confidence < t);
    expect(el.querySelector(".gb-edge-count")!.textContent).toBe(`${8 - below.length} of 8 edges shown`);
    expect(el.querySelector(".gb-threshold-value")!.textContent).toBe(String(Number(t.toPrecision(4))));
    expect(m.saveCount).toBe(0); // view state: no round trip
  });

  it("starts from the coefficient and threshold Python sends", () => {
    mount(model(small({ coefficient: "certainty", threshold: 0.45 })));
    expect(coefSelect().value).toBe("certainty");
    const d = normalize(small())!;
    expect(visibleEdges().map((e) => `${e.dataset.source}>${e.dataset.target}`).sort()).toEqual(
      d.edges.filter((e) => e.certainty >= 0.45).map((e) => `${e.source}>${e.target}`).sort(),
    );
  });

  it("switching the coefficient changes edge widths, keeps the slider's relative position and restacks", () => {
    const m = model();
    mount(m);
    const before = new Map(edges().map((e) => [`${e.dataset.source}>${e.dataset.target}`, width(e)]));
    coefSelect().value = "strength";
    change(coefSelect());
    const d = normalize(small())!;
    const vmax = Math.max(...d.edges.map((e) => e.strength));
    let changed = 0;
    for (const e of d.edges) {
      const w = width(edge(e.source, e.target));
      expect(w).toBeCloseTo(edgeStyle(e.strength, vmax).width, 2);
      if (Math.abs(w - before.get(`${e.source}>${e.target}`)!) > 0.01) changed++;
    }
    expect(changed).toBeGreaterThan(0);
    // strongest edge (by strength) drawn last
    const last = edges()[edges().length - 1];
    expect(Number(d.edges.find((e) => e.source === last.dataset.source && e.target === last.dataset.target)!.strength)).toBe(vmax);
    expect(el.querySelector(".gb-flow-legend")!.textContent).toContain("∝ strength");
    // the threshold is carried over as the same share of the largest value
    coefSelect().value = "confidence";
    change(coefSelect());
    input(slider(), String(0.5 * Math.max(...d.edges.map((e) => e.confidence))));
    const rel = Number(slider().value) / Math.max(...d.edges.map((e) => e.confidence));
    coefSelect().value = "certainty";
    change(coefSelect());
    expect(Number(slider().value) / Math.max(...d.edges.map((e) => e.certainty))).toBeCloseTo(rel, 2);
    expect(m.saveCount).toBe(0);
  });

  it("highlights the best path of every class, or of one picked class", () => {
    mount(model());
    const best = () => Array.from(el.querySelectorAll<SVGPathElement>(".gb-best-path"));
    expect(best().map((p) => p.dataset.class)).toEqual(["0", "1"]); // the fittest per class only
    expect(best().every((p) => p.getAttribute("display") !== "none")).toBe(true);
    expect(best()[0].getAttribute("stroke")).not.toBe(best()[1].getAttribute("stroke"));
    expect(Array.from(classSelect().options, (o) => o.textContent)).toEqual(["all classes", "none", "class 0 (fitness 0.81)", "class 1 (fitness 0.66)"]);
    // hovering a class node makes its best path bold
    hover(node("class:1"));
    expect(best()[1].classList.contains("gb-best-bold")).toBe(true);
    expect(best()[0].classList.contains("gb-best-bold")).toBe(false);
    unhover(node("class:1"));
    classSelect().value = "1";
    change(classSelect());
    expect(best()[0].getAttribute("display")).toBe("none");
    expect(best()[1].classList.contains("gb-best-bold")).toBe(true);
    expect(nodes().filter((g) => g.classList.contains("gb-on-best")).map((g) => g.dataset.id).sort()).toEqual(["class:1", "conv1:1", "fc1:2"]);
    classSelect().value = "";
    change(classSelect());
    expect(best().every((p) => p.getAttribute("display") === "none")).toBe(true);
  });
});

describe("building a path", () => {
  it("clicking two nodes in consecutive columns asks Python for [a], then [a, b]", () => {
    const m = model();
    mount(m);
    click(node("conv1:0"));
    expect(m.get("_request")).toEqual({ id: 1, value: ["conv1:0"] });
    expect(node("fc1:0").classList.contains("gb-candidate")).toBe(true); // edges out of conv1:0
    expect(node("fc1:2").classList.contains("gb-candidate")).toBe(false); // no edge conv1:0 → fc1:2
    m.reply();
    click(node("fc1:1"));
    expect(m.get("_request")).toEqual({ id: 2, value: ["conv1:0", "fc1:1"] });
    expect(m.saveCount).toBe(2);
    expect(m.saves[1]._request).toEqual({ id: 2, value: ["conv1:0", "fc1:1"] });
    expect(inPath()).toEqual(["conv1:0", "fc1:1"]);
    expect(node("fc1:1").getAttribute("aria-pressed")).toBe("true");
    expect(pathText()).toBe("path: conv1 #0 → fc1 #1 (partial: 2 of 3 columns, from conv1)");
    expect(el.querySelector(".gb-user-path-line")).not.toBeNull();
    // Python has not answered yet
    expect(statsEl().textContent).toBe(PENDING_TEXT);
    expect((el.querySelector(".gb-status") as HTMLElement).hidden).toBe(false);
    expect(el.querySelector(".gb-flow-graph-explorer")!.classList.contains("gb-is-busy")).toBe(true);
  });

  it("a node that does not continue the path starts a new one; clicking the last node removes it", () => {
    const m = model().autoReply();
    mount(m);
    click(node("conv1:0"));
    click(node("fc1:0"));
    click(node("class:1")); // next column but no edge fc1:0 → class:1
    expect(held(m)).toEqual(["class:1"]);
    click(node("fc1:1"));
    expect(held(m)).toEqual(["fc1:1"]); // a path may start in any column
    click(node("class:0"));
    expect(held(m)).toEqual(["fc1:1", "class:0"]);
    click(node("conv1:1")); // two columns back
    expect(held(m)).toEqual(["conv1:1"]);
    click(node("fc1:2"));
    click(node("fc1:2"));
    expect(held(m)).toEqual(["conv1:1"]);
    click(node("conv1:1"));
    expect(held(m)).toEqual([]);
    expect(m.saveCount).toBe(9);
  });

  it("Escape clears the path; Enter and Space click a focused node; arrows move focus", () => {
    const m = model().autoReply();
    mount(m);
    const start = nodes().find((g) => g.getAttribute("tabindex") === "0")!;
    expect(nodes().filter((g) => g.getAttribute("tabindex") === "0")).toHaveLength(1);
    start.focus();
    key(start, "Enter");
    expect(held(m)).toEqual([start.dataset.id]);
    key(start, "ArrowRight");
    const next = document.activeElement as SVGGElement;
    expect(next.dataset.column).toBe("1");
    expect(next.getAttribute("tabindex")).toBe("0");
    key(next, "ArrowDown");
    const below = document.activeElement as SVGGElement;
    expect(pos(below)[1]).toBeGreaterThan(pos(next)[1]);
    key(below, "ArrowLeft");
    expect((document.activeElement as SVGGElement).dataset.column).toBe("0");
    key(below, "Escape");
    expect(held(m)).toEqual([]);
    key(node("conv1:0"), " ");
    key(node("fc1:0"), " ");
    expect(held(m)).toEqual(["conv1:0", "fc1:0"]);
    const saves = m.saveCount;
    key(node("fc1:0"), "Escape");
    expect(held(m)).toEqual([]);
    expect(m.saveCount).toBe(saves + 1);
    expect(inPath()).toEqual([]);
    key(node("fc1:0"), "Escape"); // nothing to clear: no save
    expect(m.saveCount).toBe(saves + 1);
    // the button clears too
    click(node("conv1:1"));
    click(el.querySelector(".gb-clear-path")!);
    expect(held(m)).toEqual([]);
  });

  it("shows the path statistics Python sends back", () => {
    const m = model();
    mount(m);
    click(node("conv1:0"));
    m.reply({ details: { path_stats: { certainty: 1, coverage: 0.6, strength: 0.5, complete: false } } });
    click(node("fc1:0"));
    m.reply({ details: { path_stats: { certainty: 0.6, coverage: 1, strength: 0.3, complete: false } } });
    const stat = (k: string) => el.querySelector(`.gb-stat[data-stat="${k}"] .gb-stat-value`)!.textContent;
    expect(stat("certainty")).toBe("0.6");
    expect(stat("coverage")).toBe("1");
    expect(stat("strength")).toBe("0.3");
    expect(statsEl().querySelector(".gb-badge")!.textContent).toBe("partial path");
    expect((el.querySelector(".gb-status") as HTMLElement).hidden).toBe(true);
    expect(errorEl().hidden).toBe(true);
    click(node("class:0"));
    m.reply({ details: { path_stats: { certainty: 0.6, coverage: 1, strength: 0.3, complete: true } } });
    expect(statsEl().querySelector(".gb-badge")!.textContent).toBe("complete path");
    expect(pathText()).toBe("path: conv1 #0 → fc1 #0 → class 0 (complete)");
  });

  it("shows why Python refused a path, with Python's selection", () => {
    const m = model();
    mount(m);
    click(node("conv1:1"));
    m.reply({ error: "no edge conv1:1 → fc1:0" });
    expect(errorEl().hidden).toBe(false);
    expect(errorEl().textContent).toBe("no edge conv1:1 → fc1:0");
    expect(errorEl().closest(".gb-flow-path")).not.toBeNull();
    expect(inPath()).toEqual([]);
    expect(pathText()).toBe(EMPTY_PATH_TEXT);
    // a new click hides the stale error until Python answers
    click(node("conv1:0"));
    expect(errorEl().hidden).toBe(true);
  });

  it("keeps building on the path while Python is still answering an older click", () => {
    const m = model();
    mount(m);
    click(node("conv1:0"));
    click(node("fc1:0")); // waits for the first answer
    expect(m.requested).toEqual([["conv1:0"]]);
    expect(inPath()).toEqual(["conv1:0", "fc1:0"]);
    expect(statsEl().textContent).toBe(PENDING_TEXT);
    m.reply({ details: { path_stats: { certainty: 1, coverage: 0.5, strength: 0.5, complete: false } } });
    expect(m.requested).toEqual([["conv1:0"], ["conv1:0", "fc1:0"]]);
    expect(inPath()).toEqual(["conv1:0", "fc1:0"]);
    expect(statsEl().textContent).toBe(PENDING_TEXT);
  });

  it("follows a selection made from Python", () => {
    const m = model(small(), ["fc1:2", "class:1"], { certainty: 1, coverage: 0.6, strength: 0.3, complete: false });
    mount(m);
    expect(inPath()).toEqual(["fc1:2", "class:1"]);
    expect(el.querySelector(`.gb-stat[data-stat="coverage"] .gb-stat-value`)!.textContent).toBe("0.6");
    m.pythonSelect(["conv1:1"]);
    expect(inPath()).toEqual(["conv1:1"]);
    expect(m.saveCount).toBe(0);
  });
});

describe("updates", () => {
  it("re-renders when _data changes, keeping the browser's coefficient and class pick", () => {
    const m = model();
    mount(m);
    coefSelect().value = "covering";
    change(coefSelect());
    classSelect().value = "0";
    change(classSelect());
    const svg = el.querySelector("svg.gb-flow-svg");
    // a new selection: the SVG is kept
    m.pythonSelect(["conv1:0"], { path_stats: { certainty: 1, coverage: 1, strength: 0.5, complete: false } });
    expect(el.querySelector("svg.gb-flow-svg")).toBe(svg);
    expect(inPath()).toEqual(["conv1:0"]);
    // a different graph: redrawn
    const more = graphFrom(COLS, [...SMALL_SAMPLES, [2, 3, 1], [2, 3, 0]], { best_paths: BEST, coefficient: "confidence" });
    m.pythonSet("_data", more);
    expect(el.querySelector("svg.gb-flow-svg")).not.toBe(svg);
    expect(nodes()).toHaveLength(9);
    expect(edges()).toHaveLength(11);
    expect(coefSelect().value).toBe("covering");
    expect(classSelect().value).toBe("0");
    expect(el.querySelector(".gb-flow-legend")!.textContent).toContain("∝ covering");
    // Python may change the coefficient on purpose
    m.pythonSet("_data", { ...more, coefficient: "strength" });
    expect(coefSelect().value).toBe("strength");
  });

  it("keeps keyboard focus on the same node across a re-render", () => {
    const m = model();
    mount(m);
    node("fc1:1").focus();
    m.pythonSet("_data", graphFrom(COLS, [...SMALL_SAMPLES, [2, 1, 1]]));
    expect((document.activeElement as SVGGElement).dataset.id).toBe("fc1:1");
  });
});

describe("tooltip", () => {
  it("hovering a node shows its mean input and its activation histogram", () => {
    mount(model());
    expect(tooltip().hidden).toBe(true);
    hover(node("fc1:1"));
    expect(tooltip().hidden).toBe(false);
    expect(tooltip().querySelector(".gb-tip-title")!.textContent).toBe("fc1 #1");
    expect(tooltip().querySelector(".gb-tip-support")!.textContent).toBe("8 samples · 40% of all");
    expect(tooltip().querySelectorAll(".gb-thumbnail rect")).toHaveLength(64);
    const fills = Array.from(tooltip().querySelectorAll(".gb-thumbnail rect"), (r) => r.getAttribute("fill"));
    expect(new Set(fills).size).toBeGreaterThan(5); // grey levels
    expect(fills[0]).toMatch(/^rgb\((\d+),\1,\1\)$/);
    const bars = Array.from(tooltip().querySelectorAll<SVGRectElement>(".gb-hist-bar"));
    expect(bars).toHaveLength(5);
    const tallest = bars.reduce((a, b) => (Number(b.getAttribute("height")) > Number(a.getAttribute("height")) ? b : a));
    expect(bars.indexOf(tallest)).toBe(2); // counts [1, 4, 8, 3, 1]
    expect(Array.from(tooltip().querySelectorAll(".gb-hist-tick"), (t) => t.textContent)).toEqual(["0", "2.5"]);
    // incident edges are highlighted
    expect(edge("fc1:1", "class:1").classList.contains("gb-incident")).toBe(true);
    expect(edge("fc1:0", "class:0").classList.contains("gb-incident")).toBe(false);
    unhover(node("fc1:1"));
    expect(tooltip().hidden).toBe(true);
  });

  it("keyboard focus shows the tooltip too; nodes without artifacts get a text-only tooltip", () => {
    const d = small();
    for (const n of d.nodes) {
      (n as Record<string, unknown>).thumbnail = null;
      (n as Record<string, unknown>).histogram = null;
    }
    mount(model(d));
    node("conv1:0").focus();
    expect(tooltip().hidden).toBe(false);
    expect(tooltip().querySelector(".gb-thumbnail")).toBeNull();
    expect(tooltip().querySelector(".gb-tip-best")!.textContent).toBe("on the best path of class 0");
  });
});

describe("10 columns × 20 nodes", () => {
  /** Estimated box of a node label, in SVG coordinates. */
  function labelBox(g: SVGGElement) {
    const t = g.querySelector(".gb-node-label");
    if (!t) return null;
    const [x, y] = pos(g);
    const fs = Number(t.getAttribute("font-size"));
    const w = textWidth(t.textContent!, fs);
    const lx = x + Number(t.getAttribute("x"));
    const x0 = t.getAttribute("text-anchor") === "end" ? lx - w : lx;
    return { x0, x1: x0 + w, y0: y - fs / 2, y1: y + fs / 2 };
  }
  const overlap = (a: { x0: number; x1: number; y0: number; y1: number }, b: typeof a) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

  /** Per-filter clusters named by their filter tuple (long labels that must be cut). */
  const tuple = (v: number) => `(${v}, ${(v * 7) % 10}, ${(v * 3) % 10}, ${v % 4})`;
  for (const [w, long] of [[760, false], [420, false], [760, true]] as [number, boolean][]) {
    it(`stays readable at ${w} px${long ? " with long cluster names" : ""}: every node drawn, no overlapping nodes or labels`, () => {
      Object.defineProperty(el, "clientWidth", { value: w, configurable: true });
      const data = bigData(10, 20, 1, 4000, long ? tuple : undefined);
      mount(model(data));
      expect(data.nodes.length).toBe(9 * 20 + 10);
      expect(nodes()).toHaveLength(data.nodes.length);
      expect(edges()).toHaveLength(data.edges.length);
      const svg = el.querySelector("svg.gb-flow-svg")!;
      const svgW = Number(svg.getAttribute("width"));
      const svgH = Number(svg.getAttribute("height"));
      const byCol = new Map<string, SVGGElement[]>();
      for (const g of nodes()) byCol.set(g.dataset.column!, [...(byCol.get(g.dataset.column!) ?? []), g]);
      expect(byCol.size).toBe(10);
      const xs = [...byCol.keys()].sort((a, b) => Number(a) - Number(b)).map((c) => pos(byCol.get(c)![0])[0]);
      const gaps = xs.slice(1).map((x, i) => x - xs[i]);
      expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThan(0.2); // evenly spaced
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(46);
      for (const col of byCol.values()) {
        expect(new Set(col.map((g) => pos(g)[0])).size).toBe(1);
        const ys = col.map((g) => ({ y: pos(g)[1], r: radius(g) })).sort((a, b) => a.y - b.y);
        for (let i = 1; i < ys.length; i++) expect(ys[i].y - ys[i - 1].y).toBeGreaterThan(ys[i].r + ys[i - 1].r); // circles apart
      }
      for (const g of nodes()) {
        const [x, y] = pos(g);
        expect(x - radius(g)).toBeGreaterThanOrEqual(0);
        expect(x + radius(g)).toBeLessThanOrEqual(svgW);
        expect(y + radius(g)).toBeLessThanOrEqual(svgH);
      }
      // labels: present, inside the SVG, not overlapping each other nor other columns' nodes
      const boxes = nodes().map((g) => ({ g, b: labelBox(g) })).filter((x) => x.b !== null) as { g: SVGGElement; b: NonNullable<ReturnType<typeof labelBox>> }[];
      expect(boxes.length).toBe(nodes().length);
      const circles = nodes().map((g) => {
        const [x, y] = pos(g);
        const r = radius(g);
        return { g, box: { x0: x - r, x1: x + r, y0: y - r, y1: y + r } };
      });
      const clashes: string[] = [];
      for (let i = 0; i < boxes.length; i++) {
        const { g, b } = boxes[i];
        if (b.x0 < 0 || b.x1 > svgW) clashes.push(`${g.dataset.id} label outside the SVG`);
        for (let j = i + 1; j < boxes.length; j++) if (overlap(b, boxes[j].b)) clashes.push(`${g.dataset.id} / ${boxes[j].g.dataset.id} labels`);
        for (const c of circles) if (c.g !== g && overlap(b, c.box)) clashes.push(`${g.dataset.id} label / ${c.g.dataset.id} node`);
      }
      expect(clashes).toEqual([]);
      if (long) {
        const cut = boxes.filter(({ g }) => g.querySelector(".gb-node-label")!.textContent!.endsWith("…"));
        expect(cut.length).toBeGreaterThan(100); // abbreviated, the full name in the node's label
        expect(cut[0].g.getAttribute("aria-label")).toMatch(/#\(\d+, \d, \d, \d\): /);
      }
      // column headers: none overlapping (staggered or cut with "…" when long)
      const heads = Array.from(el.querySelectorAll<SVGTextElement>(".gb-column-label")).map((t) => {
        const hw = textWidth(t.textContent!, 11);
        const x = Number(t.getAttribute("x"));
        const y = Number(t.getAttribute("y"));
        return { x0: x - hw / 2, x1: x + hw / 2, y0: y - 11, y1: y, text: t.textContent! };
      });
      expect(heads).toHaveLength(10);
      for (let i = 0; i < heads.length; i++) {
        expect(heads[i].text.length).toBeGreaterThan(0);
        for (let j = i + 1; j < heads.length; j++) expect(overlap(heads[i], heads[j])).toBe(false);
      }
      // the full names stay available
      expect(el.querySelector('.gb-column-head[data-column="5"] title')!.textContent).toContain("dense_layer_4");
      // the default threshold keeps the picture light
      expect(visibleEdges().length).toBeLessThan(data.edges.length);
      expect(visibleEdges().length).toBeGreaterThan(20);
    });
  }

  it("a narrow container scrolls sideways instead of squeezing the columns", () => {
    Object.defineProperty(el, "clientWidth", { value: 300, configurable: true });
    mount(model(bigData(10, 20)));
    const svg = el.querySelector("svg.gb-flow-svg")!;
    expect(Number(svg.getAttribute("width"))).toBeGreaterThan(300);
    expect(nodes()).toHaveLength(190);
  });

  it("builds a path across all ten columns", () => {
    const m = model(bigData(10, 20)).autoReply();
    mount(m);
    const d = normalize(bigData(10, 20))!;
    // follow the strongest edge from the busiest first node
    let cur = d.nodes.filter((n) => n.col === 0).sort((a, b) => b.support - a.support)[0].id;
    const want = [cur];
    click(node(cur));
    for (let c = 1; c < 10; c++) {
      const out = d.edges.filter((e) => e.source === cur).sort((a, b) => b.count - a.count);
      cur = out[0].target;
      want.push(cur);
      click(node(cur));
    }
    expect(held(m)).toEqual(want);
    expect(pathText()).toContain("(complete)");
  });
});

describe("empty and bad data", () => {
  it("renders a message when _data is missing, then the graph when it arrives", () => {
    const m = widgetModel(undefined, []);
    expect(() => mount(m)).not.toThrow();
    expect(el.querySelector(".gb-empty")!.textContent).toBe(NO_DATA_TEXT);
    m.pythonSet("_data", small());
    expect(nodes()).toHaveLength(7);
    expect((el.querySelector(".gb-empty") as HTMLElement).hidden).toBe(true);
  });

  it("copes with {} , unknown nodes, edges that skip a column and bad best paths", () => {
    expect(() => mount(widgetModel({}, []))).not.toThrow();
    expect(el.querySelector(".gb-empty")!.textContent).toBe(NO_NODES_TEXT);
    unmount();
    const d = small({
      edges: [...small().edges, { source: "conv1:0", target: "class:0", count: 3 }, { source: "nope", target: "fc1:0" }],
      best_paths: [{ class: "0", nodes: ["nope"] }, ...BEST],
      coefficient: "bogus",
      threshold: "x",
    });
    expect(() => mount(widgetModel(d, ["conv1:0", "class:0"], { path_stats: "bad" }))).not.toThrow();
    expect(edges()).toHaveLength(8);
    expect(inPath()).toEqual(["conv1:0"]); // the valid prefix
    expect(coefSelect().value).toBe("confidence");
    expect(el.querySelectorAll(".gb-best-path")).toHaveLength(2);
  });

  it("derives the columns from the nodes when the list is missing", () => {
    const d = small();
    delete (d as Record<string, unknown>).columns;
    mount(model(d));
    expect(Array.from(el.querySelectorAll(".gb-column-label"), (t) => t.textContent)).toEqual(["conv1", "fc1", "class"]);
  });
});

describe("cleanup", () => {
  it("removes model listeners, DOM listeners and the DOM", () => {
    const m = model();
    const dispose = mount(m);
    expect(m.listenerCount("change:_data")).toBe(1);
    expect(m.listenerCount("change:_selection")).toBe(1);
    const root = el.firstElementChild as HTMLElement;
    dispose();
    expect(m.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);
    document.body.appendChild(root);
    click(root.querySelector('.gb-flow-node[data-id="conv1:0"]')!);
    key(root.querySelector('.gb-flow-node[data-id="conv1:0"]')!, "Enter");
    key(root, "Escape");
    expect(m.saveCount).toBe(0);
    expect(m.requests).toHaveLength(0);
    root.remove();
    m.pythonSet("_data", small({ title: "changed" }));
    expect(el.children).toHaveLength(0);
  });
});

describe("helpers", () => {
  it("nextPath appends along an edge, pops the last node, else restarts", () => {
    const d = normalize(small())!;
    expect(nextPath(d, [], "fc1:0")).toEqual(["fc1:0"]);
    expect(nextPath(d, ["conv1:0"], "fc1:1")).toEqual(["conv1:0", "fc1:1"]);
    expect(nextPath(d, ["conv1:1"], "fc1:0")).toEqual(["fc1:0"]); // no edge
    expect(nextPath(d, ["conv1:0", "fc1:1"], "fc1:1")).toEqual(["conv1:0"]);
    expect(nextPath(d, ["conv1:0", "fc1:1"], "conv1:0")).toEqual(["conv1:0"]);
    expect(nextPath(d, ["conv1:0"], "unknown")).toEqual(["conv1:0"]);
    expect(validPath(d.byId, d.edgeByKey, ["conv1:1", "fc1:0", "class:0"])).toEqual(["conv1:1"]);
    expect(validPath(d.byId, d.edgeByKey, ["conv1:1", "fc1:0", "class:0"], false)).toEqual(["conv1:1", "fc1:0", "class:0"]);
  });

  it("fits text and compares clusters naturally", () => {
    expect(fitText("dense_layer_4", 1000, 11)).toBe("dense_layer_4");
    const cut = fitText("dense_layer_4", 40, 11);
    expect(cut.endsWith("…")).toBe(true);
    expect(textWidth(cut, 11)).toBeLessThanOrEqual(40);
    expect(fitText("abc", 3, 11)).toBe("");
    expect(["10", "2", "b", "1", "a"].sort(naturalCompare)).toEqual(["1", "2", "10", "a", "b"]);
    expect(edgeStyle(0, 1).width).toBeLessThan(edgeStyle(1, 1).width);
    expect(edgeStyle(NaN, 1)).toEqual(edgeStyle(0, 1));
    expect(normalize(null)).toBeNull();
    expect(normalize([1, 2])).toBeNull();
  });

  it("gives every class its own colour: Okabe–Ito up to 7 classes, ten distinct hues for 10", () => {
    expect(new Set(Array.from({ length: 7 }, (_, i) => pathColor(i, 7))).size).toBe(7);
    expect(pathColor(0, 3)).toBe("#0072B2");
    expect(new Set(Array.from({ length: 10 }, (_, i) => pathColor(i, 10))).size).toBe(10);
    expect(Array.from({ length: 10 }, (_, i) => pathColor(i, 10))).not.toContain("#000000"); // black is the user's path
    expect(pathColor(-1, 10)).toBe("#8c959f");
  });
});
