import { describe, expect, it } from "vitest";

import widget, { EMPTY_SELECTION_TEXT, HIDDEN_POINTS_TEXT, NO_POINTS_TEXT, POINT_R } from "../src/widgets/response_view";
import { widgetModel } from "./fake_model";
import { change, click, el, key, useWidget } from "./mount";

function lineData(overrides: Record<string, unknown> = {}) {
  const gx = Array.from({ length: 11 }, (_, i) => i);
  return {
    kind: "line",
    title: "Response of y to speed",
    output_name: "y",
    features: [{ name: "speed", unit: "m/s", low: 0, high: 10 }],
    grid: { x: gx, z: gx.map((v) => (v * v) / 10) },
    points: { x: [1, 2.5, 4, 7, 9], value: [0.2, 0.5, 1.7, 4.8, 8.3] },
    z_range: [0, 10],
    fidelity: { metric: "r2", value: 0.62, ci: [0.6, 0.64] },
    caption: "surrogate: depth-3 tree",
    ...overrides,
  };
}

function heatmapData(overrides: Record<string, unknown> = {}) {
  const gx = [0, 0.25, 0.5, 0.75, 1];
  const gy = [10, 20, 30, 40];
  return {
    kind: "heatmap",
    title: "Response of y (m/s) to a and b",
    output_name: "y (m/s)",
    features: [
      { name: "a", unit: null, low: 0, high: 1 },
      { name: "b", unit: "kg", low: 10, high: 40 },
    ],
    grid: { x: gx, y: gy, z: gy.map((yv) => gx.map((xv) => xv * (yv / 40))) },
    points: { x: [0.1, 0.6, 0.9], y: [12, 25, 38], value: [0.03, 0.4, 0.85] },
    z_range: [0, 1],
    fidelity: null,
    ...overrides,
  };
}

const { mount } = useWidget(widget);

const lineModel = (selected: number | null = null, extra: Record<string, unknown> = {}) => widgetModel(lineData(), selected, {}, extra);
const heatModel = (selected: number | null = null, extra: Record<string, unknown> = {}) => widgetModel(heatmapData(), selected, {}, extra);

const circles = () => Array.from(el.querySelectorAll<SVGCircleElement>("circle.gb-probe-point"));
const circleAt = (i: number) => el.querySelector<SVGCircleElement>(`circle.gb-probe-point[data-index="${i}"]`)!;
const selectedIndices = () => circles().filter((c) => c.classList.contains("gb-selected")).map((c) => Number(c.dataset.index ?? c.getAttribute("data-index")));
const readout = () => el.querySelector(".gb-selection")!.textContent;

describe("line kind", () => {
  it("renders the response path and one circle per probe point", () => {
    const model = lineModel(null, { height: 360 });
    mount(model);

    const paths = el.querySelectorAll("path.gb-response-line");
    expect(paths).toHaveLength(1);
    const d = paths[0].getAttribute("d")!;
    expect(d.startsWith("M")).toBe(true);
    expect(d.split("L")).toHaveLength(11); // 11 grid points -> M + 10 L segments

    const cs = circles();
    expect(cs).toHaveLength(5);
    expect(cs.map((c) => c.getAttribute("data-index"))).toEqual(["0", "1", "2", "3", "4"]);
    for (const c of cs) {
      expect(c.querySelector("title")?.textContent).toMatch(/speed = .* m\/s .*→ y = /);
      expect(Number(c.getAttribute("r"))).toBeLessThanOrEqual(4);
      expect(Number(c.getAttribute("fill-opacity"))).toBeLessThan(1);
    }
    // points are placed at (x, value): a larger value sits higher (smaller cy)
    expect(Number(circleAt(4).getAttribute("cy"))).toBeLessThan(Number(circleAt(0).getAttribute("cy")));
    expect(Number(circleAt(4).getAttribute("cx"))).toBeGreaterThan(Number(circleAt(0).getAttribute("cx")));

    expect(el.querySelectorAll(".gb-response-cell")).toHaveLength(0);
    expect(el.querySelector(".gb-title")?.textContent).toBe("Response of y to speed");
    expect(el.querySelector(".gb-axis-label-x")?.textContent).toBe("speed [m/s]");
    expect(el.querySelector(".gb-axis-label-y")?.textContent).toBe("y");
    expect(el.querySelector(".gb-fidelity")?.textContent).toBe("fidelity R² = 0.62 [0.60, 0.64]");
    expect(el.querySelector(".gb-caption")?.textContent).toContain("surrogate: depth-3 tree");
    expect(readout()).toBe(EMPTY_SELECTION_TEXT);
    // the line is drawn over the probe cloud, which cannot hide it
    const line = paths[0];
    const layer = el.querySelector(".gb-probe-points")!;
    expect(layer.compareDocumentPosition(line) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    const keyTexts = Array.from(el.querySelectorAll(".gb-response-key .gb-key-text"), (t) => t.textContent);
    expect(keyTexts).toEqual(["line: partial dependence of y", "dot: the model's output at a probe"]);
    expect(el.querySelector(".gb-point-count")?.textContent).toBe("all 5 probes drawn");
  });

  it("a checkbox hides and shows the probe points", () => {
    const model = lineModel();
    mount(model);
    const box = el.querySelector<HTMLInputElement>(".gb-probe-toggle-input")!;
    expect(box.checked).toBe(true);
    box.checked = false;
    change(box);
    expect(el.querySelector(".gb-probe-points")!.getAttribute("display")).toBe("none");
    expect(readout()).toBe(HIDDEN_POINTS_TEXT);
    model.pythonSet("_data", lineData({ title: "refitted" })); // a redraw keeps them hidden
    expect(el.querySelector(".gb-probe-points")!.getAttribute("display")).toBe("none");
    box.checked = true;
    change(box);
    expect(el.querySelector(".gb-probe-points")!.hasAttribute("display")).toBe(false);
    expect(readout()).toBe(EMPTY_SELECTION_TEXT);
  });

  it("uses the height trait (default 360) and falls back to 560px width", () => {
    const model = lineModel();
    mount(model);
    const svg = el.querySelector("svg.gb-chart")!;
    expect(svg.getAttribute("height")).toBe("360");
    expect(svg.getAttribute("width")).toBe("560"); // jsdom has no layout: clientWidth is 0
    model.pythonSet("height", 500);
    expect(el.querySelector("svg.gb-chart")!.getAttribute("height")).toBe("500");
  });
});

describe("heatmap kind", () => {
  it("renders gx*gy cells, coloured points and a legend", () => {
    const model = heatModel(null, { height: 360 });
    mount(model);

    const cells = el.querySelectorAll<SVGRectElement>("rect.gb-response-cell");
    expect(cells).toHaveLength(5 * 4);
    const fills = new Set(Array.from(cells, (c) => c.getAttribute("fill")));
    expect(fills.size).toBeGreaterThan(5); // a real colour ramp, not one colour
    for (const c of cells) {
      expect(Number(c.getAttribute("width"))).toBeGreaterThan(0);
      expect(Number(c.getAttribute("height"))).toBeGreaterThan(0);
    }
    expect(el.querySelectorAll("path.gb-response-line")).toHaveLength(0);

    const cs = circles();
    expect(cs).toHaveLength(3);
    // probes are small hollow rings without the surface's colours, so the surface stays readable
    for (const c of cs) {
      expect(c.getAttribute("fill")).toBe("none");
      expect(Number(c.getAttribute("r"))).toBe(POINT_R);
      expect(Number(c.getAttribute("stroke-opacity"))).toBeLessThan(1);
    }
    expect(new Set(cs.map((c) => c.getAttribute("stroke"))).size).toBe(1);
    expect(cs[0].querySelector("title")?.textContent).toContain("b = 12 kg");
    expect(cells[0].querySelector("title")?.textContent).toMatch(/^a = 0, b = 10 kg → partial dependence 0$/);

    const legend = el.querySelector(".gb-legend")!;
    expect(legend).not.toBeNull();
    // the colour bar is the partial dependence's alone, and says so
    const titleLines = Array.from(legend.querySelectorAll(".gb-legend-title tspan"), (t) => t.textContent);
    expect(titleLines).toEqual(["partial", "dependence", "y (m/s)"]);
    expect(legend.querySelector(".gb-legend-name")?.textContent).toBe("y (m/s)");
    expect(legend.querySelector(".gb-legend-min")?.textContent).toBe("0");
    expect(legend.querySelector(".gb-legend-max")?.textContent).toBe("1");
    const grad = legend.querySelector("linearGradient")!;
    expect(grad.querySelectorAll("stop").length).toBeGreaterThanOrEqual(2);
    expect(legend.querySelector(".gb-legend-bar")?.getAttribute("fill")).toBe(`url(#${grad.id})`);

    expect(el.querySelector(".gb-axis-label-x")?.textContent).toBe("a");
    expect(el.querySelector(".gb-axis-label-y")?.textContent).toBe("b [kg]");
    expect(el.querySelector(".gb-fidelity")).toBeNull();

    // the key tells the two encodings apart and counts the probes drawn
    const keyTexts = Array.from(el.querySelectorAll(".gb-response-key .gb-key-text"), (t) => t.textContent);
    expect(keyTexts).toEqual(["colour: partial dependence of y (m/s)", "ring: a probe input (hover it for the model's output there)"]);
    expect(el.querySelector(".gb-point-count")?.textContent).toBe("all 3 probes drawn");
  });

  it("colours the surface by its own range, not stretched by the probes' outputs", () => {
    const model = widgetModel(heatmapData({ z_range: null, points: { x: [0.1, 0.6], y: [12, 25], value: [-50, 80] } }));
    mount(model);
    expect(el.querySelector(".gb-legend-min")?.textContent).toBe("0");
    expect(el.querySelector(".gb-legend-max")?.textContent).toBe("1");
  });

  it("says how many of the probes are drawn when they are a sample", () => {
    mount(widgetModel(heatmapData({ points_total: 2000 })));
    expect(el.querySelector(".gb-point-count")?.textContent).toBe("3 of 2,000 probes drawn (a seeded sample)");
  });

  it("gives each widget instance its own gradient id", () => {
    const m1 = heatModel();
    const el2 = document.createElement("div");
    document.body.appendChild(el2);
    mount(m1);
    const c2 = widget.render({ model: heatModel(), el: el2 });
    expect(el.querySelector("linearGradient")!.id).not.toBe(el2.querySelector("linearGradient")!.id);
    c2();
    el2.remove();
  });
});

describe("selection", () => {
  it("clicking a probe point asks Python for it (one request, one save)", () => {
    const model = lineModel().autoReply();
    mount(model);

    click(circleAt(2));

    expect(model.get("_request")).toEqual({ id: 1, value: 2 });
    expect(model.saveCount).toBe(1);
    expect(model.saves[0]._request).toEqual({ id: 1, value: 2 });
    expect(selectedIndices()).toEqual([2]);
    expect(Number(circleAt(2).getAttribute("r"))).toBeGreaterThan(Number(circleAt(1).getAttribute("r")));
    // raised to the front: last circle in its group
    expect(circleAt(2).parentNode!.lastElementChild).toBe(circleAt(2));
    expect(readout()).toBe("probe #2: speed = 4 m/s → y = 1.7");
  });

  it("shows the model's output and the full input the host sends with the selection", () => {
    const details = { inputs: { a: 0.6, b: 25, c: -1.5 }, output: 0.41, output_name: "y (m/s)", partial_dependence: 0.375 };
    const model = heatModel().autoReply(() => ({ details }));
    mount(model);
    expect((el.querySelector(".gb-selection-details") as HTMLElement).hidden).toBe(true);
    click(circleAt(1));
    expect(readout()).toBe("probe #1: a = 0.6, b = 25 kg → y (m/s) = 0.4");
    const box = el.querySelector(".gb-selection-details") as HTMLElement;
    expect(box.hidden).toBe(false);
    expect(box.querySelector(".gb-selected-output")!.textContent).toBe("model output y (m/s) = 0.41 · partial dependence here 0.375");
    const inputs = Array.from(box.querySelectorAll(".gb-selected-input"), (li) => li.textContent);
    expect(inputs).toEqual(["a = 0.6", "b = 25", "c = −1.5"]);
    expect(box.querySelectorAll(".gb-shown-feature")).toHaveLength(2);
    model.pythonSelect(null);
    expect(box.hidden).toBe(true);
  });

  it("clicking works on heatmap points too", () => {
    const model = heatModel().autoReply();
    mount(model);
    click(circleAt(1));
    expect(model.requested).toEqual([1]);
    expect(model.saveCount).toBe(1);
    expect(readout()).toBe("probe #1: a = 0.6, b = 25 kg → y (m/s) = 0.4");
  });

  it("follows _selection changes from Python", () => {
    const model = lineModel();
    mount(model);
    expect(selectedIndices()).toEqual([]);

    model.pythonSelect(3);
    expect(selectedIndices()).toEqual([3]);
    expect(readout()).toContain("probe #3");
    expect(readout()).toContain("speed = 7 m/s");

    model.pythonSelect(0);
    expect(selectedIndices()).toEqual([0]);
    expect(readout()).toContain("probe #0");

    model.pythonSelect(null);
    expect(selectedIndices()).toEqual([]);
    expect(readout()).toBe(EMPTY_SELECTION_TEXT);

    model.pythonSelect(99); // out of range: treated as no selection
    expect(selectedIndices()).toEqual([]);
    expect(readout()).toBe(EMPTY_SELECTION_TEXT);

    expect(model.saveCount).toBe(0); // Python-side changes are not echoed back
  });

  it("highlights an initial selection at render time", () => {
    const model = heatModel(2);
    mount(model);
    expect(selectedIndices()).toEqual([2]);
    expect(readout()).toContain("probe #2");
  });

  it("selects with the keyboard (Enter)", () => {
    const model = lineModel().autoReply();
    mount(model);
    key(circleAt(4), "Enter");
    expect(model.requested).toEqual([4]);
    expect(model.saveCount).toBe(1);
  });

  it("keeps the selection when _data is replaced", () => {
    const model = lineModel(1);
    mount(model);
    model.pythonSet("_data", heatmapData());
    expect(el.querySelectorAll("rect.gb-response-cell")).toHaveLength(20);
    expect(el.querySelectorAll("path.gb-response-line")).toHaveLength(0);
    expect(selectedIndices()).toEqual([1]);
    expect(el.querySelectorAll("svg.gb-chart")).toHaveLength(1);
  });
});

describe("robustness", () => {
  it("renders empty points without throwing", () => {
    const model = widgetModel(lineData({ points: { x: [], value: [] }, fidelity: null, caption: undefined }));
    expect(() => mount(model)).not.toThrow();
    expect(circles()).toHaveLength(0);
    expect(el.querySelectorAll("path.gb-response-line")).toHaveLength(1);
    expect(el.querySelector(".gb-caption")).toBeNull();
    expect(readout()).toBe(NO_POINTS_TEXT);
    model.pythonSelect(0);
    expect(readout()).toBe(NO_POINTS_TEXT);
  });

  it("renders a heatmap with absent points and no fidelity", () => {
    const data = heatmapData({ points: undefined });
    delete (data as Record<string, unknown>).fidelity;
    const model = widgetModel(data);
    expect(() => mount(model)).not.toThrow();
    expect(circles()).toHaveLength(0);
    expect(el.querySelectorAll("rect.gb-response-cell")).toHaveLength(20);
  });

  it("shows a message instead of throwing when _data is missing", () => {
    const model = widgetModel(undefined);
    expect(() => mount(model)).not.toThrow();
    expect(el.querySelector(".gb-message")?.textContent).toMatch(/no data/);
    model.pythonSet("_data", lineData());
    expect(circles()).toHaveLength(5);
  });

  it("tolerates NaN (null) values in the grid and points", () => {
    const data = lineData();
    data.grid.z[5] = null as unknown as number;
    (data.points as { value: (number | null)[] }).value[1] = null;
    const model = widgetModel(data);
    mount(model);
    const d = el.querySelector("path.gb-response-line")!.getAttribute("d")!;
    expect(d).not.toMatch(/NaN/);
    expect((d.match(/M/g) ?? []).length).toBe(2); // the gap splits the curve in two
    expect(circles()).toHaveLength(4);
    expect(circleAt(1)).toBeNull();
  });
});

describe("cleanup", () => {
  it("removes listeners and DOM", () => {
    const model = lineModel();
    const dispose = mount(model);
    expect(model.listenerCount("change:_data")).toBe(1);
    expect(model.listenerCount("change:_selection")).toBe(1);
    expect(model.listenerCount("change:height")).toBe(1);

    dispose();
    expect(model.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);

    // later changes from Python no longer touch the element
    model.pythonSet("_data", heatmapData());
    model.pythonSelect(1);
    expect(el.children).toHaveLength(0);
  });
});
