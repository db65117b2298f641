import { describe, expect, it } from "vitest";

import widget, {
  LAYOUT_TICKS,
  NEGATIVE,
  NO_DATA_TEXT,
  NO_INPUTS_TEXT,
  NO_NODES_TEXT,
  POSITIVE,
  SELECT_HINT_TEXT,
  communityColors,
  defaultThreshold,
  edgeBudget,
  edgeStyle,
  edgesOf,
  graphHeight,
  layoutGraph,
  normalize,
  strongestThreshold,
  unionEdges,
  weightName,
} from "../src/widgets/neuron_graph_view";
import { NEUTRAL } from "../src/shared/palette";
import { widgetModel } from "./fake_model";
import { change, click, el, hover, key, unhover, useWidget } from "./mount";

// ------------------------------------------------------------------ data: a planted community graph

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

type Edge = { source: string; target: string; weight: number; stability: number | null };

/**
 * View data as NeuronGraphFinding.view_data() sends it: communities of the given sizes (dense
 * inside, a few weak edges between), then `isolated` neurons without edges; degree, strength
 * and the hubs (top `hubs` by strength) are computed from the edges.
 */
function graph(sizes = [8, 6, 4], isolated = 2, seed = 3, hubs = 2, extra: Record<string, unknown> = {}) {
  const r = rng(seed);
  const community: number[] = [];
  sizes.forEach((s, c) => community.push(...Array.from({ length: s }, () => c)));
  for (let i = 0; i < isolated; i++) community.push(sizes.length + i);
  const n = community.length;
  const neuron = (i: number) => 10 + 7 * i;
  const edges: Edge[] = [];
  const seen = new Set<string>();
  const add = (a: number, b: number, w: number) => {
    const k = a < b ? `${a}-${b}` : `${b}-${a}`;
    if (a === b || seen.has(k)) return;
    seen.add(k);
    edges.push({ source: `n${neuron(a)}`, target: `n${neuron(b)}`, weight: Number(w.toFixed(3)), stability: null });
  };
  let start = 0;
  for (const s of sizes) {
    for (let i = 0; i < s; i++) add(start + i, start + ((i + 1) % s), (r() < 0.7 ? 1 : -1) * (0.15 + 0.4 * r()));
    for (let i = 0; i < s; i++) add(start + i, start + Math.floor(r() * s), (r() < 0.7 ? 1 : -1) * (0.1 + 0.4 * r()));
    start += s;
  }
  // weak links between consecutive communities
  start = 0;
  for (let c = 0; c + 1 < sizes.length; c++) {
    add(start, start + sizes[c], 0.06);
    start += sizes[c];
  }
  const degree = new Array<number>(n).fill(0);
  const strength = new Array<number>(n).fill(0);
  const idx = (id: string) => (Number(id.slice(1)) - 10) / 7;
  for (const e of edges) {
    for (const id of [e.source, e.target]) {
      degree[idx(id)] += 1;
      strength[idx(id)] += Math.abs(e.weight);
    }
  }
  const hubSet = new Set([...strength.keys()].sort((a, b) => strength[b] - strength[a]).slice(0, hubs));
  const nodes = community.map((c, i) => ({
    id: `n${neuron(i)}`,
    neuron: neuron(i),
    label: `#${neuron(i)}`,
    community: c,
    degree: degree[i],
    strength: Number(strength[i].toFixed(3)),
    hub: hubSet.has(i),
    variance: 1 + (i % 3) * 0.25,
    members: [neuron(i)],
  }));
  return {
    title: "Neuron graph · blocks.0.mlp.hook_post",
    caption: "graphical lasso, alpha by 3-fold CV",
    nodes,
    edges,
    edge_sets: null,
    edge_set: null,
    threshold: 0.05,
    actions: ["dropped 1 constant neuron: #3"],
    ...extra,
  };
}

const TOP = [
  { label: "text[3] token 'sun'", activation: 4.2, topic: "astronomy" },
  { label: "text[7] token 'moon'", activation: 2.1, topic: "astronomy" },
  { label: "text[1] token 'oven'", activation: -0.5, topic: null },
];

const { mount, unmount } = useWidget(widget);

/** A model as Python creates it: `selected` is the selected neuron, `inputs` its top inputs (the details). */
const model = (d: unknown = graph(), selected: number | null = null, inputs: unknown[] = []) => widgetModel(d, selected, { top_inputs: inputs });
const nodes = () => Array.from(el.querySelectorAll<SVGGElement>(".gb-node"));
const nodeOf = (neuron: number) => el.querySelector<SVGGElement>(`.gb-node[data-neuron="${neuron}"]`)!;
const edges = () => Array.from(el.querySelectorAll<SVGLineElement>(".gb-edge"));
const shownEdges = () => edges().filter((e) => e.getAttribute("display") !== "none");
const slider = () => el.querySelector<HTMLInputElement>(".gb-threshold-input")!;
const setSelect = () => el.querySelector<HTMLSelectElement>(".gb-edge-set-select")!;
const xy = (g: Element) => g.getAttribute("transform")!.match(/translate\(([-\d.]+),([-\d.]+)\)/)!.slice(1).map(Number);
const labelShown = (g: Element) => g.querySelector(".gb-node-label")!.getAttribute("display") !== "none";
const fillOf = (g: Element) => (g.querySelector(".gb-node-dot") as SVGElement).style.fill;
const sideTitle = () => el.querySelector(".gb-neuron-title")!.textContent;
const inputRows = () => Array.from(el.querySelectorAll<HTMLElement>(".gb-input-row"));

describe("graph", () => {
  it("draws one node per neuron and one line per edge, with title, caption and actions", () => {
    const d = graph();
    mount(model(d));
    expect(nodes()).toHaveLength(20);
    expect(edges()).toHaveLength(d.edges.length);
    expect(el.querySelector(".gb-title")!.textContent).toBe("Neuron graph · blocks.0.mlp.hook_post");
    expect(el.querySelector(".gb-caption")!.textContent).toContain("graphical lasso");
    expect(Array.from(el.querySelectorAll(".gb-action"), (a) => a.textContent)).toEqual(["dropped 1 constant neuron: #3"]);
    expect(nodeOf(10).querySelector("title")!.textContent).toMatch(/^#10 · community 0 · degree \d+ · strength [\d.]+ · variance 1/);
    const e = edges().find((x) => x.dataset.source === "n10" && x.dataset.target === "n17")!;
    expect(e.querySelector("title")!.textContent).toMatch(/^#10 — #17: partial correlation [+−]0\.\d\d$/);
  });

  it("colours nodes by community (grey when alone), rings the hubs, sizes by strength", () => {
    const d = graph();
    mount(model(d));
    const c0 = d.nodes.filter((n) => n.community === 0).map((n) => fillOf(nodeOf(n.neuron)));
    expect(new Set(c0).size).toBe(1);
    const firsts = [0, 1, 2].map((c) => fillOf(nodeOf(d.nodes.find((n) => n.community === c)!.neuron)));
    expect(new Set(firsts).size).toBe(3);
    const lonely = d.nodes.filter((n) => n.community >= 3);
    expect(lonely).toHaveLength(2);
    for (const n of lonely) expect(fillOf(nodeOf(n.neuron))).toBe("rgb(140, 149, 159)"); // NEUTRAL
    const hubs = d.nodes.filter((n) => n.hub);
    expect(el.querySelectorAll(".gb-hub-ring")).toHaveLength(2);
    for (const n of hubs) expect(nodeOf(n.neuron).querySelector(".gb-hub-ring")).not.toBeNull();
    const r = (neuron: number) => Number(nodeOf(neuron).querySelector(".gb-node-dot")!.getAttribute("r"));
    const strongest = [...d.nodes].sort((a, b) => b.strength - a.strength)[0];
    expect(r(strongest.neuron)).toBeGreaterThan(r(lonely[0].neuron));
  });

  it("labels only the hubs (and the selected neuron), so that large graphs stay readable", () => {
    const d = graph([40, 40, 30, 30, 20], 96, 5, 6);
    mount(model(d, 10 + 7 * 100));
    expect(nodes()).toHaveLength(256);
    const labelled = nodes().filter(labelShown).map((g) => Number(g.dataset.neuron));
    const expected = d.nodes.filter((n) => n.hub).map((n) => n.neuron);
    expect(labelled.sort()).toEqual([...new Set([...expected, 710])].sort());
    // smaller dots for many neurons
    expect(Math.max(...nodes().map((g) => Number(g.querySelector(".gb-node-dot")!.getAttribute("r"))))).toBeLessThanOrEqual(6);
  });

  it("edges are blue when positive and red when negative, wider for larger |weight|", () => {
    const d = graph();
    mount(model(d));
    const pos = edges().filter((e) => e.classList.contains("gb-positive"));
    const neg = edges().filter((e) => e.classList.contains("gb-negative"));
    expect(pos.length).toBeGreaterThan(0);
    expect(neg.length).toBeGreaterThan(0);
    expect(pos.every((e) => e.getAttribute("stroke") === POSITIVE)).toBe(true);
    expect(neg.every((e) => e.getAttribute("stroke") === NEGATIVE)).toBe(true);
    const weightOf = (line: Element) => Math.abs(d.edges.find((e) => e.source === line.getAttribute("data-source") && e.target === line.getAttribute("data-target"))!.weight);
    const sorted = [...edges()].sort((a, b) => weightOf(a) - weightOf(b));
    const w = (line: Element) => Number(line.getAttribute("stroke-width"));
    expect(w(sorted[sorted.length - 1])).toBeGreaterThan(w(sorted[0]));
    // drawn weakest first: the strongest edge is on top
    expect(edges()[edges().length - 1]).toBe(sorted[sorted.length - 1]);
  });
});

describe("layout", () => {
  it("is deterministic: the same data gives the same positions", () => {
    const m1 = model();
    const dispose = mount(m1);
    const first = nodes().map((g) => g.getAttribute("transform"));
    dispose();
    mount(model());
    expect(nodes().map((g) => g.getAttribute("transform"))).toEqual(first);
    const d = normalize(graph())!;
    const a = layoutGraph(d, 500, 400);
    const b = layoutGraph(d, 500, 400);
    expect([...a.pos.values()]).toEqual([...b.pos.values()]);
    expect(LAYOUT_TICKS).toBe(300);
  });

  it("keeps nodes inside the box, apart from each other, and communities together", () => {
    const d = normalize(graph([10, 10, 10], 4, 9, 3))!;
    const L = layoutGraph(d, 520, 420);
    const ps = d.nodes.map((n) => ({ n, p: L.pos.get(n.id)! }));
    const band = new Set(L.band!.ids);
    for (const { n, p } of ps) {
      expect(p.x - p.r).toBeGreaterThanOrEqual(0);
      expect(p.y - p.r).toBeGreaterThanOrEqual(0);
      expect(p.x + p.r).toBeLessThanOrEqual(520);
      // the linked neurons in the graph's box, the others in the grid under it
      expect(p.y + p.r).toBeLessThanOrEqual(band.has(n.id) ? L.height : 420);
    }
    expect(L.height).toBeGreaterThan(420);
    let minGap = Infinity;
    let within = 0;
    let nWithin = 0;
    let between = 0;
    let nBetween = 0;
    for (let i = 0; i < ps.length; i++) {
      for (let j = i + 1; j < ps.length; j++) {
        const a = ps[i];
        const b = ps[j];
        const dist = Math.hypot(a.p.x - b.p.x, a.p.y - b.p.y);
        minGap = Math.min(minGap, dist - a.p.r - b.p.r);
        if (a.n.community! >= 3 || b.n.community! >= 3) continue;
        if (a.n.community === b.n.community) [within, nWithin] = [within + dist, nWithin + 1];
        else [between, nBetween] = [between + dist, nBetween + 1];
      }
    }
    expect(minGap).toBeGreaterThan(0); // no overlapping dots
    expect(within / nWithin).toBeLessThan(0.6 * (between / nBetween));
  });

  it("puts neurons without edges in a tidy grid under the graph, not on its rim", () => {
    const d = normalize(graph([10, 10], 6, 2, 2))!;
    const L = layoutGraph(d, 500, 400);
    const alone = d.nodes.filter((n) => n.community! >= 2);
    const linked = d.nodes.filter((n) => n.community! < 2);
    expect(L.band!.ids).toEqual(alone.map((n) => n.id));
    expect(L.band!.y).toBe(400);
    expect(L.band!.minWeight).toBe(0); // every edge is laid out: they have none at all
    const ys = alone.map((n) => L.pos.get(n.id)!.y);
    expect(new Set(ys).size).toBe(1); // one row
    const xs = alone.map((n) => L.pos.get(n.id)!.x);
    const gaps = xs.slice(1).map((x, i) => x - xs[i]);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThan(1e-9); // evenly spaced
    expect((xs[0] + xs[xs.length - 1]) / 2).toBeCloseTo(250); // centred
    expect(Math.min(...ys)).toBeGreaterThan(Math.max(...linked.map((n) => L.pos.get(n.id)!.y)));
    // the linked neurons use the box: spread over most of its width and height, not a ball in the middle
    const lx = linked.map((n) => L.pos.get(n.id)!.x);
    const ly = linked.map((n) => L.pos.get(n.id)!.y);
    expect(Math.max(...lx) - Math.min(...lx)).toBeGreaterThan(0.5 * 500);
    expect(Math.max(...ly) - Math.min(...ly)).toBeGreaterThan(0.25 * 400);
    expect(graphHeight(20)).toBe(320);
    expect(graphHeight(256)).toBe(620);
  });

  it("draws the grid with a line that says why its neurons are there", () => {
    mount(model(graph([8, 6, 4], 3)));
    const band = el.querySelector(".gb-isolated-band")!;
    expect(band.querySelector(".gb-band-label")!.textContent).toBe("3 neurons without edges");
    const svg = el.querySelector("svg.gb-neuron-svg")!;
    expect(Number(svg.getAttribute("height"))).toBeGreaterThan(320);
  });

  it("lays out and shows only the strongest edges of a dense graph, with a count and a way to see more", () => {
    // 30 neurons, every pair linked: 435 edges, far more than the budget of 75
    const n = 30;
    const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, neuron: i, community: i % 3, degree: n - 1, strength: 1, hub: false }));
    const edges: Edge[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) edges.push({ source: `n${i}`, target: `n${j}`, weight: (i % 3 === j % 3 ? 0.5 : 0.02) + 0.0001 * (i * n + j), stability: null });
    const d = { nodes, edges, threshold: 0.05 };
    const m = model(d);
    mount(m);
    expect(edgeBudget(n)).toBe(75);
    const budgetT = strongestThreshold(normalize(d)!.edges, 75);
    expect(Number(slider().value)).toBeCloseTo(budgetT);
    expect(shownEdges()).toHaveLength(75);
    expect(el.querySelector(".gb-edge-count")!.textContent).toBe("75 of 435 edges shown");
    expect((el.querySelector(".gb-edge-note") as HTMLElement).hidden).toBe(false);
    expect((el.querySelector(".gb-relayout") as HTMLElement).hidden).toBe(true); // the layout's edges are the ones shown
    // the slider shows more; the layout can then be run over those edges
    slider().value = "0";
    slider().dispatchEvent(new Event("input", { bubbles: true }));
    expect(shownEdges()).toHaveLength(435);
    expect((el.querySelector(".gb-edge-note") as HTMLElement).hidden).toBe(true);
    const relayout = el.querySelector<HTMLButtonElement>(".gb-relayout")!;
    expect(relayout.hidden).toBe(false);
    const before = nodes.map((v) => nodeOf(v.neuron).getAttribute("transform"));
    click(relayout);
    expect(nodes.map((v) => nodeOf(v.neuron).getAttribute("transform"))).not.toEqual(before);
    expect((el.querySelector(".gb-relayout") as HTMLElement).hidden).toBe(true);
    expect(shownEdges()).toHaveLength(435);
    expect(m.saveCount).toBe(0); // all in the browser
  });

  it("each edge set starts from its own strongest edges; a moved slider keeps its place instead", () => {
    const n = 30;
    const nodes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, neuron: i, community: i % 3, strength: 1 }));
    const dense: Edge[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) dense.push({ source: `n${i}`, target: `n${j}`, weight: 0.01 + 0.0002 * (i * n + j), stability: null });
    const d = { nodes, edges: [], edge_sets: { dense, few: dense.slice(-10) }, edge_set: "few", threshold: 0.05 };
    mount(model(d));
    expect(shownEdges()).toHaveLength(10);
    setSelect().value = "dense";
    change(setSelect());
    expect(Number(slider().value)).toBeCloseTo(defaultThreshold(normalize(d)!, "dense"));
    expect(shownEdges()).toHaveLength(75);
    slider().value = String(Number(slider().max) / 2);
    slider().dispatchEvent(new Event("input", { bubbles: true }));
    setSelect().value = "few";
    change(setSelect());
    const fewMax = Math.max(...dense.slice(-10).map((e) => e.weight));
    expect(Number(slider().value)).toBeCloseTo(fewMax / 2, 3);
  });
});

describe("threshold", () => {
  it("starts from Python's threshold and hides edges whose |weight| is below the slider", () => {
    const d = graph([8, 6, 4], 2, 3, 2, { threshold: 0.2 });
    mount(model(d));
    const strong = d.edges.filter((e) => Math.abs(e.weight) >= 0.2).length;
    expect(Number(slider().value)).toBeCloseTo(0.2);
    expect(shownEdges()).toHaveLength(strong);
    expect(el.querySelector(".gb-edge-count")!.textContent).toBe(`${strong} of ${d.edges.length} edges shown`);
    slider().value = "0.4";
    slider().dispatchEvent(new Event("input", { bubbles: true }));
    const stronger = d.edges.filter((e) => Math.abs(e.weight) >= 0.4).length;
    expect(stronger).toBeLessThan(strong);
    expect(shownEdges()).toHaveLength(stronger);
    expect(el.querySelector(".gb-threshold-value")!.textContent).toBe("0.4");
    slider().value = "0";
    slider().dispatchEvent(new Event("input", { bubbles: true }));
    expect(shownEdges()).toHaveLength(d.edges.length);
    expect(Number(slider().max)).toBeCloseTo(Math.max(...d.edges.map((e) => Math.abs(e.weight))));
  });

  it("keeps the browser's threshold when Python sends a new selection, or the same threshold again", () => {
    const m = model();
    mount(m);
    slider().value = "0.3";
    slider().dispatchEvent(new Event("input", { bubbles: true }));
    m.pythonSelect(10, { top_inputs: TOP });
    expect(Number(slider().value)).toBeCloseTo(0.3);
    m.pythonSet("_data", graph([8, 6, 4], 2, 3, 2, { caption: "refitted" }));
    expect(Number(slider().value)).toBeCloseTo(0.3);
  });
});

describe("selection", () => {
  it("a click asks Python once for the neuron (an int); Python's answer fills the side panel", () => {
    const m = model();
    mount(m);
    expect(el.querySelector(".gb-inputs-body")!.textContent).toBe(SELECT_HINT_TEXT);
    const svg = el.querySelector("svg.gb-neuron-svg");
    click(nodeOf(24));
    expect(m.get("_request")).toEqual({ id: 1, value: 24 });
    expect(m.saveCount).toBe(1);
    expect(m.saves[0]._request).toEqual({ id: 1, value: 24 });
    expect(nodeOf(24).classList.contains("gb-pending")).toBe(true);
    expect((el.querySelector(".gb-status") as HTMLElement).hidden).toBe(false);
    expect(el.querySelector(".gb-status-text")!.textContent).toBe("finding the inputs that activate #24…");
    expect(sideTitle()).toBe("#24: top inputs");

    m.reply({ details: { top_inputs: TOP } });
    expect(nodeOf(24).classList.contains("gb-pending")).toBe(false);
    expect(nodeOf(24).classList.contains("gb-selected")).toBe(true);
    expect(nodeOf(24).getAttribute("aria-pressed")).toBe("true");
    expect(labelShown(nodeOf(24))).toBe(true);
    expect((el.querySelector(".gb-status") as HTMLElement).hidden).toBe(true);
    expect(el.querySelector("svg.gb-neuron-svg")).toBe(svg); // the graph is not redrawn
    const rows = inputRows();
    expect(rows.map((r) => r.querySelector(".gb-input-label")!.textContent)).toEqual(TOP.map((t) => t.label));
    expect(rows.map((r) => r.querySelector(".gb-bar-value")!.textContent)).toEqual(["4.2", "2.1", "−0.5"]);
    const width = (r: HTMLElement) => parseFloat((r.querySelector(".gb-bar-fill") as HTMLElement).style.width);
    expect(width(rows[0])).toBeCloseTo(100);
    expect(width(rows[1])).toBeCloseTo(50);
    expect(rows[2].querySelector(".gb-bar-fill")!.classList.contains("gb-negative")).toBe(true);
    expect(rows[0].querySelector(".gb-topic")!.textContent).toBe("astronomy");
    expect(rows[2].querySelector(".gb-topic")).toBeNull();
    expect(el.querySelector(".gb-neuron-stats")!.textContent).toMatch(/^community 0 · degree/);
    expect(m.saveCount).toBe(1);
  });

  it("a new selection from Python (e.g. finding.select_neuron in code) re-renders the panel", () => {
    const m = model(graph(), 24, TOP);
    mount(m);
    expect(sideTitle()).toBe("#24: top inputs");
    m.pythonSelect(80, { top_inputs: [TOP[1]] });
    expect(sideTitle()).toBe("#80: top inputs");
    expect(inputRows()).toHaveLength(1);
    expect(nodeOf(24).classList.contains("gb-selected")).toBe(false);
    expect(nodeOf(80).classList.contains("gb-selected")).toBe(true);
    m.pythonSelect(80, { top_inputs: [] });
    expect(el.querySelector(".gb-inputs-body")!.textContent).toBe(NO_INPUTS_TEXT);
  });

  it("shows Python's error and keeps its selection; clicking the same neuron again is sent again", () => {
    const m = model(graph(), 24, TOP);
    mount(m);
    click(nodeOf(24)); // already selected: nothing to ask
    expect(m.saveCount).toBe(0);
    click(nodeOf(31));
    m.reply({ error: "neuron 31 has no samples" });
    expect(el.querySelector(".gb-neuron-error")!.textContent).toBe("neuron 31 has no samples");
    expect(el.querySelector(".gb-neuron-error")!.closest(".gb-neuron-side")).not.toBeNull();
    expect(nodeOf(24).classList.contains("gb-selected")).toBe(true);
    expect(nodeOf(31).classList.contains("gb-pending")).toBe(false);
    expect(inputRows()).toHaveLength(3);
    click(nodeOf(31));
    expect(m.saveCount).toBe(2);
    expect(m.requested).toEqual([31, 31]);
    expect((el.querySelector(".gb-neuron-error") as HTMLElement).hidden).toBe(true);
  });

  it("a selected duplicate (a member of a merged node) selects its node", () => {
    const d = graph();
    d.nodes[0].members = [10, 999];
    mount(model(d, 999, TOP));
    expect(nodeOf(10).classList.contains("gb-selected")).toBe(true);
    expect(el.querySelector(".gb-neuron-stats")!.textContent).toContain("stands for #10, #999 (duplicates)");
  });

  it("Enter and Space select a focused neuron; arrow keys move focus to a neighbour in that direction", () => {
    const m = model().autoReply();
    mount(m);
    expect(nodes().filter((g) => g.getAttribute("tabindex") === "0")).toHaveLength(1);
    const start = nodes().find((g) => g.getAttribute("tabindex") === "0")!;
    start.focus();
    key(start, "Enter");
    expect(m.requested).toEqual([Number(start.dataset.neuron)]);
    const [x0] = xy(start);
    key(start, "ArrowRight");
    const moved = document.activeElement as SVGGElement;
    expect(moved).not.toBe(start);
    expect(moved.classList.contains("gb-node")).toBe(true);
    expect(xy(moved)[0]).toBeGreaterThan(x0);
    expect(moved.getAttribute("tabindex")).toBe("0");
    key(moved, " ");
    expect(m.requested).toEqual([Number(start.dataset.neuron), Number(moved.dataset.neuron)]);
    expect(m.saveCount).toBe(2);
  });
});

describe("hover", () => {
  it("highlights the node's edges and tells its id, community and degree", () => {
    const d = graph();
    mount(model(d));
    const g = nodeOf(10);
    hover(g);
    expect(el.querySelector(".gb-neuron-graph-view")!.classList.contains("gb-hovering")).toBe(true);
    const incident = edges().filter((e) => e.classList.contains("gb-incident"));
    const expected = d.edges.filter((e) => e.source === "n10" || e.target === "n10");
    expect(incident).toHaveLength(expected.length);
    expect(incident.every((e) => e.dataset.source === "n10" || e.dataset.target === "n10")).toBe(true);
    const info = el.querySelector(".gb-node-info")!.textContent!;
    expect(info).toMatch(new RegExp(`^#10 · community 0 · degree ${d.nodes[0].degree} · `));
    expect(labelShown(g)).toBe(true);
    unhover(g);
    expect(edges().some((e) => e.classList.contains("gb-incident"))).toBe(false);
    expect(el.querySelector(".gb-node-info")!.classList.contains("gb-hint")).toBe(true);
  });
});

describe("edge sets (topic comparison)", () => {
  function comparison() {
    const d = graph();
    const cooking = d.edges.slice(0, 10);
    const finance = d.edges.slice(5, 20).map((e) => ({ ...e, weight: -e.weight, stability: 0.9 }));
    const difference = [{ ...d.edges[0], weight: 0.42, stability: 0.95 }];
    return { ...d, edges: [], edge_sets: { cooking, finance, difference }, edge_set: "difference" };
  }

  it("a dropdown switches edge sets over the same node positions, starting from Python's choice", () => {
    const d = comparison();
    mount(model(d));
    expect(setSelect().value).toBe("difference");
    expect(Array.from(setSelect().options, (o) => o.value)).toEqual(["cooking", "finance", "difference"]);
    expect(edges()).toHaveLength(1);
    expect(edges()[0].querySelector("title")!.textContent).toBe("#10 — #17: difference +0.42 · stability 95%");
    const before = nodes().map((g) => g.getAttribute("transform"));
    setSelect().value = "finance";
    change(setSelect());
    expect(edges()).toHaveLength(15);
    expect(edges().every((e) => e.getAttribute("stroke") === (e.classList.contains("gb-positive") ? POSITIVE : NEGATIVE))).toBe(true);
    expect(edges()[0].querySelector("title")!.textContent).toMatch(/partial correlation .* · stability 90%$/);
    expect(nodes().map((g) => g.getAttribute("transform"))).toEqual(before);
    expect(el.querySelector(".gb-graph-head")!.textContent).toContain("finance");
    setSelect().value = "cooking";
    change(setSelect());
    expect(edges()).toHaveLength(10);
  });

  it("the legend and the edges say what a difference compares", () => {
    const d = comparison();
    const base = graph().edges;
    const difference = [
      { ...base[0], weight: 0.42, stability: 0.95, higher: "cooking", lower: "finance", weights: { cooking: 0.3, finance: -0.12 } },
      { ...base[1], weight: -0.2, stability: 0.9, higher: "finance", lower: "cooking", weights: { cooking: -0.25, finance: -0.05 } },
    ];
    const info = {
      difference: { weight: "ρ(cooking) − ρ(finance)", positive: "partial correlation higher for cooking than for finance", negative: "partial correlation higher for finance than for cooking" },
      cooking: { weight: "partial correlation for cooking", positive: "positive partial correlation for cooking", negative: "negative partial correlation for cooking" },
    };
    mount(model({ ...d, edge_sets: { ...d.edge_sets, difference }, edge_set_info: info }));
    const legend = () => Array.from(el.querySelectorAll(".gb-neuron-legend .gb-legend-item"), (i) => i.textContent);
    expect(legend().slice(0, 3)).toEqual([
      "blue: partial correlation higher for cooking than for finance",
      "red: partial correlation higher for finance than for cooking",
      "width ∝ |ρ(cooking) − ρ(finance)| (largest 0.42)",
    ]);
    const titles = edges().map((e) => e.querySelector("title")!.textContent);
    expect(titles).toContain("#10 — #17: ρ(cooking) − ρ(finance) +0.42 · partial correlation higher for cooking (+0.30) than for finance (−0.12) · stability 95%");
    expect(edges().find((e) => e.classList.contains("gb-negative"))!.querySelector("title")!.textContent).toContain("higher for finance (−0.05) than for cooking (−0.25)");
    setSelect().value = "cooking";
    change(setSelect());
    expect(legend()[0]).toBe("blue: positive partial correlation for cooking");
    setSelect().value = "finance"; // no words sent for it: the partial correlation's
    change(setSelect());
    expect(legend().slice(0, 2)).toEqual(["blue: positive partial correlation", "red: negative partial correlation"]);
  });

  it("a difference set without negative edges has no red entry in its legend", () => {
    const d = comparison();
    const info = { difference: { weight: "gap in partial correlation", positive: "the partial correlation differs between topics", negative: null } };
    mount(model({ ...d, edge_set_info: info }));
    const legend = Array.from(el.querySelectorAll(".gb-neuron-legend .gb-legend-item"), (i) => i.textContent);
    expect(legend[0]).toBe("blue: the partial correlation differs between topics");
    expect(legend[1]).toBe("width ∝ |gap in partial correlation| (largest 0.42)");
    expect(el.querySelector(".gb-legend-negative")).toBeNull();
  });

  it("has no dropdown for a single graph", () => {
    mount(model());
    expect((el.querySelector(".gb-edge-set") as HTMLElement).hidden).toBe(true);
  });

  it("edge-set helpers: the shown set, the union for the layout, the weight's name", () => {
    const d = normalize(comparison())!;
    expect(edgesOf(d, "finance")).toHaveLength(15);
    expect(edgesOf(d, "nope")).toHaveLength(1); // falls back to Python's choice
    expect(unionEdges(d)).toHaveLength(20);
    expect(weightName("difference")).toBe("difference");
    expect(weightName("cooking")).toBe("partial correlation");
    expect(weightName(null)).toBe("partial correlation");
  });
});

describe("robustness", () => {
  it("renders a message when _data is missing, then the graph when it arrives", () => {
    const m = widgetModel(undefined);
    expect(() => mount(m)).not.toThrow();
    expect(el.querySelector(".gb-empty")!.textContent).toBe(NO_DATA_TEXT);
    m.pythonSet("_data", graph());
    expect(nodes()).toHaveLength(20);
    expect((el.querySelector(".gb-empty") as HTMLElement).hidden).toBe(true);
  });

  it("copes with {}, unknown endpoints, self-loops, duplicates, NaN weights and bad fields", () => {
    expect(() => mount(widgetModel({}))).not.toThrow();
    expect(el.querySelector(".gb-empty")!.textContent).toBe(NO_NODES_TEXT);
    unmount();
    const d = graph();
    const bad = {
      ...d,
      nodes: [...d.nodes, { id: "n10", neuron: 10 }, { id: "x" }, { neuron: 5000 }],
      edges: [...d.edges, { source: "n10", target: "nope", weight: 0.5 }, { source: "n10", target: "n10", weight: 0.5 }, { ...d.edges[0] }, { source: "n10", target: "n24", weight: null }],
      threshold: "x",
      actions: null,
    };
    expect(() => mount(widgetModel(bad, 123456, { top_inputs: "bad" }))).not.toThrow();
    expect(nodes()).toHaveLength(21); // the node given only by its neuron id is kept as n5000
    expect(nodeOf(5000).dataset.id).toBe("n5000");
    expect(edges()).toHaveLength(d.edges.length);
    expect(el.querySelectorAll(".gb-selected, .gb-pending")).toHaveLength(0);
    expect((el.querySelector(".gb-actions") as HTMLElement).hidden).toBe(true);
  });

  it("normalize and the small helpers", () => {
    expect(normalize(null)).toBeNull();
    expect(normalize([1])).toBeNull();
    const d = normalize(graph())!;
    expect(d.byNeuron.get(10)!.id).toBe("n10");
    const colors = communityColors(d.nodes);
    expect(colors.get(3)).toBe(NEUTRAL);
    expect(new Set([colors.get(0), colors.get(1), colors.get(2)]).size).toBe(3);
    expect(edgeStyle(0.1, 0.5).width).toBeLessThan(edgeStyle(0.5, 0.5).width);
    expect(edgeStyle(NaN, 1)).toEqual(edgeStyle(0, 1));
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
    click(root.querySelector('.gb-node[data-neuron="10"]')!);
    expect(m.saveCount).toBe(0);
    root.remove();
    m.pythonSet("_data", graph(undefined, undefined, undefined, undefined, { title: "changed" }));
    expect(el.children).toHaveLength(0);
  });
});
