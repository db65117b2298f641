/**
 * A host kept in memory: a plain `Transport` with no anywidget model behind it, the way a
 * dashboard mounts the widgets with its own transport. The test plays the host: it answers
 * requests (`answer`), or lets `respond` answer each one as it comes.
 */
import type { Transport } from "../src/shared/widget";
import type { Answer } from "./fake_model";

export class MemoryHost {
  data: unknown;
  selection: { value: unknown; details: Record<string, unknown> };
  readonly state = new Map<string, unknown>();
  /** The values asked for, in order. */
  readonly requested: unknown[] = [];
  /** Answers each request as it comes when set; otherwise requests wait for `answer`. */
  respond: ((value: unknown) => Answer) | null = null;
  private waiting: { value: unknown; reply: (error: string | null) => void }[] = [];
  private listeners = new Map<string, Set<() => void>>();

  constructor(data: unknown, value: unknown = null, details: Record<string, unknown> = {}) {
    this.data = data;
    this.selection = { value, details };
  }

  readonly transport: Transport = {
    data: () => this.data,
    selection: () => this.selection,
    request: (value, reply) => {
      this.requested.push(value);
      const entry = { value, reply };
      this.waiting.push(entry);
      if (this.respond) this.answer(this.respond(value));
      return () => {
        this.waiting = this.waiting.filter((w) => w !== entry);
      };
    },
    onData: (listener) => this.on("data", listener),
    onSelection: (listener) => this.on("selection", listener),
    state: (name) => this.state.get(name),
    setState: (name, value) => {
      this.state.set(name, value);
      this.emit(`state:${name}`);
    },
    onState: (name, listener) => this.on(`state:${name}`, listener),
  };

  /** Requests not answered yet. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Number of listeners subscribed (0 once every mounted view is disposed). */
  get listenerCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }

  /** The host answers the oldest request: the new selection first (unless refused), then the reply. */
  answer(answer: Answer = {}): void {
    const entry = this.waiting.shift();
    if (!entry) throw new Error("no request to answer");
    if (answer.error === undefined) this.select(answer.value === undefined ? entry.value : answer.value, answer.details ?? {});
    entry.reply(answer.error ?? null);
  }

  /** The host changes the selection. */
  select(value: unknown, details: Record<string, unknown> = {}): void {
    this.selection = { value, details };
    this.emit("selection");
  }

  /** The host sends new view data. */
  setData(data: unknown): void {
    this.data = data;
    this.emit("data");
  }

  private on(event: string, listener: () => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  private emit(event: string): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener();
  }
}
