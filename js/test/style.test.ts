// The shared stylesheet (src/shared/style.ts): installed once per page, before every widget's own
// stylesheet, and no widget stylesheet re-includes a shared rule.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

import { SHARED_CSS_ID, installSharedCss, sharedCss } from "../src/shared/style";

const widgetsDir = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "widgets");
const widgetCss = readdirSync(widgetsDir).filter((f) => f.endsWith(".css"));

afterEach(() => {
  document.head.innerHTML = "";
});

describe("installSharedCss", () => {
  it("carries the shared rules", () => {
    expect(sharedCss()).toContain(".gb-widget .gb-spinner");
  });

  it("installs one stylesheet however often widgets mount", () => {
    installSharedCss(document);
    installSharedCss(document);
    expect(document.querySelectorAll(`#${SHARED_CSS_ID}`)).toHaveLength(1);
  });

  it("puts the shared rules before every widget stylesheet already on the page", () => {
    const picker = document.createElement("style");
    picker.textContent = ".gb-pareto-picker .gb-spinner { display: none; }";
    document.head.append(picker);
    installSharedCss(document);
    const styles = [...document.head.querySelectorAll("style")];
    expect(styles[0].id).toBe(SHARED_CSS_ID);
    expect(styles.indexOf(picker)).toBeGreaterThan(0);
  });
  // (Which rule wins is checked in a real browser: jsdom orders stylesheets by insertion, not by
  // their place in <head>; tests/e2e/test_jupyterlab_notebooks.py shows two widgets on one page.)
});

describe("widget stylesheets", () => {
  it.each(widgetCss)("%s holds only its own rules (no shared import, every selector scoped)", (file) => {
    const css = readFileSync(join(widgetsDir, file), "utf8");
    expect(css).not.toMatch(/@import\s+["'][^"']*shared/);
    const root = `.gb-${file.replace(/\.css$/, "").replace(/_/g, "-")}`;
    const body = css.replace(/\/\*[\s\S]*?\*\//g, "");
    // selectors of style rules (skip at-rule headers such as @media / @keyframes and keyframe steps)
    const selectors = [...body.matchAll(/([^{}]+)\{/g)]
      .map((m) => m[1].trim())
      .filter((s) => s && !s.startsWith("@") && !/^(from|to|\d+%)/.test(s));
    expect(selectors.length).toBeGreaterThan(0);
    for (const group of selectors) {
      for (const sel of group.split(",")) expect(sel.trim(), `${file}: ${sel.trim()}`).toContain(root);
    }
  });
});
