// Filing a finding a job made as evidence: into a new report, or as a new version of an existing one.
import { h } from "../shared/dom";
import { call } from "./api";
import type { Report } from "./api";
import { errorBox, link } from "./layout";

/** Offer to file a job's finding. `finding` is its id, or a function that gives the id to file when
 * the button is pressed (the distill page's: the finding with the equation picked on the front). */
export async function fileFinding(
  base: string,
  finding: string | (() => Promise<string>),
  box: HTMLElement,
  title: string,
): Promise<void> {
  const reports = await call<Report[]>("GET", `${base}/reports`);
  const pick = h("select");
  pick.setAttribute("aria-label", "Report to file the finding in");
  const fresh = h("option", "", "a new report");
  fresh.value = "";
  pick.append(fresh);
  for (const r of reports) {
    const o = h("option", "", r.title);
    o.value = r.id;
    pick.append(o);
  }
  const go = h("button", "gb-button", "File the finding");
  go.type = "button";
  const result = h("div", "gb-status");
  result.setAttribute("aria-live", "polite");
  go.addEventListener("click", async () => {
    go.disabled = true;
    try {
      const findingId = typeof finding === "string" ? finding : await finding();
      let report: Report;
      if (pick.value === "") {
        report = await call<Report>("POST", `${base}/reports`, { title, finding_ids: [findingId] });
      } else {
        const current = await call<Report>("GET", `/reports/${encodeURIComponent(pick.value)}`);
        report = await call<Report>("POST", `/reports/${encodeURIComponent(pick.value)}/findings`, {
          version: current.version,
          finding_id: findingId,
        });
      }
      result.replaceChildren(
        document.createTextNode(`Filed in version ${report.version}: `),
        link(`/reports/${encodeURIComponent(report.id)}`, report.title),
      );
    } catch (err) {
      result.replaceChildren(errorBox(err instanceof Error ? err.message : String(err)));
      go.disabled = false;
    }
  });
  box.replaceChildren(h("h2", "", "File it as evidence"), pick, go, result);
}
