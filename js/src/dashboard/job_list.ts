// A table of jobs with their state, step, submission time and error, a cancel button for live ones
// (analysts and admins), redrawn every 2 s while any job is queued or running. Used by a project's
// page (its jobs) and by the jobs page (every job of the user's projects).
import { h } from "../shared/dom";
import { call } from "./api";
import type { User } from "./api";
import { table, when } from "./layout";

export interface JobRow {
  id: string;
  project_id: string;
  kind: string;
  state: string;
  error: string | null;
  created_at: string;
  progress: Record<string, unknown>;
}

export const LIVE = ["queued", "running"];

/** Newest first; the live ones (queued, running) before the finished ones. */
export function jobOrder(rows: JobRow[]): JobRow[] {
  const live = (j: JobRow) => (LIVE.includes(j.state) ? 0 : 1);
  return [...rows].sort((a, b) => live(a) - live(b) || b.created_at.localeCompare(a.created_at));
}

export interface JobListText {
  caption: string;
  empty: string;
  /** A job's project (a column of its own when given). */
  project?: (job: JobRow) => string | Node;
}

/** Draw the jobs `load` gives into `host` and keep them fresh while any is live. */
export function jobList(
  host: HTMLElement,
  user: User,
  load: () => Promise<JobRow[]>,
  { caption, empty, project }: JobListText,
): (rows: JobRow[]) => void {
  const canRun = user.role === "admin" || user.role === "analyst";
  const refresh = async (): Promise<void> => {
    if (!host.isConnected) return; // the reader went to another page
    draw(await load());
  };
  const cancelButton = (job: JobRow): HTMLButtonElement => {
    const b = h("button", "gb-button gb-quiet", "Cancel");
    b.type = "button";
    b.setAttribute("aria-label", `Cancel the ${job.kind} job`);
    b.addEventListener("click", async () => {
      b.disabled = true;
      await call("POST", `/analyses/${encodeURIComponent(job.id)}/cancel`).catch(() => undefined);
      await refresh();
    });
    return b;
  };
  const draw = (rows: JobRow[]): void => {
    const columns = ["Kind", "State", "Step", "Submitted", "Error", ""];
    const cells = jobOrder(rows).map((j) => [
      ...(project ? [project(j)] : []),
      j.kind,
      h("span", `gb-state gb-state-${j.state}`, j.state),
      String(j.progress.step ?? ""),
      when(j.created_at),
      j.error ?? "",
      canRun && LIVE.includes(j.state) ? cancelButton(j) : "",
    ]);
    host.replaceChildren(table(caption, project ? ["Project", ...columns] : columns, cells, empty));
    if (rows.some((j) => LIVE.includes(j.state))) window.setTimeout(() => void refresh(), 2000);
  };
  return draw;
}
