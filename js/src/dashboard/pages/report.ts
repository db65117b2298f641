// The report page: the nine Annex IV sections in order; automatic fields with their evidence;
// human fields edited in place (markdown with preview, autosave, a visible conflict when someone
// else saved the same field first, never a lost edit); approval for officers; versions with a
// diff of two; exports.
import { diffWords } from "diff";
import { h } from "../../shared/dom";
import { API, ApiError, call } from "../api";
import type { Report, ReportField, User, Version } from "../api";
import { allFields, approveBlocker, changedFields, fieldText, humanText, resolveStale } from "../fields";
import { errorBox, frame, when } from "../layout";
import { renderMarkdown } from "../markdown";
import { mountView } from "../widgets";
import type { LiveView } from "../widgets";

const AUTOSAVE_MS = 1000;
const EDITORS = ["admin", "analyst", "officer"];

interface Editor {
  field: ReportField;
  box: HTMLTextAreaElement;
  preview: HTMLDivElement;
  state: HTMLElement;
  conflict: HTMLElement;
  base: string; // the text this editor's changes started from (the last one saved or loaded)
  timer: number | null;
  paused: boolean; // a conflict waits for the person's choice
}

export async function reportPage(user: User, reportId: string, signOut: () => void): Promise<void> {
  const path = `/reports/${encodeURIComponent(reportId)}`;
  let current = await call<Report>("GET", path);
  const main = frame(user, current.title, signOut);
  const canEdit = EDITORS.includes(user.role);
  const editors = new Map<string, Editor>();
  let saving: Promise<void> = Promise.resolve();
  let refreshVersions: () => Promise<void> = async () => undefined;

  const summary = h("div", "gb-summary");
  summary.setAttribute("aria-live", "polite");
  const back = h("a", "gb-back", "← Project");
  back.href = `/projects/${encodeURIComponent(current.project_id)}`;
  const toolbar = h("div", "gb-toolbar");
  const approve = h("button", "gb-button", "Approve this version");
  approve.type = "button";
  const approveWhy = h("span", "gb-hint");
  approveWhy.id = "gb-approve-why";
  approve.setAttribute("aria-describedby", approveWhy.id);
  const exports = h("span", "gb-exports");
  toolbar.append(approve, approveWhy, exports);
  main.append(back, summary, toolbar);

  // whether "approve" is possible: redrawn on every keystroke, so it reads only the editors' state
  const drawApprove = (): void => {
    const pending = [...editors.values()].some((e) => e.paused || e.timer !== null || e.box.value !== e.base);
    const why = approveBlocker(current, user.role) || (pending ? "save or resolve your changes first" : "");
    approve.disabled = why !== "";
    approveWhy.textContent = why;
  };

  const drawSummary = (): void => {
    const s = current.status;
    const approved =
      current.approved_version === current.version
        ? `approved by ${current.approved_by ?? "?"}`
        : current.approved_version
          ? `version ${current.approved_version} approved`
          : "not approved";
    summary.textContent =
      `Version ${current.version} · saved ${when(current.saved_at)} by ${current.saved_by} · ${approved} · ` +
      `${s.automatic ?? 0} automatic, ${s.human ?? 0} human, ${s.missing ?? 0} missing`;
    drawApprove();
    exports.replaceChildren(h("span", "", "Export: "));
    for (const fmt of ["html", "pdf", "json"]) {
      const a = h("a", "gb-export", fmt.toUpperCase());
      a.href = `${API}${path}/export/${fmt}?version=${current.version}`;
      a.setAttribute("download", "");
      exports.append(a, document.createTextNode(" "));
    }
    for (const field of allFields(current)) {
      const chip = main.querySelector<HTMLElement>(`[data-field="${CSS.escape(field.id)}"] .gb-chip`);
      if (chip) {
        chip.textContent = field.status;
        chip.className = `gb-chip gb-${field.status}`;
      }
    }
  };

  const adopt = (latest: Report): void => {
    current = latest;
    for (const editor of editors.values()) {
      const dirty = editor.box.value !== editor.base || editor.timer !== null || editor.paused;
      if (!dirty && document.activeElement !== editor.box) {
        editor.base = fieldText(latest, editor.field.id);
        editor.box.value = editor.base;
        editor.preview.innerHTML = renderMarkdown(editor.base);
      }
    }
    drawSummary();
    void refreshVersions();
  };

  const save = (editor: Editor): Promise<void> => {
    if (editor.timer !== null) window.clearTimeout(editor.timer);
    editor.timer = null;
    saving = saving.then(async () => {
      const mine = editor.box.value;
      if (mine === editor.base || editor.paused) return;
      editor.state.textContent = "Saving…";
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          const saved = await call<Report>("PUT", `${path}/fields`, {
            version: current.version,
            fields: { [editor.field.id]: mine },
          });
          editor.base = mine;
          adopt(saved);
          editor.state.textContent = `Saved in version ${saved.version}`;
          return;
        } catch (err) {
          if (!(err instanceof ApiError) || err.status !== 409) {
            editor.state.textContent = "";
            editor.state.append(errorBox(`Not saved: ${err instanceof Error ? err.message : String(err)}`));
            return;
          }
          const latest = await call<Report>("GET", path);
          const outcome = resolveStale(latest, editor.field.id, editor.base, mine);
          adopt(latest);
          if (outcome.kind === "same") {
            editor.base = mine;
            editor.state.textContent = `Saved (the same text is in version ${outcome.version})`;
            return;
          }
          if (outcome.kind === "conflict") {
            showConflict(editor, outcome.theirs, outcome.by, outcome.version);
            return;
          }
          // someone saved other fields: save again on their version
        }
      }
      editor.state.textContent = "Not saved: the report keeps changing; try again";
    });
    return saving;
  };

  const showConflict = (editor: Editor, theirs: string, by: string, version: number): void => {
    editor.paused = true;
    drawApprove();
    editor.state.textContent = "";
    const box = editor.conflict;
    box.replaceChildren();
    box.hidden = false;
    box.append(
      h("p", "gb-strong", `${by} saved this field first (version ${version}). Your text is still in the box, unsaved.`),
      h("p", "gb-hint", "Their text:"),
    );
    const theirsView = h("div", "gb-markdown gb-theirs");
    theirsView.innerHTML = renderMarkdown(theirs);
    const keep = h("button", "gb-button", "Save mine over theirs");
    keep.type = "button";
    const take = h("button", "gb-button gb-quiet", "Use theirs");
    take.type = "button";
    keep.addEventListener("click", () => {
      editor.paused = false;
      editor.base = theirs;
      box.hidden = true;
      void save(editor);
    });
    take.addEventListener("click", () => {
      editor.paused = false;
      editor.base = theirs;
      editor.box.value = theirs;
      editor.preview.innerHTML = renderMarkdown(theirs);
      box.hidden = true;
      editor.state.textContent = `Their text kept (version ${version})`;
      drawApprove();
    });
    const choices = h("div", "gb-choices");
    choices.append(keep, take);
    box.append(theirsView, choices);
    box.setAttribute("role", "alert");
  };

  main.append(await findingsView());

  for (const section of current.report.sections) {
    const sec = h("section", "gb-section");
    sec.append(h("h2", "", `${section.number}. ${section.title}`));
    for (const part of section.parts) {
      if (part.title !== section.title) sec.append(h("h3", "", `${part.key} ${part.title}`));
      for (const field of part.fields) sec.append(fieldView(field));
    }
    main.append(sec);
  }
  main.append(await versionsView());
  drawSummary();

  function fieldView(field: ReportField): HTMLElement {
    const card = h("article", "gb-field");
    card.dataset.field = field.id;
    const head = h("div", "gb-field-head");
    head.append(h("h4", "", field.title), h("span", `gb-chip gb-${field.status}`, field.status), h("code", "", field.id));
    card.append(head, h("p", "gb-hint", field.guidance));
    if (field.derived.length) {
      const list = h("ul", "gb-derived");
      for (const line of field.derived) list.append(h("li", "", line));
      card.append(list);
    }
    for (const item of field.evidence) {
      const ev = h("details", "gb-evidence");
      ev.append(h("summary", "", String(item.title ?? "evidence")), h("pre", "", String(item.body ?? "")));
      card.append(ev);
    }
    const text = humanText(field);
    const id = `gb-text-${field.id.replace(/[^A-Za-z0-9]/g, "_")}`;
    const automatic = field.filled_by === "automatic";
    const label = h(
      "label",
      "gb-label",
      canEdit ? (automatic ? "A person's text (markdown; marks the field human)" : "Your text (markdown)") : "Text",
    );
    label.htmlFor = id;
    const box = h("textarea", "gb-textarea");
    box.id = id;
    box.value = text;
    box.rows = 4;
    box.readOnly = !canEdit;
    if (!canEdit) box.setAttribute("aria-readonly", "true");
    const preview = h("div", "gb-markdown");
    preview.innerHTML = renderMarkdown(text);
    preview.dataset.empty = "Preview";
    preview.setAttribute("aria-label", `Preview of ${field.title}`);
    const state = h("div", "gb-save-state");
    state.setAttribute("aria-live", "polite");
    const conflict = h("div", "gb-conflict");
    conflict.hidden = true;
    const editor: Editor = { field, box, preview, state, conflict, base: text, timer: null, paused: false };
    editors.set(field.id, editor);
    if (canEdit) {
      box.addEventListener("input", () => {
        preview.innerHTML = renderMarkdown(box.value);
        if (editor.paused) return;
        state.textContent = "Unsaved changes…";
        drawApprove();
        if (editor.timer !== null) window.clearTimeout(editor.timer);
        editor.timer = window.setTimeout(() => void save(editor), AUTOSAVE_MS);
      });
      box.addEventListener("blur", () => {
        if (!editor.paused && box.value !== editor.base) void save(editor);
      });
    }
    const pair = h("div", "gb-edit-pair");
    pair.append(box, preview);
    if (automatic && !text) {
      const more = h("details", "gb-add-text");
      more.append(h("summary", "", canEdit ? "Add a person's text" : "No person's text"), label, pair);
      card.append(more, state, conflict);
    } else {
      card.append(label, pair, state, conflict);
    }
    return card;
  }

  approve.addEventListener("click", async () => {
    approve.disabled = true;
    try {
      adopt(await call<Report>("POST", `${path}/approve`, { version: current.version }));
      approveWhy.textContent = `Version ${current.version} approved by you`;
    } catch (err) {
      approveWhy.textContent = err instanceof Error ? err.message : String(err);
      approve.disabled = false;
    }
  });

  async function findingsView(): Promise<HTMLElement> {
    const section = h("section", "gb-section gb-findings");
    section.append(h("h2", "", "Findings filed as evidence"));
    const stored = await call<{ id: string; title: string; kind: string; svg_url: string | null; view_url: string | null }[]>(
      "GET",
      `/projects/${encodeURIComponent(current.project_id)}/findings`,
    );
    const filed = current.finding_ids.map((id) => stored.find((f) => f.id === id)).filter((f) => f !== undefined);
    if (filed.length === 0) section.append(h("p", "gb-empty", "No finding is filed in this report."));
    for (const [i, f] of filed.entries()) {
      const item = h("details", "gb-finding");
      item.open = i === 0;
      item.dataset.finding = f.id;
      item.append(h("summary", "", `${f.title} (${f.kind})`));
      const host = h("div", "gb-widget-host");
      item.append(host);
      section.append(item);
      let mounted = false;
      if (f.view_url) {
        try {
          const view = await call<LiveView>("GET", f.view_url.replace(API, ""));
          mounted = mountView(host, view) !== null;
        } catch {
          mounted = false;
        }
      }
      if (!mounted && f.svg_url) {
        const img = h("img", "gb-finding-svg");
        img.src = f.svg_url;
        img.alt = `Static view of ${f.title}`;
        host.append(img);
      }
    }
    return section;
  }

  async function versionsView(): Promise<HTMLElement> {
    const section = h("section", "gb-section gb-versions");
    section.append(h("h2", "", "Versions"));
    const list = h("ol", "gb-version-list");
    const form = h("form", "gb-diff-form");
    const a = h("select");
    a.name = "a";
    a.setAttribute("aria-label", "Compare version");
    const b = h("select");
    b.name = "b";
    b.setAttribute("aria-label", "with version");
    let shown = 0;
    refreshVersions = async () => {
      if (shown === current.version) return;
      shown = current.version;
      const versions = await call<Version[]>("GET", `${path}/versions`);
      list.replaceChildren();
      for (const v of versions) {
        const approved = v.approved_at ? ` · approved ${when(v.approved_at)}` : "";
        list.append(h("li", "", `Version ${v.version} · ${when(v.created_at)}${approved}`));
      }
      for (const [select, value] of [
        [a, Math.max(1, current.version - 1)],
        [b, current.version],
      ] as const) {
        select.replaceChildren();
        for (const v of versions) {
          const o = h("option", "", `v${v.version}`);
          o.value = String(v.version);
          o.selected = v.version === value;
          select.append(o);
        }
      }
    };
    await refreshVersions();
    const go = h("button", "gb-button gb-quiet", "Show changes");
    go.type = "submit";
    const out = h("div", "gb-diff");
    out.setAttribute("aria-live", "polite");
    form.append(h("span", "", "Compare "), a, h("span", "", " with "), b, go);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const [ra, rb] = await Promise.all([
        call<Report>("GET", `${path}?version=${a.value}`),
        call<Report>("GET", `${path}?version=${b.value}`),
      ]);
      out.replaceChildren();
      const changes = changedFields(ra, rb);
      if (changes.length === 0) out.append(h("p", "gb-empty", "No field's text differs."));
      for (const change of changes) {
        const item = h("div", "gb-diff-item");
        item.append(h("h4", "", `${change.id} ${change.title}`));
        const body = h("p", "gb-diff-text");
        for (const part of diffWords(change.before, change.after)) {
          body.append(part.added ? h("ins", "", part.value) : part.removed ? h("del", "", part.value) : part.value);
        }
        item.append(body);
        out.append(item);
      }
    });
    section.append(list, form, out);
    return section;
  }
}
