/** Small DOM helpers shared by the GlassBox widgets. */
import { fidelityText } from "./format";
import type { Fidelity } from "./format";

/** document.createElement with an optional class name and text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

let uid = 0;
/** A document-unique id (for SVG gradients/clip paths when several widgets share a page). */
export function uniqueId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** An SVG element with attributes (for small drawings built without d3). */
export function svgEl<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

/**
 * A horizontal bar for a share in [0, 1] (clamped; 0 when not finite): a `span.<track>` holding a
 * `span.<fill>` as wide as the share. Hidden from screen readers: the number is written beside it.
 */
export function shareBar(share: number, track = "gb-bar-track", fill = "gb-bar-fill"): HTMLSpanElement {
  const bar = h("span", track);
  bar.setAttribute("aria-hidden", "true");
  const inner = h("span", fill);
  inner.style.width = `${(Number.isFinite(share) ? Math.min(1, Math.max(0, share)) * 100 : 0).toFixed(1)}%`;
  bar.appendChild(inner);
  return bar;
}

/** A table head: one `th` (scope "col") per column, given as its label or as [label, class]. */
export function tableHead(columns: readonly (string | readonly [string, string])[]): HTMLTableSectionElement {
  const row = h("tr");
  for (const column of columns) {
    const [label, cls] = typeof column === "string" ? [column, undefined] : column;
    const th = h("th", cls, label);
    th.scope = "col";
    row.appendChild(th);
  }
  const thead = h("thead");
  thead.appendChild(row);
  return thead;
}

/** A friendly message block (empty states, errors). */
export function messageEl(text: string, cls = "gb-message"): HTMLDivElement {
  return h("div", cls, text);
}

/**
 * Log a render failure to the console and return the text to show in its place:
 * "could not render this view: <message>". `widget` names the view in the log.
 */
export function renderFailure(widget: string, err: unknown): string {
  console.error(`[glassbox] ${widget} failed to render`, err);
  return `could not render this view: ${err instanceof Error ? err.message : String(err)}`;
}

/**
 * Show the message block `message` with `text` in place of `content` (hidden), or, when
 * `text` is null, hide the message and show `content` again.
 */
export function showMessage(message: HTMLElement, text: string | null, ...content: HTMLElement[]): void {
  for (const c of content) c.hidden = text !== null;
  message.hidden = text === null;
  if (text !== null) message.textContent = text;
}

/** A `div` (class `cls`) whose text changes are read out by screen readers (aria-live="polite"). */
export function liveRegion(cls: string): HTMLDivElement {
  const e = h("div", cls);
  e.setAttribute("aria-live", "polite");
  return e;
}

/** An `<option>` with a value and a label. */
export function optionEl(value: string, label: string): HTMLOptionElement {
  const o = h("option", undefined, label);
  o.value = value;
  return o;
}

/** The parts of a widget header made by `headerBar`. */
export interface HeaderBar {
  header: HTMLDivElement;
  titleEl: HTMLDivElement;
  statusEl: HTMLDivElement;
  statusText: HTMLSpanElement;
}

/**
 * A widget header: `div.gb-header` holding an (empty) `div.gb-title` and a `div.gb-status`
 * (role="status") with a spinner and an (empty) `span.gb-status-text` (layout in base.css).
 */
export function headerBar(): HeaderBar {
  const header = h("div", "gb-header");
  const titleEl = h("div", "gb-title");
  const statusEl = h("div", "gb-status");
  statusEl.setAttribute("role", "status");
  const spinner = h("span", "gb-spinner");
  spinner.setAttribute("aria-hidden", "true");
  const statusText = h("span", "gb-status-text");
  statusEl.append(spinner, statusText);
  header.append(titleEl, statusEl);
  return { header, titleEl, statusEl, statusText };
}

/**
 * A `div.gb-panel.<cls>` with a head (a string becomes a `div.gb-panel-head`; an element is
 * used as it is) followed by `children`.
 */
export function panel(cls: string, head: string | HTMLElement, ...children: Node[]): HTMLDivElement {
  const p = h("div", `gb-panel ${cls}`);
  p.append(typeof head === "string" ? h("div", "gb-panel-head", head) : head, ...children);
  return p;
}

/** Put the caption line (see `captionBlock`) into `wrap`, replacing what was there; empty when there is none. */
export function setCaption(wrap: HTMLElement, fidelity: Fidelity | null | undefined, caption: string | null | undefined): void {
  const cap = captionBlock(fidelity, caption);
  wrap.replaceChildren(...(cap ? [cap] : []));
}

/**
 * The caption line under a chart: "fidelity R² = … on held-out probes — caption".
 * Returns null when there is neither a fidelity nor a caption.
 */
function captionBlock(fidelity: Fidelity | null | undefined, caption: string | null | undefined): HTMLDivElement | null {
  const fid = fidelityText(fidelity);
  const text = caption ? String(caption) : "";
  if (!fid && !text) return null;
  const cap = h("div", "gb-caption");
  if (fid) cap.appendChild(h("span", "gb-fidelity", fid));
  if (fid && text) cap.appendChild(document.createTextNode(" — "));
  if (text) cap.appendChild(h("span", "gb-caption-text", text));
  return cap;
}

/**
 * Listen for `type` events on `root` that come from (inside) an element matching
 * `selector`; the handler gets that element. Returns a function that unsubscribes.
 * Delegation survives re-renders of the children, so nothing needs re-wiring.
 */
export function delegate<E extends Event>(
  root: HTMLElement,
  type: string,
  selector: string,
  handler: (event: E, target: Element) => void,
): () => void {
  const listener = (event: Event) => {
    const start = event.target as Element | null;
    if (!start || typeof start.closest !== "function") return;
    const target = start.closest(selector);
    if (target && root.contains(target)) handler(event as E, target);
  };
  root.addEventListener(type, listener);
  return () => root.removeEventListener(type, listener);
}

/**
 * Hover over elements matching `selector` inside `root`: `enter` when the pointer comes onto one
 * (the handler gets the event and that element), `leave` when it goes off it (moves that stay
 * inside the element's children do not count). Returns a function that unsubscribes.
 */
export function delegateHover(
  root: HTMLElement,
  selector: string,
  enter: (event: MouseEvent, target: Element) => void,
  leave: () => void,
): () => void {
  const offOver = delegate<MouseEvent>(root, "mouseover", selector, enter);
  const offOut = delegate<MouseEvent>(root, "mouseout", selector, (event, t) => {
    const to = event.relatedTarget as Node | null;
    if (!(to && t.contains(to))) leave();
  });
  return () => {
    offOver();
    offOut();
  };
}

/** True for the keys that activate a focused button-like element. */
export function isActivationKey(event: KeyboardEvent): boolean {
  return event.key === "Enter" || event.key === " ";
}

/**
 * Call `activate` when an element matching `selector` inside `root` is clicked (the click
 * does not propagate further) or gets Enter / Space while focused (the key's default is
 * prevented). The handler gets that element and the event. Returns a function that unsubscribes.
 */
export function delegateActivate(
  root: HTMLElement,
  selector: string,
  activate: (target: Element, event: MouseEvent | KeyboardEvent) => void,
): () => void {
  const offClick = delegate<MouseEvent>(root, "click", selector, (event, t) => {
    event.stopPropagation();
    activate(t, event);
  });
  const offKey = delegate<KeyboardEvent>(root, "keydown", selector, (event, t) => {
    if (!isActivationKey(event)) return;
    event.preventDefault();
    activate(t, event);
  });
  return () => {
    offClick();
    offKey();
  };
}

/**
 * Call `redraw` (on the next animation frame) when the width of `el` changes,
 * e.g. when a JupyterLab panel is resized. `lastWidth()` is the width of the
 * last render. Returns a disposer; a no-op where ResizeObserver is missing.
 */
export function observeWidth(el: HTMLElement, lastWidth: () => number, redraw: () => void): () => void {
  if (typeof ResizeObserver === "undefined") return () => {};
  let raf = 0;
  const ro = new ResizeObserver(() => {
    const w = el.clientWidth;
    if (w > 0 && Math.abs(w - lastWidth()) >= 1) {
      cancelAnimationFrame(raf);
      raf = requestAnimationFrame(redraw);
    }
  });
  ro.observe(el);
  return () => {
    ro.disconnect();
    if (raf) cancelAnimationFrame(raf);
  };
}
