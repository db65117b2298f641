/**
 * GlassBox latent usage heat map: which inputs the laws z_i = f(x) of an encoder's latents use.
 *
 * Rows are latents (their label carries the held-out R² of the latent's selected formula),
 * columns are input features; a cell's colour is the share of the latent's Pareto front whose
 * equations use the feature, and a dot marks the features of the selected formula. Columns of
 * features that no latent's selected formula uses (redundant inputs) are hatched and greyed.
 * Clicking a row (its label or any cell, or Enter / Space on a focused row) asks the host to
 * select that latent; the panel below shows its formula (typeset with KaTeX, as in the Pareto picker),
 * its held-out R² with the interval and complexity, and the host's warning when the fit failed.
 *
 * View data: see LatentUsageData (latent/data.ts). Selection: the latent's index, or null; no details.
 */
import { intOrNull } from "../shared/data";
import { delegateActivate, delegateHover, h, liveRegion, panel } from "../shared/dom";
import { anywidget } from "../shared/model";
import type { SelectionState, WidgetSpec } from "../shared/widget";
import { DEFAULT_WIDTH, NO_LATENTS_TEXT, lawFitText, layoutHeat, normalize, usedFeatures } from "./latent/data";
import type { Norm } from "./latent/data";
import { cellText, drawHeat, drawLaw, drawLegend } from "./latent/draw";

export * from "./latent/data";
export { NO_DATA_TEXT } from "../shared/widget";

const ROW = ".gb-latent-row";

const rowOf = (t: Element) => Number(t.closest(ROW)?.getAttribute("data-latent") ?? NaN);

/** The latent usage heat map for any host: selection value = a latent's index (null = none), no details. */
export const spec: WidgetSpec<Norm, number | null> = {
  name: "latent_usage_heatmap",
  className: "gb-latent-usage-heatmap",
  normalize,
  value: intOrNull,
  observeWidth: true,
  emptyText: (d) => (d.latents.length === 0 || d.features.length === 0 ? NO_LATENTS_TEXT : null),
  pendingText: (d, wanted) => `selecting ${wanted === null ? "none" : (d.latents[wanted] ?? wanted)}…`,
  create(shell) {
    const chartWrap = h("div", "gb-heat-wrap");
    const legendWrap = h("div", "gb-heat-legend");
    const cellInfo = liveRegion("gb-hover-info gb-cell-info");
    const lawHead = h("div", "gb-panel-head gb-law-title");
    const lawBody = h("div", "gb-law-body");
    shell.errorEl.classList.add("gb-latent-error");
    const redundantEl = h("div", "gb-redundant-note");
    shell.body.append(
      panel("gb-heat-panel", "latents × input features · click a latent to see its formula", chartWrap, legendWrap, cellInfo),
      panel("gb-law-panel", lawHead, shell.errorEl, lawBody),
      redundantEl,
    );

    let data: Norm | null = null;
    let hover: [number, number] | null = null; // [latent, feature]; feature -1 = the row label

    /** Row states: selected (or pending while the host answers), hovered, and their labels. */
    function updateRows(d: Norm, s: SelectionState<number | null>): void {
      for (const row of chartWrap.querySelectorAll<SVGGElement>(ROW)) {
        const i = rowOf(row);
        const shown = s.wanted === i;
        row.classList.toggle("gb-selected", shown && !s.busy);
        row.classList.toggle("gb-pending", shown && s.busy);
        row.classList.toggle("gb-hovered", hover?.[0] === i);
        row.setAttribute("aria-pressed", String(shown));
        const law = d.laws[i];
        const used = usedFeatures(d, i);
        const fit = law ? ` · ${lawFitText(law, d)}` : "";
        const label = `${d.latents[i]}${fit} · selected formula uses ${used.length > 0 ? used.join(", ") : "no feature"}${shown ? " · selected" : ""}`;
        row.setAttribute("aria-label", label);
        const t = row.querySelector(":scope > title");
        if (t) t.textContent = `${label}\nclick: show its formula`;
      }
    }

    function updateInfo(d: Norm): void {
      cellInfo.classList.toggle("gb-hint", !hover);
      if (!hover) cellInfo.textContent = "hover a cell for the share of the front using that feature · click a row for its formula";
      else if (hover[1] >= 0) cellInfo.textContent = cellText(d, hover[0], hover[1]);
      else {
        const law = d.laws[hover[0]];
        cellInfo.textContent = `${d.latents[hover[0]]}${law ? ` · ${lawFitText(law, d)} · ${law.equation}` : ""}`;
      }
    }

    function setHover(next: [number, number] | null): void {
      const d = data;
      if (!d || next === hover || (next && hover && next[0] === hover[0] && next[1] === hover[1])) return;
      hover = next;
      shell.root.classList.toggle("gb-hovering", hover !== null);
      chartWrap.querySelectorAll(".gb-usage-cell.gb-hovered, .gb-feature-label.gb-hovered").forEach((c) => c.classList.remove("gb-hovered"));
      if (hover && hover[1] >= 0) {
        chartWrap.querySelector(`.gb-usage-cell[data-latent="${hover[0]}"][data-feature="${hover[1]}"]`)?.classList.add("gb-hovered");
        chartWrap.querySelector(`.gb-feature-label[data-feature="${hover[1]}"]`)?.classList.add("gb-hovered");
      }
      updateRows(d, shell.selection());
      updateInfo(d);
    }

    const roving = shell.roving({
      selector: ROW,
      keyOf: (row) => String(rowOf(row)),
      move(event, from) {
        const last = (data?.latents.length ?? 1) - 1;
        const i = Number(from);
        if (event.key === "ArrowDown") return String(Math.min(last, i + 1));
        if (event.key === "ArrowUp") return String(Math.max(0, i - 1));
        if (event.key === "Home") return "0";
        if (event.key === "End") return String(last);
        return null;
      },
      onFocus: (k) => setHover([Number(k), -1]),
      onBlur: () => setHover(null),
    });

    shell.listen(
      delegateActivate(shell.root, ROW, (t) => shell.select(rowOf(t))),
      delegateHover(
        shell.root,
        ROW,
        (e, t) => {
          const c = (e.target as Element).closest(".gb-usage-cell");
          setHover([rowOf(t), c ? Number(c.getAttribute("data-feature")) : -1]);
        },
        () => setHover(null),
      ),
    );

    return {
      render(d) {
        data = d;
        hover = null;
        shell.root.classList.remove("gb-hovering");
        const red = d.features.filter((f) => d.redundant.has(f));
        redundantEl.hidden = red.length === 0;
        redundantEl.textContent = red.length > 0 ? `never used by a selected formula (redundant): ${red.join(", ")}` : "";
        chartWrap.replaceChildren();
        legendWrap.replaceChildren();
        drawHeat(chartWrap, d, layoutHeat(d, Math.max(280, Math.round(shell.containerWidth() || DEFAULT_WIDTH))));
        drawLegend(legendWrap, d);
        updateInfo(d);
      },
      update(d, s) {
        updateRows(d, s);
        roving.settle(String(s.value ?? 0));
        const shown = s.wanted !== null && s.wanted >= 0 && s.wanted < d.latents.length ? s.wanted : null;
        drawLaw(lawHead, lawBody, d, shown, s.busy);
      },
      clear() {
        data = null;
        chartWrap.replaceChildren();
      },
    };
  },
};

export default anywidget(spec);
