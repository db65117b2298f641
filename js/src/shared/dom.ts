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

/** A friendly message block (empty states, errors). */
export function messageEl(text: string, cls = "gb-message"): HTMLDivElement {
  return h("div", cls, text);
}

/**
 * The caption line under a chart: "fidelity R² = … on held-out probes — caption".
 * Returns null when there is neither a fidelity nor a caption.
 */
export function captionBlock(fidelity: Fidelity | null | undefined, caption: string | null | undefined): HTMLDivElement | null {
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

/** True for the keys that activate a focused button-like element. */
export function isActivationKey(event: KeyboardEvent): boolean {
  return event.key === "Enter" || event.key === " ";
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
