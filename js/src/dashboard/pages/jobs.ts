// Every job of the signed-in user's projects: running ones first, with progress, cancel (analysts
// and admins) and the error text of failed ones; each links to its project.
import { h } from "../../shared/dom";
import { call } from "../api";
import type { Project, User } from "../api";
import { jobList } from "../job_list";
import type { JobRow } from "../job_list";
import { frame, link } from "../layout";

export async function jobsPage(user: User, signOut: () => void): Promise<void> {
  const projects = await call<Project[]>("GET", "/projects");
  const names = new Map(projects.map((p) => [p.id, p.name]));
  const load = async (): Promise<JobRow[]> => {
    const lists = await Promise.all(
      projects.map((p) => call<JobRow[]>("GET", `/projects/${encodeURIComponent(p.id)}/analyses`)),
    );
    return lists.flat();
  };
  const rows = await load();
  const main = frame(user, "Jobs", signOut);
  const host = h("div");
  main.append(host);
  const project = (job: JobRow) =>
    link(`/projects/${encodeURIComponent(job.project_id)}`, names.get(job.project_id) ?? job.project_id);
  const caption = "Running and finished jobs of your projects";
  jobList(host, user, load, { caption, empty: "No job has run in your projects.", project })(rows);
}
