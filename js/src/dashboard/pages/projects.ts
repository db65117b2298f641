// The projects the user is a member of (the server lists only those).
import { h } from "../../shared/dom";
import { call } from "../api";
import type { Project, User } from "../api";
import { frame, link } from "../layout";

export async function projectsPage(user: User, signOut: () => void): Promise<void> {
  const main = frame(user, "Projects", signOut);
  const projects = await call<Project[]>("GET", "/projects");
  if (projects.length === 0) {
    main.append(h("p", "gb-empty", "You are not a member of any project yet: ask an administrator to add you."));
    return;
  }
  const list = h("ul", "gb-list");
  for (const p of projects) {
    const item = h("li", "gb-card");
    item.append(link(`/projects/${encodeURIComponent(p.id)}`, p.name, "gb-strong"));
    list.append(item);
  }
  main.append(list);
}
