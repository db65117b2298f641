import { describe, expect, it } from "vitest";

import widget, { MAX_CELL, MIN_CELL, NO_DATA_TEXT, NO_LATENTS_TEXT, SELECT_HINT_TEXT, layoutHeat, normalize, r2Text, usedFeatures } from "../src/widgets/latent_usage_heatmap";
import { interpolateSequential } from "../src/shared/palette";
import { widgetModel } from "./fake_model";
import { click, el, hover, key, unhover, useWidget } from "./mount";

const FEATURES = ["alcohol", "malic_acid", "ash", "magnesium", "flavanoids"];

/** Usage of a hand-built encoder: z0 = f(alcohol, malic_acid), z1 = f(flavanoids), z2 = f(alcohol); ash, magnesium unused. */
function usageData(extra: Record<string, unknown> = {}) {
  return {
    title: "Latent laws · wine",
    caption: "held-out R² per latent",
    latents: ["z0", "z1", "z2"],
    features: FEATURES,
    usage: [
      [1.0, 0.8, 0.1, 0.0, 0.2],
      [0.0, 0.05, 0.0, 0.0, 1.0],
      [0.6, null, 0.0, 0.15, 0.3],
    ],
    selected_use: [
      [true, true, false, false, false],
      [false, false, false, false, true],
      [true, false, false, false, false],
    ],
    laws: [
      {
        latent: "z0",
        equation: "z0 = 0.8*alcohol - 0.3*malic_acid",
        latex: "z_{0} = 0.8 \\mathrm{alcohol} - 0.3 \\mathrm{malic\\_acid}",
        r2: 0.97,
        r2_ci: [0.96, 0.978],
        r2_note: "",
        complexity: 7,
      },
      { latent: "z1", equation: "z1 = sin(flavanoids)", latex: "z_{1} = \\sin{\\left(\\mathrm{flavanoids} \\right)}", r2: 0.999, r2_ci: [0.998, 0.999], complexity: 4 },
      {
        latent: "z2",
        equation: "z2 = -1.2*alcohol",
        latex: "z_{2} = - 1.2 \\mathrm{alcohol}",
        r2: -0.12,
        r2_ci: [-0.2, -0.05],
        r2_note: "fit failed: worse than predicting the mean",
        complexity: 3,
      },
    ],
    redundant: ["ash", "magnesium"],
    ...extra,
  };
}

const { mount, unmount } = useWidget(widget);

const model = (d: unknown = usageData(), selected: number | null = null) => widgetModel(d, selected);
const cell = (i: number, j: number) => el.querySelector<SVGGElement>(`.gb-usage-cell[data-latent="${i}"][data-feature="${j}"]`)!;
const row = (i: number) => el.querySelector<SVGGElement>(`.gb-latent-row[data-latent="${i}"]`)!;
const rows = () => Array.from(el.querySelectorAll<SVGGElement>(".gb-latent-row"));
const fill = (i: number, j: number) => cell(i, j).querySelector(".gb-cell-fill")!.getAttribute("fill")!;
const lawText = () => el.querySelector(".gb-law-body")!.textContent;

describe("heat map", () => {
  it("draws latents × features cells coloured by usage, with feature labels and R² in the row labels", () => {
    mount(model());
    expect(el.querySelectorAll(".gb-usage-cell")).toHaveLength(15);
    expect(el.querySelector(".gb-title")!.textContent).toBe("Latent laws · wine");
    expect(Array.from(el.querySelectorAll(".gb-feature-label"), (t) => t.firstChild!.textContent)).toEqual(FEATURES);
    expect(Array.from(el.querySelectorAll(".gb-latent-label"), (t) => t.textContent)).toEqual(["z0", "z1", "z2"]);
    // one number of decimals for every R² of the view; a failed fit is marked (and coloured, gb-fit-failed)
    expect(Array.from(el.querySelectorAll(".gb-r2-label"), (t) => t.textContent)).toEqual(["R² 0.970", "R² 0.999", "R² −0.120 ⚠"]);
    expect(Array.from(el.querySelectorAll(".gb-r2-label"), (t) => t.classList.contains("gb-fit-failed"))).toEqual([false, false, true]);
    expect(fill(0, 0)).toBe(interpolateSequential(1));
    expect(fill(0, 1)).toBe(interpolateSequential(0.8));
    expect(fill(2, 1)).toBe("#eaeef2"); // missing
    const lum = (c: string) => c.match(/\d+/g)!.slice(0, 3).map(Number).reduce((a, b) => a + b, 0);
    expect(lum(fill(0, 0))).toBeLessThan(lum(fill(0, 1)));
    expect(lum(fill(0, 1))).toBeLessThan(lum(fill(1, 0)));
    expect(cell(0, 1).querySelector("title")!.textContent).toBe("z0 × malic_acid: used by 80% of the front · in the selected formula");
    expect(cell(2, 3).querySelector("title")!.textContent).toBe("z2 × magnesium: used by 15% of the front · not in the selected formula · redundant input");
    expect(el.querySelector(".gb-caption")!.textContent).toContain("held-out R² per latent");
  });

  it("marks the selected formula's features with a dot", () => {
    mount(model());
    const dots = Array.from(el.querySelectorAll(".gb-used-dot"), (d) => {
      const c = d.closest(".gb-usage-cell")!;
      return `${c.getAttribute("data-latent")},${c.getAttribute("data-feature")}`;
    });
    expect(dots.sort()).toEqual(["0,0", "0,1", "1,4", "2,0"]);
  });

  it("hatches and greys the redundant feature columns, and names them", () => {
    mount(model());
    const hatched = Array.from(el.querySelectorAll(".gb-hatch"), (h) => h.closest(".gb-usage-cell")!.getAttribute("data-feature"));
    expect(hatched).toEqual(["2", "3", "2", "3", "2", "3"]);
    const labels = Array.from(el.querySelectorAll(".gb-feature-label.gb-redundant"), (t) => t.firstChild!.textContent);
    expect(labels).toEqual(["ash", "magnesium"]);
    expect(el.querySelector(".gb-redundant-note")!.textContent).toBe("never used by a selected formula (redundant): ash, magnesium");
    const pattern = el.querySelector("pattern")!;
    expect(el.querySelector(".gb-hatch")!.getAttribute("fill")).toBe(`url(#${pattern.id})`);
    expect(el.querySelector(".gb-heat-legend")!.textContent).toContain("hatched: used by no selected formula");
  });

  it("shows the share as a number when the cells are big enough, in a colour that reads on the fill", () => {
    mount(model());
    const size = Number(cell(0, 0).querySelector(".gb-cell-fill")!.getAttribute("width")) + 2;
    expect(size).toBeGreaterThanOrEqual(MIN_CELL);
    expect(size).toBeLessThanOrEqual(MAX_CELL);
    if (size >= 34) {
      expect(cell(0, 0).querySelector(".gb-cell-number")!.textContent).toBe("100%");
      expect(cell(0, 0).querySelector(".gb-cell-number")!.getAttribute("fill")).toBe("#ffffff");
      expect(cell(1, 0).querySelector(".gb-cell-number")).toBeNull(); // 0%: nothing written
    }
  });
});

describe("selection", () => {
  it("clicking a cell asks Python once for its latent; Python's answer shows the formula", () => {
    const m = model();
    mount(m);
    expect(lawText()).toBe(SELECT_HINT_TEXT);
    const svg = el.querySelector("svg.gb-usage-grid");
    click(cell(1, 3));
    expect(m.get("_request")).toEqual({ id: 1, value: 1 });
    expect(m.saveCount).toBe(1);
    expect(row(1).classList.contains("gb-pending")).toBe(true);
    expect((el.querySelector(".gb-status") as HTMLElement).hidden).toBe(false);
    expect(el.querySelector(".gb-status-text")!.textContent).toBe("selecting z1…");
    expect(lawText()).toBe("selecting z1…");
    m.reply();
    expect(row(1).classList.contains("gb-pending")).toBe(false);
    expect(row(1).classList.contains("gb-selected")).toBe(true);
    expect(row(1).getAttribute("aria-pressed")).toBe("true");
    expect((el.querySelector(".gb-status") as HTMLElement).hidden).toBe(true);
    expect(el.querySelector(".gb-law-title")!.textContent).toBe("z1: selected formula");
    // typeset with KaTeX as in the Pareto picker, not monospace Python
    const math = el.querySelector(".gb-equation .gb-math math")!;
    expect(math.namespaceURI).toBe("http://www.w3.org/1998/Math/MathML");
    expect(math.querySelector("annotation")!.textContent).toBe("z_{1} = \\sin{\\left(\\mathrm{flavanoids} \\right)}");
    expect(el.querySelector(".gb-equation code")).toBeNull();
    expect(el.querySelector(".gb-law-r2 .gb-stat-value")!.textContent).toBe("0.999 [0.998, 0.999]");
    expect(el.querySelector(".gb-fit-note")).toBeNull();
    expect(el.querySelector(".gb-law-complexity .gb-stat-value")!.textContent).toBe("4");
    expect(el.querySelector(".gb-law-uses .gb-stat-value")!.textContent).toBe("flavanoids");
    expect(el.querySelector("svg.gb-usage-grid")).toBe(svg); // not redrawn for a selection
  });

  it("shows the plain-text formula when no LaTeX was sent or it does not parse", () => {
    const d = usageData();
    d.laws[0] = { ...d.laws[0], latex: "" };
    d.laws[1] = { ...d.laws[1], latex: "\\frac{1}{" };
    const m = model(d, 0);
    mount(m);
    expect(el.querySelector(".gb-equation code.gb-math-fallback")!.textContent).toBe("z0 = 0.8*alcohol - 0.3*malic_acid");
    m.pythonSelect(1);
    expect(el.querySelector(".gb-equation code.gb-math-fallback")!.textContent).toBe("z1 = sin(flavanoids)");
    expect(el.querySelector(".katex-error")).toBeNull();
  });

  it("clicking the row label selects the row too; the selected row is not asked for again", () => {
    const m = model(usageData(), 0);
    mount(m);
    expect(row(0).classList.contains("gb-selected")).toBe(true);
    click(row(0).querySelector(".gb-latent-label")!);
    expect(m.saveCount).toBe(0);
    click(row(2).querySelector(".gb-latent-label")!);
    expect(m.requested).toEqual([2]);
    expect(m.saveCount).toBe(1);
  });

  it("follows a selection made in Python and shows why Python refused one", () => {
    const m = model();
    mount(m);
    m.pythonSelect(2);
    expect(row(2).classList.contains("gb-selected")).toBe(true);
    expect(el.querySelector(".gb-equation math annotation")!.textContent).toBe("z_{2} = - 1.2 \\mathrm{alcohol}");
    expect(el.querySelector(".gb-law-r2 .gb-stat-value")!.textContent).toBe("−0.120 [−0.200, −0.050]");
    const note = el.querySelector(".gb-law-body .gb-fit-note")!;
    expect(note.textContent).toBe("fit failed: worse than predicting the mean");
    expect(note.classList.contains("gb-fit-failed")).toBe(true);
    expect(row(2).getAttribute("aria-label")).toContain("held-out R² −0.120 [−0.200, −0.050] (fit failed: worse than predicting the mean)");
    click(cell(0, 0));
    m.reply({ error: "z0 has no Pareto front yet" });
    const error = el.querySelector<HTMLElement>(".gb-latent-error")!;
    expect(error.textContent).toBe("z0 has no Pareto front yet");
    expect(error.closest(".gb-law-panel")).not.toBeNull();
    expect(row(0).classList.contains("gb-pending")).toBe(false);
    expect(row(2).classList.contains("gb-selected")).toBe(true);
    // the same row again is a new request; the stale message goes while it waits
    click(cell(0, 1));
    expect(m.requests.map((r) => r.value)).toEqual([0, 0]);
    expect(m.requests[1].id).toBeGreaterThan(m.requests[0].id);
    expect(error.hidden).toBe(true);
  });

  it("Enter selects a focused row; arrow keys, Home and End move between rows", () => {
    const m = model();
    mount(m);
    expect(rows().filter((r) => r.getAttribute("tabindex") === "0")).toHaveLength(1);
    row(0).focus();
    key(row(0), "ArrowDown");
    expect(document.activeElement).toBe(row(1));
    key(row(1), "End");
    expect(document.activeElement).toBe(row(2));
    key(row(2), "Enter");
    expect(m.requested).toEqual([2]);
    key(row(2), "Home");
    expect(document.activeElement).toBe(row(0));
    expect(row(0).getAttribute("tabindex")).toBe("0");
  });
});

describe("hover", () => {
  it("tells the cell's share, and the row's formula over the row label", () => {
    mount(model());
    hover(cell(0, 4));
    expect(el.querySelector(".gb-cell-info")!.textContent).toBe("z0 × flavanoids: used by 20% of the front · not in the selected formula");
    expect(cell(0, 4).classList.contains("gb-hovered")).toBe(true);
    expect(el.querySelector('.gb-feature-label[data-feature="4"]')!.classList.contains("gb-hovered")).toBe(true);
    expect(row(0).classList.contains("gb-hovered")).toBe(true);
    hover(row(1).querySelector(".gb-latent-label")!);
    expect(el.querySelector(".gb-cell-info")!.textContent).toBe("z1 · held-out R² 0.999 [0.998, 0.999] · z1 = sin(flavanoids)");
    expect(cell(0, 4).classList.contains("gb-hovered")).toBe(false);
    unhover(row(1));
    expect(el.querySelector(".gb-cell-info")!.classList.contains("gb-hint")).toBe(true);
  });
});

describe("robustness", () => {
  it("renders a message when _data is missing, then the heat map when it arrives", () => {
    const m = widgetModel(undefined);
    expect(() => mount(m)).not.toThrow();
    expect(el.querySelector(".gb-empty")!.textContent).toBe(NO_DATA_TEXT);
    m.pythonSet("_data", usageData());
    expect(el.querySelectorAll(".gb-usage-cell")).toHaveLength(15);
  });

  it("copes with {}, ragged matrices, missing names and laws, and a bad selection", () => {
    expect(() => mount(widgetModel({}))).not.toThrow();
    expect(el.querySelector(".gb-empty")!.textContent).toBe(NO_LATENTS_TEXT);
    unmount();
    const d = { usage: [[0.5, 2, -1], [0.1]], selected_use: [[1, "x"]], laws: "bad", redundant: null };
    expect(() => mount(model(d, 7))).not.toThrow();
    expect(Array.from(el.querySelectorAll(".gb-latent-label"), (t) => t.textContent)).toEqual(["z0", "z1"]);
    expect(Array.from(el.querySelectorAll(".gb-feature-label"), (t) => t.firstChild!.textContent)).toEqual(["x0", "x1", "x2"]);
    const n = normalize(d)!;
    expect(n.usage).toEqual([
      [0.5, 1, 0],
      [0.1, NaN, NaN],
    ]);
    expect(n.selectedUse[0]).toEqual([true, false, false]);
    expect(el.querySelectorAll(".gb-latent-row.gb-selected")).toHaveLength(0);
    expect(el.querySelectorAll(".gb-r2-label")).toHaveLength(0);
    click(cell(1, 0));
    expect(el.querySelector(".gb-law-body")!.textContent).toBe("selecting z1…");
  });

  it("helpers: used features, R² text, a layout that fits the width", () => {
    const d = normalize(usageData())!;
    expect(usedFeatures(d, 0)).toEqual(["alcohol", "malic_acid"]);
    expect(r2Text(0.9996, d.formatR2)).toBe("R² 1.000"); // the view's 3 decimals: none of its R² is above 0.999
    expect(normalize(usageData({ laws: [{ latent: "z0", equation: "", r2: 0.9996 }] }))!.formatR2(0.9996)).toBe("0.9996");
    expect(r2Text(NaN, d.formatR2)).toBe("R² n/a");
    const wide = layoutHeat(d, 1000);
    expect(wide.cell).toBe(MAX_CELL);
    const narrow = layoutHeat(d, 200);
    expect(narrow.cell).toBe(MIN_CELL);
    // rotated labels of the last columns fit inside the svg
    expect(wide.right).toBeGreaterThan(8);
    // a long last feature name is cut so that the chart stays inside a narrow container
    const long = normalize(usageData({ features: [...FEATURES.slice(0, 4), "od280/od315_of_diluted_wines"] }))!;
    const fitted = layoutHeat(long, 360);
    expect(fitted.width).toBeLessThanOrEqual(360);
    expect(fitted.heads[4].endsWith("…")).toBe(true);
    expect(layoutHeat(long, 2000).heads[4].length).toBeGreaterThan(fitted.heads[4].length);
    expect(normalize(null)).toBeNull();
    expect(normalize([])).toBeNull();
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
    click(root.querySelector('.gb-usage-cell[data-latent="1"][data-feature="0"]')!);
    expect(m.saveCount).toBe(0);
    root.remove();
  });
});
