import { describe, expect, it } from "vitest";

import widget, {
  EMPTY_FRONT_RUNNING_TEXT,
  EMPTY_FRONT_TEXT,
  EMPTY_SELECTION_TEXT,
  NO_DATA_TEXT,
  fixedFormat,
  lossFloor,
  plottedLoss,
  r2Decimals,
  sideDomain,
  significantFormat,
} from "../src/widgets/pareto_picker";
import { leftMargin } from "../src/widgets/pareto/charts";
import { textWidth } from "../src/shared/text";
import { FakeModel, widgetModel } from "./fake_model";
import { change, click, el, key, useWidget } from "./mount";

const lin = (a: number, b: number, n: number) => Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));

/** The front for 2.5*x**2 + cos(x): complexities 1..9, losses from 10 down to 1e-9. */
function paretoData(overrides: Record<string, unknown> = {}) {
  const eqs: { c: number; loss: number; r2: number; latex: string; text: string; f: (x: number) => number; best?: boolean }[] = [
    { c: 1, loss: 10.2, r2: -0.01, latex: "7.14", text: "7.14", f: () => 7.14 },
    { c: 3, loss: 0.43, r2: 0.957, latex: "2.61 \\, x^{2}", text: "2.61*x**2", f: (x) => 2.61 * x * x },
    { c: 5, loss: 0.072, r2: 0.993, latex: "2.5 \\, x^{2} + 0.78", text: "2.5*x**2 + 0.78", f: (x) => 2.5 * x * x + 0.78 },
    { c: 7, loss: 1e-9, r2: 1, latex: "2.5 \\, x^{2} + \\cos\\left(x\\right)", text: "2.5*x**2 + cos(x)", f: (x) => 2.5 * x * x + Math.cos(x), best: true },
    { c: 9, loss: 8e-10, r2: 1, latex: "\\frac{5 x^{2}}{2} + \\cos(x) + 10^{-6} x", text: "5*x**2/2 + cos(x) + 1e-6*x", f: (x) => 2.5 * x * x + Math.cos(x) + 1e-6 * x },
  ];
  const gx = lin(-3, 3, 31);
  const gz = lin(0, 1, 11);
  return {
    title: "Symbolic regression of y",
    output_name: "y",
    status: "round 3/6 · 1,240 probes · running",
    running: true,
    equations: eqs.map((e, i) => ({
      id: 100 + i,
      complexity: e.c,
      loss: e.loss,
      r2: e.r2,
      r2_ci: [e.r2 - 0.01, Math.min(1, e.r2 + 0.01)],
      latex: e.latex,
      text: e.text,
      is_best: !!e.best,
    })),
    features: [
      { name: "x", unit: "m", low: -3, high: 3 },
      { name: "z", unit: null, low: 0, high: 1 },
    ],
    overlay: [
      {
        x: gx,
        teacher: gx.map((x) => 2.5 * x * x + Math.cos(x)),
        equations: Object.fromEntries(eqs.map((e, i) => [String(100 + i), gx.map(e.f)])),
      },
      {
        x: gz,
        teacher: gz.map(() => 1),
        equations: Object.fromEntries(eqs.map((e, i) => [String(100 + i), gz.map(() => e.f(0))])),
      },
    ],
    caption: "loss is MSE on held-out probes",
    ...overrides,
  };
}

const { mount } = useWidget(widget);

const points = () => Array.from(el.querySelectorAll<SVGCircleElement>("circle.gb-eq-point"));
const pointAt = (id: number) => el.querySelector<SVGCircleElement>(`circle.gb-eq-point[data-id="${id}"]`)!;
const rows = () => Array.from(el.querySelectorAll<HTMLTableRowElement>("tr.gb-eq-row"));
const rowAt = (id: number) => el.querySelector<HTMLTableRowElement>(`tr.gb-eq-row[data-id="${id}"]`)!;
const selectedPoints = () => points().filter((c) => c.classList.contains("gb-selected")).map((c) => Number(c.getAttribute("data-id")));
const selectedRows = () => rows().filter((r) => r.classList.contains("gb-selected")).map((r) => Number(r.dataset.id));
const readout = () => el.querySelector(".gb-selection")!.textContent;
const featSelect = () => el.querySelector<HTMLSelectElement>("select.gb-feature-select")!;

/** A model as Python creates it: `selected` is the selected equation's id, the rest are extra traits. */
function model({ data = paretoData() as unknown, selected = null as number | null, ...traits }: Record<string, unknown> = {}) {
  return widgetModel(data, selected, {}, { _overlay_feature: 0, height: 320, ...traits });
}

describe("rendering", () => {
  it("draws one point and one table row per equation, a step line and the header", () => {
    mount(model());
    expect(points()).toHaveLength(5);
    expect(rows()).toHaveLength(5);
    expect(points().map((p) => p.getAttribute("data-id"))).toEqual(["100", "101", "102", "103", "104"]);
    expect(rows().map((r) => r.dataset.id)).toEqual(["100", "101", "102", "103", "104"]);

    // lower loss sits lower on the chart (larger cy); more complex further right
    expect(Number(pointAt(103).getAttribute("cy"))).toBeGreaterThan(Number(pointAt(100).getAttribute("cy")));
    expect(Number(pointAt(103).getAttribute("cx"))).toBeGreaterThan(Number(pointAt(100).getAttribute("cx")));

    const step = el.querySelector("path.gb-front-line")!.getAttribute("d")!;
    expect(step.startsWith("M")).toBe(true);
    expect((step.match(/H/g) ?? []).length).toBe(4);
    expect((step.match(/V/g) ?? []).length).toBe(4);
    expect(step).not.toMatch(/NaN/);

    for (const p of points()) {
      const t = p.querySelector("title")!.textContent!;
      expect(t).toMatch(/^y = /);
      expect(t).toMatch(/R² /);
    }
    expect(pointAt(103).querySelector("title")!.textContent).toContain("2.5*x**2 + cos(x)");

    expect(el.querySelector(".gb-title")?.textContent).toBe("Symbolic regression of y");
    expect(el.querySelector(".gb-status-text")?.textContent).toBe("round 3/6 · 1,240 probes · running");
    expect(el.querySelector(".gb-pareto-picker")!.classList.contains("gb-running")).toBe(true);
    expect(el.querySelector(".gb-caption")?.textContent).toBe("loss is MSE on held-out probes");
    expect(el.querySelector(".gb-front-chart")!.getAttribute("height")).toBe("320");
    expect(readout()).toBe(EMPTY_SELECTION_TEXT);
  });

  it("prints whole-number complexity ticks as integers, even over a span of one (5, 6; never 5.0, 6.0)", () => {
    const data = paretoData();
    data.equations = data.equations.slice(2, 4).map((e, i) => ({ ...e, complexity: 5 + i }));
    mount(model({ data }));
    const xt = Array.from(el.querySelectorAll(".gb-front-chart .gb-axis-x .tick text"), (t) => t.textContent);
    expect(xt).toEqual(["5", "6"]);
  });

  it("keeps the y-axis title clear of the widest tick label", () => {
    expect(leftMargin(["100,000"], 40)).toBeGreaterThanOrEqual(Math.ceil(textWidth("100,000", 11) + 9 + 14 + 6));
    expect(leftMargin(["1"], 40)).toBe(40);
    const data = paretoData();
    data.overlay[0].teacher = data.overlay[0].x.map((x) => 40000 + 40000 * x * x); // ticks up to 400,000
    for (const k of Object.keys(data.overlay[0].equations)) data.overlay[0].equations[k] = data.overlay[0].teacher;
    mount(model({ data, selected: 101 }));
    for (const chart of [".gb-front-chart", ".gb-side-chart"]) {
      const labels = Array.from(el.querySelectorAll(`${chart} .gb-axis-y .tick text`), (t) => t.textContent!);
      const widest = Math.max(...labels.map((t) => textWidth(t, 11)));
      const title = el.querySelector(`${chart} .gb-axis-label-y`)!.getAttribute("transform")!;
      const titleX = Number(/translate\(([-\d.]+),/.exec(title)![1]); // the title's baseline; its glyphs reach ~3 px right
      expect(titleX + 3).toBeLessThan(-9 - widest); // tick labels end 9 px left of the axis
    }
    expect(Array.from(el.querySelectorAll(".gb-side-chart .gb-axis-y .tick text"), (t) => t.textContent)).toContain("400,000");
  });

  it("uses integer complexity ticks and power-of-ten loss ticks", () => {
    mount(model());
    const xt = Array.from(el.querySelectorAll(".gb-front-chart .gb-axis-x .tick text"), (t) => t.textContent);
    expect(xt.length).toBeGreaterThan(2);
    for (const t of xt) expect(t).toMatch(/^\d+$/);
    const yt = Array.from(el.querySelectorAll(".gb-front-chart .gb-axis-y .tick text"), (t) => t.textContent!);
    expect(yt.length).toBeGreaterThanOrEqual(2);
    for (const t of yt) expect(t).toMatch(/^(1|10|10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)$/);
    expect(el.querySelector(".gb-front-chart .gb-axis-label-y")!.textContent).toMatch(/log/);
  });

  it("marks the best equation in the chart and with a badge in the table", () => {
    mount(model());
    expect(el.querySelectorAll(".gb-best-ring")).toHaveLength(1);
    expect(el.querySelector(".gb-best-label")?.textContent).toBe("best");
    expect(pointAt(103).classList.contains("gb-best")).toBe(true);
    const badges = el.querySelectorAll(".gb-best-badge");
    expect(badges).toHaveLength(1);
    expect(badges[0].closest("tr")!.dataset.id).toBe("103");
    expect(badges[0].textContent).toBe("best");
    // the ring sits on the best point
    expect(el.querySelector(".gb-best-ring")!.getAttribute("cx")).toBe(pointAt(103).getAttribute("cx"));
  });

  it("renders LaTeX as MathML with KaTeX, and plain text in <code> when it cannot", () => {
    const data = paretoData();
    data.equations[1].latex = "\\frac{1}{"; // broken LaTeX
    data.equations[2].latex = ""; // none sent
    mount(model({ data: data }));
    const math = rowAt(100).querySelector(".gb-math math");
    expect(math).not.toBeNull();
    expect(math!.namespaceURI).toBe("http://www.w3.org/1998/Math/MathML");
    expect(rowAt(103).querySelector("math msup")).not.toBeNull(); // x^{2}
    expect(rowAt(103).querySelector("math annotation")?.textContent).toContain("\\cos");
    for (const id of [101, 102]) {
      expect(rowAt(id).querySelector("math")).toBeNull();
      expect(rowAt(id).querySelector("code.gb-math-fallback")?.textContent).toBe(data.equations[id - 100].text);
    }
    expect(el.querySelector(".katex-error")).toBeNull();
  });

  it("shows loss and R² with its interval in the table, one format per column", () => {
    mount(model());
    const cells = Array.from(rowAt(102).querySelectorAll("td"), (td) => td.textContent);
    expect(cells[0]).toBe("5");
    expect(cells[2]).toBe("7.2e-2"); // the column holds 1e-9 too: all of it in scientific notation
    expect(cells[3]).toBe("0.993 [0.983, 1.000]"); // every R² and bound at the same 3 decimals
    const losses = rows().map((r) => r.querySelectorAll("td")[2].textContent);
    expect(losses).toEqual(["1.02e+1", "4.3e-1", "7.2e-2", "1e-9", "8e-10"]);
    const scores = rows().map((r) => r.querySelector(".gb-score-value")!.textContent!);
    expect(scores).toEqual(["-0.010", "0.957", "0.993", "1.000", "1.000"]);
    expect(new Set(scores.map((t) => t.split(".")[1].length))).toEqual(new Set([3]));
  });

  it("names the loss and the R² as the host measured them, in the axis, the table and the read-out", () => {
    const dispose = mount(model({ selected: 102 }));
    const heads = Array.from(el.querySelectorAll(".gb-eq-table th"), (t) => t.textContent);
    expect(heads).toEqual(["complexity", "equation (y =)", "validation MSE", "held-out R² [95% CI]"]);
    expect(el.querySelector(".gb-front-chart .gb-axis-label-y")!.textContent).toBe("validation MSE (log scale)");
    expect(readout()).toBe("selected: y = 2.5*x**2 + 0.78 · complexity 5 · validation MSE 7.2e-2 · held-out R² 0.993 [0.983, 1.000]");
    expect(readout()).not.toMatch(/\bloss\b/);
    dispose();

    mount(model({ data: paretoData({ loss_name: "leave-one-out MSE", score_name: "leave-one-out R²", confidence: 0.9 }), selected: 102 }));
    expect(Array.from(el.querySelectorAll(".gb-eq-table th"), (t) => t.textContent).slice(2)).toEqual(["leave-one-out MSE", "leave-one-out R² [90% CI]"]);
    expect(el.querySelector(".gb-front-chart .gb-axis-label-y")!.textContent).toBe("leave-one-out MSE (log scale)");
    expect(pointAt(102).querySelector("title")!.textContent).toContain("leave-one-out MSE 7.2e-2 · leave-one-out R² 0.993");
  });

  it("flags a failed or doubtful fit where its R² is shown", () => {
    const data = paretoData();
    data.equations[0] = { ...data.equations[0], r2: -0.44, r2_ci: [-0.44, -0.44], r2_note: "fit failed: worse than predicting the mean" } as never;
    data.equations[1] = { ...data.equations[1], r2_ci: [-0.3, 0.97], r2_note: "uncertain: its interval reaches below 0 (no better than the mean)" } as never;
    const m = model({ data, selected: 100 });
    mount(m);
    const failed = rowAt(100).querySelector(".gb-fit-note")!;
    expect(failed.textContent).toBe("fit failed: worse than predicting the mean");
    expect(failed.classList.contains("gb-fit-failed")).toBe(true);
    const doubtful = rowAt(101).querySelector(".gb-fit-note")!;
    expect(doubtful.classList.contains("gb-fit-failed")).toBe(false);
    expect(rowAt(102).querySelector(".gb-fit-note")).toBeNull();
    expect(readout()).toContain("held-out R² -0.440 [-0.440, -0.440] · fit failed: worse than predicting the mean");
    expect(pointAt(100).querySelector("title")!.textContent).toContain("fit failed");
  });
});

describe("origin", () => {
  it("names an equation stitched from pieces or found on the dimensionless groups, in the read-out and the hover text", () => {
    const data = paretoData();
    data.equations[2] = { ...data.equations[2], origin: "stitched" } as never;
    data.equations[1] = { ...data.equations[1], origin: "units" } as never;
    mount(model({ data, selected: 102 }));
    expect(readout()).toContain("· stitched from separable pieces");
    expect(pointAt(101).querySelector("title")!.textContent).toContain("found on the dimensionless groups");
    expect(pointAt(103).querySelector("title")!.textContent).not.toMatch(/stitched|dimensionless/);
  });
});

describe("column formats", () => {
  it("4 significant digits in one notation per column", () => {
    const fixed = significantFormat([37.19, 0.02996, 10.2]);
    expect([37.1872, 0.029958, 10.2, 0].map(fixed)).toEqual(["37.19", "0.02996", "10.2", "0"]);
    const sci = significantFormat([37.19, 0.00007404]);
    expect([37.1872, 0.00007404, -64317.3].map(sci)).toEqual(["3.719e+1", "7.404e-5", "-6.432e+4"]);
    expect(significantFormat([3.5e9, 2e8, 64317])(64317)).toBe("6.432e+4");
    expect(significantFormat([])(NaN)).toBe("n/a");
  });

  it("R² at one number of decimals: 3, or enough to tell the best from 1 (at most 6)", () => {
    expect(r2Decimals([-0.44, 0.156, 0.965])).toBe(3);
    expect(r2Decimals([0.54, 0.9996])).toBe(4);
    expect(r2Decimals([0.54, 0.999976, 1])).toBe(5);
    expect(r2Decimals([0.9999999999])).toBe(6);
    expect([-0.44, 0.5, NaN].map(fixedFormat(3))).toEqual(["-0.440", "0.500", "n/a"]);
  });
});

describe("log scale guard", () => {
  it("floors zero and negative losses at the smallest positive loss / 10", () => {
    expect(lossFloor([1, 0.01, 0, -1, NaN])).toBeCloseTo(0.001);
    expect(lossFloor([0, 0])).toBe(1);
    expect(plottedLoss(0, 1e-3)).toBe(1e-3);
    expect(plottedLoss(-2, 1e-3)).toBe(1e-3);
    expect(plottedLoss(0.5, 1e-3)).toBe(0.5);
    expect(plottedLoss(NaN, 1e-3)).toBeNaN();
  });

  it("draws a zero-loss equation at the floor, below every other point, without NaN", () => {
    const data = paretoData();
    data.equations[4].loss = 0;
    mount(model({ data: data }));
    expect(points()).toHaveLength(5);
    const zero = pointAt(104);
    expect(zero.classList.contains("gb-floored")).toBe(true);
    const cy = Number(zero.getAttribute("cy"));
    expect(Number.isFinite(cy)).toBe(true);
    for (const id of [100, 101, 102, 103]) expect(cy).toBeGreaterThan(Number(pointAt(id).getAttribute("cy")));
    // inside the plot area (not clamped onto/below the x axis)
    const svgH = Number(el.querySelector(".gb-front-chart")!.getAttribute("height"));
    expect(cy).toBeLessThan(svgH - 44 - 22);
    expect(el.querySelector("path.gb-front-line")!.getAttribute("d")).not.toMatch(/NaN|Infinity/);
    expect(zero.querySelector("title")!.textContent).toContain("floor");
    expect(rowAt(104).querySelectorAll("td")[2].textContent).toBe("0");
  });

  it("copes with all-zero losses and a single equation", () => {
    const data = paretoData({ equations: [{ ...paretoData().equations[0], loss: 0 }] });
    expect(() => mount(model({ data: data }))).not.toThrow();
    expect(points()).toHaveLength(1);
    expect(Number.isFinite(Number(points()[0].getAttribute("cy")))).toBe(true);
  });
});

describe("selection", () => {
  it("clicking a point asks Python for its equation (one request, one save)", () => {
    const m = model().autoReply();
    mount(m);
    click(pointAt(102));
    expect(m.get("_request")).toEqual({ id: 1, value: 102 });
    expect(m.saveCount).toBe(1);
    expect(m.saves[0]._request).toEqual({ id: 1, value: 102 });
    expect(selectedPoints()).toEqual([102]);
    expect(selectedRows()).toEqual([102]);
    expect(Number(pointAt(102).getAttribute("r"))).toBeGreaterThan(Number(pointAt(101).getAttribute("r")));
    expect(pointAt(102).parentNode!.lastElementChild).toBe(pointAt(102)); // raised
    expect(readout()).toContain("complexity 5");
    expect(readout()).toContain("y = 2.5*x**2 + 0.78");
  });

  it("clicking a row (or any cell in it) asks Python for its equation", () => {
    const m = model().autoReply();
    mount(m);
    click(rowAt(101).querySelector("td:nth-child(2)")!);
    expect(m.requested).toEqual([101]);
    expect(m.saveCount).toBe(1);
    expect(selectedRows()).toEqual([101]);
    expect(selectedPoints()).toEqual([101]);
    expect(rowAt(101).getAttribute("aria-selected")).toBe("true");
  });

  it("selects with the keyboard (Enter on a row)", () => {
    const m = model().autoReply();
    mount(m);
    key(rowAt(104), "Enter");
    expect(m.requested).toEqual([104]);
    expect(m.saveCount).toBe(1);
  });

  it("follows _selection changes from Python (initial = best) without saving", () => {
    const m = model({ selected: 103 });
    mount(m);
    expect(selectedPoints()).toEqual([103]);
    expect(selectedRows()).toEqual([103]);
    expect(el.querySelector(".gb-legend-equation text")?.textContent).toBe("equation (complexity 7)");

    m.pythonSelect(100);
    expect(selectedPoints()).toEqual([100]);
    expect(selectedRows()).toEqual([100]);
    expect(el.querySelector(".gb-legend-equation text")?.textContent).toBe("equation (complexity 1)");

    m.pythonSelect(null);
    expect(selectedPoints()).toEqual([]);
    expect(selectedRows()).toEqual([]);
    expect(readout()).toBe(EMPTY_SELECTION_TEXT);
    expect(el.querySelector("path.gb-equation-line")).toBeNull();

    m.pythonSelect(999); // not on the front
    expect(selectedPoints()).toEqual([]);
    expect(readout()).toContain("not on the current front");
    expect(m.saveCount).toBe(0);
  });
});

describe("side plot", () => {
  it("draws the teacher (solid) and the selected equation (dashed) with a legend", () => {
    mount(model({ selected: 101 }));
    const teacher = el.querySelector("path.gb-teacher-line")!;
    const eq = el.querySelector("path.gb-equation-line")!;
    expect(teacher.getAttribute("stroke-dasharray")).toBeNull();
    expect(eq.getAttribute("stroke-dasharray")).toBeTruthy();
    expect(teacher.getAttribute("stroke")).not.toBe(eq.getAttribute("stroke"));
    expect(teacher.getAttribute("d")!.split("L")).toHaveLength(31);
    expect(eq.getAttribute("d")).not.toEqual(teacher.getAttribute("d"));
    expect(el.querySelector(".gb-legend-teacher text")?.textContent).toBe("teacher");
    expect(el.querySelector(".gb-side-chart .gb-axis-label-x")?.textContent).toBe("x [m]");
    expect((el.querySelector(".gb-side-note") as HTMLElement).hidden).toBe(false); // two inputs: the other is held
  });

  it("draws a measured curve as points, under the host's label, the legend wrapped to fit", () => {
    const data = paretoData({
      teacher_label: "measured held-out reconstruction error",
      teacher_marks: "points",
      features: [{ name: "k", unit: null, low: 1, high: 8 }],
    });
    const ks = lin(1, 8, 15);
    data.overlay = [
      {
        x: ks,
        teacher: ks.map((k) => (Number.isInteger(k) && k !== 5 ? 0.5 / k : null)) as number[],
        equations: Object.fromEntries(data.equations.map((e) => [String(e.id), ks.map((k) => 0.5 / k)])),
      },
    ];
    mount(model({ data, selected: 101 }));
    expect(el.querySelector("path.gb-teacher-line")).toBeNull();
    expect(el.querySelectorAll(".gb-teacher-points circle")).toHaveLength(7); // 1..8 without 5
    expect(el.querySelector(".gb-legend-teacher text")?.textContent).toBe("measured held-out reconstruction error");
    expect(el.querySelector(".gb-legend-teacher circle")).not.toBeNull();
    expect(el.querySelector(".gb-legend-teacher")!.textContent).not.toContain("teacher");
    expect(el.querySelector(".gb-side-chart")!.getAttribute("aria-label")).toBe("measured held-out reconstruction error and the selected equation along k");
    const at = (cls: string) => el.querySelector(cls)!.getAttribute("transform")!;
    expect(at(".gb-legend-equation")).toMatch(/translate\(0,15\)/); // on a second row: the first is full
    expect(at(".gb-legend-teacher")).toMatch(/translate\(0,0\)/);
    expect((el.querySelector(".gb-side-note") as HTMLElement).hidden).toBe(true); // one input: no others to hold
  });

  it("the feature <select> writes _overlay_feature and redraws along that feature", () => {
    const m = model({ selected: 102 });
    mount(m);
    const sel = featSelect();
    expect(Array.from(sel.options, (o) => o.textContent)).toEqual(["x [m]", "z"]);
    expect(sel.value).toBe("0");

    sel.value = "1";
    change(sel);
    expect(m.get("_overlay_feature")).toBe(1);
    expect(m.saveCount).toBe(1);
    expect(m.saves[0]._overlay_feature).toBe(1);
    expect(el.querySelector(".gb-side-chart .gb-axis-label-x")?.textContent).toBe("z");
    expect(el.querySelector("path.gb-teacher-line")!.getAttribute("d")!.split("L")).toHaveLength(11);
    expect(m.get("_selection").value).toBe(102); // untouched
    expect(m.requests).toHaveLength(0);
  });

  it("follows _overlay_feature from Python and ignores out-of-range values", () => {
    const m = model();
    mount(m);
    m.pythonSet("_overlay_feature", 1);
    expect(featSelect().value).toBe("1");
    expect(el.querySelector(".gb-side-chart .gb-axis-label-x")?.textContent).toBe("z");
    m.pythonSet("_overlay_feature", 7);
    expect(featSelect().value).toBe("0");
    expect(el.querySelector(".gb-side-chart .gb-axis-label-x")?.textContent).toBe("x [m]");
    expect(m.saveCount).toBe(0);
  });

  it("keeps a poorly fitting equation visible but clips poles", () => {
    // flat teacher, constant equation below it: both in range
    expect(sideDomain([1, 1, 1], [0.78, 0.78])).toEqual([0.78, 1]);
    // a pole at one grid point does not blow up the domain
    const eq = lin(0, 1, 41);
    eq[20] = 1e9;
    const [lo, hi] = sideDomain(lin(0, 1, 41), eq);
    expect(lo).toBe(0);
    expect(hi).toBeLessThan(10);
    expect(sideDomain([0, 2], null)).toEqual([0, 2]);
  });

  it("shows a note instead of a chart when there is no overlay", () => {
    expect(() => mount(model({ data: paretoData({ overlay: [] }), selected: 101 }))).not.toThrow();
    expect(el.querySelector(".gb-side-chart")).toBeNull();
    expect(el.querySelector(".gb-pareto-side .gb-message")?.textContent).toMatch(/no overlay/);
    expect(points()).toHaveLength(5);
  });
});

describe("live updates", () => {
  it("keeps selection, feature choice, the select element and the listeners when _data changes", () => {
    const m = model({ selected: 102, _overlay_feature: 1 });
    mount(m);
    const selBefore = featSelect();
    const listeners = m.listenerCount();

    // a new round: one more equation, status changes, search finished
    const next = paretoData({ status: "done in 41 s", running: false });
    next.equations.splice(2, 0, { ...next.equations[2], id: 200, complexity: 4, loss: 0.2, is_best: false });
    m.pythonSet("_data", next);

    expect(points()).toHaveLength(6);
    expect(rows()).toHaveLength(6);
    expect(selectedPoints()).toEqual([102]);
    expect(selectedRows()).toEqual([102]);
    expect(featSelect()).toBe(selBefore); // not rebuilt
    expect(featSelect().value).toBe("1");
    expect(el.querySelector(".gb-side-chart .gb-axis-label-x")?.textContent).toBe("z");
    expect(el.querySelector(".gb-status-text")?.textContent).toBe("done in 41 s");
    expect(el.querySelector(".gb-pareto-picker")!.classList.contains("gb-running")).toBe(false);
    expect(el.querySelectorAll("svg.gb-front-chart")).toHaveLength(1);
    expect(el.querySelectorAll("table.gb-eq-table")).toHaveLength(1);
    expect(m.listenerCount()).toBe(listeners);
    expect(m.saveCount).toBe(0);

    // clicks still work after the re-render (delegated listeners)
    click(pointAt(200));
    expect(m.requested).toEqual([200]);
    expect(m.saveCount).toBe(1);
  });

  it("restores keyboard focus to the same row after a re-render", () => {
    const m = model();
    mount(m);
    rowAt(101).focus();
    expect(document.activeElement).toBe(rowAt(101));
    m.pythonSet("_data", paretoData({ status: "round 4/6" }));
    expect(document.activeElement).toBe(rowAt(101));
  });
});

describe("empty and missing data", () => {
  it("shows a friendly message while running with no equations yet", () => {
    expect(() => mount(model({ data: paretoData({ equations: [], overlay: [] }) }))).not.toThrow();
    expect(el.querySelector(".gb-empty")?.textContent).toBe(EMPTY_FRONT_RUNNING_TEXT);
    expect(points()).toHaveLength(0);
    expect(rows()).toHaveLength(0);
    expect(el.querySelector(".gb-status-text")?.textContent).toContain("running");
  });

  it("shows the finished empty state, then the front when it arrives", () => {
    const m = model({ data: paretoData({ equations: [], running: false }), selected: 3 });
    mount(m);
    expect(el.querySelector(".gb-empty")?.textContent).toBe(EMPTY_FRONT_TEXT);
    m.pythonSelect(101);
    m.pythonSet("_data", paretoData());
    expect(points()).toHaveLength(5);
    expect((el.querySelector(".gb-empty") as HTMLElement).hidden).toBe(true);
    expect(selectedRows()).toEqual([101]);
  });

  it("shows a message when _data is missing", () => {
    const m = new FakeModel({ _selection: { value: null, details: {} } });
    expect(() => mount(m)).not.toThrow();
    expect(el.querySelector(".gb-empty")?.textContent).toBe(NO_DATA_TEXT);
    m.pythonSet("_data", paretoData());
    expect(points()).toHaveLength(5);
  });
});

describe("cleanup", () => {
  it("removes model listeners, DOM listeners and the DOM", () => {
    const m = model();
    const dispose = mount(m);
    expect(m.listenerCount("change:_data")).toBe(1);
    expect(m.listenerCount("change:_selection")).toBe(1);
    expect(m.listenerCount("change:_overlay_feature")).toBe(1);
    const root = el.firstElementChild as HTMLElement;

    dispose();
    expect(m.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);

    // put the old DOM back: its delegated click/keydown/change listeners are gone
    document.body.appendChild(root);
    click(root.querySelector('tr.gb-eq-row[data-id="101"]')!);
    click(root.querySelector('circle.gb-eq-point[data-id="102"]')!);
    change(root.querySelector("select")!);
    expect(m.saveCount).toBe(0);
    expect(m.requests).toHaveLength(0);
    root.remove();
    m.pythonSet("_data", paretoData());
    m.pythonSelect(100);
    expect(el.children).toHaveLength(0);
  });
});
