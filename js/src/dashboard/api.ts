// The dashboard's one way to call the GlassBox REST API: same-origin fetch with the session
// cookie, the CSRF token on every change, and errors that keep the server's reason.

export const API = "/api/v1";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(describeDetail(status, detail));
  }
}

/** A person-readable line for an error answer (FastAPI's `detail`: text, an object, or 422 items). */
export function describeDetail(status: number, detail: unknown): string {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) {
    return detail
      .map((item) => {
        const loc = Array.isArray(item?.loc) ? item.loc.filter((x: unknown) => x !== "body").join(".") : "";
        return loc ? `${loc}: ${item?.msg ?? ""}` : String(item?.msg ?? item);
      })
      .join("; ");
  }
  if (detail && typeof detail === "object" && "msg" in detail) return String((detail as { msg: unknown }).msg);
  return `HTTP ${status}`;
}

let csrfToken: string | null = null;

export function setCsrf(token: string | null): void {
  csrfToken = token;
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const form = body instanceof FormData; // a file upload: the browser sets the multipart boundary
  if (body !== undefined && !form) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const answer = await fetch(`${API}${path}`, {
    method,
    headers,
    credentials: "same-origin",
    body: body === undefined ? undefined : form ? (body as FormData) : JSON.stringify(body),
  });
  if (answer.status === 204) return undefined as T;
  const text = await answer.text();
  let data: unknown = text;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (a proxy's error page): keep the text
  }
  if (!answer.ok) {
    const detail = data && typeof data === "object" && "detail" in data ? (data as { detail: unknown }).detail : data;
    throw new ApiError(answer.status, detail);
  }
  return data as T;
}

export interface User {
  id: string;
  name: string;
  role: "admin" | "analyst" | "officer" | "viewer";
}

export interface Project {
  id: string;
  name: string;
}

export interface ReportField {
  id: string;
  title: string;
  filled_by: "human" | "automatic";
  status: "human" | "automatic" | "missing";
  guidance: string;
  texts: { text: string; origin: string; author: string | null }[];
  derived: string[];
  evidence: Record<string, unknown>[];
}

export interface ReportBody {
  system: Record<string, string | null>;
  status: Record<string, number>;
  missing: string[];
  sections: { number: string; title: string; parts: { key: string; title: string; fields: ReportField[] }[] }[];
  notes: string[];
}

export interface Report {
  id: string;
  project_id: string;
  title: string;
  version: number;
  approved_version: number | null;
  missing: string[];
  status: Record<string, number>;
  editable_fields: string[];
  finding_ids: string[];
  saved_at: string;
  saved_by: string;
  approved_by: string | null;
  report: ReportBody;
}

export interface Version {
  version: number;
  created_by: string;
  created_at: string;
  approved_by: string | null;
  approved_at: string | null;
}

/** The API token a sign-in link carries in its fragment ("#token=…", as `glassbox serve --demo` prints), or null. */
export function tokenFromHash(hash: string): string | null {
  const token = new URLSearchParams(hash.replace(/^#/, "")).get("token");
  return token && token.trim() ? token.trim() : null;
}
