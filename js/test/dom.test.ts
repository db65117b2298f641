// The shared DOM helpers: hover delegation and share bars.
import { describe, expect, it } from "vitest";

import { delegateHover, shareBar } from "../src/shared/dom";

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

describe("shareBar", () => {
  it("fills a share of the track, clamped to [0, 1], empty when not finite", () => {
    const width = (v: number) => (shareBar(v).firstElementChild as HTMLElement).style.width;
    expect(width(0.25)).toBe("25%");
    expect(width(1.7)).toBe("100%");
    expect(width(-1)).toBe("0%");
    expect(width(NaN)).toBe("0%");
    const bar = shareBar(0.5, "gb-cov-bar", "gb-cov-fill");
    expect(bar.className).toBe("gb-cov-bar");
    expect(bar.getAttribute("aria-hidden")).toBe("true");
    expect(bar.firstElementChild!.className).toBe("gb-cov-fill");
  });
});
