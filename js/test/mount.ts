/**
 * Shared set-up for the widget tests: a fresh container `el` for every test, `mount()`
 * to render a widget (its anywidget default export) into it on a FakeModel, disposal after
 * each test, and helpers that dispatch the DOM events a user would cause (click, key, hover, change).
 *
 * In a test file:
 *
 *   import { click, el, useWidget } from "./mount";
 *   const { mount, unmount } = useWidget(widget); // registers beforeEach / afterEach
 *   ...
 *   const m = widgetModel(data, selectedValue);
 *   mount(m);
 *   click(el.querySelector(...)!);
 *   m.reply(); // Python answers the click's request
 */
import { afterEach, beforeEach, vi } from "vitest";

import type { AnyModel, RenderContext } from "../src/shared/model";

/** What a widget module's default export provides. */
export interface Widget {
  render(ctx: RenderContext): () => void;
}

/** The container of the current test: a fresh `div` in document.body (a live binding). */
export let el: HTMLDivElement;

/**
 * Register the per-test set-up for `widget` (call it at the top level of a test file):
 * before each test a new `el` is added to the page; after it the mounted widget (if any)
 * is disposed, `el` removed and spies restored.
 *
 * `mount(model)` renders the widget into `el` and returns its disposer; calling the disposer
 * (or `unmount()`) disposes it now, and the after-each step then leaves it alone.
 */
export function useWidget(widget: Widget): { mount: (model: AnyModel) => () => void; unmount: () => void } {
  let mounted: (() => void) | null = null;

  function unmount(): void {
    const dispose = mounted;
    mounted = null;
    dispose?.();
  }

  function mount(model: AnyModel): () => void {
    const dispose = widget.render({ model, el });
    const once = () => {
      if (mounted === once) mounted = null;
      dispose();
    };
    mounted = once;
    return once;
  }

  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });

  afterEach(() => {
    unmount();
    el.remove();
    vi.restoreAllMocks();
  });

  return { mount, unmount };
}

/** A bubbling, cancelable click on `target` (`init` adds e.g. shiftKey). */
export function click(target: Element, init: MouseEventInit = {}): void {
  target.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, ...init }));
}

/** A bubbling, cancelable keydown of key `k` on `target` (`init` adds e.g. shiftKey). */
export function key(target: Element, k: string, init: KeyboardEventInit = {}): void {
  target.dispatchEvent(new KeyboardEvent("keydown", { key: k, bubbles: true, cancelable: true, ...init }));
}

/** The mouse enters `target` (a bubbling mouseover). */
export function hover(target: Element): void {
  target.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
}

/** The mouse leaves `target` for the page body (a bubbling mouseout). */
export function unhover(target: Element): void {
  target.dispatchEvent(new MouseEvent("mouseout", { bubbles: true, relatedTarget: document.body }));
}

/** A bubbling change event on `target` (set a <select>'s value first). */
export function change(target: Element): void {
  target.dispatchEvent(new Event("change", { bubbles: true }));
}
