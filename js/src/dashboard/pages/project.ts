// One project: its reports at a glance (automatic / human / missing counts, approval, last edit
// and by whom), its models, its findings and its jobs.
import { h } from "../../shared/dom";
import { call } from "../api";
import type { Project, Report, User } from "../api";
import type { ModelRow } from "../jobs";
import { jobList } from "../job_list";
import type { JobRow } from "../job_list";
import { frame, link, table, when } from "../layout";

interface FindingRow {
  id: string;
  kind: string;
  title: string;
  source: string;
  created_at: string;
}

/** "n [mol], T [K], V [m^3]", or the task for a model without an input spec. */
export function modelInputs(m: ModelRow): string {
  const spec = m.card.spec;
  if (!spec) return m.card.task ?? "given when a job runs";
  return spec.names.map((n, i) => (spec.units?.[i] ? `${n} [${spec.units[i]}]` : n)).join(", ");
}

export function reportState(r: Report): string {
  if (r.approved_version === r.version) return `approved (v${r.version}, ${r.approved_by ?? ""})`;
  if (r.approved_version !== null) return `v${r.approved_version} approved; v${r.version} not yet`;
  return r.missing.length ? "in review" : "ready to approve";
}

export async function projectPage(user: User, projectId: string, signOut: () => void): Promise<void> {
  const [project, reports, models, findings, jobs] = await Promise.all([
    call<Project>("GET", `/projects/${encodeURIComponent(projectId)}`),
    call<Report[]>("GET", `/projects/${encodeURIComponent(projectId)}/reports`),
    call<ModelRow[]>("GET", `/projects/${encodeURIComponent(projectId)}/models`),
    call<FindingRow[]>("GET", `/projects/${encodeURIComponent(projectId)}/findings`),
    call<JobRow[]>("GET", `/projects/${encodeURIComponent(projectId)}/analyses`),
  ]);
  const main = frame(user, project.name, signOut);
  if (user.role === "admin" || user.role === "analyst") {
    const actions = h("p", "gb-actions");
    actions.append(
      link(`/projects/${encodeURIComponent(projectId)}/distill`, "Distill a model (math or logic mode)"),
      document.createTextNode(" · "),
      link(`/projects/${encodeURIComponent(projectId)}/transformer`, "Transformer circuits"),
      document.createTextNode(" · "),
      link(`/projects/${encodeURIComponent(projectId)}/endpoint`, "Audit an endpoint"),
    );
    main.append(actions);
  }
  const reportRows = reports.map((r) => [
    link(`/reports/${encodeURIComponent(r.id)}`, r.title, "gb-strong"),
    String(r.status.automatic ?? 0),
    String(r.status.human ?? 0),
    h("span", r.missing.length ? "gb-missing" : "gb-ok", String(r.missing.length)),
    reportState(r),
    `v${r.version} · ${when(r.saved_at)} · ${r.saved_by}`,
  ]);
  main.append(
    table(
      "Annex IV reports",
      ["Report", "Automatic", "Human", "Missing", "State", "Last saved"],
      reportRows,
      "No report yet: an analyst makes one from findings (API: POST /projects/{id}/reports).",
    ),
  );
  main.append(
    table(
      "Models",
      ["Model", "Format", "Inputs", "Parameters", "Added"],
      models.map((m) => [m.name, m.format, modelInputs(m), m.card.parameters?.toLocaleString("en") ?? "", when(m.created_at)]),
      "No model yet: an analyst uploads one or adds a demo model on the distill page (API: POST /projects/{id}/models).",
    ),
  );
  main.append(
    table(
      "Findings",
      ["Finding", "Kind", "From", "Made"],
      findings.map((f) => [f.title, f.kind, f.source, when(f.created_at)]),
      "No finding yet: publish one from a notebook (finding.publish) or run a job.",
    ),
  );
  const jobsSection = h("div");
  main.append(jobsSection);
  const load = () => call<JobRow[]>("GET", `/projects/${encodeURIComponent(projectId)}/analyses`);
  jobList(jobsSection, user, load, { caption: "Jobs", empty: "No job has run in this project." })(jobs);
}
