// The projects the user is a member of (the server lists only those), each with its reports at a
// glance: a reviewer lands on what waits for review.
import { h } from "../../shared/dom";
import { call } from "../api";
import type { Project, Report, User } from "../api";
import { frame, link } from "../layout";
import { reportState } from "./project";

export async function projectsPage(user: User, signOut: () => void): Promise<void> {
  const main = frame(user, "Projects", signOut);
  const projects = await call<Project[]>("GET", "/projects");
  if (projects.length === 0) {
    main.append(h("p", "gb-empty", "You are not a member of any project yet: ask an administrator to add you."));
    return;
  }
  const reports = await Promise.all(
    projects.map((p) => call<Report[]>("GET", `/projects/${encodeURIComponent(p.id)}/reports`)),
  );
  const list = h("ul", "gb-list");
  projects.forEach((p, i) => {
    const item = h("li", "gb-card");
    item.append(link(`/projects/${encodeURIComponent(p.id)}`, p.name, "gb-strong"));
    if (reports[i].length === 0) item.append(h("p", "gb-empty", "no reports yet"));
    else {
      const rows = h("ul", "gb-report-list");
      for (const r of reports[i]) {
        const row = h("li");
        const missing = r.missing.length ? ` · ${r.missing.length} missing` : "";
        row.append(link(`/reports/${encodeURIComponent(r.id)}`, r.title), h("span", "gb-hint", ` — ${reportState(r)}${missing}`));
        rows.append(row);
      }
      item.append(rows);
    }
    list.append(item);
  });
  main.append(list);
}
