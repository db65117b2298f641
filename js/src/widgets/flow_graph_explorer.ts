/**
 * GlassBox flow-graph explorer: the rough-set flow graph of a readable twin (HuReTEx) — one
 * column per layer, left to right, the predicted class last.
 *
 * Nodes are activation clusters, their area proportional to the share of samples; edges join
 * clusters of consecutive layers, their width and opacity following the chosen Pawlak coefficient
 * (certainty, strength, covering or confidence), with a threshold slider hiding the weak ones.
 * The best path of every class is drawn in that class's colour. Clicking nodes builds a path (the
 * next node must be in the next column and joined by an edge; anything else starts a new path;
 * clicking the last node again removes it; Escape or the button clears it); every step is asked
 * of the host, which answers with the path's certainty, coverage and strength. Hovering (or
 * focusing) a node shows the mean input of its samples and their activation-norm histogram.
 *
 * View data: see FlowData (flow_graph/data.ts). Selection: the path, a list of node ids ([] =
 * none); details: `{path_stats: {certainty, coverage, strength, complete} | null}`. The
 * coefficient, the threshold and the best-path class are view state of the browser;
 * `_data.coefficient` and `_data.threshold` set them at first (and again when the host sends new ones).
 */
import { delegate, delegateActivate, delegateHover, h, liveRegion, optionEl } from "../shared/dom";
import { edgeFilter } from "../shared/edges";
import { anywidget } from "../shared/model";
import type { WidgetSpec } from "../shared/widget";
import { COEFFICIENTS, COEFFICIENT_HELP, DEFAULT_COEFFICIENT, DEFAULT_WIDTH, NO_NODES_TEXT, PENDING_TEXT, coefficientOf, edgeValue, nextPath, normalize, pathStatsOf, pathValue, validPath } from "./flow_graph/data";
import type { Coefficient, FlowNode, Norm } from "./flow_graph/data";
import { edgeStyle, layout, num4 } from "./flow_graph/layout";
import type { Layout } from "./flow_graph/layout";
import { drawPathReadout, nodeSummary, showTooltip } from "./flow_graph/panels";
import { drawGraph, drawUserPath, restackEdges } from "./flow_graph/render";
import type { DrawnGraph } from "./flow_graph/render";

export * from "./flow_graph/data";
export * from "./flow_graph/layout";
export { fitText, textWidth } from "../shared/text";
export { NO_DATA_TEXT } from "../shared/widget";

const NODE = ".gb-flow-node";

const idOf = (t: Element) => t.getAttribute("data-id") ?? "";

/** The flow-graph explorer for any host: selection value = the path (node ids), details = its statistics. */
export const spec: WidgetSpec<Norm, string[]> = {
  name: "flow_graph_explorer",
  className: "gb-flow-graph-explorer",
  normalize,
  value: pathValue,
  observeWidth: true,
  emptyText: (d) => (d.nodes.length === 0 ? NO_NODES_TEXT : null),
  pendingText: () => PENDING_TEXT,
  create(shell) {
    shell.root.tabIndex = -1; // receives Escape after a click on the background

    // controls: coefficient, threshold, best path per class, clear
    const coefSelect = h("select", "gb-coef-select");
    coefSelect.setAttribute("aria-label", "coefficient that sets edge width and opacity");
    for (const c of COEFFICIENTS) {
      const o = optionEl(c, c);
      o.title = COEFFICIENT_HELP[c];
      coefSelect.appendChild(o);
    }
    const coefLabel = h("label", "gb-control", "edges by ");
    coefLabel.appendChild(coefSelect);
    const filter = edgeFilter(shell.root, shell.listen, "hide below ", "hide edges whose coefficient is below this value", () => updateEdges());
    const classSelect = h("select", "gb-class-select");
    classSelect.setAttribute("aria-label", "class whose best path is highlighted");
    const classLabel = h("label", "gb-control", "best path ");
    classLabel.appendChild(classSelect);
    const clearBtn = h("button", "gb-clear-path", "clear path");
    clearBtn.type = "button";
    const controls = h("div", "gb-controls gb-flow-controls");
    controls.append(coefLabel, filter.label, classLabel, clearBtn, filter.count);

    const stage = h("div", "gb-flow-stage");
    const chartWrap = h("div", "gb-flow-chart");
    const tooltip = h("div", "gb-flow-tooltip");
    tooltip.hidden = true;
    tooltip.setAttribute("role", "tooltip");
    stage.append(chartWrap, tooltip);
    const legend = h("div", "gb-flow-legend");
    const readout = { nodes: liveRegion("gb-path-nodes"), stats: h("div", "gb-stats gb-path-stats") };
    shell.errorEl.classList.add("gb-flow-error");
    const pathPanel = h("div", "gb-flow-path");
    pathPanel.append(readout.nodes, readout.stats, shell.errorEl);
    shell.body.append(controls, stage, legend, pathPanel);

    let data: Norm | null = null;
    let lay: Layout | null = null;
    let drawn: DrawnGraph | null = null;
    let coef: Coefficient = DEFAULT_COEFFICIENT;
    let dataCoef: Coefficient | null = null; // the last values the host sent
    let dataThreshold = NaN;
    let classPick = "*"; // "*" all classes, "" none, else a class
    let hoverId: string | null = null;
    const vmax: Record<Coefficient, number> = { confidence: 1, certainty: 1, covering: 1, strength: 1 };

    /** The host's coefficient and threshold win when it sends new ones; otherwise the browser's stay. */
    function takeSettings(d: Norm): void {
      if (d.coefficient && d.coefficient !== dataCoef) coef = d.coefficient;
      dataCoef = d.coefficient;
      if (Number.isFinite(d.threshold) && d.threshold !== dataThreshold) filter.threshold = Math.max(0, d.threshold);
      dataThreshold = d.threshold;
    }

    function syncClassSelect(d: Norm): void {
      const opts = [optionEl("*", "all classes"), optionEl("", "none")];
      for (const bp of d.bestPaths) opts.push(optionEl(bp.cls, `class ${bp.cls}${Number.isFinite(bp.fitness) ? ` (fitness ${num4(bp.fitness)})` : ""}`));
      classSelect.replaceChildren(...opts);
      if (classPick !== "*" && classPick !== "" && !d.bestPaths.some((b) => b.cls === classPick)) classPick = "*";
      classSelect.value = classPick;
      classLabel.hidden = d.bestPaths.length === 0;
    }

    /** Edge widths and opacities for the coefficient, visibility for the threshold, the legend. */
    function updateEdges(): void {
      const d = data;
      if (!d || !drawn) return;
      coefSelect.value = coef;
      coefSelect.title = `${coef}: ${COEFFICIENT_HELP[coef]}`;
      const edgeEls = drawn.edgeEls;
      filter.apply(
        d.edges.map((e) => ({ line: edgeEls.get(e.key), value: edgeValue(e, coef) })),
        vmax[coef],
        edgeStyle,
      );
      legend.textContent = `node area ∝ share of samples · edge width and opacity ∝ ${coef} (${COEFFICIENT_HELP[coef]}; largest ${num4(vmax[coef])}) · coloured lines: best path per class · black line: your path`;
      updateBest();
    }

    /** Which class's best path is bold: the picked one, else the class of the hovered node. */
    function updateBest(): void {
      const d = data;
      if (!d || !drawn) return;
      const hoverNode = hoverId ? d.byId.get(hoverId) : undefined;
      const hoverCls = hoverNode?.isClass ? hoverNode.cluster : null;
      drawn.bestLayer.selectAll<SVGPathElement, unknown>(".gb-best-path").each(function () {
        const cls = this.getAttribute("data-class") ?? "";
        const hidden = classPick === "" || (classPick !== "*" && classPick !== cls);
        if (hidden) this.setAttribute("display", "none");
        else this.removeAttribute("display");
        this.classList.toggle("gb-best-bold", !hidden && (classPick === cls || hoverCls === cls));
      });
      const onBest = new Set<string>();
      for (const bp of d.bestPaths) if (classPick === bp.cls || (classPick === "*" && hoverCls === bp.cls)) bp.nodes.forEach((id) => onBest.add(id));
      for (const [id, g] of drawn.nodeEls) g.classList.toggle("gb-on-best", onBest.has(id));
    }

    function setHover(id: string | null): void {
      if (id === hoverId || !data || !lay || !drawn) return;
      hoverId = id;
      shell.root.classList.toggle("gb-hovering", id !== null);
      const hot = new Set(id ? (drawn.incident.get(id) ?? []) : []);
      for (const [k, p] of drawn.edgeEls) p.classList.toggle("gb-incident", hot.has(k));
      for (const [nid, g] of drawn.nodeEls) g.classList.toggle("gb-hovered", nid === id);
      updateBest();
      if (id) showTooltip(tooltip, { stage, chartWrap }, data, lay, drawn, id, coef);
      else hideTooltip();
    }

    function hideTooltip(): void {
      tooltip.hidden = true;
      tooltip.replaceChildren();
    }

    /** Ask for an empty path; false when there is nothing to clear. */
    function clearPath(): boolean {
      if (shell.selection().wanted.length === 0) return false;
      shell.select([]);
      return true;
    }

    const roving = shell.roving({
      selector: NODE,
      keyOf: idOf,
      // up and down within a column, left and right to the nearest node of the next column
      move(event, from) {
        const L = lay;
        const here = L?.pos.get(from);
        const c = data?.byId.get(from)?.col;
        if (!L || !here || c === undefined) return null;
        const col = L.cols[c];
        const j = col.findIndex((n) => n.id === from);
        const nearestIn = (cc: number): FlowNode | undefined =>
          (L.cols[cc] ?? []).reduce<FlowNode | undefined>((a, b) => (!a || Math.abs(L.pos.get(b.id)!.y - here.y) < Math.abs(L.pos.get(a.id)!.y - here.y) ? b : a), undefined);
        const targets: Record<string, FlowNode | undefined> = {
          ArrowUp: col[Math.max(0, j - 1)],
          ArrowDown: col[Math.min(col.length - 1, j + 1)],
          ArrowLeft: nearestIn(c - 1),
          ArrowRight: nearestIn(c + 1),
          Home: col[0],
          End: col[col.length - 1],
        };
        return event.key in targets ? (targets[event.key]?.id ?? from) : null;
      },
      onFocus: (id) => setHover(id),
      onBlur: () => setHover(null),
    });

    shell.listen(
      delegateActivate(shell.root, NODE, (t) => {
        const id = idOf(t);
        shell.select((current) => (data ? nextPath(data, validPath(data.byId, data.edgeByKey, current, false), id) : current));
      }),
      delegate<KeyboardEvent>(shell.root, "keydown", ".gb-widget", (event) => {
        if (event.key !== "Escape" || !clearPath()) return;
        event.preventDefault();
        event.stopPropagation();
      }),
      delegate<MouseEvent>(shell.root, "click", ".gb-clear-path", () => clearPath()),
      delegateHover(shell.root, NODE, (_e, t) => setHover(idOf(t)), () => setHover(null)),
      delegate<Event>(shell.root, "change", ".gb-coef-select", () => {
        const c = coefficientOf(coefSelect.value);
        if (!c || c === coef || !data || !drawn) return;
        // keep the slider's relative position: the same share of the largest value
        const rel = vmax[coef] > 0 ? filter.threshold / vmax[coef] : 0;
        coef = c;
        filter.threshold = rel * vmax[c];
        restackEdges(data, drawn, coef);
        updateEdges();
        if (hoverId && lay) showTooltip(tooltip, { stage, chartWrap }, data, lay, drawn, hoverId, coef);
      }),
      delegate<Event>(shell.root, "change", ".gb-class-select", () => {
        classPick = classSelect.value;
        updateBest();
      }),
    );

    return {
      render(d) {
        data = d;
        hoverId = null;
        shell.root.classList.remove("gb-hovering");
        hideTooltip();
        takeSettings(d);
        for (const c of COEFFICIENTS) vmax[c] = Math.max(0, ...d.edges.map((e) => edgeValue(e, c)));
        lay = layout(d, Math.round(shell.containerWidth() || DEFAULT_WIDTH));
        chartWrap.replaceChildren();
        drawn = drawGraph(chartWrap, d, lay, coef);
        syncClassSelect(d);
        updateEdges();
      },
      update(d, s) {
        if (!drawn || !lay) return;
        const path = validPath(d.byId, d.edgeByKey, s.wanted, false);
        const inPath = new Map(path.map((id, i) => [id, i]));
        const lastId = path.length > 0 ? path[path.length - 1] : null;
        const candidates = new Set<string>();
        for (const k of lastId ? (drawn.incident.get(lastId) ?? []) : []) {
          const e = d.edgeByKey.get(k);
          if (e && e.source === lastId) candidates.add(e.target);
        }
        for (const [id, g] of drawn.nodeEls) {
          const idx = inPath.get(id);
          g.classList.toggle("gb-in-path", idx !== undefined);
          g.classList.toggle("gb-path-end", id === lastId);
          g.classList.toggle("gb-candidate", candidates.has(id));
          g.setAttribute("aria-pressed", String(idx !== undefined));
          const what =
            idx !== undefined
              ? `step ${idx + 1} of the path${id === lastId ? " (click to remove it)" : ""}`
              : candidates.has(id)
                ? "click to extend the path"
                : "click to start a path here";
          const label = `${nodeSummary(d.byId.get(id)!)} · ${what}`;
          g.setAttribute("aria-label", label);
          const t = g.querySelector("title");
          if (t) t.textContent = label;
        }
        roving.settle(path[0] ?? lay.cols.find((c) => c.length > 0)?.[0]?.id ?? null);
        drawUserPath(drawn.pathLayer, lay, path);
        drawPathReadout(readout, d, path, pathStatsOf(s.details), s.busy);
      },
      clear() {
        data = null;
        lay = null;
        drawn = null;
        chartWrap.replaceChildren();
        hideTooltip();
      },
    };
  },
};

export default anywidget(spec);
