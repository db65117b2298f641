// The widget shell (src/shared/widget.ts) and the kernel transport (src/shared/model.ts), tested once
// on a small list widget: lifecycle, the request round trip, focus, width, clean-up.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { delegateActivate, h } from "../src/shared/dom";
import { NO_ANSWER_TEXT, kernelTransport } from "../src/shared/model";
import { NO_DATA_TEXT, mountWidget } from "../src/shared/widget";
import type { SelectionState, Shell, Transport, ViewData, WidgetSpec } from "../src/shared/widget";
import { FakeModel, widgetModel } from "./fake_model";
import { MemoryHost } from "./memory_host";
import { click, key } from "./mount";

interface ListData extends ViewData {
  items: string[];
}

/** What the list widget saw: how often it rendered and updated, and its shell. */
const seen = { renders: 0, updates: 0, shell: null as Shell<string | null> | null, last: null as SelectionState<string | null> | null };

const listSpec: WidgetSpec<ListData, string | null> = {
  name: "test_list",
  className: "gb-test-list",
  normalize(raw) {
    if (!raw || typeof raw !== "object") return null;
    const o = raw as Record<string, unknown>;
    return { title: String(o.title ?? ""), caption: String(o.caption ?? ""), items: (o.items as string[]) ?? [] };
  },
  value: (wire) => (typeof wire === "string" ? wire : null),
  emptyText: (d) => (d.items.length === 0 ? "nothing to list" : null),
  observeWidth: true,
  pendingText: (_d, wanted) => `selecting ${wanted}…`,
  create(shell) {
    seen.shell = shell;
    const list = h("ul", "gb-list");
    const readout = h("div", "gb-selection");
    shell.body.appendChild(list);
    shell.footer.appendChild(readout);
    const roving = shell.roving({
      selector: "li.gb-item",
      keyOf: (li) => (li as HTMLElement).dataset.name ?? "",
      move(event, from) {
        const items = [...list.children].map((li) => (li as HTMLElement).dataset.name!);
        const i = items.indexOf(from);
        if (event.key === "ArrowDown") return items[Math.min(items.length - 1, i + 1)];
        if (event.key === "ArrowUp") return items[Math.max(0, i - 1)];
        return null;
      },
    });
    shell.listen(delegateActivate(shell.root, "li.gb-item", (t) => shell.select((t as HTMLElement).dataset.name!)));
    return {
      render(d) {
        seen.renders++;
        if (d.items.includes("boom")) throw new Error("boom");
        list.replaceChildren(
          ...d.items.map((name) => {
            const li = h("li", "gb-item", name);
            li.dataset.name = name;
            return li;
          }),
        );
      },
      update(d, s) {
        seen.updates++;
        seen.last = s;
        for (const li of list.querySelectorAll<HTMLElement>("li")) li.classList.toggle("gb-selected", li.dataset.name === s.wanted);
        readout.textContent = s.wanted ?? "none";
        roving.settle(d.items[0] ?? null);
      },
      clear() {
        list.replaceChildren();
      },
    };
  },
};

const DATA = { title: "Fruit", caption: "three of them", items: ["apple", "pear", "plum"] };

let el: HTMLDivElement;
let dispose: (() => void) | null = null;

function mount(transport: Transport): () => void {
  dispose = mountWidget(listSpec, el, transport);
  return dispose;
}

beforeEach(() => {
  el = document.createElement("div");
  document.body.appendChild(el);
  Object.assign(seen, { renders: 0, updates: 0, shell: null, last: null });
});

afterEach(() => {
  dispose?.();
  dispose = null;
  el.remove();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

const root = () => el.querySelector<HTMLElement>(".gb-test-list")!;
const item = (name: string) => el.querySelector<HTMLElement>(`li[data-name="${name}"]`)!;
const selected = () => [...el.querySelectorAll<HTMLElement>("li.gb-selected")].map((li) => li.dataset.name);
const message = () => el.querySelector<HTMLElement>(".gb-message")!;
const status = () => el.querySelector<HTMLElement>(".gb-status")!;
const errorEl = () => el.querySelector<HTMLElement>(".gb-request-error")!;

describe("lifecycle", () => {
  it("draws the header, the body and the caption; a message instead of the body when there is nothing to draw", () => {
    const host = new MemoryHost(null);
    mount(host.transport);
    expect(message().hidden).toBe(false);
    expect(message().textContent).toBe(NO_DATA_TEXT);
    expect(el.querySelector<HTMLElement>(".gb-body")!.hidden).toBe(true);
    expect(el.querySelector<HTMLElement>(".gb-footer")!.hidden).toBe(true);
    host.setData({ ...DATA, items: [] });
    expect(message().textContent).toBe("nothing to list");
    expect(el.querySelector(".gb-title")!.textContent).toBe("Fruit");
    expect(el.querySelector(".gb-caption")!.textContent).toBe("three of them");
    host.setData(DATA);
    expect(message().hidden).toBe(true);
    expect(el.querySelectorAll("li")).toHaveLength(3);
    expect(el.querySelector(".gb-selection")!.textContent).toBe("none");
    expect(status().hidden).toBe(true);
  });

  it("redraws for new data, only updates for a new selection", () => {
    const host = new MemoryHost(DATA);
    mount(host.transport);
    expect([seen.renders, seen.updates]).toEqual([1, 1]);
    const list = el.querySelector("ul");
    host.select("pear");
    expect([seen.renders, seen.updates]).toEqual([1, 2]);
    expect(el.querySelector("ul")).toBe(list);
    expect(selected()).toEqual(["pear"]);
    host.setData({ ...DATA, items: ["pear", "fig"] });
    expect([seen.renders, seen.updates]).toEqual([2, 3]);
    expect(selected()).toEqual(["pear"]);
  });

  it("shows a render failure in place of the body and recovers with good data", () => {
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const host = new MemoryHost({ ...DATA, items: ["boom"] });
    mount(host.transport);
    expect(message().className).toBe("gb-message gb-error");
    expect(message().textContent).toBe("could not render this view: boom");
    expect(el.querySelector<HTMLElement>(".gb-body")!.hidden).toBe(true);
    expect(log).toHaveBeenCalledOnce();
    host.select("apple"); // nothing drawn: no update
    expect(seen.updates).toBe(0);
    host.setData(DATA);
    expect(message().hidden).toBe(true);
    expect(message().className).toBe("gb-message gb-empty");
    expect(selected()).toEqual(["apple"]);
  });

  it("redraws when the container's width changes", () => {
    let observed: (() => void) | null = null;
    vi.stubGlobal(
      "ResizeObserver",
      class {
        constructor(cb: () => void) {
          observed = cb;
        }
        observe() {}
        disconnect() {}
      },
    );
    vi.stubGlobal("requestAnimationFrame", (cb: () => void) => (cb(), 1));
    mount(new MemoryHost(DATA).transport);
    Object.defineProperty(el, "clientWidth", { value: 500, configurable: true });
    observed!();
    expect(seen.renders).toBe(2);
    observed!(); // same width: nothing to do
    expect(seen.renders).toBe(2);
    expect(seen.shell!.containerWidth()).toBe(500);
  });

  it("keeps keyboard focus on the same item across a redraw", () => {
    const host = new MemoryHost(DATA);
    mount(host.transport);
    item("pear").focus();
    host.setData({ ...DATA, caption: "new" });
    expect(document.activeElement).toBe(item("pear"));
  });

  it("gives one item the tab stop; arrow keys move it, focus takes it", () => {
    mount(new MemoryHost(DATA).transport);
    const stops = () => [...el.querySelectorAll("li")].filter((li) => li.getAttribute("tabindex") === "0").map((li) => li.textContent);
    expect(stops()).toEqual(["apple"]);
    item("apple").focus();
    key(item("apple"), "ArrowDown");
    expect(document.activeElement).toBe(item("pear"));
    expect(stops()).toEqual(["pear"]);
    item("plum").focus();
    expect(stops()).toEqual(["plum"]);
    const other = new KeyboardEvent("keydown", { key: "x", bubbles: true, cancelable: true });
    item("plum").dispatchEvent(other);
    expect(other.defaultPrevented).toBe(false);
  });

  it("disposes: listeners, the request in flight and the DOM", () => {
    const host = new MemoryHost(DATA);
    const off = mount(host.transport);
    click(item("pear"));
    expect(host.pending).toBe(1);
    const r = root();
    off();
    dispose = null;
    expect(host.listenerCount).toBe(0);
    expect(host.pending).toBe(0);
    expect(el.children).toHaveLength(0);
    document.body.appendChild(r);
    click(r.querySelector("li")!);
    expect(host.requested).toEqual(["pear"]);
    r.remove();
  });
});

describe("requests", () => {
  it("a click asks the host; the widget is pending until the host replies", () => {
    const host = new MemoryHost(DATA);
    mount(host.transport);
    click(item("pear"));
    expect(host.requested).toEqual(["pear"]);
    expect(root().classList.contains("gb-is-busy")).toBe(true);
    expect(root().getAttribute("aria-busy")).toBe("true");
    expect(status().hidden).toBe(false);
    expect(el.querySelector(".gb-status-text")!.textContent).toBe("selecting pear…");
    expect(selected()).toEqual(["pear"]); // what is wanted, drawn while waiting
    expect(seen.last).toMatchObject({ value: null, wanted: "pear", busy: true });
    host.answer({ details: { note: "ripe" } });
    expect(root().classList.contains("gb-is-busy")).toBe(false);
    expect(root().hasAttribute("aria-busy")).toBe(false);
    expect(status().hidden).toBe(true);
    expect(seen.last).toMatchObject({ value: "pear", wanted: "pear", busy: false, details: { note: "ripe" }, error: null });
  });

  it("sends one request at a time: the next is computed from the selection the first one gave", () => {
    const host = new MemoryHost(DATA, "apple");
    mount(host.transport);
    const shell = seen.shell!;
    const append = (suffix: string) => (current: string | null) => `${current}${suffix}`;
    const settled: string[] = [];
    shell.select(append("+1"), () => settled.push("+1"));
    shell.select(append("+2"), () => settled.push("+2"));
    expect(host.requested).toEqual(["apple+1"]);
    expect(shell.selection().wanted).toBe("apple+1+2");
    host.answer({ value: "pear" }); // the host may grant something else
    expect(settled).toEqual(["+1"]);
    expect(host.requested).toEqual(["apple+1", "pear+2"]);
    host.answer();
    expect(settled).toEqual(["+1", "+2"]);
    expect(shell.selection()).toMatchObject({ value: "pear+2", busy: false });
  });

  it("a plain value replaces the requests still queued", () => {
    const host = new MemoryHost(DATA);
    mount(host.transport);
    click(item("apple"));
    click(item("pear"));
    click(item("plum"));
    expect(selected()).toEqual(["plum"]);
    host.answer();
    expect(host.requested).toEqual(["apple", "plum"]);
  });

  it("does not ask for the selection the host already holds", () => {
    const host = new MemoryHost(DATA, "pear");
    mount(host.transport);
    let done = false;
    seen.shell!.select("pear", () => (done = true));
    expect(host.requested).toEqual([]);
    expect(done).toBe(true);
    expect(root().classList.contains("gb-is-busy")).toBe(false);
  });

  it("shows a refusal, drops what was queued on top of it, and hides it when the next request goes", () => {
    const host = new MemoryHost(DATA, "apple");
    mount(host.transport);
    click(item("pear"));
    seen.shell!.select((current) => `${current}!`);
    host.answer({ error: "pear is not ripe" });
    expect(errorEl().hidden).toBe(false);
    expect(errorEl().textContent).toBe("pear is not ripe");
    expect(errorEl().getAttribute("role")).toBe("alert");
    expect(host.requested).toEqual(["pear"]);
    expect(selected()).toEqual(["apple"]);
    expect(seen.last).toMatchObject({ value: "apple", busy: false, error: "pear is not ripe" });
    click(item("plum"));
    expect(errorEl().hidden).toBe(true);
  });
});

describe("kernel transport", () => {
  it("speaks the trait protocol: _request {id, value} out, _selection then _reply {id, error} in", () => {
    const m = widgetModel(DATA, "apple");
    mount(kernelTransport(m));
    click(item("pear"));
    expect(m.get("_request")).toEqual({ id: 1, value: "pear" });
    expect(m.saveCount).toBe(1);
    expect(m.listenerCount("change:_reply")).toBe(1);
    m.pythonSet("_reply", { id: 99, error: null }); // another view's reply
    expect(root().classList.contains("gb-is-busy")).toBe(true);
    m.reply();
    expect(selected()).toEqual(["pear"]);
    expect(root().classList.contains("gb-is-busy")).toBe(false);
    expect(m.listenerCount("change:_reply")).toBe(0); // listens only while waiting
    click(item("plum"));
    expect(m.get("_request")).toEqual({ id: 2, value: "plum" });
    m.reply({ error: "" });
    expect(errorEl().textContent).toBe("the selection was refused");
  });

  it("numbers requests per model, so that two views of one model never share an id", () => {
    const m = widgetModel(DATA, null, {}, { _request: { id: 41, value: "apple" } });
    const a = kernelTransport(m);
    const b = kernelTransport(m);
    a.request("pear", () => {});
    b.request("plum", () => {});
    expect(m.requests.map((r) => r.id)).toEqual([42, 43]);
  });

  it("says so when Python never answers (a busy or gone kernel, a view restored from a saved notebook)", () => {
    vi.useFakeTimers();
    try {
      const m = widgetModel(DATA, "apple");
      mount(kernelTransport(m, 1000));
      click(item("pear"));
      expect(root().classList.contains("gb-is-busy")).toBe(true);
      vi.advanceTimersByTime(999);
      expect(errorEl().hidden).toBe(true);
      vi.advanceTimersByTime(1);
      expect(root().classList.contains("gb-is-busy")).toBe(false);
      expect(errorEl().textContent).toBe(NO_ANSWER_TEXT);
      expect(selected()).toEqual(["apple"]);
      expect(m.listenerCount("change:_reply")).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("answers at once when the model cannot send (no comm)", () => {
    const m = widgetModel(DATA, "apple");
    m.save_changes = () => {
      throw new Error("Cannot send: no comm");
    };
    mount(kernelTransport(m));
    click(item("pear"));
    expect(errorEl().textContent).toBe(NO_ANSWER_TEXT);
    expect(root().classList.contains("gb-is-busy")).toBe(false);
  });

  it("reads and writes view-local state", () => {
    const m = new FakeModel({ height: 300 });
    const t = kernelTransport(m);
    const changes: unknown[] = [];
    const off = t.onState("height", () => changes.push(t.state("height")));
    t.setState("height", 400);
    expect(m.saveCount).toBe(1);
    m.pythonSet("height", 500);
    expect(changes).toEqual([400, 500]);
    off();
    expect(m.listenerCount()).toBe(0);
  });
});
