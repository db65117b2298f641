// Circuit analysis of a transformer on the server: choose or add a model, give prompts with their
// correct and incorrect next words, start the job; when it is done, the circuit heatmap (the same
// widget as in JupyterLab, from the finding's stored live view) shows which heads carry the answer,
// with the circuit's faithfulness; then file the finding in a report.
import { h } from "../../shared/dom";
import { call } from "../api";
import type { Project, User } from "../api";
import { fileFinding } from "../filing";
import { followJob, loadModels, startJob } from "../jobs";
import type { Job, ModelRow } from "../jobs";
import { errorBox, frame, link } from "../layout";
import { mountView } from "../widgets";
import type { LiveView } from "../widgets";

/**
 * Prompts from lines "prompt | correct | incorrect [| corrupted prompt]"; answers are next words, so
 * each gets one leading space. Returns the rows, or the reason a line is not one.
 */
export function readPrompts(text: string): string[][] | string {
  const rows: string[][] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    if (!raw.trim()) continue;
    const parts = raw.split("|").map((p) => p.trim());
    if (parts.length !== 3 && parts.length !== 4) {
      return `line ${i + 1}: give "prompt | correct | incorrect" (and optionally "| corrupted prompt")`;
    }
    if (parts.some((p) => p === "")) return `line ${i + 1}: an empty part`;
    const [prompt, correct, incorrect, corrupted] = parts;
    rows.push([prompt, ` ${correct}`, ` ${incorrect}`, ...(corrupted ? [corrupted] : [])]);
  }
  return rows.length ? rows : "give at least one prompt";
}

export async function transformerPage(user: User, projectId: string, signOut: () => void): Promise<void> {
  const base = `/projects/${encodeURIComponent(projectId)}`;
  const project = await call<Project>("GET", base);
  const main = frame(user, `Transformer circuits · ${project.name}`, signOut);
  main.append(link(base, "← Project", "gb-back"));
  if (user.role !== "admin" && user.role !== "analyst") {
    main.append(errorBox("Running an analysis needs the analyst role."));
    return;
  }
  const form = h("form", "gb-card gb-form");
  const modelSelect = h("select");
  modelSelect.id = "gb-model";
  const modelLabel = h("label", "", "Model");
  modelLabel.htmlFor = modelSelect.id;
  const addDemo = h("button", "gb-button gb-quiet", "Add the demo IOI transformer");
  addDemo.type = "button";
  const prompts = h("textarea", "gb-textarea gb-prompts");
  prompts.id = "gb-prompts";
  prompts.rows = 6;
  prompts.placeholder = "When Mary and John went to the store, John gave a drink to | Mary | John";
  const promptsLabel = h("label", "", "Prompts, one per line: prompt | correct | incorrect [| corrupted prompt]");
  promptsLabel.htmlFor = prompts.id;
  const hint = h("p", "gb-hint", "Answers are next words (a leading space is added); each must be one token.");
  const method = h("select");
  method.id = "gb-method";
  for (const [v, t] of [
    ["integrated_gradients", "Integrated gradients (default)"],
    ["taylor", "Attribution patching (fast, first-order)"],
    ["exact", "Exact activation patching (slow)"],
  ]) {
    const o = h("option", "", t);
    o.value = v;
    method.append(o);
  }
  const methodLabel = h("label", "", "Method");
  methodLabel.htmlFor = method.id;
  const submit = h("button", "gb-button", "Start");
  submit.type = "submit";
  const status = h("div", "gb-status");
  status.setAttribute("aria-live", "polite");
  const row1 = h("div", "gb-form-row");
  row1.append(modelLabel, modelSelect, addDemo);
  const row2 = h("div", "gb-form-row");
  row2.append(methodLabel, method);
  form.append(row1, promptsLabel, prompts, hint, row2, submit, status);
  const out = h("section", "gb-section gb-job");
  main.append(form, out);

  const isTransformer = (m: ModelRow): boolean => m.card.task === "next_token_prediction";
  addDemo.addEventListener("click", async () => {
    const made = await call<ModelRow>("POST", `${base}/models/demo`, { demo: "ioi" });
    await loadModels(base, modelSelect, isTransformer, made.id);
  });
  await loadModels(base, modelSelect, isTransformer);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const rows = readPrompts(prompts.value);
    if (typeof rows === "string") {
      status.append(errorBox(rows));
      return;
    }
    if (!modelSelect.value) {
      status.append(errorBox("choose a transformer, or add the demo one"));
      return;
    }
    const body = { kind: "circuit", model_id: modelSelect.value, params: { prompts: rows, method: method.value } };
    const job = await startJob(base, body, status, submit);
    if (job) watch(job);
  });

  function watch(job: Job): void {
    followJob(out, job, false, async (now, finished, panel) => {
      if (!finished || now.state !== "done" || !now.finding_id) return;
      const view = await call<LiveView>("GET", `/findings/${encodeURIComponent(now.finding_id)}/view`);
      mountView(panel.host, view);
      await fileFinding(base, now.finding_id, panel.after, "Annex IV: transformer circuit");
    });
  }
}
