/**
 * GlassBox rules view: IF/ELSE rules distilled from a model, as a table:
 * # | IF | THEN | coverage | fidelity. Clicking a row (or Enter / Space on it) asks the host
 * to select that rule.
 *
 * View data: see RulesData below. Selection: the rule's id, or null; no details.
 */
import { arr, int, intOrNull, num, obj, str } from "../shared/data";
import { delegateActivate, h, liveRegion, shareBar, tableHead } from "../shared/dom";
import { formatPercent, formatScore, formatThreshold } from "../shared/format";
import type { Fidelity } from "../shared/format";
import { anywidget } from "../shared/model";
import { classColor } from "../shared/palette";
import type { WidgetSpec } from "../shared/widget";

export { NO_DATA_TEXT } from "../shared/widget";

export interface Condition {
  feature: string;
  unit?: string | null;
  op: "<=" | ">";
  threshold: number;
  text?: string;
}

export interface Rule {
  id: number;
  conditions: Condition[];
  prediction: string;
  class_index: number | null;
  coverage: number;
  n: number;
  fidelity: number | null;
  text: string;
}

export interface RulesData {
  title?: string;
  task?: "classification" | "regression";
  output_name?: string;
  classes?: string[] | null;
  rules?: Rule[];
  fidelity?: Fidelity | null;
  caption?: string | null;
}

export const EMPTY_SELECTION_TEXT = "click a rule to select it";
export const NO_RULES_TEXT = "no rules to show";

export interface Norm {
  title: string;
  task: "classification" | "regression";
  outputName: string;
  classes: string[];
  rules: Rule[];
  fidelity: Fidelity | null;
  caption: string;
}

const OPS: Record<string, string> = { "<=": "≤", ">": ">", "<": "<", ">=": "≥", "==": "=", "!=": "≠" };

export function normalize(raw: unknown): Norm | null {
  if (!raw || typeof raw !== "object") return null;
  const d = raw as Record<string, unknown>;
  const rules: Rule[] = arr(d.rules).map((r, i) => {
    const o = obj(r);
    const ci = o.class_index === null || o.class_index === undefined ? null : int(o.class_index, -1);
    const fid = num(o.fidelity);
    return {
      id: int(o.id, i),
      conditions: arr(o.conditions).map((c) => {
        const co = obj(c);
        return {
          feature: str(co.feature, "?"),
          unit: co.unit ? String(co.unit) : null,
          op: (str(co.op, "<=") as Condition["op"]),
          threshold: num(co.threshold),
          text: str(co.text),
        };
      }),
      prediction: str(o.prediction),
      class_index: ci !== null && ci >= 0 ? ci : null,
      coverage: num(o.coverage),
      n: int(o.n, 0),
      fidelity: Number.isFinite(fid) ? fid : null,
      text: str(o.text),
    };
  });
  const f = obj(d.fidelity);
  return {
    title: str(d.title),
    task: d.task === "regression" ? "regression" : "classification",
    outputName: str(d.output_name) || "output",
    classes: arr(d.classes).map((c) => str(c)),
    rules,
    fidelity: d.fidelity && typeof d.fidelity === "object" ? (f as unknown as Fidelity) : null,
    caption: str(d.caption),
  };
}

/** The per-rule fidelity cell: a percentage (agreement) for classification, the R² value for regression ("—" if absent). */
export function ruleFidelityText(task: Norm["task"], v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "—";
  return task === "regression" ? formatScore(v) : formatPercent(v);
}

/** Readable plain text of a rule (used when `text` is missing). */
export function ruleText(r: Rule): string {
  if (r.text) return r.text;
  if (r.conditions.length === 0) return `ELSE ${r.prediction}`;
  const conds = r.conditions.map((c) => c.text || `${c.feature} ${OPS[c.op] ?? c.op} ${formatThreshold(c.threshold)}`);
  return `IF ${conds.join(" AND ")} THEN ${r.prediction}`;
}

function conditionChip(c: Condition): HTMLElement {
  const chip = h("span", "gb-chip");
  chip.title = c.text || `${c.feature} ${c.op} ${formatThreshold(c.threshold)}${c.unit ? ` ${c.unit}` : ""}`;
  chip.append(
    h("b", "gb-chip-feature", c.feature),
    h("span", "gb-chip-op", ` ${OPS[c.op] ?? c.op} `),
    h("span", "gb-chip-value", formatThreshold(c.threshold)),
  );
  if (c.unit) chip.append(h("span", "gb-chip-unit", ` ${c.unit}`));
  return chip;
}

/** The table of rules: # | IF | THEN | coverage | fidelity, one focusable row per rule. */
function rulesTable(d: Norm): HTMLTableElement {
  const table = h("table", "gb-table gb-rules-table");
  const thead = tableHead([
    ["#", "gb-num"],
    ["IF", "gb-if-head"],
    [`THEN ${d.outputName}`, "gb-then-head"],
    ["coverage", "gb-cov-head"],
    [d.task === "regression" ? "fidelity (R²)" : "fidelity", "gb-num"],
  ]);
  const tbody = h("tbody");
  d.rules.forEach((r, i) => tbody.appendChild(ruleRow(d, r, i)));
  table.append(thead, tbody);
  return table;
}

function ruleRow(d: Norm, r: Rule, i: number): HTMLTableRowElement {
  const tr = h("tr", "gb-row gb-rule-row");
  tr.dataset.id = String(r.id);
  tr.tabIndex = 0;
  tr.title = ruleText(r);
  const isDefault = r.conditions.length === 0;
  if (isDefault) tr.classList.add("gb-default-rule");

  const ifCell = h("td", "gb-if");
  if (isDefault) {
    ifCell.appendChild(h("span", "gb-else", i === 0 ? "always" : "ELSE (none of the above)"));
  } else {
    r.conditions.forEach((c, k) => {
      if (k > 0) ifCell.appendChild(h("span", "gb-and", "AND"));
      ifCell.appendChild(conditionChip(c));
    });
  }

  const thenCell = h("td", "gb-then");
  const pred = h("span", "gb-prediction", r.prediction || "—");
  const color = classColor(d.task === "classification" ? r.class_index : null);
  pred.style.setProperty("--gb-class-color", color);
  if (d.task === "classification" && r.class_index !== null) {
    pred.classList.add("gb-class");
    pred.dataset.class = d.classes[r.class_index] ?? String(r.class_index);
  }
  thenCell.appendChild(pred);

  const covCell = h("td", "gb-cov");
  const bar = shareBar(r.coverage, "gb-cov-bar", "gb-cov-fill");
  const covText = h("span", "gb-cov-text", formatPercent(r.coverage));
  covCell.title = `${formatPercent(r.coverage)} of held-out probes (n = ${r.n})`;
  covCell.append(bar, covText);

  tr.append(
    h("td", "gb-num gb-rule-num", String(i + 1)),
    ifCell,
    thenCell,
    covCell,
    h("td", "gb-num gb-rule-fid", ruleFidelityText(d.task, r.fidelity)),
  );
  return tr;
}

/** The rules view for any host: selection value = the rule's id (null = none), no details. */
export const spec: WidgetSpec<Norm, number | null> = {
  name: "rules_view",
  className: "gb-rules-view",
  normalize,
  value: intOrNull,
  emptyText: (d) => (d.rules.length === 0 ? NO_RULES_TEXT : null),
  create(shell) {
    const tableWrap = h("div", "gb-rules-table-wrap");
    const readout = liveRegion("gb-selection");
    shell.body.appendChild(tableWrap);
    shell.footer.appendChild(readout);
    shell.listen(delegateActivate(shell.root, "tr.gb-rule-row", (t) => shell.select(Number(t.getAttribute("data-id")))));
    return {
      render(d) {
        tableWrap.replaceChildren(rulesTable(d));
      },
      update(d, s) {
        const rule = d.rules.find((r) => r.id === s.wanted) ?? null;
        tableWrap.querySelectorAll<HTMLTableRowElement>("tr.gb-rule-row").forEach((tr) => {
          const on = rule !== null && Number(tr.dataset.id) === rule.id;
          tr.classList.toggle("gb-selected", on);
          tr.setAttribute("aria-selected", String(on));
        });
        readout.textContent = rule ? ruleText(rule) : EMPTY_SELECTION_TEXT;
      },
      clear() {
        tableWrap.replaceChildren();
      },
    };
  },
};

export default anywidget(spec);
