// Markdown of a person's field text, rendered for the preview: marked for the syntax, DOMPurify
// for safety (no script, no event handler, no javascript: link survives).
import DOMPurify from "dompurify";
import { marked } from "marked";

export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true, breaks: true }) as string;
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "input"] });
}
