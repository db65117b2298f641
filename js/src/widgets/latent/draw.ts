/** The latent usage heat map's drawings: the grid, its legend and the selected latent's formula. */
import { appendSvg } from "../../shared/axes";
import type { G } from "../../shared/axes";
import { colorBar, legendLabel } from "../../shared/colorbar";
import { h, messageEl, uniqueId } from "../../shared/dom";
import { formatNumber } from "../../shared/format";
import { mathElement } from "../../shared/math";
import { MISSING_FILL, interpolateSequential, textColorOn } from "../../shared/palette";
import { fitNoteClass } from "../pareto/data";
import { HEAD_FONT, LABEL_FONT, NUMBER_MIN_CELL, SELECT_HINT_TEXT, percentText, r2WithCi, usedFeatures } from "./data";
import type { HeatLayout, Norm } from "./data";

/**
 * The grid in `chartWrap`: rotated feature labels (redundant ones greyed), then one focusable row
 * (`g.gb-latent-row`) per latent with its label, its R² and a cell per feature coloured by usage,
 * hatched for redundant features, dotted for the features of the selected formula.
 */
export function drawHeat(chartWrap: HTMLElement, d: Norm, L: HeatLayout): void {
  const { cell } = L;
  const nF = d.features.length;
  const svg = appendSvg(
    chartWrap,
    "gb-chart gb-usage-grid",
    L.width,
    L.height,
    "group",
    `${d.latents.length} latents × ${nF} features coloured by the share of each latent's Pareto front using the feature; Enter selects a latent, arrow keys move`,
  );
  const hatchId = uniqueId("gb-hatch");
  svg
    .append("defs")
    .append("pattern")
    .attr("id", hatchId)
    .attr("patternUnits", "userSpaceOnUse")
    .attr("width", 6)
    .attr("height", 6)
    .attr("patternTransform", "rotate(45)")
    .append("line")
    .attr("x1", 0)
    .attr("y1", 0)
    .attr("x2", 0)
    .attr("y2", 6)
    .attr("class", "gb-hatch-line");
  const g: G = svg.append("g").attr("transform", `translate(${L.left},${L.top})`);

  // feature labels, rotated; redundant ones greyed
  const heads = g.append("g").attr("class", "gb-axis gb-feature-labels");
  d.features.forEach((f, j) => {
    const t = heads
      .append("text")
      .attr("class", `gb-feature-label${d.redundant.has(f) ? " gb-redundant" : ""}`)
      .attr("data-feature", j)
      .attr("transform", `translate(${((j + 0.5) * cell).toFixed(1)},-6) rotate(-45)`)
      .attr("text-anchor", "start")
      .attr("font-size", HEAD_FONT)
      .text(L.heads[j]);
    t.append("title").text(d.redundant.has(f) ? `${f}: used by no latent's selected formula` : f);
  });

  // rows: label, R², cells
  const rows = g.append("g").attr("class", "gb-latent-rows");
  d.latents.forEach((_z, i) => {
    const row = rows
      .append("g")
      .attr("class", "gb-latent-row")
      .attr("data-latent", i)
      .attr("transform", `translate(0,${i * cell})`)
      .attr("role", "button")
      .attr("tabindex", -1);
    row.append("rect").attr("class", "gb-row-band").attr("x", -L.left + 4).attr("y", 0).attr("width", L.left - 4 + nF * cell + 4).attr("height", cell);
    row
      .append("text")
      .attr("class", "gb-latent-label")
      .attr("x", -L.left + 12)
      .attr("y", cell / 2)
      .attr("dy", "0.35em")
      .attr("font-size", LABEL_FONT)
      .text(L.rowLabels[i]);
    if (L.r2Labels[i]) {
      const note = d.laws[i]?.r2Note ?? "";
      row
        .append("text")
        .attr("class", `gb-r2-label${note ? ` ${fitNoteClass(note)}` : ""}`)
        .attr("x", -8)
        .attr("y", cell / 2)
        .attr("dy", "0.35em")
        .attr("text-anchor", "end")
        .attr("font-size", LABEL_FONT - 1)
        .text(L.r2Labels[i]);
    }
    const showNumber = cell >= NUMBER_MIN_CELL;
    d.features.forEach((f, j) => {
      const v = d.usage[i][j];
      const fill = Number.isFinite(v) ? interpolateSequential(v) : MISSING_FILL;
      const c = row.append("g").attr("class", "gb-usage-cell").attr("data-latent", i).attr("data-feature", j).attr("transform", `translate(${j * cell},0)`);
      c.append("rect").attr("class", "gb-cell-fill").attr("x", 1).attr("y", 1).attr("width", cell - 2).attr("height", cell - 2).attr("rx", 2).attr("fill", fill);
      if (d.redundant.has(f)) c.append("rect").attr("class", "gb-hatch").attr("x", 1).attr("y", 1).attr("width", cell - 2).attr("height", cell - 2).attr("rx", 2).attr("fill", `url(#${hatchId})`);
      const used = d.selectedUse[i][j];
      if (showNumber && Number.isFinite(v) && v > 0) {
        c.append("text")
          .attr("class", "gb-cell-number")
          .attr("x", cell / 2)
          .attr("y", used ? cell / 2 + 5 : cell / 2)
          .attr("dy", "0.35em")
          .attr("text-anchor", "middle")
          .attr("fill", textColorOn(fill))
          .text(percentText(v));
      }
      if (used) {
        const dotR = Math.max(2.5, Math.min(4, cell * 0.11));
        c.append("circle")
          .attr("class", "gb-used-dot")
          .attr("cx", cell / 2)
          .attr("cy", showNumber && Number.isFinite(v) && v > 0 ? cell / 2 - 7 : cell / 2)
          .attr("r", dotR)
          .attr("fill", textColorOn(fill) === "#ffffff" ? "#ffffff" : "#111827");
      }
      c.append("title").text(cellText(d, i, j));
    });
    row.append("rect").attr("class", "gb-row-outline").attr("x", -L.left + 4).attr("y", 0.5).attr("width", L.left - 4 + nF * cell + 3).attr("height", cell - 1).attr("rx", 3);
    row.append("title");
  });
}

/** The sequential colour bar (0% to 100%) and the key of the dot and hatch marks. */
export function drawLegend(legendWrap: HTMLElement, d: Norm): void {
  const barW = 160;
  const svg = appendSvg(legendWrap, "gb-legend", barW + 12, 30, "img", "colour scale: share of the latent's Pareto front using the feature, 0% (white) to 100% (dark blue)");
  const g = svg.append("g").attr("transform", "translate(6,2)");
  colorBar(g, { colors: interpolateSequential, length: barW, thickness: 10 });
  legendLabel(g, "gb-legend-min", 0, 25, "start", "0%");
  legendLabel(g, "gb-legend-max", barW, 25, "end", "100%");
  const key = h("div", "gb-legend-key");
  key.append(h("span", "gb-legend-label", "share of the latent's Pareto front using the feature"));
  const dot = h("span", "gb-legend-item");
  const dotMark = h("span", "gb-dot-mark");
  dotMark.setAttribute("aria-hidden", "true");
  dot.append(dotMark, document.createTextNode("used by the selected formula"));
  key.appendChild(dot);
  if (d.features.some((f) => d.redundant.has(f))) {
    const hatch = h("span", "gb-legend-item");
    const hatchMark = h("span", "gb-hatch-mark");
    hatchMark.setAttribute("aria-hidden", "true");
    hatch.append(hatchMark, document.createTextNode("hatched: used by no selected formula"));
    key.appendChild(hatch);
  }
  legendWrap.appendChild(key);
}

/** The hover text of a cell: the share of the front using the feature, and whether the selected formula does. */
export function cellText(d: Norm, i: number, j: number): string {
  const f = d.features[j];
  const v = d.usage[i][j];
  const share = Number.isFinite(v) ? `used by ${percentText(v)} of the front` : "usage n/a";
  const sel = d.selectedUse[i][j] ? "in the selected formula" : "not in the selected formula";
  return `${d.latents[i]} × ${f}: ${share} · ${sel}${d.redundant.has(f) ? " · redundant input" : ""}`;
}

/** The formula panel for latent `i` (null: none selected): a hint, a note while the host answers, or the law with its R², complexity and features. */
export function drawLaw(lawHead: HTMLElement, lawBody: HTMLElement, d: Norm, i: number | null, waiting: boolean): void {
  lawBody.replaceChildren();
  if (i === null) {
    lawHead.textContent = "selected formula";
    lawBody.appendChild(messageEl(SELECT_HINT_TEXT, "gb-message gb-hint"));
    return;
  }
  lawHead.textContent = `${d.latents[i]}: selected formula`;
  if (waiting) {
    lawBody.appendChild(messageEl(`selecting ${d.latents[i]}…`, "gb-message gb-pending-text"));
    return;
  }
  const law = d.laws[i];
  if (!law) {
    lawBody.appendChild(messageEl(`no formula was sent for ${d.latents[i]}`));
    return;
  }
  // typeset as in the Pareto picker (KaTeX -> MathML); the plain text when the LaTeX is missing or fails
  const formula = h("div", "gb-equation");
  formula.appendChild(mathElement(law.latex, law.equation || "(empty)"));
  lawBody.appendChild(formula);
  const stats = h("div", "gb-stats gb-law-stats");
  const stat = (name: string, value: string, cls: string) => {
    const s = h("span", `gb-stat ${cls}`);
    s.append(h("span", "gb-stat-name", `${name} `), h("b", "gb-stat-value", value));
    return s;
  };
  stats.append(
    stat("held-out R²", r2WithCi(law, d), "gb-law-r2"),
    stat("complexity", Number.isFinite(law.complexity) ? formatNumber(law.complexity) : "n/a", "gb-law-complexity"),
  );
  const used = usedFeatures(d, i);
  stats.appendChild(stat("uses", used.length > 0 ? used.join(", ") : "no input (a constant)", "gb-law-uses"));
  lawBody.appendChild(stats);
  if (law.r2Note) lawBody.appendChild(h("div", `gb-fit-note ${fitNoteClass(law.r2Note)}`, law.r2Note));
}
