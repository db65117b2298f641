/**
 * The edge filter of the graph widgets: a slider that hides edges whose value (a coefficient, a
 * |weight|) is below a threshold, the threshold written beside it, and a count of the edges shown.
 * The threshold is view state of the browser: no round trip to the host.
 */
import { delegate, h } from "./dom";
import { formatNumber } from "./format";

/** Stroke width and opacity of an edge. */
export interface EdgeStyle {
  width: number;
  opacity: number;
}

/** An edge's line (when drawn) and its value for the filter and the style. */
export interface FilteredEdge {
  line: SVGElement | undefined;
  value: number;
}

export interface EdgeFilter {
  /** `label.gb-control.gb-threshold`: the text, the slider (`.gb-threshold-input`) and the value (`.gb-threshold-value`). */
  readonly label: HTMLLabelElement;
  /** "3 of 8 edges shown". */
  readonly count: HTMLSpanElement;
  /** Edges whose value is below it are hidden. */
  threshold: number;
  /**
   * Fit the slider to `max` (the largest value; the threshold is kept at most that), style every
   * edge with `style(value, max)` and hide those below the threshold (`display="none"`, `gb-edge-hidden`).
   */
  apply(edges: readonly FilteredEdge[], max: number, style: (value: number, max: number) => EdgeStyle): void;
}

/**
 * An edge filter whose slider calls `changed` when moved. `text` starts the label ("hide below "),
 * `ariaLabel` names the slider; its listeners are handed to `listen`.
 */
export function edgeFilter(root: HTMLElement, listen: (...offs: (() => void)[]) => void, text: string, ariaLabel: string, changed: () => void): EdgeFilter {
  const label = h("label", "gb-control gb-threshold", text);
  const input = h("input", "gb-threshold-input");
  input.type = "range";
  input.min = "0";
  input.setAttribute("aria-label", ariaLabel);
  const value = h("output", "gb-threshold-value");
  label.append(input, value);
  const count = h("span", "gb-edge-count");

  const filter: EdgeFilter = {
    label,
    count,
    threshold: 0,
    apply(edges, max, style) {
      input.max = String(max > 0 ? max : 1);
      input.step = String(max > 0 ? max / 200 : 0.01);
      if (max > 0) filter.threshold = Math.min(filter.threshold, max);
      input.value = String(filter.threshold);
      value.textContent = formatNumber(filter.threshold);
      let shown = 0;
      for (const { line, value: v } of edges) {
        if (!line) continue;
        const s = style(v, max);
        line.setAttribute("stroke-width", s.width.toFixed(2));
        line.setAttribute("stroke-opacity", s.opacity.toFixed(3));
        const visible = v >= filter.threshold;
        if (visible) {
          line.removeAttribute("display");
          shown++;
        } else line.setAttribute("display", "none");
        line.classList.toggle("gb-edge-hidden", !visible);
      }
      count.textContent = `${shown} of ${edges.length} edges shown`;
    },
  };
  listen(
    ...(["input", "change"] as const).map((type) =>
      delegate<Event>(root, type, ".gb-threshold-input", () => {
        const v = Number(input.value);
        if (!Number.isFinite(v)) return;
        filter.threshold = Math.max(0, v);
        changed();
      }),
    ),
  );
  return filter;
}
