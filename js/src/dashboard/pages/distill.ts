// Distill a model into equations (math mode) or rules (logic mode) on the server: choose, upload or
// add a model, give its inputs (names, units, ranges), start the job and watch its Pareto front grow
// (server-sent events); when it is done, pick an equation and file it in a report.
import { h } from "../../shared/dom";
import { mountWidget } from "../../shared/widget";
import { spec as paretoSpec } from "../../widgets/pareto_picker";
import { call } from "../api";
import type { Project, User } from "../api";
import { errorBox, frame, link } from "../layout";
import { fileFinding } from "../filing";
import { followJob, loadModels as fillModels, startJob } from "../jobs";
import type { Job, ModelRow } from "../jobs";
import { localTransport } from "../local_transport";
import { modelUpload } from "../model_upload";
import type { LocalTransport } from "../local_transport";

export interface SpecIn {
  names: string[];
  low: number[];
  high: number[];
  units?: (string | null)[] | null;
}

const DEMOS = ["ideal_gas", "friedman_mlp", "square_law", "quadratic_cosine", "loan_approval"];

/** The InputSpec the rows describe, or the reason it is not one (a row's low must be below its high). */
export function readSpec(rows: { name: string; low: string; high: string; unit: string }[]): SpecIn | string {
  if (rows.length === 0) return "give at least one input";
  const spec: SpecIn = { names: [], low: [], high: [], units: [] };
  for (const [i, r] of rows.entries()) {
    const name = r.name.trim();
    const low = Number(r.low);
    const high = Number(r.high);
    if (!name) return `input ${i + 1} needs a name`;
    if (r.low.trim() === "" || r.high.trim() === "" || !Number.isFinite(low) || !Number.isFinite(high)) {
      return `input ${name}: low and high must be numbers`;
    }
    if (!(low < high)) return `input ${name}: low (${low}) must be below high (${high})`;
    spec.names.push(name);
    spec.low.push(low);
    spec.high.push(high);
    spec.units!.push(r.unit.trim() || null);
  }
  if (spec.units!.every((u) => u === null)) spec.units = null;
  return spec;
}

export async function distillPage(user: User, projectId: string, signOut: () => void): Promise<void> {
  const base = `/projects/${encodeURIComponent(projectId)}`;
  const project = await call<Project>("GET", base);
  const main = frame(user, `Distill a model · ${project.name}`, signOut);
  main.append(link(base, "← Project", "gb-back"));
  if (user.role !== "admin" && user.role !== "analyst") {
    main.append(errorBox("Running a distillation needs the analyst role."));
    return;
  }
  const form = h("form", "gb-card gb-form");
  const modelSelect = h("select");
  modelSelect.id = "gb-model";
  const modelLabel = h("label", "", "Model");
  modelLabel.htmlFor = modelSelect.id;
  const demoSelect = h("select");
  demoSelect.setAttribute("aria-label", "Demo model to add");
  for (const d of DEMOS) {
    const o = h("option", "", d);
    o.value = d;
    demoSelect.append(o);
  }
  const addDemo = h("button", "gb-button gb-quiet", "Add demo model");
  addDemo.type = "button";
  const inputs = h("table", "gb-table gb-inputs");
  const inputsHead = h("thead");
  inputsHead.innerHTML = "<tr><th>Input</th><th>Low</th><th>High</th><th>Unit</th></tr>";
  const inputsBody = h("tbody");
  inputs.append(inputsHead, inputsBody);
  const addRow = h("button", "gb-button gb-quiet", "Add input");
  addRow.type = "button";
  const mode = h("select");
  mode.id = "gb-mode";
  for (const [v, t] of [
    ["math", "Math: equations"],
    ["logic", "Logic: IF/ELSE rules"],
  ]) {
    const o = h("option", "", t);
    o.value = v;
    mode.append(o);
  }
  const modeLabel = h("label", "", "Mode");
  modeLabel.htmlFor = mode.id;
  const budget = h("input");
  budget.type = "number";
  budget.min = "1";
  budget.max = "5000";
  budget.value = "60";
  budget.id = "gb-budget";
  const budgetLabel = h("label", "", "Budget");
  budgetLabel.htmlFor = budget.id;
  const budgetKind = h("select");
  budgetKind.setAttribute("aria-label", "Budget in");
  for (const [v, t] of [
    ["generations", "generations (reproducible)"],
    ["time_limit", "seconds (time limit)"],
  ]) {
    const o = h("option", "", t);
    o.value = v;
    budgetKind.append(o);
  }
  const submit = h("button", "gb-button", "Start");
  submit.type = "submit";
  const status = h("div", "gb-status");
  status.setAttribute("aria-live", "polite");
  const row1 = h("div", "gb-form-row");
  row1.append(modelLabel, modelSelect, demoSelect, addDemo);
  const row3 = h("div", "gb-form-row");
  row3.append(modeLabel, mode, budgetLabel, budget, budgetKind);
  const upload = modelUpload(base, (made) => loadModels(made.id));
  form.append(row1, upload, h("h2", "", "Inputs"), inputs, addRow, row3, submit, status);
  main.append(form);
  const out = h("section", "gb-section gb-job");
  main.append(out);

  let models: ModelRow[] = [];
  const addInput = (name = "", low = "", high = "", unit = ""): void => {
    const tr = h("tr");
    for (const [label, value] of [
      ["name", name],
      ["low", low],
      ["high", high],
      ["unit", unit],
    ]) {
      const td = h("td");
      const input = h("input");
      input.name = label;
      input.value = value;
      input.setAttribute("aria-label", `${label} of input ${inputsBody.children.length + 1}`);
      if (label === "low" || label === "high") input.inputMode = "decimal";
      td.append(input);
      tr.append(td);
    }
    inputsBody.append(tr);
  };
  const fillInputs = (): void => {
    inputsBody.replaceChildren();
    const chosen = models.find((m) => m.id === modelSelect.value);
    const s = chosen?.card.spec;
    if (s) s.names.forEach((n, i) => addInput(n, String(s.low[i]), String(s.high[i]), s.units?.[i] ?? ""));
    else addInput();
  };
  const loadModels = async (pick?: string): Promise<void> => {
    models = await fillModels(base, modelSelect, (m) => m.card.task !== "next_token_prediction", pick);
    fillInputs();
  };
  modelSelect.addEventListener("change", fillInputs);
  addRow.addEventListener("click", () => addInput());
  addDemo.addEventListener("click", async () => {
    const made = await call<ModelRow>("POST", `${base}/models/demo`, { demo: demoSelect.value });
    await loadModels(made.id);
  });
  const budgetDefault = (): string => (mode.value === "logic" ? "16" : budgetKind.value === "time_limit" ? "30" : "60");
  mode.addEventListener("change", () => {
    budgetLabel.textContent = mode.value === "math" ? "Budget" : "Most rules (leaves)";
    budgetKind.hidden = mode.value !== "math";
    budget.value = budgetDefault();
  });
  budgetKind.addEventListener("change", () => {
    budget.value = budgetDefault();
  });
  await loadModels();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const rows = [...inputsBody.querySelectorAll("tr")].map((tr) => {
      const get = (n: string) => (tr.querySelector(`input[name=${n}]`) as HTMLInputElement).value;
      return { name: get("name"), low: get("low"), high: get("high"), unit: get("unit") };
    });
    const spec = readSpec(rows);
    if (typeof spec === "string") {
      status.append(errorBox(spec));
      return;
    }
    if (!modelSelect.value) {
      status.append(errorBox("choose a model, or add a demo model"));
      return;
    }
    const params = budgetParams(mode.value, budgetKind.value, budget.value);
    if (typeof params === "string") {
      status.append(errorBox(params));
      return;
    }
    const body = { kind: mode.value, model_id: modelSelect.value, params: { spec, ...params } };
    const job = await startJob(base, body, status, submit);
    if (job) watch(job);
  });

  function watch(job: Job): void {
    let transport: LocalTransport | null = null;
    followJob(out, job, true, (now, finished, panel) => {
      const view = now.progress.front_view;
      if (view) {
        const data = { ...view, running: !finished, status: finished ? now.state : `round ${now.progress.round} · searching` };
        if (transport === null) {
          transport = localTransport(data, { value: bestId(view) });
          mountWidget(paretoSpec, panel.host, transport);
        } else {
          transport.setData(data);
        }
      }
      if (finished && now.state === "done" && now.finding_id) {
        // the equation picked on the front is the one filed: the job stored each equation's record
        const picked = async (): Promise<string> => {
          const chosen = (transport?.selection() ?? {}) as { value?: unknown };
          const path = `/analyses/${encodeURIComponent(job.id)}/pick`;
          return (await call<{ id: string }>("POST", path, { selection: chosen.value ?? null })).id;
        };
        void fileFinding(base, transport ? picked : now.finding_id, panel.after, "Annex IV: distillation");
      }
    });
  }
}

/** The job's budget parameter ({generations}, {time_limit} or {max_leaves}), or why it is not one. */
export function budgetParams(mode: string, kind: string, text: string): Record<string, number> | string {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n <= 0) return "the budget must be a positive number";
  if (mode === "logic") {
    return Number.isInteger(n) && n >= 2 ? { max_leaves: n } : "the most rules (leaves) is a whole number from 2";
  }
  if (kind === "time_limit") return n <= 3600 ? { time_limit: n } : "the time limit is at most 3600 seconds";
  return Number.isInteger(n) && n <= 5000 ? { generations: n } : "generations is a whole number up to 5000";
}

function bestId(view: Record<string, unknown>): number | null {
  const eqs = Array.isArray(view.equations) ? (view.equations as { id: number; is_best?: boolean }[]) : [];
  return eqs.find((e) => e.is_best)?.id ?? null;
}
