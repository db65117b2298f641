// A widget Transport for pages without a kernel: the view data comes from the server (a job's
// progress, a stored finding's view) and a selection is the reader's own, granted at once. What a
// selection makes visible beyond the view data (its "details", e.g. a circuit's faithfulness) is
// known for the selection stored with the view and for the choices the Finding stored with it
// (Finding.selection_choices: an audit's variables, a graph's neurons); no Python recomputes the
// details of any other selection.
import type { Transport } from "../shared/widget";

export interface LocalTransport extends Transport {
  /** Replace the view data (e.g. a newer Pareto front); views redraw. */
  setData(data: unknown): void;
}

export interface StoredSelection {
  value?: unknown;
  details?: unknown;
  /** Details of other selections, keyed by JSON.stringify(value). */
  choices?: Record<string, unknown>;
}

export function localTransport(initial: unknown, stored: StoredSelection = {}): LocalTransport {
  let data = initial;
  let selection: { value: unknown; details: unknown } = { value: stored.value ?? null, details: stored.details ?? {} };
  const state = new Map<string, unknown>();
  const listeners = { data: new Set<() => void>(), selection: new Set<() => void>() };
  const stateListeners = new Map<string, Set<() => void>>();
  const listen = (set: Set<() => void>, fn: () => void) => {
    set.add(fn);
    return () => void set.delete(fn);
  };
  return {
    data: () => data,
    selection: () => selection,
    request(value, reply) {
      let live = true;
      queueMicrotask(() => {
        if (!live) return;
        const key = JSON.stringify(value ?? null);
        const same = key === JSON.stringify(stored.value ?? null);
        const details = same ? stored.details : stored.choices?.[key];
        selection = { value, details: details ?? {} };
        for (const fn of listeners.selection) fn();
        reply(null);
      });
      return () => {
        live = false;
      };
    },
    onData: (fn) => listen(listeners.data, fn),
    onSelection: (fn) => listen(listeners.selection, fn),
    state: (name) => state.get(name),
    setState(name, value) {
      state.set(name, value);
      for (const fn of stateListeners.get(name) ?? []) fn();
    },
    onState(name, fn) {
      if (!stateListeners.has(name)) stateListeners.set(name, new Set());
      return listen(stateListeners.get(name)!, fn);
    },
    setData(next) {
      data = next;
      for (const fn of listeners.data) fn();
    },
  };
}
