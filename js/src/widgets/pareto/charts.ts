/** The Pareto picker's drawings: the front, the side plot along one feature, the table. */
import { scaleLinear, scaleLog } from "d3-scale";

import { appendSvg, drawAxes, integerTicks, linePath, logTicks, safeExtent, validRange } from "../../shared/axes";
import type { G, Margin, NumScale } from "../../shared/axes";
import { normFeature } from "../../shared/data";
import { h, messageEl, tableHead, uniqueId } from "../../shared/dom";
import { featureLabel, formatLogTick, formatNumber, formatScorePrecise, metricLabel } from "../../shared/format";
import { mathElement } from "../../shared/math";
import { equationTitle, logDomain, lossFloor, plottedLoss, sideDomain } from "./data";
import type { Equation, Norm } from "./data";

export const POINT_R = 5;
export const SELECTED_R = 7;
export const POINT_COLOR = "#1d4ed8"; // blue
export const SELECTED_COLOR = "#c2410c"; // dark orange (also the dashed equation line)
const TEACHER_COLOR = "#1f2328";

/** The front: complexity (x) vs loss (y, log scale), points (`circle.gb-eq-point`) joined by a step line, the best one ringed. */
export function drawFront(parent: HTMLElement, d: Norm, width: number, height: number): void {
  parent.replaceChildren();
  const margin: Margin = { top: 22, right: 20, bottom: 44, left: 64 };
  const innerWidth = Math.max(40, width - margin.left - margin.right);
  const innerHeight = Math.max(40, height - margin.top - margin.bottom);
  const eqs = d.equations.filter((e) => Number.isFinite(e.complexity));
  const floor = lossFloor(eqs.map((e) => e.loss));
  const ys = eqs.map((e) => plottedLoss(e.loss, floor));

  const [c0, c1] = safeExtent(eqs.map((e) => e.complexity));
  const x = scaleLinear()
    .domain([Math.floor(c0) - 0.5, Math.ceil(c1) + 0.5])
    .range([0, innerWidth]);
  const yDom = logDomain(ys);
  const y = scaleLog().domain(yDom).range([innerHeight, 0]).clamp(true);

  const svg = appendSvg(parent, "gb-chart gb-front-chart", width, height, "group", `Pareto front of ${d.outputName}: complexity versus validation loss`);
  const g: G = svg.append("g").attr("transform", `translate(${margin.left},${margin.top})`);

  drawAxes(g, {
    x: x as NumScale,
    y: y as NumScale,
    innerWidth,
    innerHeight,
    margin,
    xLabel: "complexity",
    yLabel: "validation MSE (log scale)",
    grid: true,
    xTickValues: integerTicks(c0, c1, Math.max(2, Math.floor(innerWidth / 36))),
    yTickValues: logTicks(yDom[0], yDom[1], Math.max(2, Math.floor(innerHeight / 34))),
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
    .attr("aria-label", (p) => equationTitle(p.e, d.outputName).replace("\n", "; "));
  points.append("title").text((p) => equationTitle(p.e, d.outputName));
}

/** "0.993" plus a smaller "[0.991, 0.995]" that may wrap onto its own line in narrow tables. */
function scoreCell(e: Equation): HTMLTableCellElement {
  const td = h("td", "gb-num gb-score");
  td.appendChild(h("span", "gb-score-value", formatScorePrecise(e.r2)));
  if (e.r2_ci) {
    td.appendChild(document.createTextNode(" "));
    td.appendChild(h("span", "gb-ci", `[${formatScorePrecise(e.r2_ci[0])}, ${formatScorePrecise(e.r2_ci[1])}]`));
  }
  return td;
}

/** The front as a table, one focusable row (`tr.gb-eq-row`) per equation, the equation as math. */
export function equationTable(d: Norm): HTMLTableElement {
  const table = h("table", "gb-table gb-eq-table");
  const head = tableHead([
    ["complexity", "gb-num"],
    [`equation (${d.outputName} =)`, "gb-eq-head"],
    ["loss", "gb-num"],
    [`${metricLabel("r2")} [CI]`, "gb-num"],
  ]);
  const tb = h("tbody");
  for (const e of d.equations) {
    const tr = h("tr", "gb-row gb-eq-row");
    tr.dataset.id = String(e.id);
    tr.tabIndex = 0;
    tr.title = equationTitle(e, d.outputName);
    const eqCell = h("td", "gb-eq-cell");
    eqCell.appendChild(mathElement(e.latex, e.text));
    if (e.is_best) {
      tr.classList.add("gb-best");
      eqCell.appendChild(h("span", "gb-badge gb-best-badge", "best"));
    }
    tr.append(
      h("td", "gb-num", formatNumber(e.complexity)),
      eqCell,
      h("td", "gb-num", formatNumber(e.loss)),
      scoreCell(e),
    );
    tb.appendChild(tr);
  }
  table.append(head, tb);
  return table;
}

/** The teacher (solid) and the equation `eq` (dashed; none when null) along feature `fi`, the others at their centre. */
export function drawSide(parent: HTMLElement, d: Norm, fi: number, eq: Equation | null, width: number, height: number): void {
  parent.replaceChildren();
  const ov = d.overlay[fi];
  const f = d.features[fi] ?? normFeature(null, "x");
  if (!ov || ov.x.length === 0) {
    parent.appendChild(messageEl("no overlay data for this feature"));
    return;
  }
  const eqY = eq ? ov.equations[String(eq.id)] ?? null : null;

  const margin: Margin = { top: 22, right: 16, bottom: 44, left: 58 };
  const innerWidth = Math.max(40, width - margin.left - margin.right);
  const innerHeight = Math.max(40, height - margin.top - margin.bottom);
  const range = validRange([f.low, f.high]);
  const x = scaleLinear()
    .domain(range ? safeExtent(range, ov.x) : safeExtent(ov.x))
    .range([0, innerWidth]);
  const [y0, y1] = sideDomain(ov.teacher, eqY);
  const pad = (y1 - y0) * 0.06; // keep flat curves off the frame
  const y = scaleLinear().domain([y0 - pad, y1 + pad]).nice().range([innerHeight, 0]);

  const svg = appendSvg(parent, "gb-chart gb-side-chart", width, height, "img", `teacher${eq ? " and the selected equation" : ""} along ${f.name}`);
  const g: G = svg.append("g").attr("transform", `translate(${margin.left},${margin.top})`);
  drawAxes(g, { x, y, innerWidth, innerHeight, margin, xLabel: featureLabel(f), yLabel: d.outputName, grid: true });

  // clip the curves to the plot area (a poor equation can shoot far outside the teacher's range)
  const clipId = uniqueId("gb-side-clip");
  g.append("clipPath").attr("id", clipId).append("rect").attr("x", -2).attr("y", -2).attr("width", innerWidth + 4).attr("height", innerHeight + 4);
  const curves = g.append("g").attr("class", "gb-curves").attr("clip-path", `url(#${clipId})`);
  curves
    .append("path")
    .attr("class", "gb-teacher-line")
    .attr("fill", "none")
    .attr("stroke", TEACHER_COLOR)
    .attr("stroke-width", 2)
    .attr("stroke-linejoin", "round")
    .attr("d", linePath(ov.x, ov.teacher, x, y));
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

  // legend along the top edge
  const lg = g.append("g").attr("class", "gb-legend").attr("transform", "translate(0,-12)");
  const item = (dx: number, label: string, color: string, dash: string | null, cls: string) => {
    const it = lg.append("g").attr("class", cls).attr("transform", `translate(${dx},0)`);
    it.append("line")
      .attr("x1", 0)
      .attr("x2", 22)
      .attr("y1", 0)
      .attr("y2", 0)
      .attr("stroke", color)
      .attr("stroke-width", 2.25)
      .attr("stroke-dasharray", dash);
    it.append("text").attr("x", 27).attr("dy", "0.32em").text(label);
  };
  item(0, "teacher", TEACHER_COLOR, null, "gb-legend-teacher");
  if (eq) {
    item(88, eqY ? `equation (complexity ${formatNumber(eq.complexity)})` : "equation: no curve sent", SELECTED_COLOR, "6 4", "gb-legend-equation");
  } else {
    lg.append("text").attr("class", "gb-legend-hint").attr("x", 88).attr("dy", "0.32em").text("select an equation to compare");
  }
}
