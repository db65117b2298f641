/** The Pareto picker's drawings: the front, the side plot along one feature, the table. */
import { scaleLinear, scaleLog } from "d3-scale";

import { appendSvg, drawAxes, integerTicks, linePath, logTicks, safeExtent, validRange } from "../../shared/axes";
import type { G, Margin, NumScale } from "../../shared/axes";
import { normFeature } from "../../shared/data";
import { h, messageEl, tableHead, uniqueId } from "../../shared/dom";
import { featureLabel, formatLogTick, formatNumber } from "../../shared/format";
import { mathElement } from "../../shared/math";
import { textWidth } from "../../shared/text";
import { equationTitle, fitNoteClass, logDomain, lossFloor, plottedLoss, sideDomain } from "./data";
import type { Equation, Norm } from "./data";

export const POINT_R = 5;
export const SELECTED_R = 7;
export const POINT_COLOR = "#1d4ed8"; // blue
export const SELECTED_COLOR = "#c2410c"; // dark orange (also the dashed equation line)
const TEACHER_COLOR = "#1f2328";
/** Font sizes of tick labels and legend text (base.css). */
const TICK_FONT = 11;
const LEGEND_FONT = 11;

/**
 * Left margin that keeps the rotated y-axis title (drawn 14 px in from the edge, about 12 px wide)
 * clear of the widest tick label (drawn 9 px left of the axis): "P" must not sit on "100,000".
 */
export function leftMargin(tickLabels: readonly string[], min: number): number {
  const widest = Math.max(0, ...tickLabels.map((t) => textWidth(t, TICK_FONT)));
  return Math.max(min, Math.ceil(widest + 9 + 14 + 6 + 4));
}

/** The front: complexity (x) vs loss (y, log scale), points (`circle.gb-eq-point`) joined by a step line, the best one ringed. */
export function drawFront(parent: HTMLElement, d: Norm, width: number, height: number): void {
  parent.replaceChildren();
  const top = 22;
  const bottom = 44;
  const innerHeight = Math.max(40, height - top - bottom);
  const eqs = d.equations.filter((e) => Number.isFinite(e.complexity));
  const floor = lossFloor(eqs.map((e) => e.loss));
  const ys = eqs.map((e) => plottedLoss(e.loss, floor));
  const yDom = logDomain(ys);
  const y = scaleLog().domain(yDom).range([innerHeight, 0]).clamp(true);
  const yTicks = logTicks(yDom[0], yDom[1], Math.max(2, Math.floor(innerHeight / 34)));

  const margin: Margin = { top, right: 20, bottom, left: leftMargin(yTicks.map(formatLogTick), 52) };
  const innerWidth = Math.max(40, width - margin.left - margin.right);
  const [c0, c1] = safeExtent(eqs.map((e) => e.complexity));
  const x = scaleLinear()
    .domain([Math.floor(c0) - 0.5, Math.ceil(c1) + 0.5])
    .range([0, innerWidth]);

  const svg = appendSvg(parent, "gb-chart gb-front-chart", width, height, "group", `Pareto front of ${d.outputName}: complexity versus ${d.lossName}`);
  const g: G = svg.append("g").attr("transform", `translate(${margin.left},${margin.top})`);

  drawAxes(g, {
    x: x as NumScale,
    y: y as NumScale,
    innerWidth,
    innerHeight,
    margin,
    xLabel: "complexity",
    yLabel: `${d.lossName} (log scale)`,
    grid: true,
    // complexities are whole numbers: whole-number ticks, printed as such ("5", never "5.0")
    xTickValues: integerTicks(c0, c1, Math.max(2, Math.floor(innerWidth / 36))),
    xTickFormat: (v) => String(Math.round(v)),
    yTickValues: yTicks,
    yTickFormat: formatLogTick,
  });

  // the front as a step line: flat to the next complexity, then down to its loss
  let path = "";
  let pen = false;
  eqs.forEach((e, i) => {
    if (!Number.isFinite(ys[i])) return;
    const px = x(e.complexity).toFixed(2);
    const py = y(ys[i]).toFixed(2);
    path += pen ? `H${px}V${py}` : `M${px},${py}`;
    pen = true;
  });
  g.append("path")
    .attr("class", "gb-front-line")
    .attr("fill", "none")
    .attr("stroke", "#8c959f")
    .attr("stroke-width", 1.5)
    .attr("d", path);

  const drawn = eqs.map((e, i) => ({ e, y: ys[i] })).filter((p) => Number.isFinite(p.y));
  const best = drawn.find((p) => p.e.is_best);
  if (best) {
    const bx = x(best.e.complexity);
    const by = y(best.y);
    const bg = g.append("g").attr("class", "gb-best-marker").attr("aria-hidden", "true");
    bg.append("circle").attr("class", "gb-best-ring").attr("cx", bx).attr("cy", by).attr("r", 11);
    bg.append("text")
      .attr("class", "gb-best-label")
      // below and beside the ring: the step line comes down into the point from above
      .attr("x", bx > innerWidth - 40 ? bx - 14 : bx + 14)
      .attr("y", by > innerHeight - 8 ? by - 14 : by + 16)
      .attr("text-anchor", bx > innerWidth - 40 ? "end" : "start")
      .text("best");
  }

  const points = g
    .append("g")
    .attr("class", "gb-eq-points")
    .selectAll("circle")
    .data(drawn)
    .join("circle")
    .attr("class", (p) => `gb-eq-point gb-point${p.e.loss > 0 ? "" : " gb-floored"}${p.e.is_best ? " gb-best" : ""}`)
    .attr("data-id", (p) => p.e.id)
    .attr("cx", (p) => x(p.e.complexity))
    .attr("cy", (p) => y(p.y))
    .attr("r", POINT_R)
    .attr("fill", POINT_COLOR)
    .attr("stroke", "#ffffff")
    .attr("stroke-width", 1)
    .attr("tabindex", 0)
    .attr("role", "button")
    .attr("aria-label", (p) => equationTitle(p.e, d).replace("\n", "; "));
  points.append("title").text((p) => equationTitle(p.e, d));
}

/**
 * "0.965" plus a smaller "[0.914, 0.992]" that may wrap onto its own line in narrow tables, both in the
 * column's format; under them, the host's warning ("fit failed: worse than predicting the mean").
 */
function scoreCell(e: Equation, d: Norm): HTMLTableCellElement {
  const td = h("td", "gb-num gb-score");
  td.appendChild(h("span", "gb-score-value", d.formatR2(e.r2)));
  if (e.r2_ci) {
    td.appendChild(document.createTextNode(" "));
    td.appendChild(h("span", "gb-ci", `[${d.formatR2(e.r2_ci[0])}, ${d.formatR2(e.r2_ci[1])}]`));
  }
  if (e.r2_note) td.appendChild(h("div", `gb-fit-note ${fitNoteClass(e.r2_note)}`, e.r2_note));
  return td;
}

/** The front as a table, one focusable row (`tr.gb-eq-row`) per equation, the equation as math. */
export function equationTable(d: Norm): HTMLTableElement {
  const table = h("table", "gb-table gb-eq-table");
  const head = tableHead([
    ["complexity", "gb-num"],
    [`equation (${d.outputName} =)`, "gb-eq-head"],
    [d.lossName, "gb-num"],
    [`${d.scoreName} [${d.ciName}]`, "gb-num"],
  ]);
  const tb = h("tbody");
  for (const e of d.equations) {
    const tr = h("tr", "gb-row gb-eq-row");
    tr.dataset.id = String(e.id);
    tr.tabIndex = 0;
    tr.title = equationTitle(e, d);
    const eqCell = h("td", "gb-eq-cell");
    eqCell.appendChild(mathElement(e.latex, e.text));
    if (e.is_best) {
      tr.classList.add("gb-best");
      eqCell.appendChild(h("span", "gb-badge gb-best-badge", "best"));
    }
    tr.append(
      h("td", "gb-num", formatNumber(e.complexity)),
      eqCell,
      h("td", "gb-num", d.formatLoss(e.loss)),
      scoreCell(e, d),
    );
    tb.appendChild(tr);
  }
  table.append(head, tb);
  return table;
}

interface LegendItem {
  label: string;
  color: string | null; // null: a hint, no mark
  mark: "line" | "dash" | "dot";
  cls: string;
}

const LEGEND_MARK = 27; // the mark and the gap before its text
const LEGEND_GAP = 16;
const LEGEND_ROW = 15;

/** Legend items placed left to right, wrapping onto a new row where the next one would pass `width`. */
function legendRows(items: readonly LegendItem[], width: number): { item: LegendItem; x: number; row: number }[] {
  let x = 0;
  let row = 0;
  return items.map((item) => {
    const w = (item.color ? LEGEND_MARK : 0) + textWidth(item.label, LEGEND_FONT);
    if (x > 0 && x + w > width) {
      x = 0;
      row += 1;
    }
    const placed = { item, x, row };
    x += w + LEGEND_GAP;
    return placed;
  });
}

/**
 * The teacher (solid line, or points where it was measured at a few x only) and the equation `eq`
 * (dashed; none when null) along feature `fi`, the others at their centre.
 */
export function drawSide(parent: HTMLElement, d: Norm, fi: number, eq: Equation | null, width: number, height: number): void {
  parent.replaceChildren();
  const ov = d.overlay[fi];
  const f = d.features[fi] ?? normFeature(null, "x");
  if (!ov || ov.x.length === 0) {
    parent.appendChild(messageEl("no overlay data for this feature"));
    return;
  }
  const eqY = eq ? ov.equations[String(eq.id)] ?? null : null;

  const legend: LegendItem[] = [{ label: d.teacherLabel, color: TEACHER_COLOR, mark: d.teacherPoints ? "dot" : "line", cls: "gb-legend-teacher" }];
  if (eq) {
    const label = eqY ? `equation (complexity ${formatNumber(eq.complexity)})` : "equation: no curve sent";
    legend.push({ label, color: SELECTED_COLOR, mark: "dash", cls: "gb-legend-equation" });
  } else {
    legend.push({ label: "select an equation to compare", color: null, mark: "line", cls: "gb-legend-hint" });
  }

  const bottom = 44;
  const right = 16;
  const [y0, y1] = sideDomain(ov.teacher, eqY);
  const pad = (y1 - y0) * 0.06; // keep flat curves off the frame
  const y = scaleLinear().domain([y0 - pad, y1 + pad]).nice();
  const yCount = Math.max(2, Math.floor((height - 22 - bottom) / 50));
  const yTicks = y.ticks(yCount);
  const yFormat = y.tickFormat(yCount);
  const left = leftMargin(yTicks.map(yFormat), 40);
  const placed = legendRows(legend, Math.max(40, width - left - right));
  const rows = Math.max(...placed.map((p) => p.row)) + 1;
  const margin: Margin = { top: 22 + (rows - 1) * LEGEND_ROW, right, bottom, left };
  const innerWidth = Math.max(40, width - margin.left - margin.right);
  const innerHeight = Math.max(40, height - margin.top - margin.bottom);
  y.range([innerHeight, 0]);
  const range = validRange([f.low, f.high]);
  const x = scaleLinear()
    .domain(range ? safeExtent(range, ov.x) : safeExtent(ov.x))
    .range([0, innerWidth]);

  const svg = appendSvg(parent, "gb-chart gb-side-chart", width, height, "img", `${d.teacherLabel}${eq ? " and the selected equation" : ""} along ${f.name}`);
  const g: G = svg.append("g").attr("transform", `translate(${margin.left},${margin.top})`);
  drawAxes(g, {
    x,
    y,
    innerWidth,
    innerHeight,
    margin,
    xLabel: featureLabel(f),
    yLabel: d.outputName,
    grid: true,
    yTickValues: yTicks,
    yTickFormat: (v) => yFormat(v),
  });

  // clip the curves to the plot area (a poor equation can shoot far outside the teacher's range)
  const clipId = uniqueId("gb-side-clip");
  g.append("clipPath").attr("id", clipId).append("rect").attr("x", -2).attr("y", -2).attr("width", innerWidth + 4).attr("height", innerHeight + 4);
  const curves = g.append("g").attr("class", "gb-curves").attr("clip-path", `url(#${clipId})`);
  if (eqY) {
    curves
      .append("path")
      .attr("class", "gb-equation-line")
      .attr("fill", "none")
      .attr("stroke", SELECTED_COLOR)
      .attr("stroke-width", 2.25)
      .attr("stroke-dasharray", "6 4")
      .attr("stroke-linejoin", "round")
      .attr("d", linePath(ov.x, eqY, x, y));
  }
  if (d.teacherPoints) {
    // measured at a few x only: points, not a line that would invent the values between them
    const measured = ov.x.map((xv, i) => [xv, ov.teacher[i]]).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    // measured values lie inside the y domain: drawn unclipped, so points at the ends of x stay whole
    g.append("g")
      .attr("class", "gb-teacher-points")
      .selectAll("circle")
      .data(measured)
      .join("circle")
      .attr("cx", (p) => x(p[0]))
      .attr("cy", (p) => y(p[1]))
      .attr("r", 4)
      .attr("fill", TEACHER_COLOR)
      .attr("stroke", "#ffffff")
      .attr("stroke-width", 1);
  } else {
    curves
      .append("path")
      .attr("class", "gb-teacher-line")
      .attr("fill", "none")
      .attr("stroke", TEACHER_COLOR)
      .attr("stroke-width", 2)
      .attr("stroke-linejoin", "round")
      .attr("d", linePath(ov.x, ov.teacher, x, y));
  }

  // legend along the top edge, wrapped onto more rows when the labels are long
  const lg = g.append("g").attr("class", "gb-legend").attr("transform", `translate(0,${-12 - (rows - 1) * LEGEND_ROW})`);
  for (const { item, x: dx, row } of placed) {
    const it = lg.append("g").attr("class", item.cls).attr("transform", `translate(${dx},${row * LEGEND_ROW})`);
    if (!item.color) {
      it.append("text").attr("class", "gb-legend-hint").attr("dy", "0.32em").text(item.label);
      continue;
    }
    if (item.mark === "dot") {
      it.append("circle").attr("cx", 11).attr("cy", 0).attr("r", 4).attr("fill", item.color);
    } else {
      it.append("line")
        .attr("x1", 0)
        .attr("x2", 22)
        .attr("y1", 0)
        .attr("y2", 0)
        .attr("stroke", item.color)
        .attr("stroke-width", 2.25)
        .attr("stroke-dasharray", item.mark === "dash" ? "6 4" : null);
    }
    it.append("text").attr("x", LEGEND_MARK).attr("dy", "0.32em").text(item.label);
  }
}
