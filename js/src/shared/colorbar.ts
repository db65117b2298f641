/** Colour-bar legends of the heat maps: a bar filled with a continuous colour scale, and its labels. */
import type { G } from "./axes";
import { uniqueId } from "./dom";

export interface ColorBar {
  /** The colour at t in [0, 1], from the bar's start (left; the bottom when vertical) to its end. */
  colors: (t: number) => string;
  /** Along the scale, px. */
  length: number;
  /** Across the scale, px. */
  thickness: number;
  vertical?: boolean;
}

/**
 * Append to `g` a `rect.gb-legend-bar` filled with a gradient through `colors` (11 stops, in a
 * `<defs>` of `g` with a document-unique id, so that several widgets can share a page).
 */
export function colorBar(g: G, bar: ColorBar): void {
  const id = uniqueId("gb-colorbar");
  const gradient = g
    .append("defs")
    .append("linearGradient")
    .attr("id", id)
    .attr("x1", "0")
    .attr("y1", bar.vertical ? "1" : "0")
    .attr("x2", bar.vertical ? "0" : "1")
    .attr("y2", "0");
  for (let k = 0; k <= 10; k++) gradient.append("stop").attr("offset", `${k * 10}%`).attr("stop-color", bar.colors(k / 10));
  g.append("rect")
    .attr("class", "gb-legend-bar")
    .attr("width", bar.vertical ? bar.thickness : bar.length)
    .attr("height", bar.vertical ? bar.length : bar.thickness)
    .attr("fill", `url(#${id})`)
    .attr("stroke", "#8c959f")
    .attr("stroke-width", 0.5);
}

/** A legend label `text.<cls>` at (x, y). */
export function legendLabel(g: G, cls: string, x: number, y: number, anchor: "start" | "middle" | "end", text: string): void {
  g.append("text").attr("class", cls).attr("x", x).attr("y", y).attr("text-anchor", anchor).text(text);
}
