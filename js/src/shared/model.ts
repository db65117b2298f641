/**
 * Minimal typing of the anywidget front-end model API, plus small helpers
 * shared by every GlassBox widget. We do not depend on @anywidget/types so
 * that the bundle and the dev toolchain stay tiny.
 */

export type Callback = (...args: unknown[]) => void;

export interface AnyModel {
  get(name: string): any;
  set(name: string, value: unknown): void;
  save_changes(): void;
  on(event: string, cb: Callback): void;
  off(event: string, cb?: Callback): void;
}

export interface RenderContext {
  model: AnyModel;
  el: HTMLElement;
}

/** Subscribe to `change:<name>` and return a function that unsubscribes. */
export function onChange(model: AnyModel, name: string, cb: Callback): () => void {
  const event = `change:${name}`;
  model.on(event, cb);
  return () => model.off(event, cb);
}

/** Read an integer trait, falling back when it is missing or not finite. */
export function getInt(model: AnyModel, name: string, fallback: number): number {
  const v = Number(model.get(name));
  return Number.isFinite(v) ? Math.trunc(v) : fallback;
}

let uid = 0;
/** A document-unique id (for SVG gradients/clip paths when several widgets share a page). */
export function uniqueId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Ask Python for something through a request trait (e.g. `_select`, `_toggle`): set `name` to `value`
 * (a number, a string or a small JSON array) and send it. An equal value, arrays compared by content as
 * the model does, would not count as a change (and so not be sent), so the trait is cleared first.
 */
export function sendRequest(model: AnyModel, name: string, value: unknown): void {
  if (JSON.stringify(model.get(name)) === JSON.stringify(value)) model.set(name, null);
  model.set(name, value);
  model.save_changes();
}
