import { describe, expect, it } from "vitest";

import widget, {
  ATTENTION_HINT_TEXT,
  PINNED,
  EMPTY_CIRCUIT_TEXT,
  NO_ATTENTION_TEXT,
  NO_DATA_TEXT,
  NO_HEADS_TEXT,
  circuitText,
  glyphSize,
  normalize,
  parseHeadKey,
  tokenDisplay,
  typeAbbrev,
} from "../src/widgets/circuit_heatmap";
import { finitePair, indexPair } from "../src/shared/data";
import { formatSigned } from "../src/shared/format";
import { divergingScale, textColorOn } from "../src/shared/palette";
import { cellRings } from "../src/widgets/circuit/grid";
import { widgetModel } from "./fake_model";
import { change, click, el, hover, key, unhover, useWidget } from "./mount";

const TOKENS = ["<|endoftext|>", "When", " Mary", " and", " John", " went", " to", " the", " store", ",", " John", " gave", " a", " drink", " to"];

/** A one-hot-ish attention row peaking at token `peak`. */
function attn(peak: number, mass = 0.6): number[] {
  const rest = (1 - mass) / (TOKENS.length - 1);
  return TOKENS.map((_, i) => (i === peak ? mass : rest));
}

/** IOI-style data on a 3-layer × 4-head toy model. */
function circuitData(overrides: Record<string, unknown> = {}) {
  return {
    title: "IOI circuit in a 3-layer toy model",
    n_layers: 3,
    n_heads: 4,
    scores: [
      [0.05, 0.31, -0.02, 0.12],
      [0.44, -0.07, 0.71, 0.0],
      [-0.21, 1.92, 0.03, -0.84],
    ],
    score_label: "attribution patching (Taylor) — Δ logit diff",
    head_types: [
      [null, "duplicate-token", null, "previous-token"],
      ["induction", null, "s-inhibition", null],
      ["backup-name-mover", "name-mover", null, "negative-name-mover"],
    ],
    tokens: TOKENS,
    attention: { "2.1": attn(2), "1.2": attn(10), "2.3": attn(2, 0.4), "0.3": attn(13, 0.9) },
    logit_diff: { clean: 3.21, corrupted: -2.87 },
    caption: "corruption: ABC dataset (names swapped)",
    ...overrides,
  };
}

/** The circuit Python selected first, and what it makes visible. */
const CIRCUIT = [
  [2, 1],
  [1, 2],
];
const FAITHFULNESS = {
  sufficiency: { value: 0.82, ci: [0.76, 0.87], exact: true },
  comprehensiveness: { value: 0.64, ci: [0.57, 0.7], exact: false },
  f1: { value: 0.72, ci: null, exact: false },
};
const FIDELITY = { metric: "agreement", value: 0.93, ci: [0.9, 0.96] };

const { mount, unmount } = useWidget(widget);

/** A model as Python creates it: `circuit` is the selection, `faithfulness` and `fidelity` its details, the rest extra traits. */
function model({ data = circuitData() as unknown, circuit = CIRCUIT as unknown, faithfulness = FAITHFULNESS as unknown, fidelity = FIDELITY as unknown, ...traits }: Record<string, unknown> = {}) {
  return widgetModel(data, circuit, { faithfulness, fidelity }, { pinned_head: null, ...traits });
}
const cells = () => Array.from(el.querySelectorAll<SVGGElement>(".gb-head-cell"));
const cellAt = (l: number, hd: number) => el.querySelector<SVGGElement>(`.gb-head-cell[data-layer="${l}"][data-head="${hd}"]`)!;
const circuitCells = () =>
  cells()
    .filter((c) => c.classList.contains("gb-in-circuit"))
    .map((c) => `L${c.dataset.layer}H${c.dataset.head}`);
const readout = () => el.querySelector(".gb-selection")!.textContent;
const faith = (metric: string) => el.querySelector<HTMLElement>(`.gb-faith-row[data-metric="${metric}"]`)!;
const bars = () => Array.from(el.querySelectorAll<HTMLElement>(".gb-attention-bar"));
const attnTitle = () => el.querySelector(".gb-attention-title")!.textContent;
const focusSelect = () => el.querySelector<HTMLSelectElement>("select.gb-focus-select")!;

describe("grid", () => {
  it("draws n_layers × n_heads cells with data attributes, titles and type glyphs", () => {
    mount(model());
    expect(cells()).toHaveLength(12);
    expect(el.querySelector(".gb-title")?.textContent).toBe("IOI circuit in a 3-layer toy model");
    const c = cellAt(2, 1);
    expect(c.querySelector("title")!.textContent).toMatch(/^L2H1: score \+1\.92 · type name-mover · in circuit/);
    expect(cellAt(0, 0).querySelector("title")!.textContent).toMatch(/^L0H0: score \+0\.05 · type — · not in circuit/);
    expect(cellAt(2, 3).querySelector("title")!.textContent).toMatch(/^L2H3: score −0\.84 · type negative-name-mover · not in circuit/);
    expect(c.querySelector(".gb-type-glyph")?.textContent).toBe("NM");
    expect(cellAt(0, 3).querySelector(".gb-type-glyph")?.textContent).toBe("PT");
    expect(cellAt(1, 0).querySelector(".gb-type-glyph")?.textContent).toBe("IND");
    expect(cellAt(0, 0).querySelector(".gb-type-glyph")).toBeNull();
    // rows = layers top to bottom, columns = heads left to right
    const pos = (g: SVGGElement) => g.getAttribute("transform")!.match(/translate\(([\d.]+),([\d.]+)\)/)!.slice(1).map(Number);
    expect(pos(cellAt(0, 0))).toEqual([0, 0]);
    expect(pos(cellAt(0, 3))[0]).toBeGreaterThan(pos(cellAt(0, 2))[0]);
    expect(pos(cellAt(2, 0))[1]).toBeGreaterThan(pos(cellAt(1, 0))[1]);
    const size = Number(cellAt(0, 0).querySelector(".gb-cell-fill")!.getAttribute("width")) + 2;
    expect(size).toBeGreaterThanOrEqual(28);
    expect(Array.from(el.querySelectorAll(".gb-head-labels text"), (t) => t.textContent)).toEqual(["H0", "H1", "H2", "H3"]);
    expect(Array.from(el.querySelectorAll(".gb-layer-labels text"), (t) => t.textContent)).toEqual(["L0", "L1", "L2"]);
    expect(el.querySelector(".gb-type-key")!.textContent).toContain("NM name-mover");
    expect(el.querySelector(".gb-type-note")).toBeNull(); // no note was sent
  });

  it("says how the head types were measured: a note under the key, each head's numbers in its tooltip", () => {
    const notes = [[null, null, null, null], [null, null, "from the last token: IO 0.02, S1 0.01, S2 0.90", null], [null, null, null, null]];
    const note = "Types measured on 28 of these prompts as in Wang et al. 2022: …";
    mount(model({ data: circuitData({ head_type_notes: notes, type_note: note }) }));
    expect(el.querySelector(".gb-type-note")!.textContent).toBe(note);
    const lines = cellAt(1, 2).querySelector("title")!.textContent!.split("\n");
    expect(lines[0]).toBe("L1H2: score +0.71 · type s-inhibition · in circuit");
    expect(lines[1]).toMatch(/^click: remove from the circuit/);
    expect(lines[2]).toBe("type measured from the last token: IO 0.02, S1 0.01, S2 0.90");
    expect(cellAt(0, 0).querySelector("title")!.textContent!.split("\n")).toHaveLength(2);
  });

  it("keeps the keyboard focus ring inside the circuit outline and its halo, never over them", () => {
    for (const cell of [28, 36, 44, 72]) {
      const rings = Object.fromEntries(cellRings(cell).map(([cls, inset, stroke]) => [cls, { inner: inset + stroke / 2, outer: inset - stroke / 2 }]));
      expect(rings["gb-cell-outline"].outer).toBeGreaterThanOrEqual(rings["gb-cell-fill"].outer); // on the cell
      expect(rings["gb-focus-halo"].outer).toBeGreaterThan(rings["gb-cell-halo"].inner); // a gap of fill between them
      expect(rings["gb-focus-ring"].inner).toBeLessThan(cell / 2 - 4); // room left for the glyph
    }
    mount(model());
    const ring = cellAt(1, 2).querySelector(".gb-focus-ring")!;
    const outline = cellAt(1, 2).querySelector(".gb-cell-outline")!;
    expect(Number(ring.getAttribute("x"))).toBeGreaterThan(Number(outline.getAttribute("x")) + 3);
    expect(cellAt(1, 2).querySelector(".gb-focus-halo")).not.toBeNull();
  });

  it("colours with a diverging scale centred at 0 (positive warm, negative cool)", () => {
    mount(model());
    const fill = (l: number, hd: number) => cellAt(l, hd).querySelector(".gb-cell-fill")!.getAttribute("fill")!;
    const rgb = (s: string) => s.match(/\d+/g)!.map(Number);
    const [r1, , b1] = rgb(fill(2, 1)); // +1.92, the largest |score|
    const [r2, , b2] = rgb(fill(2, 3)); // -0.84
    expect(r1).toBeGreaterThan(b1);
    expect(b2).toBeGreaterThan(r2);
    const [r0, g0, b0] = rgb(fill(1, 3)); // 0 -> near white
    expect(Math.min(r0, g0, b0)).toBeGreaterThan(230);
    expect(divergingScale(2).domain()).toEqual([-2, 0, 2]);
  });

  it("outlines the circuit heads and lists them in the readout", () => {
    mount(model());
    expect(circuitCells()).toEqual(["L1H2", "L2H1"]);
    expect(cellAt(1, 2).getAttribute("aria-pressed")).toBe("true");
    expect(cellAt(0, 0).getAttribute("aria-pressed")).toBe("false");
    expect(readout()).toBe("circuit: L1H2, L2H1 (2 heads)");
  });

  it("has a legend with the symmetric min / max and the score label", () => {
    mount(model());
    expect(el.querySelector(".gb-legend-bar")).not.toBeNull();
    // negative numbers are written with the minus sign U+2212, like the Altair charts
    expect(el.querySelector(".gb-legend-min")?.textContent).toBe("−1.92");
    expect(el.querySelector(".gb-legend-max")?.textContent).toBe("+1.92");
    expect(el.querySelector(".gb-legend-mid")?.textContent).toBe("0");
    expect(el.querySelectorAll(".gb-legend-marker")).toHaveLength(2);
    expect(Array.from(el.querySelectorAll(".gb-legend-marker title"), (t) => t.textContent)).toEqual(["smallest score −0.84", "largest score +1.92"]);
    expect(el.querySelector("svg.gb-legend")!.getAttribute("aria-label")).toContain("blue −1.92, white 0, red +1.92");
    expect(el.querySelector(".gb-legend-label")?.textContent).toContain("attribution patching (Taylor) — Δ logit diff");
    expect(el.querySelectorAll(".gb-legend stop")).toHaveLength(11);
  });
});

describe("toggling", () => {
  it("a click asks Python for the circuit with that head toggled (one save), without changing the circuit locally", () => {
    const m = model();
    mount(m);
    click(cellAt(0, 3));
    expect(m.get("_request")).toEqual({ id: 1, value: [[0, 3], [1, 2], [2, 1]] });
    expect(m.saveCount).toBe(1);
    expect(m.saves[0]._request).toEqual({ id: 1, value: [[0, 3], [1, 2], [2, 1]] });
    expect(circuitCells()).toEqual(["L1H2", "L2H1"]); // Python decides
    expect(cellAt(0, 3).classList.contains("gb-pending")).toBe(true);
    expect(readout()).toContain("updating L0H3");
  });

  it("Python's new selection updates outlines and numbers and clears the pending style", () => {
    const m = model();
    mount(m);
    click(cellAt(0, 3));
    m.reply({
      details: {
        faithfulness: {
          sufficiency: { value: 0.91, ci: [0.88, 0.94], exact: true },
          comprehensiveness: { value: 0.7, ci: [0.64, 0.75], exact: true },
          f1: { value: 0.79, ci: [0.75, 0.83], exact: true },
        },
      },
    });
    expect(circuitCells()).toEqual(["L0H3", "L1H2", "L2H1"]);
    expect(el.querySelectorAll(".gb-head-cell.gb-pending")).toHaveLength(0);
    expect(readout()).toBe("circuit: L0H3, L1H2, L2H1 (3 heads)");
    expect(faith("sufficiency").querySelector(".gb-faith-value")!.textContent).toBe("0.91 [0.88, 0.94]");
    expect(faith("f1").querySelector(".gb-faith-tag")!.textContent).toBe("exact");
    expect(m.saveCount).toBe(1);
  });

  it("Enter toggles a focused cell; a second click while Python answers is computed against Python's answer", () => {
    const m = model();
    mount(m);
    key(cellAt(1, 1), "Enter");
    expect(m.requested).toEqual([[[1, 1], [1, 2], [2, 1]]]);
    click(cellAt(1, 1)); // waits for the first answer
    expect(m.saveCount).toBe(1);
    expect(cellAt(1, 1).classList.contains("gb-pending")).toBe(true);
    m.reply();
    expect(m.requested).toEqual([
      [[1, 1], [1, 2], [2, 1]],
      [[1, 2], [2, 1]],
    ]);
    expect(cellAt(1, 1).classList.contains("gb-pending")).toBe(true);
    m.reply();
    expect(circuitCells()).toEqual(["L1H2", "L2H1"]);
    expect(cellAt(1, 1).classList.contains("gb-pending")).toBe(false);
  });

  it("shows why Python refused a head and keeps the circuit", () => {
    const m = model();
    mount(m);
    click(cellAt(0, 0));
    m.reply({ error: "L0H0 cannot be ablated alone" });
    expect(circuitCells()).toEqual(["L1H2", "L2H1"]);
    expect(el.querySelectorAll(".gb-head-cell.gb-pending")).toHaveLength(0);
    expect(el.querySelector(".gb-request-error")!.textContent).toBe("L0H0 cannot be ablated alone");
  });

  it("cells are focusable, arrow keys move focus (roving tabindex)", () => {
    mount(model());
    expect(cells().every((c) => c.hasAttribute("tabindex"))).toBe(true);
    expect(cells().filter((c) => c.getAttribute("tabindex") === "0")).toHaveLength(1);
    cellAt(0, 0).focus();
    key(cellAt(0, 0), "ArrowRight");
    expect(document.activeElement).toBe(cellAt(0, 1));
    key(cellAt(0, 1), "ArrowDown");
    expect(document.activeElement).toBe(cellAt(1, 1));
    expect(cellAt(1, 1).getAttribute("tabindex")).toBe("0");
    expect(cellAt(0, 0).getAttribute("tabindex")).toBe("-1");
  });

  it("keeps keyboard focus on the same cell across a _data re-render", () => {
    const m = model();
    mount(m);
    cellAt(2, 3).focus();
    expect(document.activeElement).toBe(cellAt(2, 3));
    m.pythonSet("_data", circuitData({ caption: "re-measured" }));
    expect(document.activeElement).toBe(cellAt(2, 3));
  });
});

describe("faithfulness panel", () => {
  it("shows the three metrics with CI and exact/approx tags, and the logit diff", () => {
    mount(model());
    expect(faith("sufficiency").querySelector(".gb-faith-value")!.textContent).toBe("0.82 [0.76, 0.87]");
    expect(faith("comprehensiveness").querySelector(".gb-faith-value")!.textContent).toBe("0.64 [0.57, 0.70]");
    expect(faith("f1").querySelector(".gb-faith-value")!.textContent).toBe("0.72");
    expect(faith("sufficiency").querySelector(".gb-faith-tag")!.textContent).toBe("exact");
    expect(faith("comprehensiveness").querySelector(".gb-faith-tag")!.textContent).toBe("approx.");
    expect(faith("f1").querySelector(".gb-faith-name")!.textContent).toBe("F1");
    expect(el.querySelector(".gb-logit-diff")!.textContent).toBe("logit diff: clean +3.21 · corrupted −2.87");
  });

  it("writes negative numbers with the minus sign (U+2212), never an ASCII hyphen", () => {
    const faithfulness = {
      sufficiency: { value: -0.12, ci: [-0.2, -0.05], exact: true },
      comprehensiveness: { value: 0.64, ci: [0.57, 0.7], exact: false },
      f1: { value: 0.72, ci: null, exact: false },
    };
    mount(model({ faithfulness }));
    expect(faith("sufficiency").querySelector(".gb-faith-value")!.textContent).toBe("−0.12 [−0.20, −0.05]");
    expect(cellAt(2, 3).querySelector(".gb-cell-score")!.textContent).toBe("−0.84");
    expect(cellAt(2, 1).querySelector(".gb-cell-score")!.textContent).toBe("+1.92");
    expect(el.textContent).not.toMatch(/-\d/);
  });

  it("dims while Python answers and shows the status", () => {
    const m = model();
    mount(m);
    const panel = el.querySelector(".gb-faithfulness")!;
    expect(panel.classList.contains("gb-busy")).toBe(false);
    expect((el.querySelector(".gb-status") as HTMLElement).hidden).toBe(true);
    click(cellAt(0, 1));
    expect(panel.classList.contains("gb-busy")).toBe(true);
    expect(panel.getAttribute("aria-busy")).toBe("true");
    expect((el.querySelector(".gb-status") as HTMLElement).hidden).toBe(false);
    expect(el.querySelector(".gb-status-text")!.textContent).toBe("recomputing faithfulness…");
    expect(el.querySelector(".gb-circuit-heatmap")!.classList.contains("gb-is-busy")).toBe(true);
    m.reply({ details: { faithfulness: FAITHFULNESS } });
    expect(el.querySelector(".gb-faithfulness")).toBe(panel); // persistent
    expect(panel.classList.contains("gb-busy")).toBe(false);
    expect((el.querySelector(".gb-status") as HTMLElement).hidden).toBe(true);
  });

  it("writes the circuit's fidelity in the caption", () => {
    const m = model();
    mount(m);
    expect(el.querySelector(".gb-fidelity")!.textContent).toBe("fidelity agreement = 0.93 [0.90, 0.96]");
    expect(el.querySelector(".gb-caption-text")!.textContent).toBe("corruption: ABC dataset (names swapped)");
    m.pythonSelect([[2, 1]], { faithfulness: FAITHFULNESS, fidelity: { metric: "agreement", value: 0.8, ci_low: 0.75, ci_high: 0.85 } });
    expect(el.querySelector(".gb-fidelity")!.textContent).toBe("fidelity agreement = 0.80 [0.75, 0.85]");
    const text = "agreement = 0.800 [0.750, 0.850] (95% CI) on 40 in-sample prompts";
    m.pythonSelect([[2, 1]], { faithfulness: FAITHFULNESS, fidelity: { metric: "agreement", value: 0.8, ci: [0.75, 0.85], text } });
    expect(el.querySelector(".gb-fidelity")!.textContent).toBe(`fidelity ${text}`);
  });

  it("copes with no faithfulness yet and no logit diff", () => {
    mount(model({ faithfulness: null, data: circuitData({ logit_diff: null }) }));
    expect(el.querySelector(".gb-faith-empty")?.textContent).toBe("not computed yet");
    expect((el.querySelector(".gb-logit-diff") as HTMLElement).hidden).toBe(true);
  });
});

describe("logit lens panel", () => {
  const lens = { labels: ["embed", "after L0", "after L1", "after L2"], by_layer: [0.1, -0.5, 1.2, 3.2], direct_effects: [[0, 0.1, 0, 0], [0, 0, 0.9, 0], [0, 2.5, 0, -0.4]], measures: "mean logit difference on 8 prompts" };

  it("draws one signed bar per read-out, scaled by the largest, and puts direct effects in the head titles", () => {
    mount(model({ data: circuitData({ logit_lens: lens }) }));
    const rows = Array.from(el.querySelectorAll(".gb-lens-row"));
    expect(rows.map((r) => r.querySelector(".gb-lens-label")!.textContent)).toEqual(lens.labels);
    expect(rows.map((r) => r.querySelector(".gb-bar-value")!.textContent)).toEqual(["+0.10", "−0.50", "+1.20", "+3.20"]);
    const last = rows[3].querySelector<HTMLElement>(".gb-signed-fill")!;
    expect([last.style.left, last.style.width]).toEqual(["50%", "50%"]);
    const negative = rows[1].querySelector<HTMLElement>(".gb-signed-fill")!;
    expect(negative.classList.contains("gb-negative")).toBe(true);
    expect(Number.parseFloat(negative.style.left) + Number.parseFloat(negative.style.width)).toBeCloseTo(50);
    expect(el.querySelector(".gb-lens-note")!.textContent).toBe("mean logit difference on 8 prompts");
    expect(cellAt(2, 1).getAttribute("aria-label")).toContain("direct effect +2.5");
  });

  it("hides the panel when no lens was sent", () => {
    mount(model());
    expect(el.querySelector<HTMLElement>(".gb-lens")!.hidden).toBe(true);
    expect(cellAt(2, 1).getAttribute("aria-label")).not.toContain("direct effect");
  });
});

describe("attention panel", () => {
  it("names the prompt its tokens come from", () => {
    mount(model({ data: circuitData({ attention_note: "prompt 1 of 28" }) }));
    expect(el.querySelector(".gb-attention-note")!.textContent).toBe('first head of the circuit · prompt 1 of 28 · query token "·to" · bars on a 0–1 scale');
  });

  it("shows one bar per token for the pinned (pinned_head) head", () => {
    mount(model({ pinned_head: [1, 2] }));
    expect(attnTitle()).toBe("L1H2 attention from the last token");
    expect(bars()).toHaveLength(TOKENS.length);
    const max = el.querySelector(".gb-attention-max")!;
    expect(max.querySelector(".gb-token")!.textContent).toBe("·John");
    expect(max.getAttribute("data-index")).toBe("10");
    expect(max.querySelector<HTMLElement>(".gb-bar-fill")!.style.width).toBe("60%");
    expect(bars()[TOKENS.length - 1].classList.contains("gb-query-token")).toBe(true);
    expect(cellAt(1, 2).classList.contains("gb-focused")).toBe(true);
    expect(focusSelect().value).toBe("1.2");
  });

  it("follows the mouse, then falls back to the pinned head", () => {
    const m = model({ pinned_head: [1, 2] });
    mount(m);
    hover(cellAt(0, 3));
    expect(attnTitle()).toBe("L0H3 attention from the last token");
    expect(el.querySelector(".gb-attention-max .gb-token")!.textContent).toBe("·drink");
    expect(el.querySelector(".gb-head-info")!.textContent).toContain("L0H3: score +0.12 · type previous-token");
    unhover(cellAt(0, 3));
    expect(attnTitle()).toBe("L1H2 attention from the last token");
    expect(m.saveCount).toBe(0); // hovering is local
  });

  it("shift-click selects no page text: its mousedown is cancelled, a plain one is not", () => {
    mount(model());
    const down = (init: MouseEventInit) => {
      const event = new MouseEvent("mousedown", { bubbles: true, cancelable: true, ...init });
      cellAt(2, 3).querySelector(".gb-cell-fill")!.dispatchEvent(event);
      return event.defaultPrevented;
    };
    expect(down({ shiftKey: true })).toBe(true);
    expect(down({})).toBe(false);
    expect(PINNED).toBe("pinned_head");
  });

  it("shift-click and the <select> pin pinned_head and save", () => {
    const m = model();
    mount(m);
    click(cellAt(2, 3), { shiftKey: true });
    expect(m.get("pinned_head")).toEqual([2, 3]);
    expect(m.requests).toHaveLength(0); // not toggled
    expect(m.saveCount).toBe(1);
    expect(attnTitle()).toBe("L2H3 attention from the last token");
    expect(cellAt(2, 3).classList.contains("gb-focused")).toBe(true);

    focusSelect().value = "0.3";
    change(focusSelect());
    expect(m.get("pinned_head")).toEqual([0, 3]);
    expect(m.saveCount).toBe(2);
    expect(cellAt(2, 3).classList.contains("gb-focused")).toBe(false);
    expect(attnTitle()).toBe("L0H3 attention from the last token");
    expect(Array.from(focusSelect().options, (o) => o.textContent)).toEqual(["—", "L0H3", "L1H2", "L2H1", "L2H3"]);
  });

  it("defaults to the first circuit head with a pattern, and follows pinned_head from Python", () => {
    const m = model();
    mount(m);
    expect(attnTitle()).toBe("L1H2 attention from the last token");
    m.pythonSet("pinned_head", [2, 1]);
    expect(attnTitle()).toBe("L2H1 attention from the last token");
    expect(bars()).toHaveLength(TOKENS.length);
  });

  it("says so when a head has no pattern, or no patterns were sent", () => {
    const m = model({ pinned_head: [0, 0] });
    mount(m);
    expect(bars()).toHaveLength(0);
    expect(el.querySelector(".gb-attention-body")!.textContent).toContain("no attention pattern was sent for L0H0");
    m.pythonSet("_data", circuitData({ attention: null }));
    expect(el.querySelector(".gb-attention-body")!.textContent).toBe(NO_ATTENTION_TEXT);
    expect((el.querySelector(".gb-focus-label") as HTMLElement).hidden).toBe(true);
  });

  it("shows a hint when there is nothing to pick", () => {
    mount(model({ circuit: [], data: circuitData({ attention: {} }) }));
    expect(el.querySelector(".gb-attention-body")!.textContent).toBe(NO_ATTENTION_TEXT);
    unmount();
    mount(model({ circuit: [], data: circuitData({ scores: [], attention: { "9.9": [1] } }) }));
    expect(el.querySelector(".gb-attention-body")!.textContent).toBe(ATTENTION_HINT_TEXT);
  });
});

describe("empty and missing data", () => {
  it("renders a message when _data is missing, then the grid when it arrives", () => {
    const m = widgetModel(undefined, CIRCUIT);
    expect(() => mount(m)).not.toThrow();
    expect(el.querySelector(".gb-empty")?.textContent).toBe(NO_DATA_TEXT);
    m.pythonSet("_data", circuitData());
    expect(cells()).toHaveLength(12);
    expect((el.querySelector(".gb-empty") as HTMLElement).hidden).toBe(true);
  });

  it("renders {} and zero heads without throwing", () => {
    expect(() => mount(widgetModel({}))).not.toThrow();
    expect(el.querySelector(".gb-empty")?.textContent).toBe(NO_HEADS_TEXT);
    unmount();
    expect(() => mount(widgetModel({ n_layers: 0, n_heads: 0, caption: "nothing yet" }))).not.toThrow();
    expect(cells()).toHaveLength(0);
    expect(el.querySelector(".gb-caption")?.textContent).toBe("nothing yet");
  });

  it("infers the shape from scores, tolerates ragged/missing fields and bad circuit entries", () => {
    const data = {
      scores: [[0.1, null], [0.3]],
      attention: { L1H0: [0.5, 0.5] },
      tokens: [],
    };
    expect(() => mount(widgetModel(data, [[0, 1], [0, 1], [5, 5], "x", [1, -1]]))).not.toThrow();
    expect(cells()).toHaveLength(4);
    expect(circuitCells()).toEqual(["L0H1"]);
    expect(cellAt(1, 1).querySelector("title")!.textContent).toMatch(/score n\/a/);
    expect(el.querySelector(".gb-legend-max")?.textContent).toBe("+0.3");
    expect(el.querySelector(".gb-faith-empty")?.textContent).toBe("not computed yet");
    expect(readout()).toBe("circuit: L0H1 (1 head)");
    // tokens missing: positions are labelled by index
    hover(cellAt(1, 0));
    expect(bars()).toHaveLength(2);
    expect(bars()[0].querySelector(".gb-token")!.textContent).toBe("#0");
  });

  it("shows the empty-circuit readout", () => {
    mount(model({ circuit: [] }));
    expect(readout()).toBe(EMPTY_CIRCUIT_TEXT);
    expect(circuitCells()).toEqual([]);
  });
});

describe("cleanup", () => {
  it("removes model listeners, DOM listeners and the DOM", () => {
    const m = model();
    const dispose = mount(m);
    expect(m.listenerCount("change:_data")).toBe(1);
    expect(m.listenerCount("change:pinned_head")).toBe(1);
    const root = el.firstElementChild as HTMLElement;
    dispose();
    expect(m.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);

    document.body.appendChild(root);
    click(root.querySelector('.gb-head-cell[data-layer="0"][data-head="0"]')!);
    key(root.querySelector('.gb-head-cell[data-layer="0"][data-head="1"]')!, "Enter");
    change(root.querySelector("select")!);
    expect(m.saveCount).toBe(0);
    expect(m.requests).toHaveLength(0);
    root.remove();
    m.pythonSet("_data", circuitData({ caption: "changed" }));
    expect(el.children).toHaveLength(0);
  });
});

describe("helpers", () => {
  it("sizes glyph-only text to fit the cell", () => {
    expect(glyphSize(60, 2)).toBe(11);
    expect(glyphSize(36, 3)).toBeLessThan(10);
    expect(glyphSize(36, 3) * 0.85 * 3).toBeLessThanOrEqual(36 - 12);
    expect(glyphSize(28, 4)).toBe(7);
  });

  it("abbreviates head types", () => {
    expect(typeAbbrev("previous-token")).toBe("PT");
    expect(typeAbbrev("Previous token")).toBe("PT");
    expect(typeAbbrev("induction")).toBe("IND");
    expect(typeAbbrev("name_mover")).toBe("NM");
    expect(typeAbbrev("negative-name-mover")).toBe("NNM");
    expect(typeAbbrev("positional")).toBe("POS");
    expect(typeAbbrev("fuzzy copy head")).toBe("FCH");
    expect(typeAbbrev("SI")).toBe("SI");
    expect(typeAbbrev(null)).toBe("");
  });

  it("parses attention keys and pairs", () => {
    expect(parseHeadKey("1.2")).toBe("1.2");
    expect(parseHeadKey("L10H3")).toBe("10.3");
    expect(parseHeadKey("1,2")).toBe("1.2");
    expect(parseHeadKey("x")).toBeNull();
    expect(indexPair([1, 2])).toEqual([1, 2]);
    expect(indexPair([1.5, 2])).toBeNull();
    expect(indexPair([-1, 2])).toBeNull();
    expect(indexPair(null)).toBeNull();
    expect(finitePair([0.1, "0.2"])).toEqual([0.1, 0.2]);
    expect(finitePair([0.1, null])).toBeNull();
  });

  it("formats signed scores, tokens, the circuit, and picks readable text colours", () => {
    expect(formatSigned(0.714)).toBe("+0.71");
    expect(formatSigned(-0.84)).toBe("-0.84");
    expect(formatSigned(0)).toBe("0.00");
    expect(formatSigned(-0.001)).toBe("0.00");
    expect(formatSigned(NaN)).toBe("n/a");
    expect(tokenDisplay(" Mary")).toBe("·Mary");
    expect(tokenDisplay("\n")).toBe("↵");
    expect(tokenDisplay("")).toBe("∅");
    expect(circuitText([[0, 1]])).toBe("circuit: L0H1 (1 head)");
    expect(textColorOn("rgb(103, 0, 31)")).toBe("#ffffff");
    expect(textColorOn("rgb(247, 247, 247)")).toBe("#1f2328");
    expect(textColorOn("#eaeef2")).toBe("#1f2328");
    expect(normalize(null)).toBeNull();
  });
});
