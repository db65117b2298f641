/**
 * GlassBox rules view (anywidget ESM module): IF/ELSE rules distilled from a
 * model, as a table: # | IF | THEN | coverage | fidelity. Clicking a row selects
 * the rule and syncs `_selected_rule` back to Python.
 *
 * Synced traits:
 *   _data           (read)        see RulesData below
 *   _selected_rule  (read/write)  rule id, -1 = none
 */
import { arr, int, num, obj, str } from "../shared/data";
import { captionBlock, delegateActivate, disposer, h, liveRegion, messageEl, renderFailure } from "../shared/dom";
import { formatPercent, formatScore, formatThreshold } from "../shared/format";
import type { Fidelity } from "../shared/format";
import { getInt, onChange } from "../shared/model";
import type { AnyModel, RenderContext } from "../shared/model";
import { classColor } from "../shared/palette";

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
export const NO_DATA_TEXT = "no data to show yet";
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

function render({ model, el }: RenderContext): () => void {
  const root = h("div", "gb-widget gb-rules-view");
  el.appendChild(root);

  let data: Norm | null = null;
  let readout: HTMLDivElement | null = null;

  const selectedId = () => getInt(model, "_selected_rule", -1);

  function selectRule(id: number): void {
    model.set("_selected_rule", id);
    model.save_changes();
    updateSelection();
  }

  function updateSelection(): void {
    const id = selectedId();
    const rule = data?.rules.find((r) => r.id === id) ?? null;
    root.querySelectorAll<HTMLTableRowElement>("tr.gb-rule-row").forEach((tr) => {
      const on = rule !== null && Number(tr.dataset.id) === id;
      tr.classList.toggle("gb-selected", on);
      tr.setAttribute("aria-selected", String(on));
    });
    if (readout) readout.textContent = rule ? ruleText(rule) : EMPTY_SELECTION_TEXT;
  }

  function draw(): void {
    const active = document.activeElement;
    const focusId = active && root.contains(active) && active.classList.contains("gb-rule-row") ? active.getAttribute("data-id") : null;
    root.replaceChildren();
    readout = null;
    data = normalize(model.get("_data"));
    const d = data;
    if (!d) {
      root.appendChild(messageEl(NO_DATA_TEXT));
      return;
    }
    try {
      drawTable(d);
    } catch (err) {
      root.replaceChildren(messageEl(renderFailure("rules_view", err), "gb-message gb-error"));
      readout = null;
      return;
    }
    updateSelection();
    if (focusId !== null) root.querySelector<HTMLElement>(`tr.gb-rule-row[data-id="${focusId}"]`)?.focus({ preventScroll: true });
  }

  function drawTable(d: Norm): void {
    if (d.title) root.appendChild(h("div", "gb-title", d.title));
    if (d.rules.length === 0) {
      root.appendChild(messageEl(NO_RULES_TEXT, "gb-message gb-empty"));
    } else {
      const wrap = h("div", "gb-rules-table-wrap");
      const table = h("table", "gb-table gb-rules-table");
      const head = h("tr");
      for (const [label, cls] of [
        ["#", "gb-num"],
        ["IF", "gb-if-head"],
        [`THEN ${d.outputName}`, "gb-then-head"],
        ["coverage", "gb-cov-head"],
        [d.task === "regression" ? "fidelity (R²)" : "fidelity", "gb-num"],
      ]) {
        const th = h("th", cls, label);
        th.scope = "col";
        head.appendChild(th);
      }
      const thead = h("thead");
      thead.appendChild(head);
      const tb = h("tbody");
      d.rules.forEach((r, i) => tb.appendChild(ruleRow(d, r, i)));
      table.append(thead, tb);
      wrap.appendChild(table);
      root.appendChild(wrap);
    }

    const cap = captionBlock(d.fidelity, d.caption);
    if (cap) root.appendChild(cap);
    if (d.rules.length > 0) {
      readout = liveRegion("gb-selection");
      root.appendChild(readout);
    }
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
    const cov = Number.isFinite(r.coverage) ? Math.min(1, Math.max(0, r.coverage)) : 0;
    const bar = h("span", "gb-cov-bar");
    bar.setAttribute("aria-hidden", "true");
    const fill = h("span", "gb-cov-fill");
    fill.style.width = `${(cov * 100).toFixed(1)}%`;
    bar.appendChild(fill);
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

  draw();

  const pick = "tr.gb-rule-row";
  const offs = [
    onChange(model, "_data", draw),
    onChange(model, "_selected_rule", updateSelection),
    delegateActivate(root, pick, (t) => selectRule(Number(t.getAttribute("data-id")))),
  ];

  return disposer(root, offs);
}

export type { AnyModel };
export default { render };
