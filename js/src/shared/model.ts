/**
 * The kernel host: a minimal typing of the anywidget front-end model (we do not depend on
 * @anywidget/types, so that the bundle and the dev toolchain stay tiny) and the transport that
 * speaks the GlassBox trait protocol over it.
 *
 * Protocol (the same for every widget):
 *   _data       Python → browser  the view data; a change redraws the widget
 *   _selection  Python → browser  {value, details}: the selection in wire form and what it makes visible
 *   _request    browser → Python  {id, value}: the selection wanted (a new object, a new id, per click)
 *   _reply      Python → browser  {id, error}: set after the new `_selection`; `error` non-null = refused
 * Other synced traits (a chart's `height`, a pinned head) are view-local state.
 */
import { int, obj } from "./data";
import { mountWidget, refusalText } from "./widget";
import type { Transport, ViewData, WidgetSpec } from "./widget";

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

/**
 * The last request id used on each model. Views of one model (a widget displayed twice) share
 * the model's `_reply`, so they share the counter too; it starts after the id the model holds,
 * so a re-opened page keeps counting up.
 */
const lastRequestId = new WeakMap<AnyModel, number>();

function nextRequestId(model: AnyModel): number {
  const last = lastRequestId.get(model) ?? Math.max(0, int(obj(model.get("_request")).id, 0));
  lastRequestId.set(model, last + 1);
  return last + 1;
}

/** How long a click waits for Python before the view says it got no answer. */
export const REPLY_TIMEOUT_MS = 20_000;

/** Shown when Python does not answer a click: a busy or restarted kernel, or a view restored from a saved notebook. */
export const NO_ANSWER_TEXT =
  "Python did not answer: the kernel is busy, restarted or gone. A view reopened from a saved notebook " +
  "is a copy of what the kernel showed; run its cell again to explore it.";

/** The `Transport` of a widget living in a Jupyter kernel: the anywidget model's traits. */
export function kernelTransport(model: AnyModel, timeoutMs: number = REPLY_TIMEOUT_MS): Transport {
  const waiting = new Map<number, (error: string | null) => void>();
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let stopListening: (() => void) | null = null;

  function forget(id: number): void {
    clearTimeout(timers.get(id));
    timers.delete(id);
    waiting.delete(id);
    if (waiting.size === 0 && stopListening) {
      stopListening();
      stopListening = null;
    }
  }

  function onReply(): void {
    const reply = obj(model.get("_reply"));
    const id = int(reply.id, NaN);
    const done = waiting.get(id);
    if (!done) return; // another view's request, or one this view forgot
    forget(id);
    done(refusalText(reply.error));
  }

  return {
    data: () => model.get("_data"),
    selection: () => model.get("_selection"),
    request(value, reply) {
      const id = nextRequestId(model);
      waiting.set(id, reply);
      stopListening ??= onChange(model, "_reply", onReply);
      timers.set(
        id,
        setTimeout(() => {
          if (!waiting.has(id)) return;
          forget(id);
          reply(NO_ANSWER_TEXT);
        }, timeoutMs),
      );
      try {
        model.set("_request", { id, value });
        model.save_changes();
      } catch {
        // no comm to send it on (a model restored from saved widget state): no answer will come
        if (waiting.has(id)) {
          forget(id);
          reply(NO_ANSWER_TEXT);
        }
      }
      return () => forget(id);
    },
    onData: (listener) => onChange(model, "_data", listener),
    onSelection: (listener) => onChange(model, "_selection", listener),
    state: (name) => model.get(name),
    setState(name, value) {
      model.set(name, value);
      model.save_changes();
    },
    onState: (name, listener) => onChange(model, name, listener),
  };
}

/** The anywidget ESM default export of a widget: its shell mounted over the kernel transport. */
export function anywidget<D extends ViewData, V>(spec: WidgetSpec<D, V>): { render(ctx: RenderContext): () => void } {
  return { render: ({ model, el }) => mountWidget(spec, el, kernelTransport(model)) };
}
