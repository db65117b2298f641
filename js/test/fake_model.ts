/**
 * A tiny stand-in for the anywidget front-end model: get/set/save_changes/on/off
 * with Backbone-style "change:<name>" events. `set` (the JS side) and
 * `pythonSet` (simulating a sync from the kernel) both fire change events when
 * the value actually changes; only `save_changes` calls are recorded.
 *
 * It also plays Python's side of the selection protocol (see src/shared/model.ts):
 * `reply()` answers the browser's last `_request` by pushing `_selection`, then `_reply`;
 * `autoReply()` does so for every request as soon as it is saved.
 */
import type { AnyModel, Callback } from "../src/shared/model";

export interface Request {
  id: number;
  value: unknown;
}

export interface Answer {
  /** The new selection's value (default: the value asked for). */
  value?: unknown;
  /** The new selection's details (default: none). */
  details?: Record<string, unknown>;
  /** A refusal: the selection stays, the reply carries this message. */
  error?: string;
}

export class FakeModel implements AnyModel {
  private attrs: Record<string, unknown>;
  private listeners = new Map<string, Set<Callback>>();
  private answerAll: ((value: unknown) => Answer) | null = null;
  private answered = new Set<number>();
  /** Snapshot of the attributes at each save_changes() call. */
  readonly saves: Record<string, unknown>[] = [];
  /** Names set from JS (via set) since construction. */
  readonly setCalls: [string, unknown][] = [];

  constructor(initial: Record<string, unknown> = {}) {
    this.attrs = { ...initial };
  }

  get(name: string): any {
    return this.attrs[name];
  }

  set(name: string, value: unknown): void {
    this.setCalls.push([name, value]);
    this.assign(name, value);
  }

  save_changes(): void {
    this.saves.push({ ...this.attrs });
    const last = this.lastRequest;
    if (this.answerAll && last && !this.answered.has(last.id)) this.reply(this.answerAll(last.value));
  }

  on(event: string, cb: Callback): void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(cb);
  }

  off(event: string, cb?: Callback): void {
    if (!cb) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(cb);
  }

  /** Simulate the Python side changing a trait (no save_changes is recorded). */
  pythonSet(name: string, value: unknown): void {
    this.assign(name, value);
  }

  /** Python selects `value` on its own (e.g. `finding.select(...)` from code). */
  pythonSelect(value: unknown, details: Record<string, unknown> = {}): void {
    this.assign("_selection", { value, details });
  }

  /** Every `_request` the browser sent, in order. */
  get requests(): Request[] {
    return this.setCalls.filter(([name]) => name === "_request").map(([, v]) => v as Request);
  }

  /** The values of every request sent, in order. */
  get requested(): unknown[] {
    return this.requests.map((r) => r.value);
  }

  get lastRequest(): Request | undefined {
    const all = this.requests;
    return all[all.length - 1];
  }

  /** Python answers the last request: the new `_selection` first (unless refused), then `_reply`. */
  reply(answer: Answer = {}): void {
    const request = this.lastRequest;
    if (!request) throw new Error("no request to answer");
    this.answered.add(request.id);
    if (answer.error === undefined) this.pythonSelect(answer.value === undefined ? request.value : answer.value, answer.details ?? {});
    this.assign("_reply", { id: request.id, error: answer.error ?? null });
  }

  /** Answer every request as soon as it is saved (`answer` gives the details or a refusal). */
  autoReply(answer: (value: unknown) => Answer = () => ({})): this {
    this.answerAll = answer;
    return this;
  }

  /** Number of listeners for one event, or for all events when omitted. */
  listenerCount(event?: string): number {
    if (event) return this.listeners.get(event)?.size ?? 0;
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  get saveCount(): number {
    return this.saves.length;
  }

  private assign(name: string, value: unknown): void {
    const old = this.attrs[name];
    this.attrs[name] = value;
    if (old === value) return;
    for (const cb of [...(this.listeners.get(`change:${name}`) ?? [])]) cb(this, value);
    for (const cb of [...(this.listeners.get("change") ?? [])]) cb(this);
  }
}

/** A model as Python creates one: `_data`, `_selection` = {value, details}, no request or reply yet. */
export function widgetModel(data: unknown, value: unknown = null, details: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): FakeModel {
  return new FakeModel({ _data: data, _selection: { value, details }, _request: null, _reply: null, ...extra });
}
