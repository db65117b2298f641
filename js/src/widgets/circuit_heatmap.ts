/**
 * GlassBox circuit heat map: a transformer circuit explorer.
 *
 * A layer × head grid coloured by a signed attribution score (diverging colours centred at 0);
 * heads in the circuit are outlined. Clicking a head (or Enter / Space) asks the host for the
 * circuit with that head toggled; the host re-measures faithfulness and sends the new circuit.
 * Side panels: faithfulness (sufficiency, comprehensiveness, F1 with CIs) and the attention
 * pattern of one head from the final position over the prompt tokens.
 *
 * View data: see CircuitData (circuit/data.ts). Selection: the circuit, a sorted list of
 * [layer, head]; details: `{faithfulness: {sufficiency|comprehensiveness|f1: {value, ci, exact}},
 * fidelity: {metric, value, ci}}`. View-local state: `pinned_head`, [layer, head] or null, the head
 * pinned in the attention panel (shift-click, Shift+Enter or the panel's <select>; Python's
 * `view.pinned_head`). Shift-click never selects page text.
 *
 * Side by side, the attention list scrolls within the height of the grid's column, so neither column
 * leaves empty space under a short one.
 *
 * Membership is never changed locally: a clicked cell is drawn "pending" (dashed) until the
 * host answers, and the faithfulness panel is dimmed meanwhile.
 */
import { indexPair } from "../shared/data";
import { delegate, delegateActivate, delegateHover, h, liveRegion, optionEl, panel } from "../shared/dom";
import { anywidget } from "../shared/model";
import type { SelectionState, WidgetSpec } from "../shared/widget";
import { DEFAULT_WIDTH, NO_HEADS_TEXT, SIDE_BY_SIDE_MIN, circuitText, circuitValue, faithfulnessOf, fidelityOf, headKey, headLabel, headTitle, headsIn, normalize, toggleHead } from "./circuit/data";
import type { Head, Norm } from "./circuit/data";
import { drawGrid, drawTypeKey } from "./circuit/grid";
import { drawAttention, drawFaithfulness, drawLens } from "./circuit/panels";
import type { ShownHead } from "./circuit/panels";

export * from "./circuit/data";
export { NO_DATA_TEXT } from "../shared/widget";

const GAP = 18;
const CELL = ".gb-head-cell";
/** The view-local trait holding the pinned head (Python: `CircuitHeatmap.pinned_head`). */
export const PINNED = "pinned_head";
/** The attention list never gets shorter than this when it matches the grid's column (about 7 tokens). */
export const MIN_ATTENTION_HEIGHT = 130;
export const MAX_ATTENTION_HEIGHT = 380;
const MOVES: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

const splitKey = (k: string): Head => k.split(".").map(Number) as Head;
const keyOf = (t: Element) => headKey(Number(t.getAttribute("data-layer")), Number(t.getAttribute("data-head")));

/** The circuit heat map for any host: selection value = the circuit ([layer, head] pairs), details = its faithfulness. */
export const spec: WidgetSpec<Norm, Head[]> = {
  name: "circuit_heatmap",
  className: "gb-circuit-heatmap",
  normalize,
  value: circuitValue,
  observeWidth: true,
  emptyText: (d) => (d.nLayers === 0 ? NO_HEADS_TEXT : null),
  pendingText: () => "recomputing faithfulness…",
  fidelity: (_d, s) => fidelityOf(s.details),
  create(shell) {
    const gridWrap = h("div", "gb-grid-wrap");
    const legendWrap = h("div", "gb-legend-wrap");
    const typeKey = h("div", "gb-type-key");
    const headInfo = liveRegion("gb-hover-info gb-head-info");
    const gridPanel = panel("gb-grid-panel", "layers × heads · click a head to add or remove it", gridWrap, legendWrap, typeKey, headInfo);
    const faithBody = h("div", "gb-faith-body");
    const logitEl = h("div", "gb-logit-diff");
    const faithPanel = panel("gb-faithfulness", "faithfulness of the circuit", faithBody, logitEl);
    const attnHead = h("div", "gb-attention-head");
    const attention = { title: h("div", "gb-attention-title"), note: h("div", "gb-attention-note"), body: h("div", "gb-attention-body") };
    const pinLabel = h("label", "gb-focus-label", "pin ");
    const focusSelect = h("select", "gb-focus-select");
    focusSelect.setAttribute("aria-label", "head whose attention pattern is shown");
    pinLabel.appendChild(focusSelect);
    attnHead.append(attention.title, pinLabel);
    const lensBody = h("div", "gb-lens-body");
    const lensNote = h("div", "gb-lens-note");
    const lensPanel = panel("gb-lens", "logit lens · logit diff after each layer", lensBody, lensNote);
    const side = h("div", "gb-circuit-side");
    side.append(faithPanel, panel("gb-attention", attnHead, attention.note, attention.body));
    const main = h("div", "gb-columns gb-circuit-body");
    main.append(gridPanel, side);
    const readout = liveRegion("gb-selection");
    let sideBySide = false;
    shell.body.append(main, lensPanel); // the logit lens, layer by layer, under both columns
    shell.footer.appendChild(readout);

    let data: Norm | null = null;
    let selectKeys = "";
    /** Clicked heads whose request the host has not answered yet (a count: a head may be clicked twice). */
    const pending = new Map<string, number>();
    let hoverKey: string | null = null; // mouse
    let kbdKey: string | null = null; // keyboard focus
    let lastClicked: string | null = null;

    const validKey = (k: string | null): k is string => {
      if (!k || !data) return false;
      const [l, hd] = splitKey(k);
      return l >= 0 && l < data.nLayers && hd >= 0 && hd < data.nHeads;
    };
    const pinned = (): string | null => {
      const p = indexPair(shell.state(PINNED));
      return p ? headKey(p[0], p[1]) : null;
    };
    const circuitOf = (s: SelectionState<Head[]>, d: Norm) => new Set(headsIn(s.value, d).map(([l, hd]) => headKey(l, hd)));

    function toggle(k: string): void {
      const [l, hd] = splitKey(k);
      pending.set(k, (pending.get(k) ?? 0) + 1);
      lastClicked = k;
      shell.select(
        (current) => toggleHead(current, l, hd),
        () => {
          const left = (pending.get(k) ?? 1) - 1;
          if (left > 0) pending.set(k, left);
          else pending.delete(k);
        },
      );
    }

    function pin(k: string | null): void {
      shell.setState(PINNED, k ? splitKey(k) : null);
    }

    /** Which head the attention panel shows: hovered, focused, pinned, last clicked, else one of the circuit's or the strongest. */
    function shownHead(d: Norm, s: SelectionState<Head[]>): ShownHead | null {
      const mk = (k: string, source: string): ShownHead => {
        const [l, hd] = splitKey(k);
        return { key: k, l, hd, source };
      };
      const pinnedKey = pinned();
      if (hoverKey) return mk(hoverKey, "under the mouse");
      if (kbdKey) return mk(kbdKey, "focused");
      if (validKey(pinnedKey)) return mk(pinnedKey, "pinned");
      if (lastClicked) return mk(lastClicked, "last clicked");
      if (!d.attention || d.attention.size === 0) return null;
      const first = headsIn(s.value, d).find(([l, hd]) => d.attention!.has(headKey(l, hd)));
      if (first) return mk(headKey(first[0], first[1]), "first head of the circuit");
      let best: string | null = null;
      let bestScore = -1;
      for (const k of d.attention.keys()) {
        if (!validKey(k)) continue;
        const [l, hd] = splitKey(k);
        const v = Math.abs(d.scores[l][hd]);
        if (Number.isFinite(v) && v > bestScore) [best, bestScore] = [k, v];
      }
      return best ? mk(best, "largest |score|") : null;
    }

    /**
     * Side by side, let the attention list scroll within what the grid's column leaves it, so the two columns
     * end together (at least MIN_ATTENTION_HEIGHT); stacked, it keeps the stylesheet's height.
     */
    function balance(): void {
      side.style.removeProperty("--gb-attention-max");
      const list = attention.body.querySelector<HTMLElement>(".gb-attention-list");
      if (!sideBySide || !list) return;
      const gridHeight = gridPanel.getBoundingClientRect().height;
      if (!(gridHeight > 0)) return; // not laid out (hidden, or no layout engine)
      const others = side.getBoundingClientRect().height - list.getBoundingClientRect().height;
      side.style.setProperty("--gb-attention-max", `${Math.max(MIN_ATTENTION_HEIGHT, Math.round(gridHeight - others))}px`);
      showStrongest(list);
    }

    /** Scroll a list that overflows so its most attended token is in view. */
    function showStrongest(list: HTMLElement): void {
      const strongest = list.querySelector<HTMLElement>(".gb-attention-max .gb-token");
      if (!strongest || list.scrollHeight <= list.clientHeight) return;
      const offset = strongest.getBoundingClientRect().top - list.getBoundingClientRect().top;
      if (offset < 0 || offset > list.clientHeight - 20) list.scrollTop += offset - list.clientHeight / 2;
    }

    /** The info line under the grid and the attention panel: they follow hover and keyboard focus. */
    function updateHover(): void {
      const d = data;
      if (!d) return;
      const s = shell.selection();
      const k = hoverKey ?? kbdKey;
      headInfo.classList.toggle("gb-hint", !k);
      if (!k) headInfo.textContent = "click: add/remove a head · shift-click: pin its attention · arrow keys + Enter work too";
      else headInfo.textContent = headTitle(d, ...splitKey(k), circuitOf(s, d).has(k)) + (pending.has(k) ? " · updating…" : "");
      drawAttention(attention, d, shownHead(d, s));
      const list = attention.body.querySelector<HTMLElement>(".gb-attention-list");
      if (list) showStrongest(list);
    }

    function syncFocusSelect(d: Norm): void {
      const keys = d.attention
        ? [...d.attention.keys()].filter(validKey).sort((a, b) => {
            const [la, ha] = splitKey(a);
            const [lb, hb] = splitKey(b);
            return la - lb || ha - hb;
          })
        : [];
      if (keys.join(",") !== selectKeys) {
        selectKeys = keys.join(",");
        focusSelect.replaceChildren(optionEl("", "—"), ...keys.map((k) => optionEl(k, headLabel(...splitKey(k)))));
      }
      pinLabel.hidden = keys.length === 0;
    }

    const roving = shell.roving({
      selector: CELL,
      keyOf,
      move(event, from) {
        const d = data;
        if (!d) return null;
        const [l, hd] = splitKey(from);
        let next: Head | null = null;
        if (MOVES[event.key]) next = [l + MOVES[event.key][0], hd + MOVES[event.key][1]];
        else if (event.key === "Home") next = [l, 0];
        else if (event.key === "End") next = [l, d.nHeads - 1];
        if (!next) return null;
        return headKey(Math.min(d.nLayers - 1, Math.max(0, next[0])), Math.min(d.nHeads - 1, Math.max(0, next[1])));
      },
      onFocus(k) {
        kbdKey = k;
        updateHover();
      },
      onBlur() {
        kbdKey = null;
        updateHover();
      },
    });

    shell.watchState(PINNED, shell.update);
    shell.listen(
      // click / Enter / Space toggles a head; with Shift it pins the head's attention instead
      delegateActivate(shell.root, CELL, (t, event) => (event.shiftKey ? pin(keyOf(t)) : toggle(keyOf(t)))),
      delegateHover(
        shell.root,
        CELL,
        (_e, t) => {
          if (keyOf(t) === hoverKey) return;
          hoverKey = keyOf(t);
          updateHover();
        },
        () => {
          hoverKey = null;
          updateHover();
        },
      ),
      delegate<Event>(shell.root, "change", ".gb-focus-select", () => pin(focusSelect.value || null)),
      // shift-click pins a head: keep the browser from extending a text selection to the click
      delegate<MouseEvent>(shell.root, "mousedown", CELL, (event) => {
        if (event.shiftKey) event.preventDefault();
      }),
    );

    return {
      render(d) {
        data = d;
        if (!validKey(hoverKey)) hoverKey = null;
        if (!validKey(kbdKey)) kbdKey = null;
        if (!validKey(lastClicked)) lastClicked = null;
        const width = Math.max(280, Math.round(shell.containerWidth() || DEFAULT_WIDTH));
        sideBySide = width >= SIDE_BY_SIDE_MIN;
        const sideW = sideBySide ? Math.max(260, Math.min(400, Math.round(width * 0.42))) : width;
        main.classList.toggle("gb-stacked", !sideBySide);
        side.style.width = sideBySide ? `${sideW}px` : "";
        drawGrid(gridWrap, legendWrap, d, sideBySide ? width - sideW - GAP : width);
        drawTypeKey(typeKey, d);
        lensPanel.hidden = !d.lens;
        drawLens(lensBody, lensNote, d);
        syncFocusSelect(d);
        balance();
      },
      update(d, s) {
        const inCircuit = circuitOf(s, d);
        const pinnedKey = pinned();
        for (const c of gridWrap.querySelectorAll<SVGGElement>(CELL)) {
          const k = keyOf(c);
          const on = inCircuit.has(k);
          const isPending = pending.has(k);
          c.classList.toggle("gb-in-circuit", on);
          c.classList.toggle("gb-pending", isPending);
          c.classList.toggle("gb-focused", pinnedKey === k);
          c.setAttribute("aria-pressed", String(on));
          if (isPending) c.setAttribute("aria-busy", "true");
          else c.removeAttribute("aria-busy");
          const title = headTitle(d, ...splitKey(k), on) + (isPending ? " · updating…" : "");
          c.setAttribute("aria-label", title);
          const t = c.querySelector("title");
          const [l, hd] = splitKey(k);
          const note = d.headTypeNotes[l]?.[hd];
          if (t) t.textContent = `${title}\nclick: ${on ? "remove from" : "add to"} the circuit · shift-click: pin its attention${note ? `\ntype measured ${note}` : ""}`;
        }
        roving.settle(headKey(0, 0));
        faithPanel.classList.toggle("gb-busy", s.busy);
        faithPanel.setAttribute("aria-busy", String(s.busy));
        drawFaithfulness(faithBody, logitEl, d, faithfulnessOf(s.details), s.busy);
        let text = circuitText(headsIn(s.value, d));
        if (pending.size > 0) text += ` · updating ${[...pending.keys()].map((k) => headLabel(...splitKey(k))).join(", ")}…`;
        readout.textContent = text;
        focusSelect.value = pinnedKey && selectKeys.split(",").includes(pinnedKey) ? pinnedKey : "";
        updateHover();
        balance();
      },
      clear() {
        data = null;
        gridWrap.replaceChildren();
      },
    };
  },
};

export default anywidget(spec);
