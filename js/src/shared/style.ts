/**
 * The shared stylesheet, installed once per document.
 *
 * The build bundles src/shared/shared.css into the constant `__GB_SHARED_CSS__` (build.mjs, and
 * vitest.config.ts for the tests). `installSharedCss` puts it in one `<style id="gb-shared-css">`
 * at the START of `<head>`: every widget's own stylesheet (anywidget appends those) comes after it
 * and wins a tie of specificity, however many widgets a page shows and in whichever order.
 *
 * Example:
 *   installSharedCss(document);
 *   installSharedCss(document); // no second copy
 *   document.querySelectorAll("#gb-shared-css").length === 1;
 */
declare const __GB_SHARED_CSS__: string;

export const SHARED_CSS_ID = "gb-shared-css";

/** The shared CSS text this bundle carries ("" where the bundler did not define it). */
export function sharedCss(): string {
  return typeof __GB_SHARED_CSS__ === "string" ? __GB_SHARED_CSS__ : "";
}

/** Install the shared stylesheet in `doc` unless it is there; returns the `<style>` element. */
export function installSharedCss(doc: Document = document): HTMLStyleElement {
  const found = doc.getElementById(SHARED_CSS_ID);
  if (found instanceof HTMLStyleElement) {
    if (found.textContent !== sharedCss()) found.textContent = sharedCss();
    return found;
  }
  const style = doc.createElement("style");
  style.id = SHARED_CSS_ID;
  style.textContent = sharedCss();
  const head = doc.head ?? doc.documentElement;
  head.prepend(style);
  return style;
}
