import { describe, expect, it } from "vitest";

import widget, { NO_DATA_TEXT, NO_FLIPS_SENT_TEXT, NO_PROTECTED_TEXT, SELECT_HINT_TEXT, WAITING_TEXT, axisMax, estimateText, normalize } from "../src/widgets/audit_view";
import { FakeModel, widgetModel } from "./fake_model";
import { click, el, key, useWidget } from "./mount";

function flips(variable = "age") {
  return {
    variable,
    total: 2,
    pairs: 80,
    rows: [
      { context: { name: "Anna", income: 50000 }, from: 25, to: 65, decision_from: "approve", decision_to: "deny", p_from: 0.97, p_to: 0.08, prompt_from: "Applicant: Anna, age 25", prompt_to: "Applicant: Anna, age 65" },
      { context: { name: "Ben", income: 90000 }, from: 65, to: 45, decision_from: "deny", decision_to: "approve", p_from: 0.2, p_to: 0.9, prompt_from: "a", prompt_to: "b" },
    ],
  };
}

function data(overrides: Record<string, unknown> = {}) {
  return {
    title: "Black-box audit of loan_lm",
    summary: "single-variable swaps flip 23% of 440 decisions",
    expected: { positive: "approve", negative: "deny" },
    variables: [
      { name: "name", flip_rate: 0, ci: [0, 0], n_pairs: 120, mean_abs_delta_p: 0.0001, protected: false, sensitive: false },
      { name: "age", flip_rate: 0.36, ci: [0.26, 0.48], n_pairs: 80, mean_abs_delta_p: 0.34, protected: true, sensitive: true },
      { name: "income", flip_rate: 0.27, ci: [0.17, 0.38], n_pairs: 120, mean_abs_delta_p: null, protected: false, sensitive: true },
    ],
    flip_rate: { value: 0.23, ci: [0.19, 0.28], n: 440 },
    consistency: { value: 1, ci: [1, 1], n: 40, variants: ["original", "preamble"] },
    parity: [
      {
        variable: "age",
        gap: 0.55,
        gap_ci: [0.38, 0.7],
        groups: [
          { group: "25", rate: 0.8, ci: [0.68, 0.93], n: 40 },
          { group: "45", rate: 0.8, ci: [0.68, 0.93], n: 40 },
          { group: "65", rate: 0.25, ci: [0.13, 0.4], n: 40 },
        ],
      },
    ],
    fidelity: { metric: "agreement", value: 1, ci: [1, 1] },
    complete: true,
    completeness: "complete: 300 of 300 prompts answered",
    errors: [],
    caption: "test–retest agreement on 50 re-asked prompts",
    ...overrides,
  };
}

const { mount } = useWidget(widget);
const model = (d: unknown = data(), selected: string | null = null, details: Record<string, unknown> = {}) => widgetModel(d, selected, details);
const rows = () => Array.from(el.querySelectorAll<HTMLElement>(".gb-var-row"));
const row = (name: string) => rows().find((r) => r.dataset.name === name)!;
const selectedRows = () => rows().filter((r) => r.classList.contains("gb-selected")).map((r) => r.dataset.name);

describe("rendering", () => {
  it("draws one clickable row per variable with its flip rate, CI whisker and n", () => {
    mount(model());
    expect(rows().map((r) => r.dataset.name)).toEqual(["name", "age", "income"]);
    expect(el.querySelector(".gb-title")?.textContent).toBe("Black-box audit of loan_lm");
    expect(row("age").querySelector(".gb-var-value")!.textContent).toBe("36% [26%, 48%]");
    expect(row("age").querySelector(".gb-var-n")!.textContent).toBe("n = 80");
    expect(row("age").querySelector(".gb-protected")!.textContent).toBe("protected");
    expect(row("name").querySelector(".gb-protected")).toBeNull();
    expect(row("age").classList.contains("gb-protected-row")).toBe(true);
    expect(row("age").querySelectorAll(".gb-whisker")).toHaveLength(3);
    expect(row("age").querySelector(".gb-var-value")!.classList.contains("gb-sensitive")).toBe(true);
    expect(row("age").getAttribute("role")).toBe("button");
    expect(row("age").title).toContain("mean |Δp| 0.34");
    expect(row("income").title).not.toContain("Δp");
  });

  it("scales the bars to the largest CI end", () => {
    mount(model());
    const width = (name: string) => Number(row(name).querySelector(".gb-bar")!.getAttribute("width"));
    const max = axisMax([{ value: 0.36, ci: [0.26, 0.48] }]);
    expect(max).toBeCloseTo(0.504);
    expect(width("age")).toBeCloseTo((0.36 / max) * 220, 0);
    expect(width("age")).toBeGreaterThan(width("income"));
    expect(width("name")).toBe(0);
  });

  it("shows the measures, the parity panel and the fidelity caption", () => {
    mount(model());
    const measures = Array.from(el.querySelectorAll(".gb-measure"), (m) => m.textContent);
    expect(measures[0]).toBe("flip rate23% [19%, 28%]");
    expect(measures[1]).toBe("paraphrase consistency100% [100%, 100%]");
    expect(el.querySelector(".gb-parity-head")!.textContent).toBe("age · parity gap 0.55 [0.38, 0.70]");
    const groups = Array.from(el.querySelectorAll<HTMLElement>(".gb-group-row"));
    expect(groups.map((g) => g.dataset.group)).toEqual(["25", "45", "65"]);
    expect(groups[2].querySelector(".gb-group-value")!.textContent).toBe("25% [13%, 40%]");
    expect(el.querySelector(".gb-fidelity")!.textContent).toBe("fidelity agreement = 1.00 [1.00, 1.00]");
    expect((el.querySelector(".gb-partial") as HTMLElement).hidden).toBe(true);
    expect(el.querySelector(".gb-flips .gb-hint")!.textContent).toBe(SELECT_HINT_TEXT);
  });

  it("says when no protected attribute was named", () => {
    mount(model(data({ parity: [] })));
    expect(el.querySelector(".gb-parity .gb-empty")!.textContent).toBe(NO_PROTECTED_TEXT);
  });

  it("shows a partial audit's banner with its errors", () => {
    mount(model(data({ complete: false, completeness: "partial: 12 of 300 failed", errors: ["ProviderUnavailableError: HTTP 503"] })));
    const banner = el.querySelector<HTMLElement>(".gb-partial")!;
    expect(banner.hidden).toBe(false);
    expect(banner.querySelector("b")!.textContent).toBe("partial: 12 of 300 failed");
    expect(banner.querySelector("li")!.textContent).toBe("ProviderUnavailableError: HTTP 503");
  });

  it("formats estimates without a CI", () => {
    expect(estimateText({ value: 0.5, ci: null })).toBe("50%");
    expect(estimateText({ value: NaN, ci: null })).toBe("n/a");
    expect(normalize(null)).toBeNull();
  });
});

describe("selection", () => {
  it("a click asks Python once for the variable; Python's details bring the flips", () => {
    const m = model();
    mount(m);
    click(row("age").querySelector(".gb-var-name")!);
    expect(m.get("_request")).toEqual({ id: 1, value: "age" });
    expect(m.saveCount).toBe(1);
    expect(selectedRows()).toEqual(["age"]);
    expect(row("age").getAttribute("aria-pressed")).toBe("true");
    expect(el.querySelector(".gb-flips .gb-waiting")!.textContent).toBe(WAITING_TEXT);
    m.reply({ details: { flips: flips() } });
    const table = el.querySelectorAll(".gb-flip-row");
    expect(table).toHaveLength(2);
    expect(el.querySelector(".gb-flips-head")!.textContent).toBe("swaps of age that flipped the decision: 2 of 80");
    expect(table[0].querySelector(".gb-flip-swap")!.textContent).toBe("25 → 65");
    expect(table[0].querySelector(".gb-flip-context")!.textContent).toBe("name = Anna, income = 50000");
    expect(table[0].querySelector(".gb-flip-decision")!.textContent).toBe("approve → deny");
    expect(table[0].querySelector(".gb-flip-p")!.textContent).toBe("0.97 → 0.08");
    expect((table[0] as HTMLElement).title).toContain("age 65");
    expect(selectedRows()).toEqual(["age"]);
  });

  it("clicking the selected variable again, or Escape, clears it", () => {
    const m = model().autoReply((v) => ({ details: { flips: v === null ? null : flips(String(v)) } }));
    mount(m);
    click(row("income"));
    click(row("income"));
    expect(m.requested).toEqual(["income", null]);
    key(row("age"), "Enter");
    expect(m.get("_selection").value).toBe("age");
    key(row("age"), "Escape");
    expect(m.requested).toEqual(["income", null, "age", null]);
    expect(m.saveCount).toBe(4);
    expect(selectedRows()).toEqual([]);
    key(row("age"), "Escape"); // nothing selected: nothing to ask
    expect(m.saveCount).toBe(4);
  });

  it("a second click while Python answers toggles what the first one asked for", () => {
    const m = model();
    mount(m);
    click(row("income"));
    click(row("income"));
    expect(selectedRows()).toEqual([]);
    m.reply({ details: { flips: flips("income") } });
    expect(m.requested).toEqual(["income", null]);
  });

  it("follows the selection from Python without saving", () => {
    const m = model(data(), "age", { flips: flips() });
    mount(m);
    expect(selectedRows()).toEqual(["age"]);
    expect(el.querySelectorAll(".gb-flip-row")).toHaveLength(2);
    m.pythonSelect(null);
    expect(selectedRows()).toEqual([]);
    expect(el.querySelector(".gb-flips .gb-hint")).not.toBeNull();
    expect(m.saveCount).toBe(0);
  });

  it("says when no swap flipped, when only some rows were sent, and when none were", () => {
    const m = model(data(), "name", { flips: { variable: "name", total: 0, pairs: 120, rows: [] } });
    mount(m);
    expect(el.querySelector(".gb-flips .gb-empty")!.textContent).toBe("no swap of name changed the decision");
    m.pythonSelect("age", { flips: { ...flips(), total: 250 } });
    expect(el.querySelector(".gb-more")!.textContent).toBe("showing the first 2 of 250");
    m.pythonSelect("income", { flips: null });
    expect(el.querySelector(".gb-flips-body")!.textContent).toBe(NO_FLIPS_SENT_TEXT);
  });
});

describe("empty and missing data", () => {
  it("shows a message when _data is missing, then renders when it arrives", () => {
    const m = new FakeModel({ _selection: { value: null, details: {} } });
    expect(() => mount(m)).not.toThrow();
    expect(el.querySelector(".gb-empty")!.textContent).toBe(NO_DATA_TEXT);
    m.pythonSet("_data", data());
    expect(rows()).toHaveLength(3);
  });

  it("survives malformed data", () => {
    expect(() => mount(model({ variables: [{ name: "x", flip_rate: "oops", ci: "bad" }, null], parity: [{}] }))).not.toThrow();
    expect(rows()).toHaveLength(1);
    expect(row("x").querySelector(".gb-var-value")!.textContent).toBe("n/a");
  });
});

describe("cleanup", () => {
  it("removes model listeners, DOM listeners and the DOM", () => {
    const m = model();
    const dispose = mount(m);
    expect(m.listenerCount("change:_data")).toBe(1);
    const root = el.firstElementChild as HTMLElement;
    dispose();
    expect(m.listenerCount()).toBe(0);
    expect(el.children).toHaveLength(0);
    document.body.appendChild(root);
    click(root.querySelector(".gb-var-row")!);
    expect(m.saveCount).toBe(0);
    root.remove();
  });
});
