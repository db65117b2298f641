import { describe, expect, it } from "vitest";

import widget, { EMPTY_SELECTION_TEXT, NO_DATA_TEXT, NO_RULES_TEXT, fidelityWithText, ruleText, scoreWithInterval, spec } from "../src/widgets/rules_view";
import { CATEGORICAL } from "../src/shared/palette";
import { mountWidget } from "../src/shared/widget";
import { FakeModel, widgetModel } from "./fake_model";
import { MemoryHost } from "./memory_host";
import { click, el, key, useWidget } from "./mount";

const cond = (feature: string, op: "<=" | ">", threshold: number, unit: string | null = null) => ({
  feature,
  unit,
  op,
  threshold,
  text: `${feature} ${op} ${threshold}`,
});

function clfData(overrides: Record<string, unknown> = {}) {
  const rules = [
    { conditions: [cond("income", ">", 52000, "USD"), cond("debt_ratio", "<=", 0.35)], prediction: "approve (p = 0.97)", class_index: 0, coverage: 0.41, n: 410, fidelity: 0.97 },
    { conditions: [cond("income", "<=", 52000, "USD"), cond("late_payments", ">", 2)], prediction: "reject (p = 0.93)", class_index: 1, coverage: 0.22, n: 220, fidelity: 0.94 },
    { conditions: [cond("age", ">", 29.5, "years")], prediction: "review (p = 0.64)", class_index: 2, coverage: 0.2, n: 200, fidelity: 0.71 },
    { conditions: [], prediction: "reject (p = 0.58)", class_index: 1, coverage: 0.17, n: 170, fidelity: null },
  ];
  return {
    title: "Rules distilled from the credit model",
    task: "classification",
    output_name: "decision",
    classes: ["approve", "reject", "review"],
    rules: rules.map((r, i) => ({
      id: 10 + i,
      ...r,
      text: (r.conditions.length ? `IF ${r.conditions.map((c) => c.text).join(" AND ")} THEN ` : "ELSE ") + r.prediction,
    })),
    fidelity: { metric: "agreement", value: 0.9, ci: [0.88, 0.92] },
    caption: "4 rules, depth 2",
    ...overrides,
  };
}

function regData() {
  return {
    title: "Rules for y",
    task: "regression",
    output_name: "y",
    classes: null,
    rules: [
      { id: 0, conditions: [cond("speed", "<=", 3.2, "m/s")], prediction: "y ≈ 12.3", class_index: null, coverage: 0.6, n: 600, fidelity: 0.71, text: "IF speed <= 3.2 THEN y ≈ 12.3" },
      { id: 1, conditions: [cond("speed", ">", 3.2, "m/s")], prediction: "y ≈ 48.9", class_index: null, coverage: 0.4, n: 400, fidelity: -0.08, text: "IF speed > 3.2 THEN y ≈ 48.9" },
    ],
    fidelity: { metric: "r2", value: 0.86, ci: [0.84, 0.88] },
    caption: "",
  };
}

const { mount } = useWidget(widget);

const model = (data: unknown = clfData(), selected: number | null = null) => widgetModel(data, selected);

const rows = () => Array.from(el.querySelectorAll<HTMLTableRowElement>("tr.gb-rule-row"));
const rowAt = (id: number) => el.querySelector<HTMLTableRowElement>(`tr.gb-rule-row[data-id="${id}"]`)!;
const selectedRows = () => rows().filter((r) => r.classList.contains("gb-selected")).map((r) => Number(r.dataset.id));
const readout = () => el.querySelector(".gb-selection")!.textContent;

describe("rendering", () => {
  it("renders one row per rule, in the given order, with the five columns", () => {
    mount(model());
    expect(rows()).toHaveLength(4);
    expect(rows().map((r) => r.dataset.id)).toEqual(["10", "11", "12", "13"]);
    expect(Array.from(el.querySelectorAll(".gb-rules-table th"), (th) => th.textContent)).toEqual([
      "#",
      "IF",
      "THEN decision",
      "coverage",
      "fidelity",
    ]);
    expect(el.querySelector(".gb-title")?.textContent).toBe("Rules distilled from the credit model");
    // the # column is the rule's id, the number Python uses (finding.rules[id], finding.select(id))
    expect(rows().map((r) => r.querySelector(".gb-rule-num")!.textContent)).toEqual(["10", "11", "12", "13"]);
    expect(readout()).toBe(EMPTY_SELECTION_TEXT);
  });

  it("shows conditions as chips joined with AND, feature names bold, units shown", () => {
    mount(model());
    const chips = rowAt(10).querySelectorAll(".gb-chip");
    expect(chips).toHaveLength(2);
    expect(rowAt(10).querySelectorAll(".gb-and")).toHaveLength(1);
    expect(rowAt(10).querySelector(".gb-and")!.textContent).toBe("AND");
    expect(chips[0].querySelector("b")!.textContent).toBe("income");
    expect(chips[0].textContent).toBe("income > 52,000 USD");
    expect(chips[1].textContent).toBe("debt_ratio ≤ 0.35");
    expect(rowAt(12).querySelector(".gb-chip")!.textContent).toBe("age > 29.5 years");
    // the default rule has no chips
    expect(rowAt(13).querySelectorAll(".gb-chip")).toHaveLength(0);
    expect(rowAt(13).querySelector(".gb-else")!.textContent).toMatch(/ELSE/);
  });

  it("colours predictions by class with the categorical palette", () => {
    mount(model());
    const color = (id: number) => rowAt(id).querySelector<HTMLElement>(".gb-prediction")!.style.getPropertyValue("--gb-class-color");
    expect(color(10)).toBe(CATEGORICAL[0]);
    expect(color(11)).toBe(CATEGORICAL[1]);
    expect(color(12)).toBe(CATEGORICAL[2]);
    expect(color(13)).toBe(color(11)); // same class, same colour
    expect(rowAt(10).querySelector(".gb-prediction")!.textContent).toBe("approve (p = 0.97)");
    expect(rowAt(10).querySelector<HTMLElement>(".gb-prediction")!.dataset.class).toBe("approve");
  });

  it("shows coverage as a bar and a percentage, fidelity as a percentage of the probes it rests on", () => {
    mount(model());
    expect(rowAt(10).querySelector<HTMLElement>(".gb-cov-fill")!.style.width).toMatch(/^41(\.0)?%$/);
    expect(rowAt(10).querySelector(".gb-cov-text")!.textContent).toBe("41%");
    expect(rowAt(10).querySelector(".gb-rule-fid")!.textContent).toBe("97% of 410");
    expect(rowAt(13).querySelector(".gb-rule-fid")!.textContent).toBe("—"); // null fidelity
    expect(rowAt(10).querySelector(".gb-cov")!.getAttribute("title")).toContain("n = 410");
    expect(rowAt(10).querySelector(".gb-rule-fid")!.getAttribute("title")).toContain("410 held-out probes");
    expect(el.querySelectorAll(".gb-support-flag")).toHaveLength(0); // every rule rests on 170 or more
  });

  it("flags a rule whose fidelity rests on too few probes, with its count and exact interval", () => {
    const data = clfData();
    const rules = data.rules as Record<string, unknown>[];
    rules[2] = { ...rules[2], n: 5, fidelity: 1, fidelity_ci: [0.478, 1], small_support: true };
    mount(model(data));
    const cell = rowAt(12).querySelector(".gb-rule-fid")!;
    expect(cell.textContent).toBe("100% of 5⚠");
    expect(cell.classList.contains("gb-small-support")).toBe(true);
    expect(cell.getAttribute("title")).toBe(
      "the model decides as this rule on 100% of the 5 held-out probes it covers; 95% CI 48%–100% (exact binomial). Only 5 held-out probes (under 30): too few to trust this number",
    );
    expect(rowAt(12).querySelector(".gb-support-flag")!.getAttribute("aria-label")).toBe("only 5 held-out probes");
    expect(rowAt(10).querySelector(".gb-support-flag")).toBeNull();
  });

  it("flags small supports itself when the host sends only n (min_support from the data, 30 by default)", () => {
    const data = clfData({ min_support: 300 });
    mount(model(data));
    expect(rows().filter((r) => r.querySelector(".gb-support-flag")).map((r) => r.dataset.id)).toEqual(["11", "12"]); // n 220, 200
  });

  it("shows the overall fidelity line and the caption", () => {
    mount(model());
    // without the host's own line: Python's precision (three decimals)
    expect(el.querySelector(".gb-fidelity")?.textContent).toBe("fidelity agreement = 0.900 [0.880, 0.920]");
    expect(el.querySelector(".gb-caption-text")?.textContent).toBe("4 rules, depth 2");
  });

  it("shows Python's fidelity line verbatim when it is sent", () => {
    const text = "agreement = 0.999 [0.996, 1.000] (95% CI) on 800 held-out probes";
    mount(model(clfData({ fidelity: { metric: "agreement", value: 0.99875, ci: [0.99625, 1], text } })));
    expect(el.querySelector(".gb-fidelity")?.textContent).toBe(`fidelity ${text}`);
  });

  it("never rounds a near-perfect fidelity or its interval into a point", () => {
    expect(scoreWithInterval(0.99875, [0.99625, 1])).toBe("0.999 [0.996, 1.000]"); // Python's own digits
    expect(scoreWithInterval(0.9998, [0.9996, 1])).toBe("0.9998 [0.9996, 1.0000]");
    expect(scoreWithInterval(1, [0.9963, 1])).toBe("1.000 [0.996, 1.000]");
    expect(scoreWithInterval(0.5, null)).toBe("0.500");
    expect(fidelityWithText({ metric: "agreement", value: 0.99875, ci: [0.99625, 1], split: "held-out" })!.text).toBe(
      "agreement = 0.999 [0.996, 1.000] (held-out)",
    );
    mount(model(clfData({ fidelity: { metric: "agreement", value: 0.99985, ci: [0.9996, 1] } })));
    expect(el.querySelector(".gb-fidelity")?.textContent).toBe("fidelity agreement = 0.9999 [0.9996, 1.0000]");
  });

  it("shows a catch-all ELSE only when some inputs fall to it", () => {
    const data = clfData();
    data.rules[3] = { ...data.rules[3], coverage: 0, n: 0 };
    mount(model(data));
    expect(rows().map((r) => r.dataset.id)).toEqual(["10", "11", "12"]);
    expect(el.querySelector(".gb-else")).toBeNull();
  });

  it("renders regression rules with neutral colours and R² fidelity", () => {
    mount(model(regData()));
    expect(rows()).toHaveLength(2);
    expect(el.querySelector(".gb-rules-table th:last-child")?.textContent).toBe("fidelity (R²)");
    expect(rowAt(1).querySelector(".gb-rule-fid")!.textContent).toBe("-0.08 of 400");
    expect(rowAt(0).querySelector(".gb-prediction")!.classList.contains("gb-class")).toBe(false);
    expect(el.querySelector(".gb-fidelity")?.textContent).toBe("fidelity R² = 0.860 [0.840, 0.880]");
    expect(rowAt(0).querySelector(".gb-rule-fid")!.textContent).toBe("0.71 of 600");
    expect(rowAt(0).querySelector(".gb-chip")!.textContent).toBe("speed ≤ 3.2 m/s");
  });

  it("builds a readable rule text when `text` is missing", () => {
    expect(ruleText({ id: 0, conditions: [cond("a", "<=", 3), cond("b", ">", 20000)].map((c) => ({ ...c, text: "" })), prediction: "yes", class_index: 0, coverage: 1, n: 1, fidelity: 1, text: "" })).toBe(
      "IF a ≤ 3 AND b > 20,000 THEN yes",
    );
  });
});

describe("selection", () => {
  it("clicking a rule row asks Python for that rule (one request, one save)", () => {
    const m = model().autoReply();
    mount(m);
    click(rowAt(11).querySelector(".gb-chip b")!); // a click deep inside the row
    expect(m.get("_request")).toEqual({ id: 1, value: 11 });
    expect(m.saveCount).toBe(1);
    expect(m.saves[0]._request).toEqual({ id: 1, value: 11 });
    expect(selectedRows()).toEqual([11]);
    expect(rowAt(11).getAttribute("aria-selected")).toBe("true");
    expect(readout()).toBe("rule 11: IF income <= 52000 AND late_payments > 2 THEN reject (p = 0.93)");
  });

  it("shows the clicked rule while Python answers, Python's selection after", () => {
    const m = model();
    mount(m);
    click(rowAt(12));
    expect(selectedRows()).toEqual([12]);
    m.reply({ value: 10 }); // Python may settle on another rule
    expect(selectedRows()).toEqual([10]);
  });

  it("selects with the keyboard (space)", () => {
    const m = model().autoReply();
    mount(m);
    key(rowAt(13), " ");
    expect(m.requested).toEqual([13]);
    expect(m.saveCount).toBe(1);
    expect(readout()).toBe("rule 13: ELSE reject (p = 0.58)");
  });

  it("follows _selection changes from Python without saving", () => {
    const m = model(clfData(), 12);
    mount(m);
    expect(selectedRows()).toEqual([12]);
    m.pythonSelect(10);
    expect(selectedRows()).toEqual([10]);
    expect(readout()).toContain("debt_ratio <= 0.35");
    m.pythonSelect(null);
    expect(selectedRows()).toEqual([]);
    expect(readout()).toBe(EMPTY_SELECTION_TEXT);
    m.pythonSelect(99);
    expect(selectedRows()).toEqual([]);
    expect(m.saveCount).toBe(0);
  });

  it("shows why Python refused a rule and keeps its selection", () => {
    const m = model(clfData(), 10);
    mount(m);
    click(rowAt(12));
    m.reply({ error: "rule 12 was pruned" });
    expect(selectedRows()).toEqual([10]);
    expect(el.querySelector(".gb-request-error")!.textContent).toBe("rule 12 was pruned");
  });

  it("keeps the selection when _data is replaced", () => {
    const m = model(clfData(), 11).autoReply();
    mount(m);
    m.pythonSet("_data", clfData({ caption: "refitted" }));
    expect(selectedRows()).toEqual([11]);
    expect(el.querySelectorAll("table.gb-rules-table")).toHaveLength(1);
    click(rowAt(12));
    expect(m.requested).toEqual([12]);
    expect(m.saveCount).toBe(1);
  });
});

describe("another host", () => {
  it("mounts through a plain in-memory transport, no anywidget model", () => {
    const host = new MemoryHost(clfData(), 10);
    const dispose = mountWidget(spec, el, host.transport);
    expect(rows()).toHaveLength(4);
    expect(selectedRows()).toEqual([10]);
    click(rowAt(13));
    expect(host.requested).toEqual([13]);
    expect(el.querySelector(".gb-rules-view")!.classList.contains("gb-is-busy")).toBe(true);
    host.answer();
    expect(selectedRows()).toEqual([13]);
    expect(readout()).toBe("rule 13: ELSE reject (p = 0.58)");
    dispose();
    expect(host.listenerCount).toBe(0);
    expect(el.children).toHaveLength(0);
  });
});

describe("empty and missing data", () => {
  it("renders an empty rule list as a friendly message without throwing", () => {
    const m = model(clfData({ rules: [] }), 3);
    expect(() => mount(m)).not.toThrow();
    expect(rows()).toHaveLength(0);
    expect(el.querySelector(".gb-empty")?.textContent).toBe(NO_RULES_TEXT);
    expect(el.querySelector(".gb-fidelity")).not.toBeNull();
    expect(() => m.pythonSelect(1)).not.toThrow();
  });

  it("shows a message when _data is missing, then renders when it arrives", () => {
    const m = new FakeModel({ _selection: { value: null, details: {} } });
    expect(() => mount(m)).not.toThrow();
    expect(el.querySelector(".gb-message")?.textContent).toBe(NO_DATA_TEXT);
    m.pythonSet("_data", clfData());
    expect(rows()).toHaveLength(4);
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
    click(root.querySelector('tr.gb-rule-row[data-id="10"]')!);
    expect(m.saveCount).toBe(0);
    root.remove();
    m.pythonSet("_data", clfData());
    expect(el.children).toHaveLength(0);
  });
});
