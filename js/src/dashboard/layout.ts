// The frame every dashboard page shares: a header with the signed-in user, a main region, and
// navigation by ordinary links (the router intercepts same-origin clicks).
import { h, tableHead } from "../shared/dom";
import type { User } from "./api";

export function frame(user: User | null, title: string, onSignOut?: () => void): HTMLElement {
  document.title = `${title} · GlassBox`;
  const root = document.getElementById("gb-dashboard")!;
  root.replaceChildren();
  const header = h("header", "gb-top");
  const home = h("a", "gb-brand", "GlassBox");
  home.href = "/";
  header.append(home);
  if (user) {
    const jobs = h("a", "gb-nav", "Jobs");
    jobs.href = "/jobs";
    header.append(jobs);
    if (user.role === "admin" || user.role === "officer") {
      const audit = h("a", "gb-nav", "Audit log");
      audit.href = "/audit";
      header.append(audit);
    }
    const who = h("span", "gb-who", `${user.name} · ${user.role}`);
    const out = h("button", "gb-button gb-quiet", "Sign out");
    out.type = "button";
    out.addEventListener("click", () => onSignOut?.());
    header.append(who, out);
  }
  const main = h("main", "gb-page");
  main.id = "gb-main";
  main.tabIndex = -1;
  const heading = h("h1", "gb-title", title);
  main.append(heading);
  root.append(header, main);
  return main;
}

export function link(href: string, text: string, className = ""): HTMLAnchorElement {
  const a = h("a", className, text);
  a.href = href;
  return a;
}

export function errorBox(text: string): HTMLElement {
  const box = h("p", "gb-error", text);
  box.setAttribute("role", "alert");
  return box;
}

export function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** `control` with its label (the label's `for` names the control's new `id`), as one form row part. */
export function labelled<T extends HTMLElement>(text: string, control: T, id: string): [HTMLLabelElement, T] {
  control.id = id;
  const label = h("label", "", text);
  label.htmlFor = id;
  return [label, control];
}

/** A titled table of `rows` (or the `empty` line when there are none). */
export function table(caption: string, columns: string[], rows: (string | Node)[][], empty: string): HTMLElement {
  const section = h("section", "gb-section");
  section.append(h("h2", "", caption));
  if (rows.length === 0) {
    section.append(h("p", "gb-empty", empty));
    return section;
  }
  const wrap = h("div", "gb-table-wrap");
  const t = h("table", "gb-table");
  t.append(tableHead(columns));
  const body = h("tbody");
  for (const row of rows) {
    const tr = h("tr");
    for (const cell of row) {
      const td = h("td");
      td.append(cell);
      tr.append(td);
    }
    body.append(tr);
  }
  t.append(body);
  wrap.append(t);
  section.append(wrap);
  return section;
}
