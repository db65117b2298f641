/**
 * GlassBox neuron graph view: the conditional-independence graph of a layer's MLP neurons
 * (graphical lasso), nodes = neurons, edges = partial correlations.
 *
 * A real layer has hundreds or thousands of edges, so the view starts from the strongest:
 * `edgeBudget(n)` of them (the slider's threshold is raised to the |weight| that keeps them; the count
 * beside it says how many of how many are shown, and the slider shows more). The layout is a force
 * layout (d3-force) over those strongest edges, run for a fixed number of ticks synchronously from
 * deterministic start positions, so the same data always gives the same picture: neurons of a
 * community are pulled towards a common centre (centres spread over the panel), and neurons that
 * none of those edges touch sit in a tidy grid under the graph, with a line saying why. "Lay out the
 * edges shown" re-runs the layout for the edges the slider and the edge set show. Nodes are coloured
 * by community (grey when alone), hubs are ringed, the area grows with the weighted degree
 * (strength). Edges are blue (positive) or red (negative), their width following |weight|. Labels are
 * drawn only for hubs, the selected neuron and the one under the mouse, so the view stays readable at
 * a few hundred neurons. For a topic comparison a dropdown switches between edge sets (one per topic
 * and their difference) over the same node positions, and the legend says what blue and red mean in
 * the set shown (`edge_set_info`: e.g. "partial correlation higher for cooking than for finance").
 *
 * Hovering (or focusing) a node highlights its edges and tells its id, community and degree;
 * clicking it (or Enter / Space) asks the host for the inputs that activate it most.
 *
 * View data: see NeuronGraphData (neuron/data.ts). Selection: the neuron's id, or null (a member
 * of a merged node selects that node); details: `{top_inputs: [{label, activation, topic}]}`.
 * The threshold and the edge set are view state of the browser; `_data.threshold` (the least
 * threshold) and `_data.edge_set` set them at first (and again when the host sends new values).
 */
import { intOrNull } from "../shared/data";
import { delegate, delegateActivate, delegateHover, h, liveRegion, optionEl, panel } from "../shared/dom";
import { edgeFilter } from "../shared/edges";
import { anywidget } from "../shared/model";
import { NEUTRAL } from "../shared/palette";
import type { SelectionState, WidgetSpec } from "../shared/widget";
import { DEFAULT_WIDTH, NO_NODES_TEXT, SIDE_BY_SIDE_MIN, communityColors, edgeSetInfo, edgesOf, normalize, topInputsOf } from "./neuron/data";
import type { GraphEdge, GraphNode, Norm } from "./neuron/data";
import { drawEdges, drawGraph, drawLegend, drawSide, nodeSummary, pendingText } from "./neuron/draw";
import type { DrawnEdges } from "./neuron/draw";
import { chooseEdges, defaultLayoutEdges, edgeBudget, edgeStyle, graphHeight, layoutGraph, strongestThreshold } from "./neuron/layout";
import type { GraphLayout, LayoutEdges } from "./neuron/layout";

export * from "./neuron/data";
export * from "./neuron/layout";
export { NO_DATA_TEXT } from "../shared/widget";

const GAP = 16;
const NODE = ".gb-node";
const ARROWS: Record<string, [number, number]> = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };

const idOf = (t: Element) => t.getAttribute("data-id") ?? "";

/** The node of neuron `neuron` (a member of a merged node gives that node). */
const nodeOfNeuron = (d: Norm, neuron: number | null) => (neuron === null ? null : (d.byNeuron.get(neuron) ?? null));

/** The threshold a set starts from: the host's (the least), raised so that only the `edgeBudget` strongest edges show. */
export function defaultThreshold(d: Norm, set: string | null): number {
  const floor = Number.isFinite(d.threshold) ? Math.max(0, d.threshold) : 0;
  return Math.max(floor, strongestThreshold(edgesOf(d, set), edgeBudget(d.nodes.length)));
}

export const MORE_EDGES_TEXT = "the strongest edges are shown: move the slider left for more";
export const RELAYOUT_TEXT = "lay out the edges shown";

/** The neuron graph for any host: selection value = a neuron id (null = none), details = its top inputs. */
export const spec: WidgetSpec<Norm, number | null> = {
  name: "neuron_graph_view",
  className: "gb-neuron-graph-view",
  normalize,
  value: intOrNull,
  observeWidth: true,
  emptyText: (d) => (d.nodes.length === 0 ? NO_NODES_TEXT : null),
  pendingText: (d, wanted) => pendingText(nodeOfNeuron(d, wanted)?.label ?? `#${wanted}`),
  create(shell) {
    const controls = h("div", "gb-controls gb-neuron-controls");
    const setLabel = h("label", "gb-control gb-edge-set", "edges ");
    const setSelect = h("select", "gb-edge-set-select");
    setSelect.setAttribute("aria-label", "which edges to show");
    setLabel.appendChild(setSelect);
    const filter = edgeFilter(shell.root, shell.listen, "hide |weight| below ", "hide edges whose |weight| is below this value", () => {
      atDefault = false;
      updateEdges();
    });
    const moreNote = h("span", "gb-edge-note", MORE_EDGES_TEXT);
    const relayout = h("button", "gb-relayout", RELAYOUT_TEXT);
    relayout.type = "button";
    relayout.title = "run the layout again over the edges shown now (the neurons they leave alone go to the grid under the graph)";
    controls.append(setLabel, filter.label, filter.count, moreNote, relayout);

    const main = h("div", "gb-columns gb-neuron-main");
    const chartWrap = h("div", "gb-neuron-chart");
    const hoverInfo = liveRegion("gb-hover-info gb-node-info");
    const legend = h("div", "gb-legend-key gb-neuron-legend");
    const graphHead = h("div", "gb-panel-head gb-graph-head");
    const sideParts = { head: h("div", "gb-panel-head gb-neuron-title"), stats: h("div", "gb-neuron-stats"), body: h("div", "gb-inputs-body") };
    shell.errorEl.classList.add("gb-neuron-error");
    const side = panel("gb-neuron-side", sideParts.head, sideParts.stats, shell.errorEl, sideParts.body);
    main.append(panel("gb-graph-panel", graphHead, chartWrap, hoverInfo, legend), side);
    const actionsList = h("ul", "gb-actions-list");
    const actionsPanel = panel("gb-actions", "what was done to the activations before fitting", actionsList);
    shell.body.append(controls, main, actionsPanel);

    let data: Norm | null = null;
    let lay: GraphLayout | null = null;
    let dataThreshold: number | undefined; // the last values the host sent (undefined: none yet)
    let dataEdgeSet: string | null = null;
    let edgeSet: string | null = null;
    let atDefault = true; // the threshold is the set's default (the user has not moved the slider)
    /** The edges laid out: null = the default (the strongest of every set), else those a set showed at a threshold. */
    let arranged: { set: string | null; threshold: number } | null = null;
    let hoverId: string | null = null;
    let colors = new Map<number, string>();
    let nodeEls = new Map<string, SVGGElement>();
    let edgeLayer: SVGGElement | null = null;
    let drawn: DrawnEdges = { lines: new Map(), incident: new Map() };
    let shownEdges: GraphEdge[] = [];

    const colorOf = (n: GraphNode) => (n.community === null ? NEUTRAL : (colors.get(n.community) ?? NEUTRAL));

    /** The host's threshold and edge set win when it sends new ones; otherwise the browser's stay. */
    function takeSettings(d: Norm): void {
      const newSet = d.edgeSet !== dataEdgeSet;
      if (newSet || edgeSet === null || !d.edgeSets?.has(edgeSet)) edgeSet = d.edgeSet;
      dataEdgeSet = d.edgeSet;
      const same = (a: number | undefined, b: number) => a === b || (a !== undefined && Number.isNaN(a) && Number.isNaN(b));
      if (!same(dataThreshold, d.threshold) || newSet) {
        filter.threshold = defaultThreshold(d, edgeSet);
        atDefault = true;
        arranged = null;
      }
      dataThreshold = d.threshold;
    }

    /** The edges the layout pulls along. */
    function layoutEdges(d: Norm): LayoutEdges {
      if (!arranged) return defaultLayoutEdges(d);
      return chooseEdges(edgesOf(d, arranged.set), arranged.threshold);
    }

    function syncSetSelect(d: Norm): void {
      const names = d.edgeSets ? [...d.edgeSets.keys()] : [];
      if (setSelect.dataset.names !== names.join("\u0000")) {
        setSelect.dataset.names = names.join("\u0000");
        setSelect.replaceChildren(...names.map((nm) => optionEl(nm, `${nm} (${d.edgeSets!.get(nm)!.length})`)));
      }
      setLabel.hidden = names.length === 0;
      if (edgeSet !== null) setSelect.value = edgeSet;
    }

    function redrawEdges(): void {
      if (!data || !lay || !edgeLayer) return;
      shownEdges = edgesOf(data, edgeSet);
      drawn = drawEdges(edgeLayer, data, lay, shownEdges, edgeSetInfo(data, edgeSet));
    }

    /** Edge widths and visibility for the threshold, the panel head and the legend. */
    function updateEdges(): void {
      const d = data;
      if (!d) return;
      const amax = Math.max(0, ...shownEdges.map((e) => Math.abs(e.weight)));
      filter.apply(
        shownEdges.map((e) => ({ line: drawn.lines.get(e.key), value: Math.abs(e.weight) })),
        amax,
        edgeStyle,
      );
      graphHead.textContent = `${d.nodes.length} neurons${d.edgeSets && edgeSet ? ` · ${edgeSet}` : ""} · click a neuron to see its top inputs`;
      drawLegend(legend, edgeSetInfo(d, edgeSet), amax);
      const shown = shownEdges.filter((e) => Math.abs(e.weight) >= filter.threshold);
      moreNote.hidden = shown.length === shownEdges.length || !atDefault;
      // the layout's edges are not the ones shown: offer to lay those out instead
      relayout.hidden = !lay || (shown.length === lay.edgeKeys.size && shown.every((e) => lay!.edgeKeys.has(e.key)));
      if (hoverId) setHover(hoverId, true);
    }

    function updateNodeStates(d: Norm, s: SelectionState<number | null>): void {
      const sel = nodeOfNeuron(d, s.wanted);
      const inBand = new Set(lay?.band?.ids ?? []);
      const near = new Set<string>();
      for (const k of hoverId ? (drawn.incident.get(hoverId) ?? []) : []) {
        if (!drawn.lines.get(k)?.classList.contains("gb-edge-hidden")) for (const id of k.split("\u0000")) near.add(id);
      }
      for (const [id, g] of nodeEls) {
        const n = d.byId.get(id)!;
        const isSel = sel?.id === id;
        g.classList.toggle("gb-selected", isSel && !s.busy);
        g.classList.toggle("gb-pending", isSel && s.busy);
        g.classList.toggle("gb-hovered", id === hoverId);
        g.classList.toggle("gb-neighbour", near.has(id) && id !== hoverId);
        g.setAttribute("aria-pressed", String(isSel));
        // a hub in the grid under the graph is labelled only when it is hovered or selected: its label would cover its neighbours
        const showLabel = (n.hub && !inBand.has(id)) || isSel || id === hoverId || (near.size <= 7 && near.has(id));
        const label = g.querySelector(".gb-node-label");
        if (showLabel) label?.removeAttribute("display");
        else label?.setAttribute("display", "none");
        const text = `${nodeSummary(n)} · ${isSel ? "selected" : "click to see the inputs that activate it most"}`;
        g.setAttribute("aria-label", text);
        const t = g.querySelector("title");
        if (t) t.textContent = text;
      }
      // the hovered / selected node above its neighbours (moving the focused node would blur it)
      const lift = hoverId ? nodeEls.get(hoverId) : sel ? nodeEls.get(sel.id) : undefined;
      if (lift?.parentNode && lift.parentNode.lastChild !== lift && !lift.contains(document.activeElement)) lift.parentNode.appendChild(lift);
    }

    function setHover(id: string | null, force = false): void {
      const d = data;
      if (!d || (id === hoverId && !force)) return;
      hoverId = id && d.byId.has(id) ? id : null;
      shell.root.classList.toggle("gb-hovering", hoverId !== null);
      const hot = new Set(hoverId ? (drawn.incident.get(hoverId) ?? []) : []);
      for (const [k, line] of drawn.lines) line.classList.toggle("gb-incident", hot.has(k));
      updateNodeStates(d, shell.selection());
      const n = hoverId ? d.byId.get(hoverId) : undefined;
      hoverInfo.classList.toggle("gb-hint", !n);
      if (!n) {
        hoverInfo.textContent = "hover a neuron to see its edges · click it for its top inputs";
        return;
      }
      const visible = [...hot].filter((k) => !drawn.lines.get(k)?.classList.contains("gb-edge-hidden")).length;
      hoverInfo.textContent = `${nodeSummary(n)} · ${visible} edge${visible === 1 ? "" : "s"} shown`;
    }

    const roving = shell.roving({
      selector: NODE,
      keyOf: idOf,
      // arrows move to the nearest node in that direction
      move(event, from) {
        const dir = ARROWS[event.key];
        const start = lay?.pos.get(from);
        if (!lay || !dir || !start) return null;
        let best = from;
        let bestScore = Infinity;
        for (const [id, p] of lay.pos) {
          const along = (p.x - start.x) * dir[0] + (p.y - start.y) * dir[1];
          if (along <= 0.5) continue;
          const score = along + 2 * Math.abs((p.x - start.x) * dir[1] - (p.y - start.y) * dir[0]);
          if (score < bestScore) [best, bestScore] = [id, score];
        }
        return best;
      },
      onFocus: (id) => setHover(id),
      onBlur: () => setHover(null),
    });

    shell.listen(
      delegateActivate(shell.root, NODE, (t) => {
        const n = data?.byId.get(idOf(t));
        if (n) shell.select(n.neuron);
      }),
      delegateHover(shell.root, NODE, (_e, t) => setHover(idOf(t)), () => setHover(null)),
      delegate<Event>(shell.root, "change", ".gb-edge-set-select", () => {
        if (!data?.edgeSets?.has(setSelect.value) || setSelect.value === edgeSet) return;
        // the new set's strongest edges, unless the slider was moved: then the same share of the largest |weight|
        const before = Math.max(0, ...shownEdges.map((e) => Math.abs(e.weight)));
        const rel = before > 0 ? filter.threshold / before : 0;
        edgeSet = setSelect.value;
        redrawEdges();
        filter.threshold = atDefault ? defaultThreshold(data, edgeSet) : rel * Math.max(0, ...shownEdges.map((e) => Math.abs(e.weight)));
        updateEdges();
        updateNodeStates(data, shell.selection());
      }),
      delegate<Event>(shell.root, "click", ".gb-relayout", () => {
        arranged = { set: edgeSet, threshold: filter.threshold };
        shell.redraw();
      }),
    );

    return {
      render(d) {
        data = d;
        hoverId = null;
        shell.root.classList.remove("gb-hovering");
        takeSettings(d);
        actionsList.replaceChildren(...d.actions.map((a) => h("li", "gb-action", a)));
        actionsPanel.hidden = d.actions.length === 0;
        syncSetSelect(d);
        colors = communityColors(d.nodes);
        const width = Math.max(280, Math.round(shell.containerWidth() || DEFAULT_WIDTH));
        const sideBySide = width >= SIDE_BY_SIDE_MIN;
        const sideW = sideBySide ? Math.max(240, Math.min(330, Math.round(width * 0.34))) : width;
        main.classList.toggle("gb-stacked", !sideBySide);
        side.style.width = sideBySide ? `${sideW}px` : "";
        const links = layoutEdges(d);
        const linked = new Set(links.edges.flatMap((e) => [e.source, e.target])).size;
        lay = layoutGraph(d, sideBySide ? width - sideW - GAP : width, graphHeight(linked), links);
        chartWrap.replaceChildren();
        ({ edgeLayer, nodeEls } = drawGraph(chartWrap, d, lay, colorOf));
        redrawEdges();
        updateEdges();
        setHover(null, true);
      },
      update(d, s) {
        updateNodeStates(d, s);
        const sel = nodeOfNeuron(d, s.wanted);
        roving.settle(sel?.id ?? d.nodes[0].id);
        drawSide(sideParts, sel, sel ? colorOf(sel) : NEUTRAL, topInputsOf(s.details), s.busy);
      },
      clear() {
        data = null;
        lay = null;
        edgeLayer = null;
        chartWrap.replaceChildren();
        nodeEls = new Map();
        drawn = { lines: new Map(), incident: new Map() };
      },
    };
  },
};

export default anywidget(spec);
