/**
 * LaTeX -> MathML with KaTeX (bundled; MathML output needs no fonts or CSS and
 * renders natively in Chromium, Firefox and Safari). Rendered results are cached
 * by LaTeX string and cloned, so live re-renders stay cheap.
 */
import katex from "katex";

const cache = new Map<string, Element | null>();
const CACHE_MAX = 500;

function renderTemplate(latex: string): Element | null {
  const span = document.createElement("span");
  try {
    katex.render(latex, span, { output: "mathml", throwOnError: false, displayMode: false, trust: false });
  } catch {
    return null;
  }
  // throwOnError:false turns parse errors into red raw LaTeX; the plain-text fallback reads better.
  if (span.querySelector(".katex-error") || !span.querySelector("math")) return null;
  return span;
}

/**
 * An inline element showing `latex` as math (class gb-math), or `fallback`
 * (plain text) in a <code class="gb-math-fallback"> when LaTeX is empty or fails.
 */
export function mathElement(latex: string | null | undefined, fallback: string): HTMLElement {
  const tex = latex ? String(latex).trim() : "";
  let tpl: Element | null = null;
  if (tex) {
    if (cache.has(tex)) {
      tpl = cache.get(tex)!;
    } else {
      tpl = renderTemplate(tex);
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(tex, tpl);
    }
  }
  if (tpl) {
    const out = tpl.cloneNode(true) as HTMLElement;
    out.className = "gb-math";
    return out;
  }
  const code = document.createElement("code");
  code.className = "gb-math-fallback";
  code.textContent = fallback || tex;
  return code;
}
