// The report's fields as the review page needs them, and how an autosave that met a newer version
// is resolved: another person's change to other fields is merged silently; a change to the same
// field is a conflict the person decides, with both texts shown (their text is never dropped).
import type { Report, ReportField } from "./api";

export function allFields(report: Report): ReportField[] {
  return report.report.sections.flatMap((s) => s.parts.flatMap((p) => p.fields));
}

export function humanText(field: ReportField): string {
  return field.texts.map((t) => t.text).join("\n\n");
}

export function fieldText(report: Report, id: string): string {
  const field = allFields(report).find((f) => f.id === id);
  return field ? humanText(field) : "";
}

export type SaveOutcome =
  | { kind: "retry"; version: number } // someone saved other fields: save again on their version
  | { kind: "conflict"; theirs: string; version: number; by: string } // someone saved this field
  | { kind: "same"; version: number }; // someone saved the very same text: nothing to do

/** What to do after a save of `fieldId` (started from text `base`, wanting `mine`) got 409. */
export function resolveStale(latest: Report, fieldId: string, base: string, mine: string): SaveOutcome {
  const theirs = fieldText(latest, fieldId);
  if (theirs === mine) return { kind: "same", version: latest.version };
  if (theirs === base) return { kind: "retry", version: latest.version };
  return { kind: "conflict", theirs, version: latest.version, by: latest.saved_by };
}

/** "2 fields missing: 1.market, 9.post_market" or "" when none is. */
export function missingReason(report: Report): string {
  const n = report.missing.length;
  if (n === 0) return "";
  return `${n} field${n === 1 ? "" : "s"} missing: ${report.missing.join(", ")}`;
}

/** Why this user may not approve this version ("" when they may). */
export function approveBlocker(report: Report, role: string): string {
  if (role !== "officer") return "only an officer signs a report off";
  if (report.approved_version === report.version) return `version ${report.version} is approved`;
  return missingReason(report);
}

export interface FieldChange {
  id: string;
  title: string;
  before: string;
  after: string;
}

/** The fields whose human text differs between two versions of a report. */
export function changedFields(a: Report, b: Report): FieldChange[] {
  const before = new Map(allFields(a).map((f) => [f.id, humanText(f)]));
  return allFields(b)
    .filter((f) => (before.get(f.id) ?? "") !== humanText(f))
    .map((f) => ({ id: f.id, title: f.title, before: before.get(f.id) ?? "", after: humanText(f) }));
}
