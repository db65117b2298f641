import { readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

// What build.mjs bundles from src/shared/shared.css (here unminified: the tests only need the rules).
const sharedCss = ["base", "table", "graph"]
  .map((name) => readFileSync(new URL(`./src/shared/${name}.css`, import.meta.url), "utf8"))
  .join("\n");

export default defineConfig({
  define: { __GB_SHARED_CSS__: JSON.stringify(sharedCss) },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.ts"],
  },
});
