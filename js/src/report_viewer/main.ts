// The live widgets of an exported Annex IV HTML report: the same widget code the dashboard mounts,
// inlined into the report with each finding's stored live view (a <script type="application/json"
// class="gb-live-view"> beside its static SVG). With JavaScript the widget replaces the SVG on
// screen (hover and click show the stored numbers; no kernel, no server); printing and readers
// without JavaScript get the SVG.
import { mountView } from "../dashboard/widgets";
import type { LiveView } from "../dashboard/widgets";

/** Mount every stored live view of `doc`; returns how many were mounted. */
export function mountReportViews(doc: Document = document): number {
  let mounted = 0;
  for (const script of Array.from(doc.querySelectorAll<HTMLScriptElement>("script.gb-live-view"))) {
    const figure = script.closest<HTMLElement>(".finding-view");
    let view: LiveView;
    try {
      view = JSON.parse(script.textContent ?? "") as LiveView;
    } catch {
      continue; // a damaged view: the static SVG stays
    }
    const host = doc.createElement("div");
    host.className = "gb-live-host";
    script.after(host);
    if (mountView(host, view) === null) {
      host.remove(); // a widget this viewer does not know: the static SVG stays
      continue;
    }
    figure?.classList.add("gb-live-on");
    mounted += 1;
  }
  return mounted;
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => mountReportViews());
else mountReportViews();
