// The audit log (admins and officers): who did what, when, to which resource; refusals included.
import { h, tableHead } from "../../shared/dom";
import { call } from "../api";
import type { User } from "../api";
import { errorBox, frame, when } from "../layout";

interface AuditEvent {
  id: number;
  at: string;
  user_name: string | null;
  action: string;
  resource: string;
  resource_id: string | null;
  project_id: string | null;
  detail: Record<string, unknown>;
}

/** The detail of an event as short "key: value" text (values over 80 characters are cut). */
export function detailText(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => {
      const text = typeof v === "string" ? v : JSON.stringify(v);
      return `${k}: ${text.length > 80 ? `${text.slice(0, 79)}…` : text}`;
    })
    .join("; ");
}

export async function auditPage(user: User, signOut: () => void): Promise<void> {
  const main = frame(user, "Audit log", signOut);
  if (user.role !== "admin" && user.role !== "officer") {
    main.append(errorBox("The audit log is for admins and officers."));
    return;
  }
  const events = await call<AuditEvent[]>("GET", "/audit?newest_first=true&limit=500");
  main.append(h("p", "gb-hint", `The latest ${events.length} events of your projects, newest first.`));
  const wrap = h("div", "gb-table-wrap");
  const table = h("table", "gb-table gb-audit");
  table.append(tableHead(["When", "Who", "Action", "Resource", "Detail"]));
  const body = h("tbody");
  for (const e of events) {
    const tr = h("tr", e.action === "denied" ? "gb-denied" : "");
    for (const cell of [
      when(e.at),
      e.user_name ?? "(unknown)",
      e.action,
      `${e.resource}${e.resource_id ? ` ${e.resource_id}` : ""}`,
      detailText(e.detail),
    ]) {
      tr.append(h("td", "", cell));
    }
    body.append(tr);
  }
  table.append(body);
  wrap.append(table);
  main.append(wrap);
}
