/**
 * A tiny stand-in for the anywidget front-end model: get/set/save_changes/on/off
 * with Backbone-style "change:<name>" events. `set` (the JS side) and
 * `pythonSet` (simulating a sync from the kernel) both fire change events when
 * the value actually changes; only `save_changes` calls are recorded.
 */
import type { AnyModel, Callback } from "../src/shared/model";

export class FakeModel implements AnyModel {
  private attrs: Record<string, unknown>;
  private listeners = new Map<string, Set<Callback>>();
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
