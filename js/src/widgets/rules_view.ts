/**
 * GlassBox rules view: IF/ELSE rules distilled from a model, as a table:
 * # | IF | THEN | coverage | fidelity. Clicking a row (or Enter / Space on it) asks the host
 * to select that rule.
 *
 * The # column is the rule's id, the number Python uses (`finding.rules[id]`, `finding.select(id)`),
 * counted from 0. A rule's fidelity is shown with the number of held-out probes it rests on ("100% of
 * 5") and flagged when they are fewer than `min_support`.
 *
 * View data: see RulesData below. Selection: the rule's id, or null; no details.
 */
import { arr, finitePair, int, intOrNull, num, obj, str } from "../shared/data";
import { delegateActivate, h, liveRegion, shareBar, tableHead } from "../shared/dom";
import { formatPercent, formatThreshold } from "../shared/format";
import type { Fidelity } from "../shared/format";
import { anywidget } from "../shared/model";
import { classColor } from "../shared/palette";
import type { WidgetSpec } from "../shared/widget";
import { fidelityWithText, ruleFidelityText, ruleFidelityTitle } from "./rules/fidelity";

export { NO_DATA_TEXT } from "../shared/widget";
export { fidelityWithText, ruleFidelityText, ruleFidelityTitle, scoreWithInterval } from "./rules/fidelity";

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
  /** Exact 95% interval of a rule's agreement (null for R², or when not sent). */
  fidelity_ci?: [number, number] | null;
  /** Fewer held-out probes than `min_support` back the rule's fidelity (computed here when not sent). */
  small_support?: boolean;
  text: string;
}

export interface RulesData {
  title?: string;
  task?: "classification" | "regression";
  output_name?: string;
  classes?: string[] | null;
  rules?: Rule[];
  fidelity?: Fidelity | null;
  /** Below this many held-out probes a rule's own fidelity is flagged (default 30). */
  min_support?: number;
  caption?: string | null;
}

export const DEFAULT_MIN_SUPPORT = 30;

export const EMPTY_SELECTION_TEXT = "click a rule to select it";
export const NO_RULES_TEXT = "no rules to show";

export interface Norm {
  title: string;
  task: "classification" | "regression";
  outputName: string;
  classes: string[];
  rules: Rule[];
  fidelity: Fidelity | null;
  minSupport: number;
  caption: string;
}

const OPS: Record<string, string> = { "<=": "≤", ">": ">", "<": "<", ">=": "≥", "==": "=", "!=": "≠" };

export function normalize(raw: unknown): Norm | null {
  if (!raw || typeof raw !== "object") return null;
  const d = raw as Record<string, unknown>;
  const minSupport = Math.max(0, int(d.min_support, DEFAULT_MIN_SUPPORT));
  const rules: Rule[] = arr(d.rules).map((r, i) => {
    const o = obj(r);
    const ci = o.class_index === null || o.class_index === undefined ? null : int(o.class_index, -1);
    const fid = num(o.fidelity);
    const n = Math.max(0, int(o.n, 0));
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
      n,
      fidelity: Number.isFinite(fid) ? fid : null,
      fidelity_ci: finitePair(o.fidelity_ci),
      small_support: typeof o.small_support === "boolean" ? o.small_support : n < minSupport,
      text: str(o.text),
    };
  });
  // a catch-all rule (no conditions) after others is an ELSE: shown only when some inputs fall to it
  const shown = rules.filter((r, i) => !(i > 0 && r.conditions.length === 0 && !(r.coverage > 0) && r.n === 0));
  const f = obj(d.fidelity);
  return {
    title: str(d.title),
    task: d.task === "regression" ? "regression" : "classification",
    outputName: str(d.output_name) || "output",
    classes: arr(d.classes).map((c) => str(c)),
    rules: shown,
    fidelity: d.fidelity && typeof d.fidelity === "object" ? fidelityWithText(f as unknown as Fidelity) : null,
    minSupport,
    caption: str(d.caption),
  };
}

/** "rule 3: IF … THEN …", the read-out of the selected rule (numbered as in Python). */
export function ruleReadout(r: Rule): string {
  return `rule ${r.id}: ${ruleText(r)}`;
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
    ["#", "gb-num gb-id-head"],
    ["IF", "gb-if-head"],
    [`THEN ${d.outputName}`, "gb-then-head"],
    ["coverage", "gb-cov-head"],
    [d.task === "regression" ? "fidelity (R²)" : "fidelity", "gb-num"],
  ]);
  const heads = thead.querySelectorAll("th");
  heads[0].title = "the rule's id, as in Python: finding.rules[id], finding.select(id)";
  heads[4].title = `each rule's own fidelity, on the held-out probes it covers ("of n"); ⚠ marks fewer than ${d.minSupport}`;
  const tbody = h("tbody");
  d.rules.forEach((r, i) => tbody.appendChild(ruleRow(d, r, i)));
  table.append(thead, tbody);
  return table;
}

/** The rule's own fidelity, "100% of 5", with a ⚠ when too few probes back it. */
function fidelityCell(d: Norm, r: Rule): HTMLTableCellElement {
  const support = { task: d.task, fidelity: r.fidelity, ci: r.fidelity_ci ?? null, n: r.n, small: r.small_support === true };
  const cell = h("td", "gb-num gb-rule-fid");
  cell.title = ruleFidelityTitle(support, d.minSupport);
  cell.appendChild(h("span", "gb-rule-fid-text", ruleFidelityText(support)));
  if (support.small && r.n > 0 && r.fidelity !== null) {
    cell.classList.add("gb-small-support");
    const flag = h("span", "gb-support-flag", "⚠");
    flag.setAttribute("aria-label", `only ${r.n} held-out probe${r.n === 1 ? "" : "s"}`);
    cell.appendChild(flag);
  }
  return cell;
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

  tr.append(h("td", "gb-num gb-rule-num", String(r.id)), ifCell, thenCell, covCell, fidelityCell(d, r));
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
        readout.textContent = rule ? ruleReadout(rule) : EMPTY_SELECTION_TEXT;
      },
      clear() {
        tableWrap.replaceChildren();
      },
    };
  },
};

export default anywidget(spec);
