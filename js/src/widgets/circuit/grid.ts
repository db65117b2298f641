/** The circuit heat map's grid of heads, its colour legend and the key of head types. */
import { appendSvg } from "../../shared/axes";
import type { G } from "../../shared/axes";
import { colorBar, legendLabel } from "../../shared/colorbar";
import { h } from "../../shared/dom";
import { MISSING_FILL, divergingScale, interpolateDiverging, textColorOn } from "../../shared/palette";
import { MAX_CELL, MIN_CELL, glyphSize, maxAbsScore, numberText, signedNumber, signedText, typeAbbrev } from "./data";
import type { Norm } from "./data";

const MAX_GRID_HEIGHT = 440;
const GRID_MARGIN = { top: 20, right: 4, bottom: 4, left: 30 };
/** Cells at least this big show their score as a number (and the type glyph in a corner). */
const SCORE_TEXT_MIN_CELL = 44;

/**
 * The rings of a cell, as [class, inset from the cell's edge, stroke width, corner radius], drawn in this order.
 * The circuit's outline hugs the edge (dark, with a white halo inside it); the keyboard focus ring lies further
 * in, blue over a white band, so a focused head in the circuit shows both, never one over the other.
 */
export function cellRings(cell: number): [string, number, number, number][] {
  const focus = cell >= 40 ? 8.5 : 7.5;
  return [
    ["gb-cell-fill", 1, 0, 2],
    ["gb-cell-outline", 2.5, 3, 1.5],
    ["gb-cell-halo", 4.5, 1, 1],
    ["gb-focus-halo", focus, 4, 2],
    ["gb-focus-ring", focus, 2, 2],
  ];
}

/**
 * The layers × heads grid (`g.gb-head-cell` per head, coloured by score, with its type glyph and,
 * in big cells, its score) in `gridWrap`, and the colour legend in `legendWrap`; `avail` is the width it may take.
 */
export function drawGrid(gridWrap: HTMLElement, legendWrap: HTMLElement, d: Norm, avail: number): void {
  gridWrap.replaceChildren();
  legendWrap.replaceChildren();
  const m = GRID_MARGIN;
  const wFit = Math.floor((avail - m.left - m.right) / d.nHeads);
  const hFit = Math.floor(MAX_GRID_HEIGHT / d.nLayers);
  const cell = Math.max(MIN_CELL, Math.min(MAX_CELL, wFit, hFit));
  const gridW = cell * d.nHeads;
  const gridH = cell * d.nLayers;
  const width = m.left + gridW + m.right;
  const height = m.top + gridH + m.bottom;
  const maxAbs = maxAbsScore(d.scores);
  const color = divergingScale(maxAbs);
  const showScore = cell >= SCORE_TEXT_MIN_CELL;

  const svg = appendSvg(gridWrap, "gb-chart gb-head-grid", width, height, "group", `${d.nLayers} layers × ${d.nHeads} heads coloured by ${d.scoreLabel}; Enter toggles a head, arrow keys move`);
  const g: G = svg.append("g").attr("transform", `translate(${m.left},${m.top})`);

  // head labels along the top, layer labels down the left (thinned when cells are small and many)
  const every = (n: number) => (n <= 16 || cell >= 36 ? 1 : n <= 32 ? 2 : 4);
  const hx = g.append("g").attr("class", "gb-axis gb-head-labels").attr("aria-hidden", "true");
  for (let hd = 0; hd < d.nHeads; hd += every(d.nHeads)) {
    hx.append("text").attr("x", hd * cell + cell / 2).attr("y", -6).attr("text-anchor", "middle").text(`H${hd}`);
  }
  const ly = g.append("g").attr("class", "gb-axis gb-layer-labels").attr("aria-hidden", "true");
  for (let l = 0; l < d.nLayers; l += every(d.nLayers)) {
    ly.append("text").attr("x", -6).attr("y", l * cell + cell / 2).attr("dy", "0.32em").attr("text-anchor", "end").text(`L${l}`);
  }

  const cells: { l: number; hd: number; v: number; type: string | null }[] = [];
  for (let l = 0; l < d.nLayers; l++) {
    for (let hd = 0; hd < d.nHeads; hd++) cells.push({ l, hd, v: d.scores[l][hd], type: d.headTypes[l][hd] });
  }
  const cg = g
    .append("g")
    .attr("class", "gb-head-cells")
    .selectAll("g")
    .data(cells)
    .join("g")
    .attr("class", "gb-head-cell")
    .attr("data-layer", (c) => c.l)
    .attr("data-head", (c) => c.hd)
    .attr("transform", (c) => `translate(${c.hd * cell},${c.l * cell})`)
    .attr("role", "button")
    .attr("tabindex", -1);
  const fillOf = (v: number) => (Number.isFinite(v) ? color(v) : MISSING_FILL);
  // the fill, then (invisible until styled) the circuit outline with its white halo inside, and the focus ring
  for (const [cls, inset, stroke, rx] of cellRings(cell)) {
    const r = cg.append("rect").attr("class", cls).attr("x", inset).attr("y", inset).attr("width", cell - 2 * inset).attr("height", cell - 2 * inset).attr("rx", rx);
    if (stroke > 0) r.attr("data-stroke", stroke);
  }
  cg.select(".gb-cell-fill").attr("fill", (c) => fillOf(c.v));
  const ink = (c: { v: number }) => textColorOn(fillOf(c.v));
  cg.filter((c) => !!c.type)
    .append("text")
    .attr("class", "gb-type-glyph")
    // centred (above the score in big cells), inside the focus ring, which runs along the cell's edge
    .attr("x", cell / 2)
    .attr("y", showScore ? cell / 2 - (cell >= 52 ? 7 : 6) : cell / 2)
    .attr("dy", "0.35em")
    .attr("text-anchor", "middle")
    // glyph-only cells: shrink long glyphs ("NNM") so they stay inside the circuit outline
    .attr("font-size", (c) => (showScore ? 9.5 : glyphSize(cell, typeAbbrev(c.type).length)))
    .attr("fill", ink)
    .text((c) => typeAbbrev(c.type));
  if (showScore) {
    cg.append("text")
      .attr("class", "gb-cell-score")
      .attr("x", cell / 2)
      .attr("y", cell / 2 + (cell >= 52 ? 7 : 5))
      .attr("dy", "0.35em")
      .attr("text-anchor", "middle")
      .attr("fill", ink)
      .text((c) => (Number.isFinite(c.v) ? signedText(c.v) : "n/a"));
  }
  cg.append("circle")
    .attr("class", "gb-focus-marker")
    .attr("cx", cell - 7)
    .attr("cy", 7)
    .attr("r", 3);
  cg.append("title");

  drawLegend(legendWrap, d, color.domain() as number[], Math.max(180, Math.min(gridW, 300)), maxAbs);
}

/** The diverging colour bar, blue − 0 + red, with ticks at the smallest and largest score. */
function drawLegend(legendWrap: HTMLElement, d: Norm, domain: number[], barW: number, maxAbs: number): void {
  const [lo, , hi] = domain;
  const barH = 10;
  const pad = 6; // room for the end labels
  const width = barW + 2 * pad;
  const svg = appendSvg(legendWrap, "gb-legend", width, 36, "img", `colour scale of ${d.scoreLabel}: blue ${numberText(lo)}, white 0, red ${signedNumber(hi)}`);
  const g = svg.append("g").attr("transform", `translate(${pad},2)`);
  colorBar(g, { colors: interpolateDiverging, length: barW, thickness: barH });
  // observed extremes as small ticks under the bar
  const flat = d.scores.flat().filter(Number.isFinite);
  if (flat.length > 0 && maxAbs > 0) {
    const xOf = (v: number) => ((v - lo) / (hi - lo)) * barW;
    for (const [v, name] of [
      [Math.min(...flat), "smallest"],
      [Math.max(...flat), "largest"],
    ] as [number, string][]) {
      g.append("path")
        .attr("class", "gb-legend-marker")
        .attr("d", `M${xOf(v).toFixed(1)},${barH}l-3.5,5h7z`)
        .append("title")
        .text(`${name} score ${signedNumber(v)}`);
    }
  }
  legendLabel(g, "gb-legend-min", 0, barH + 17, "start", numberText(lo));
  legendLabel(g, "gb-legend-mid", barW / 2, barH + 17, "middle", "0");
  legendLabel(g, "gb-legend-max", barW, barH + 17, "end", signedNumber(hi));
  legendWrap.appendChild(h("div", "gb-legend-label", `colour: ${d.scoreLabel} (red > 0 > blue)`));
}

/**
 * The key of the type glyphs shown in the grid ("NM name mover") and, under it, how the types were measured;
 * hidden when no head has a type and no note was sent.
 */
export function drawTypeKey(typeKey: HTMLElement, d: Norm): void {
  typeKey.replaceChildren();
  const seen = new Map<string, string>();
  for (const row of d.headTypes) for (const t of row) if (t && !seen.has(t)) seen.set(t, typeAbbrev(t));
  typeKey.hidden = seen.size === 0 && !d.typeNote;
  const items = h("div", "gb-type-items");
  for (const [t, ab] of seen) {
    const item = h("span", "gb-type-item");
    item.append(h("b", "gb-type-abbrev", ab), document.createTextNode(` ${t}`));
    items.appendChild(item);
  }
  if (seen.size > 0) typeKey.appendChild(items);
  if (d.typeNote) typeKey.appendChild(h("div", "gb-type-note", d.typeNote));
}
