// Bundle every widget entry src/widgets/<name>.ts (and its optional
// src/widgets/<name>.css) into ../glassbox_jupyter/static/<name>.{js,css}.
// Third-party code (d3) is bundled in; the output never imports from a URL.
// The shared stylesheet src/shared/shared.css is bundled ONCE into a string that every widget's
// JS carries (__GB_SHARED_CSS__, installed once per page by shared/style.ts) and into
// static/shared.css for other hosts; widget .css files hold only their own rules.
import { build } from "esbuild";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, "src", "widgets");
const outDir = resolve(here, "..", "glassbox_jupyter", "static");

async function main() {
  const entries = readdirSync(srcDir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .sort();
  if (entries.length === 0) throw new Error(`no widget entries found in ${srcDir}`);

  const entryPoints = [];
  for (const f of entries) {
    entryPoints.push(join(srcDir, f));
    const css = join(srcDir, `${basename(f, ".ts")}.css`);
    if (existsSync(css)) entryPoints.push(css);
  }

  mkdirSync(outDir, { recursive: true });

  const shared = await build({
    entryPoints: [join(here, "src", "shared", "shared.css")],
    outfile: join(outDir, "shared.css"),
    bundle: true,
    minify: true,
    legalComments: "none",
    write: false,
    logLevel: "warning",
  });
  const sharedCss = shared.outputFiles[0].text;
  writeFileSync(join(outDir, "shared.css"), sharedCss);
  console.log(`wrote ${relative(process.cwd(), join(outDir, "shared.css"))} (${(sharedCss.length / 1024).toFixed(1)} KiB)`);

  const result = await build({
    entryPoints,
    outdir: outDir,
    entryNames: "[name]",
    bundle: true,
    format: "esm",
    target: "es2020",
    platform: "browser",
    minify: true,
    sourcemap: false,
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
    define: { __GB_SHARED_CSS__: JSON.stringify(sharedCss) },
  });
  if (result.errors.length > 0) throw new Error(`${result.errors.length} esbuild error(s)`);

  // One script and one stylesheet for a page that is not a notebook widget.
  const page = async (name, script, stylesheet, format) => {
    const common = { outdir: outDir, bundle: true, minify: true, legalComments: "none", metafile: true, logLevel: "warning" };
    const js = await build({ ...common, entryPoints: { [name]: script }, format, target: "es2020", platform: "browser" });
    const css = await build({ ...common, entryPoints: { [name]: stylesheet } });
    Object.assign(result.metafile.outputs, js.metafile.outputs, css.metafile.outputs);
  };
  // The dashboard of `glassbox serve` (pages drawn from the REST API).
  await page("dashboard", join(here, "src", "dashboard", "main.ts"), join(here, "src", "dashboard", "dashboard.css"), "esm");
  // The live widgets of an exported HTML report: a classic script, which the report renderer
  // (glassbox_jupyter/report/render.py) inlines into the report with its stylesheet.
  const viewer = join(here, "src", "report_viewer");
  await page("report_viewer", join(viewer, "main.ts"), join(viewer, "report_viewer.css"), "iife");

  // Guard: widgets must be self-contained (no CDN / URL imports).
  const urlImport = /(?:\bimport\s*\(?\s*|\bfrom\s*)["']https?:\/\//;
  for (const out of Object.keys(result.metafile.outputs).sort()) {
    const file = resolve(process.cwd(), out);
    if (file.endsWith(".js") && urlImport.test(readFileSync(file, "utf8"))) {
      throw new Error(`${out} imports from a URL; bundle the dependency instead`);
    }
    const kb = (statSync(file).size / 1024).toFixed(1);
    console.log(`wrote ${relative(process.cwd(), file)} (${kb} KiB)`);
  }
}

main().catch((err) => {
  console.error(`build failed: ${err?.message ?? err}`);
  process.exit(1);
});
