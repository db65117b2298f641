/**
 * GlassBox audit view: what a black-box audit measured.
 *
 * - measures: overall decision flip rate, consistency across paraphrases (with CIs), and a
 *   "partial" banner when probes failed or the audit was interrupted;
 * - sensitivity: one row per context variable, its flip rate as a bar with the CI as a whisker
 *   (protected variables marked); clicking a row (or Enter / Space) asks the host to select that
 *   variable, clicking it again (or Escape) to clear the selection;
 * - parity: for each protected variable, the positive rate per group with CIs and the parity gap;
 * - flips: the counterfactual pairs of the selected variable whose decision flipped.
 *
 * View data: see AuditData (audit/data.ts). Selection: the variable's name, or null; details:
 * `{flips: {variable, total, pairs, rows[...]} | null}`.
 */
import { strOrNull } from "../shared/data";
import { delegateActivate, h, liveRegion, panel } from "../shared/dom";
import { anywidget } from "../shared/model";
import type { WidgetSpec } from "../shared/widget";
import { estimateText, flipsOf, normalize } from "./audit/data";
import type { Norm } from "./audit/data";
import { drawFlips, drawMeasures, drawParity, drawSensitivity } from "./audit/panels";

export * from "./audit/data";
export { PROTECTED_COLOR, TRACK_WIDTH, barTrack } from "./audit/panels";
export { NO_DATA_TEXT } from "../shared/widget";

/** The audit view for any host: selection value = a variable's name (null = none), details = its flipped pairs. */
export const spec: WidgetSpec<Norm, string | null> = {
  name: "audit_view",
  className: "gb-audit-view",
  normalize,
  value: strOrNull,
  create(shell) {
    const summaryEl = h("div", "gb-audit-summary");
    const partial = h("div", "gb-partial");
    partial.setAttribute("role", "status");
    const measures = h("div", "gb-measures");
    const sensBody = h("div", "gb-sens-body");
    const parityBody = h("div", "gb-parity-body");
    const panels = h("div", "gb-audit-body");
    panels.append(
      panel("gb-sensitivity", "decision flip rate per variable (95% CI) · click a variable", sensBody),
      panel("gb-parity", "positive rate per protected group (95% CI)", parityBody),
    );
    const flipsHead = h("div", "gb-panel-head gb-flips-head");
    const flipsBody = h("div", "gb-flips-body");
    const readout = liveRegion("gb-selection");
    shell.body.append(summaryEl, partial, measures, panels, panel("gb-flips", flipsHead, flipsBody));
    shell.footer.appendChild(readout);

    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape" || shell.selection().wanted === null) return;
      event.preventDefault();
      shell.select(null);
    };
    shell.root.addEventListener("keydown", onKey);
    shell.listen(
      () => shell.root.removeEventListener("keydown", onKey),
      delegateActivate(shell.root, ".gb-var-row", (t) => {
        const name = (t as HTMLElement).dataset.name ?? "";
        shell.select((current) => (current === name ? null : name));
      }),
    );

    return {
      render(d) {
        summaryEl.textContent = d.summary;
        partial.hidden = d.complete;
        partial.replaceChildren();
        if (!d.complete) {
          partial.appendChild(h("b", undefined, d.completeness || "partial results"));
          if (d.errors.length) {
            const ul = h("ul", "gb-error-list");
            for (const e of d.errors) ul.appendChild(h("li", undefined, e));
            partial.appendChild(ul);
          }
        }
        drawMeasures(measures, d);
        drawSensitivity(sensBody, d);
        drawParity(parityBody, d);
      },
      update(d, s) {
        const name = s.wanted;
        for (const row of sensBody.querySelectorAll<HTMLElement>(".gb-var-row")) {
          const on = name !== null && row.dataset.name === name;
          row.classList.toggle("gb-selected", on);
          row.setAttribute("aria-pressed", String(on));
        }
        drawFlips(flipsHead, flipsBody, d, name, flipsOf(s.details), s.busy);
        const v = d.variables.find((x) => x.name === name);
        readout.textContent = v ? `selected ${v.name}: flip rate ${estimateText(v.rate)}` : "";
      },
    };
  },
};

export default anywidget(spec);
