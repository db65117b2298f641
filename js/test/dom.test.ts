// The shared DOM and model helpers: hover delegation and request traits.
import { describe, expect, it } from "vitest";

import { delegateHover } from "../src/shared/dom";
import { sendRequest } from "../src/shared/model";
import { FakeModel } from "./fake_model";

function mouse(type: string, target: Element, related: Element | null): void {
  target.dispatchEvent(new MouseEvent(type, { bubbles: true, relatedTarget: related }));
}

describe("delegateHover", () => {
  it("enters and leaves an item; moves between its own children do not count", () => {
    const root = document.createElement("div");
    root.innerHTML = '<g class="item" id="a"><text id="a1"></text></g><g class="item" id="b"></g>';
    document.body.appendChild(root);
    const seen: string[] = [];
    const off = delegateHover(root, ".item", (_e, t) => seen.push(`enter ${t.id}`), () => seen.push("leave"));
    const [a, a1, b] = ["#a", "#a1", "#b"].map((s) => root.querySelector(s)!);
    mouse("mouseover", a1, null);
    mouse("mouseout", a1, a); // still inside #a
    mouse("mouseout", a, b);
    mouse("mouseover", b, a);
    expect(seen).toEqual(["enter a", "leave", "enter b"]);
    off();
    mouse("mouseout", b, null);
    expect(seen).toHaveLength(3);
    root.remove();
  });
});

describe("sendRequest", () => {
  it("sends a value again even when the trait already holds it", () => {
    const m = new FakeModel({ _select: 3 });
    const sent: unknown[] = [];
    m.on("change:_select", () => sent.push(m.get("_select")));
    sendRequest(m, "_select", 3);
    expect(sent[sent.length - 1]).toBe(3);
    expect(m.saveCount).toBe(1);
    sendRequest(m, "_select", 5);
    expect(m.get("_select")).toBe(5);
    expect(m.saveCount).toBe(2);
  });

  it("compares arrays by content, as the model does", () => {
    const m = new FakeModel({ _toggle: [1, 2] });
    const sent: unknown[] = [];
    m.on("change:_toggle", () => sent.push(m.get("_toggle")));
    sendRequest(m, "_toggle", [1, 2]);
    expect(sent).toEqual([null, [1, 2]]);
  });
});
