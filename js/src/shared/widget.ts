/**
 * The widget shell: the one lifecycle every GlassBox widget shares, whoever hosts it.
 *
 * A widget is a spec (`WidgetSpec`): how to normalize the host's view data, how to read a
 * selection, and a `create` that builds the widget's own parts and returns `render` (full
 * redraw, when the view data or the container width changes) and `update` (cheap, when only
 * the selection or a request's state changes). The shell owns everything around that: the root
 * with its header (title, status, spinner), the message shown instead of the body (no data,
 * nothing to show, a render failure), the caption, the click → host → reply round trip with its
 * pending state and refusals, keyboard focus kept across redraws, a roving tab stop for item
 * navigation, the width observer and the clean-up of every listener.
 *
 * The host is reached through a `Transport`: `kernelTransport(model)` (model.ts) speaks the
 * anywidget trait protocol; a dashboard passes one backed by its REST API.
 */
import { obj, str } from "./data";
import { delegate, h, headerBar, observeWidth, renderFailure, setCaption, showMessage } from "./dom";
import type { HeaderBar } from "./dom";
import type { Fidelity } from "./format";
import { installSharedCss } from "./style";

export const NO_DATA_TEXT = "no data to show yet";

/** How a mounted widget talks to its host: the kernel through anywidget traits, or a server. */
export interface Transport {
  /** The view data as the host last sent it (any JSON: the widget normalizes it). */
  data(): unknown;
  /** The current selection, `{value, details}` (any JSON: the shell reads it defensively). */
  selection(): unknown;
  /**
   * Ask the host to select `value` (wire form). `reply` gets null once the host has made its
   * new selection known (`selection()` returns it), or the reason it refused (the selection is
   * unchanged). Returns a function that forgets the request: its reply is then dropped.
   */
  request(value: unknown, reply: (error: string | null) => void): () => void;
  /** Listen for new view data; returns the unsubscribe. */
  onData(listener: () => void): () => void;
  /** Listen for a new selection (after a request, or one the host made itself). */
  onSelection(listener: () => void): () => void;
  /** View-local state synced with the host that is not the selection (a chart's height, a pinned head). */
  state(name: string): unknown;
  /** Set view-local state and send it to the host; `onState` listeners hear it too. */
  setState(name: string, value: unknown): void;
  onState(name: string, listener: () => void): () => void;
}

/** Where the selection stands, as `update` sees it. */
export interface SelectionState<V> {
  /** The selection the host holds. */
  value: V;
  /** What the selection makes visible, as the host sent it (e.g. a neuron's top inputs). */
  details: Record<string, unknown>;
  /** The selection once every request in flight or queued is granted as asked (`value` when idle). */
  wanted: V;
  /** A request is in flight or queued. */
  busy: boolean;
  /** Why the host refused the last request, until the next one is sent; null otherwise. */
  error: string | null;
}

/** A wanted selection: a value, or how to get it from the selection the host holds when the request is sent. */
export type Next<V> = V | ((current: V) => V);

/** The header's status line. `running` marks the root `gb-running` (the host is working, e.g. a search). */
export interface Status {
  text: string;
  running: boolean;
}

/** What every normalized view data has: the shell draws these. */
export interface ViewData {
  title: string;
  caption: string;
  fidelity?: Fidelity | null;
}

/** Keyboard navigation over the items matching `selector` (one of them holds the tab stop). */
export interface RovingOptions {
  selector: string;
  keyOf(item: Element): string;
  /** The item a key press moves to from `from` (`from` itself: a move key with nowhere to go), or null: not a move key. */
  move(event: KeyboardEvent, from: string): string | null;
  onFocus?(key: string): void;
  onBlur?(): void;
}

export interface Roving {
  /** The item holding the tab stop, or null before there are items. */
  current(): string | null;
  /** Keep the tab stop if its item is still drawn, else give it to `fallback`; then apply it. */
  settle(fallback: string | null): void;
  /** tabindex 0 on the current item, -1 on the others. */
  apply(): void;
}

/** What a widget's `create` gets from the shell. */
export interface Shell<V> {
  readonly root: HTMLDivElement;
  readonly header: HeaderBar;
  /** Where the widget draws; hidden (with the footer) while a message shows instead. */
  readonly body: HTMLDivElement;
  /** Under the caption, for read-outs; holds `errorEl` unless the widget puts it elsewhere. */
  readonly footer: HTMLDivElement;
  /** Shows why the host refused a request (the shell sets its text and visibility). */
  readonly errorEl: HTMLDivElement;
  /**
   * Ask the host for a selection. Requests go one at a time: a function is called with the
   * selection the host holds once the requests before it are answered. A value equal to that
   * selection is not sent. `settled` runs when the request is answered, refused or dropped.
   */
  select(next: Next<V>, settled?: (error: string | null) => void): void;
  selection(): SelectionState<V>;
  /** The container's width in px (0 where there is no layout). */
  containerWidth(): number;
  redraw(): void;
  update(): void;
  state(name: string): unknown;
  setState(name: string, value: unknown): void;
  /** Call `listener` when view-local state `name` changes (unsubscribed on disposal). */
  watchState(name: string, listener: () => void): void;
  /** Unsubscribe functions to call on disposal. */
  listen(...offs: (() => void)[]): void;
  /** A roving tab stop over the items matching `options.selector`. */
  roving(options: RovingOptions): Roving;
}

export interface WidgetView<D, V> {
  /** Full draw of `data` into the body (selection-dependent parts are left to `update`). */
  render(data: D): void;
  /** Cheap update for the selection, the request state or view-local state. */
  update(data: D, selection: SelectionState<V>): void;
  /** The body is hidden (a message shows instead): drop what `render` drew. */
  clear?(): void;
}

export interface WidgetSpec<D extends ViewData, V> {
  /** Names the widget in logs, e.g. "rules_view". */
  name: string;
  /** The root's class besides gb-widget, e.g. "gb-rules-view". */
  className: string;
  normalize(raw: unknown): D | null;
  /** The selection's value read from its wire form (defensively: anything may arrive). */
  value(wire: unknown): V;
  /** A message to show instead of the body (e.g. "no rules to show"), or null to draw. */
  emptyText?(data: D): string | null;
  /** Redraw when the container's width changes. */
  observeWidth?: boolean;
  /** The header's status while a request is pending; without it the header stays as it is. */
  pendingText?(data: D, wanted: V): string;
  /** The header's status from the view data (e.g. a running search), or null for none. */
  status?(data: D): Status | null;
  /** The caption's fidelity when it depends on the selection (default: `data.fidelity`). */
  fidelity?(data: D, selection: SelectionState<V>): Fidelity | null;
  create(shell: Shell<V>): WidgetView<D, V>;
}

interface Queued<V> {
  next: Next<V>;
  settled?: (error: string | null) => void;
}

interface InFlight<V> {
  value: V;
  settled?: (error: string | null) => void;
  cancel: (() => void) | null;
}

const resolve = <V>(next: Next<V>, current: V): V => (typeof next === "function" ? (next as (c: V) => V)(current) : next);
const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A selector finding `el` again after a redraw: its tag, first class and data attributes (null when it has no class). */
function identify(el: Element): string | null {
  const cls = el.classList[0];
  if (!cls) return null;
  let selector = `${el.localName}.${cls}`;
  for (const a of Array.from(el.attributes)) {
    if (a.name.startsWith("data-")) selector += `[${a.name}="${a.value.replace(/["\\]/g, "\\$&")}"]`;
  }
  return selector;
}

/** Mount the widget of `spec` into `el`, talking to its host through `transport`; returns the disposer. */
export function mountWidget<D extends ViewData, V>(spec: WidgetSpec<D, V>, el: HTMLElement, transport: Transport): () => void {
  installSharedCss(el.ownerDocument);
  const root = h("div", `gb-widget ${spec.className}`);
  const header = headerBar();
  const message = h("div", "gb-message gb-empty");
  message.hidden = true;
  const body = h("div", "gb-body");
  const caption = h("div", "gb-caption-wrap");
  const footer = h("div", "gb-footer");
  const errorEl = h("div", "gb-request-error gb-error");
  errorEl.setAttribute("role", "alert");
  errorEl.hidden = true;
  root.append(header.header, message, body, caption, footer);

  const offs: (() => void)[] = [];
  let data: D | null = null;
  let drawn = false;
  let confirmed = readSelection();
  let inFlight: InFlight<V> | null = null;
  let queue: Queued<V>[] = [];
  let error: string | null = null;
  let lastWidth = 0;
  let disposed = false;

  function readSelection(): { value: V; details: Record<string, unknown> } {
    const wire = obj(transport.selection());
    return { value: spec.value(wire.value), details: obj(wire.details) };
  }

  function selection(): SelectionState<V> {
    let wanted = inFlight ? inFlight.value : confirmed.value;
    for (const q of queue) wanted = resolve(q.next, wanted);
    return { ...confirmed, wanted, busy: inFlight !== null || queue.length > 0, error };
  }

  function select(next: Next<V>, settled?: (error: string | null) => void): void {
    if (disposed) return;
    // a plain value decides the outcome whatever the queued requests would do: they are dropped
    if (typeof next !== "function") for (const dropped of queue.splice(0)) dropped.settled?.(null);
    queue.push({ next, settled });
    if (inFlight) update();
    else sendNext();
  }

  function sendNext(): void {
    while (!inFlight && queue.length > 0 && !disposed) {
      const q = queue.shift()!;
      const value = resolve(q.next, confirmed.value);
      if (sameValue(value, confirmed.value)) {
        q.settled?.(null);
        continue;
      }
      const request: InFlight<V> = { value, settled: q.settled, cancel: null };
      inFlight = request;
      error = null;
      const cancel = transport.request(value, (err) => onReply(request, err));
      // a synchronous reply has already settled it
      if (inFlight === request) request.cancel = cancel;
    }
    update();
  }

  function onReply(request: InFlight<V>, err: string | null): void {
    if (disposed || inFlight !== request) return;
    inFlight = null;
    confirmed = readSelection();
    request.settled?.(err);
    if (err !== null) {
      // the queued requests were asked on top of a selection that did not happen
      error = err;
      for (const dropped of queue.splice(0)) dropped.settled?.(err);
    }
    sendNext();
  }

  function fail(err: unknown): void {
    drawn = false;
    view.clear?.();
    message.className = "gb-message gb-error";
    showMessage(message, renderFailure(spec.name, err), body, footer);
  }

  function showStatus(s: SelectionState<V>): void {
    const status = !data ? null : s.busy && spec.pendingText ? { text: spec.pendingText(data, s.wanted), running: false } : (spec.status?.(data) ?? null);
    header.statusEl.hidden = status === null;
    header.statusText.textContent = status?.text ?? "";
    root.classList.toggle("gb-running", !!status?.running);
  }

  function update(): void {
    if (disposed) return;
    const s = selection();
    root.classList.toggle("gb-is-busy", s.busy);
    if (s.busy) root.setAttribute("aria-busy", "true");
    else root.removeAttribute("aria-busy");
    errorEl.textContent = s.error ?? "";
    errorEl.hidden = s.error === null;
    showStatus(s);
    if (!data) return;
    setCaption(caption, spec.fidelity ? spec.fidelity(data, s) : (data.fidelity ?? null), data.caption);
    if (!drawn) return;
    try {
      view.update(data, s);
    } catch (err) {
      fail(err);
    }
  }

  function redraw(): void {
    if (disposed) return;
    const active = document.activeElement;
    const focused = active && active !== root && root.contains(active) ? { el: active, selector: identify(active) } : null;
    data = spec.normalize(transport.data());
    const d = data;
    header.titleEl.textContent = d?.title ?? "";
    header.titleEl.hidden = !d?.title;
    drawn = false;
    message.className = "gb-message gb-empty";
    const empty = d === null ? NO_DATA_TEXT : (spec.emptyText?.(d) ?? null);
    if (d === null || empty !== null) {
      view.clear?.();
      showMessage(message, empty, body, footer);
      update();
      return;
    }
    showMessage(message, null, body, footer);
    lastWidth = el.clientWidth;
    try {
      view.render(d);
      drawn = true;
    } catch (err) {
      fail(err);
    }
    update();
    if (drawn && focused?.selector && !focused.el.isConnected) {
      root.querySelector<HTMLElement | SVGElement>(focused.selector)?.focus({ preventScroll: true });
    }
  }

  function roving(options: RovingOptions): Roving {
    let current: string | null = null;
    const items = () => Array.from(root.querySelectorAll(options.selector));
    const find = (key: string) => items().find((item) => options.keyOf(item) === key) ?? null;
    const apply = () => {
      for (const item of items()) item.setAttribute("tabindex", options.keyOf(item) === current ? "0" : "-1");
    };
    offs.push(
      delegate<KeyboardEvent>(root, "keydown", options.selector, (event, item) => {
        const to = options.move(event, options.keyOf(item));
        if (to === null) return;
        event.preventDefault();
        current = to;
        apply();
        (find(to) as HTMLElement | SVGElement | null)?.focus();
      }),
      delegate<FocusEvent>(root, "focusin", options.selector, (_event, item) => {
        current = options.keyOf(item);
        apply();
        options.onFocus?.(current);
      }),
      delegate<FocusEvent>(root, "focusout", options.selector, () => options.onBlur?.()),
    );
    return {
      current: () => current,
      settle(fallback) {
        if (current === null || !find(current)) current = fallback;
        apply();
      },
      apply,
    };
  }

  const shell: Shell<V> = {
    root,
    header,
    body,
    footer,
    errorEl,
    select,
    selection,
    containerWidth: () => el.clientWidth,
    redraw,
    update,
    state: (name) => transport.state(name),
    setState: (name, value) => transport.setState(name, value),
    watchState: (name, listener) => offs.push(transport.onState(name, listener)),
    listen: (...more) => offs.push(...more),
    roving,
  };
  const view = spec.create(shell);
  if (!errorEl.parentNode) footer.appendChild(errorEl);
  el.appendChild(root);

  offs.push(
    transport.onData(redraw),
    transport.onSelection(() => {
      confirmed = readSelection();
      update();
    }),
  );
  if (spec.observeWidth) offs.push(observeWidth(el, () => lastWidth, redraw));
  redraw();

  return () => {
    disposed = true;
    inFlight?.cancel?.();
    inFlight = null;
    queue = [];
    for (const off of offs) off();
    root.remove();
  };
}

/** A refusal's message: a non-empty string, or a generic one when the host sent something else. */
export function refusalText(error: unknown): string | null {
  if (error === null || error === undefined) return null;
  return str(error).trim() || "the selection was refused";
}
