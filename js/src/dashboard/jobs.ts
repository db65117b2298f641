// What the analysis pages share about jobs: the project's models to pick from, starting a job
// (its refusal shown in the form) and following it over server-sent events until it ends.
import { h } from "../shared/dom";
import { API, ApiError, call } from "./api";
import { errorBox } from "./layout";

export interface ModelRow {
  id: string;
  name: string;
  format: string;
  card: {
    spec?: { names: string[]; low: number[]; high: number[]; units?: (string | null)[] | null };
    task?: string;
    parameters?: number;
  };
  created_at: string;
}

export interface Job {
  id: string;
  state: string;
  error: string | null;
  finding_id: string | null;
  progress: { step?: string; round?: number; front_view?: Record<string, unknown> };
}

export const FINISHED = ["done", "failed", "cancelled"];

/** "running · searching · round 3", "failed · <the reason>": the job's line on the page. */
export function jobLine(job: Job): string {
  const step = job.progress.step && job.progress.step !== job.state ? ` · ${job.progress.step}` : "";
  const round = job.progress.round ? ` · round ${job.progress.round}` : "";
  return `${job.state}${step}${round}${job.error ? ` · ${job.error}` : ""}`;
}

/** Fill `select` with the project's models that `keep` accepts (choosing `pick` when given). */
export async function loadModels(
  base: string,
  select: HTMLSelectElement,
  keep: (m: ModelRow) => boolean,
  pick?: string,
): Promise<ModelRow[]> {
  const models = (await call<ModelRow[]>("GET", `${base}/models`)).filter(keep);
  select.replaceChildren();
  for (const m of models) {
    const o = h("option", "", `${m.name} (${m.format})`);
    o.value = m.id;
    select.append(o);
  }
  if (pick) select.value = pick;
  return models;
}

/** Submit a job; the server's refusal (e.g. a 422 naming the field) goes to `status`. */
export async function startJob(
  base: string,
  body: unknown,
  status: HTMLElement,
  submit: HTMLButtonElement,
): Promise<Job | null> {
  submit.disabled = true;
  try {
    return await call<Job>("POST", `${base}/analyses`, body);
  } catch (err) {
    status.append(errorBox(err instanceof ApiError ? err.message : String(err)));
    return null;
  } finally {
    submit.disabled = false;
  }
}

export interface JobPanel {
  /** Where the job's widget goes. */
  host: HTMLElement;
  /** Where what follows the job goes (filing its finding). */
  after: HTMLElement;
}

/** Show `job` in `out` and follow its events; `onUpdate` hears each new state (`finished` on the last). */
export function followJob(
  out: HTMLElement,
  job: Job,
  cancellable: boolean,
  onUpdate: (now: Job, finished: boolean, panel: JobPanel) => void | Promise<void>,
): JobPanel {
  out.replaceChildren(h("h2", "", "Job"));
  const line = h("p", "gb-job-state");
  line.setAttribute("aria-live", "polite");
  const panel = { host: h("div", "gb-widget-host"), after: h("div", "gb-after") };
  const stop = h("button", "gb-button gb-quiet", "Cancel");
  stop.type = "button";
  stop.addEventListener("click", () => void call("POST", `/analyses/${encodeURIComponent(job.id)}/cancel`));
  out.append(line, ...(cancellable ? [stop] : []), panel.host, panel.after);
  const source = new EventSource(`${API}/analyses/${encodeURIComponent(job.id)}/events`);
  source.onmessage = (message) => {
    const now = JSON.parse(message.data) as Job;
    const finished = FINISHED.includes(now.state);
    line.textContent = jobLine(now);
    if (finished) {
      source.close();
      stop.remove();
    }
    void onUpdate(now, finished, panel);
  };
  source.onerror = () => {
    line.textContent += " · (connection lost; reload the page to follow the job)";
    source.close();
  };
  return panel;
}
