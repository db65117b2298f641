// Audit a model behind an endpoint (an OpenAI-compatible chat API) for unfair decisions: its URL and
// model name, its API key entered once (stored by the server, encrypted, and never shown again), the
// decision prompt with {placeholders} and the values each variable takes; when the job ends, flip
// rates and parity with their confidence intervals in the same AuditView as in JupyterLab.
import { h } from "../../shared/dom";
import { ApiError, call } from "../api";
import type { Project, User } from "../api";
import { fileFinding } from "../filing";
import { followJob, startJob } from "../jobs";
import type { Job } from "../jobs";
import { errorBox, frame, labelled, link } from "../layout";
import { mountView } from "../widgets";
import type { LiveView } from "../widgets";

interface StoredKey {
  id: string;
  name: string;
  created_at: string;
}

/** Variables from lines "name: value, value, …"; or the reason a line is not one. */
export function readVariables(text: string): Record<string, string[]> | string {
  const out: Record<string, string[]> = {};
  for (const [i, raw] of text.split("\n").entries()) {
    if (!raw.trim()) continue;
    const colon = raw.indexOf(":");
    if (colon < 1) return `line ${i + 1}: give "name: value, value, …"`;
    const name = raw.slice(0, colon).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `line ${i + 1}: ${JSON.stringify(name)} is not a variable name`;
    if (name in out) return `line ${i + 1}: ${name} is given twice`;
    const values = raw
      .slice(colon + 1)
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v !== "");
    if (values.length < 2) return `line ${i + 1}: ${name} needs at least two values to swap between`;
    out[name] = values;
  }
  return Object.keys(out).length ? out : "give at least one variable";
}

/** The {placeholders} of a decision prompt, in order of first use ("{{" and "}}" are literal braces, as in Python). */
export function placeholders(prompt: string): string[] {
  const names: string[] = [];
  for (const m of prompt.replace(/\{\{|\}\}/g, "").matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) if (!names.includes(m[1])) names.push(m[1]);
  return names;
}

export async function endpointPage(user: User, projectId: string, signOut: () => void): Promise<void> {
  const base = `/projects/${encodeURIComponent(projectId)}`;
  const project = await call<Project>("GET", base);
  const main = frame(user, `Audit an endpoint · ${project.name}`, signOut);
  main.append(link(base, "← Project", "gb-back"));
  if (user.role !== "admin" && user.role !== "analyst") {
    main.append(errorBox("Running an audit needs the analyst role."));
    return;
  }
  const input = (placeholder: string, type = "text"): HTMLInputElement => {
    const el = h("input", "gb-input");
    el.type = type;
    el.placeholder = placeholder;
    return el;
  };
  const form = h("form", "gb-card gb-form");
  const url = input("http://127.0.0.1:8000/v1", "url");
  url.required = true;
  const model = input("the endpoint's model name");
  model.required = true;

  // the key: chosen among the stored ones, or entered once and stored
  const keySelect = h("select");
  const keyBox = h("fieldset", "gb-keys");
  keyBox.append(h("legend", "", "API key (stored by the server, encrypted; never shown again)"));
  const keyName = input("a name, e.g. loan-bot staging");
  const keyValue = input("paste the key", "password");
  keyValue.autocomplete = "off";
  const storeKey = h("button", "gb-button gb-quiet", "Store the key");
  storeKey.type = "button";
  const keyStatus = h("div", "gb-status");
  keyStatus.setAttribute("aria-live", "polite");
  const storedRow = h("div", "gb-form-row");
  storedRow.append(...labelled("Key", keySelect, "gb-key"));
  const newRow = h("div", "gb-form-row");
  newRow.append(...labelled("New key's name", keyName, "gb-key-name"), ...labelled("Key", keyValue, "gb-key-value"), storeKey);
  keyBox.append(storedRow, newRow, keyStatus);

  const prompt = h("textarea", "gb-textarea");
  prompt.rows = 3;
  prompt.placeholder = "Applicant {name}, income {income}. Answer approve or deny.";
  const variables = h("textarea", "gb-textarea");
  variables.rows = 4;
  variables.placeholder = "name: Ana, Bo\nincome: low, high";
  const protectedIn = input("e.g. name (comma-separated)");
  const positive = input("approve");
  positive.value = "approve";
  const negative = input("deny");
  negative.value = "deny";
  const contexts = input("40", "number");
  contexts.value = "40";
  contexts.min = "2";
  contexts.max = "1000";
  const submit = h("button", "gb-button", "Start the audit");
  submit.type = "submit";
  const status = h("div", "gb-status");
  status.setAttribute("aria-live", "polite");
  const row1 = h("div", "gb-form-row");
  row1.append(...labelled("Endpoint URL", url, "gb-url"), ...labelled("Model", model, "gb-endpoint-model"));
  const row2 = h("div", "gb-form-row");
  row2.append(
    ...labelled("Positive answer", positive, "gb-positive"),
    ...labelled("Negative answer", negative, "gb-negative"),
    ...labelled("Contexts", contexts, "gb-contexts"),
  );
  form.append(
    row1,
    keyBox,
    ...labelled("Decision prompt, with {placeholders} for the variables", prompt, "gb-decision"),
    ...labelled("Variables, one per line: name: value, value, …", variables, "gb-variables"),
    ...labelled("Protected variables (their flip rates and parity are the fairness findings)", protectedIn, "gb-protected"),
    row2,
    submit,
    status,
  );
  const out = h("section", "gb-section gb-job");
  main.append(form, out);

  async function loadKeys(pick?: string): Promise<void> {
    const keys = await call<StoredKey[]>("GET", `${base}/endpoint-keys`);
    keySelect.replaceChildren();
    const none = h("option", "", "no key (a local server)");
    none.value = "";
    keySelect.append(none);
    for (const k of keys) {
      const o = h("option", "", k.name);
      o.value = k.id;
      keySelect.append(o);
    }
    if (pick) keySelect.value = pick;
  }
  storeKey.addEventListener("click", async () => {
    keyStatus.replaceChildren();
    if (!keyName.value.trim() || !keyValue.value) {
      keyStatus.append(errorBox("give the key a name and paste the key"));
      return;
    }
    storeKey.disabled = true;
    try {
      const stored = await call<StoredKey>("POST", `${base}/endpoint-keys`, {
        name: keyName.value.trim(),
        key: keyValue.value,
      });
      keyValue.value = ""; // the page keeps no copy
      keyName.value = "";
      await loadKeys(stored.id);
      keyStatus.textContent = `Stored "${stored.name}"; the server keeps it encrypted and never sends it back.`;
    } catch (err) {
      keyStatus.append(errorBox(err instanceof ApiError ? err.message : String(err)));
    } finally {
      storeKey.disabled = false;
    }
  });
  await loadKeys();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    const vars = readVariables(variables.value);
    if (typeof vars === "string") {
      status.append(errorBox(vars));
      return;
    }
    const used = placeholders(prompt.value);
    const missing = Object.keys(vars).filter((v) => !used.includes(v));
    const unknown = used.filter((v) => !(v in vars));
    if (missing.length || unknown.length) {
      const parts = [
        ...(unknown.length ? [`the prompt uses ${unknown.join(", ")} but no such variable is given`] : []),
        ...(missing.length ? [`the prompt never uses ${missing.join(", ")}`] : []),
      ];
      status.append(errorBox(parts.join("; ")));
      return;
    }
    const params = {
      base_url: url.value.trim(),
      model: model.value.trim(),
      key_id: keySelect.value || null,
      decision_prompt: prompt.value,
      expected_positive: positive.value.trim(),
      expected_negative: negative.value.trim(),
      context_variables: vars,
      protected: protectedIn.value
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean),
      n_contexts: Number(contexts.value),
    };
    const job = await startJob(base, { kind: "audit", params }, status, submit);
    if (job) watch(job);
  });

  function watch(job: Job): void {
    followJob(out, job, true, async (now, finished, panel) => {
      if (!finished || !now.finding_id) return; // a failed audit may keep its partial result
      const view = await call<LiveView>("GET", `/findings/${encodeURIComponent(now.finding_id)}/view`);
      mountView(panel.host, view);
      await fileFinding(base, now.finding_id, panel.after, "Annex IV: black-box audit");
    });
  }
}
