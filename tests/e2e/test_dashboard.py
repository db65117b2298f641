"""The dashboard of ``glassbox serve`` in headless Chromium against a real server on loopback with a
fresh database: an officer signs in, finds the report's missing fields, fills one (autosave), meets
a conflict when another officer saved the same field first (both texts kept), approves once nothing
is missing, downloads the PDF (its text checked); a viewer cannot edit; a member of another project
cannot open the report. Screenshots go to tests/e2e/artifacts/dashboard_*.png."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from glassbox_jupyter.finding.publish import live_view
from tests.examples import rules_example
from tests.server.test_restart import Server

from .jupyterlab import ARTIFACTS, reset_artifacts

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]
LAST_TWO = ("2(e).oversight", "9.post_market")


@pytest.fixture()
def served(tmp_path: Path) -> Any:
    server = Server(tmp_path / "data", f"sqlite:///{tmp_path / 'glassbox.db'}", ("--endpoint-host", "127.0.0.1"))
    tokens = {}
    for name, role, project in [
        ("ana", "analyst", "loans"),
        ("ofelia", "officer", "loans"),
        ("otto", "officer", "loans"),
        ("vic", "viewer", "loans"),
        ("bob", "analyst", "other"),
    ]:
        tokens[name] = server.cli("users", "add", name, "--role", role, "--project", project).strip().splitlines()[-1]
    server.start()
    try:
        project = server.call("GET", "/projects", tokens["ana"]).json()[0]["id"]
        finding, _ = rules_example()
        body = {"finding": finding.to_dict(), "svg": finding.to_svg(), "view": live_view(finding)}
        made = server.call("POST", f"/projects/{project}/findings", tokens["ana"], json=body).json()
        report = server.call(
            "POST",
            f"/projects/{project}/reports",
            tokens["ana"],
            json={"title": "Loan approval: Annex IV", "finding_ids": [made["id"]], "system": {"model_name": "loans"}},
        ).json()
        fill = {fid: f"Text for {fid} written by ana." for fid in report["missing"] if fid not in LAST_TWO}
        edit = {"version": report["version"], "fields": fill}
        answer = server.call("PUT", f"/reports/{report['id']}/fields", tokens["ana"], json=edit)
        assert answer.status_code == 200 and sorted(answer.json()["missing"]) == sorted(LAST_TWO), answer.text
        yield server, tokens, project, report["id"]
    finally:
        server.stop()


class Browser:
    """One person's browser (its own cookies), recording console errors and requests to other hosts."""

    def __init__(self, chromium: Any, server: Server, width: int = 1280, height: int = 800):
        self.context = chromium.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
        self.page = self.context.new_page()
        self.base = f"http://127.0.0.1:{server.port}"
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: None if r.url.startswith(self.base) else self.foreign.append(r.url))

    def sign_in(self, token: str) -> None:
        self.page.goto(self.base + "/")
        self.page.wait_for_selector("#gb-token")
        assert self.page.title() == "Sign in · GlassBox"
        self.page.keyboard.type(token)  # the token field has the focus
        self.page.keyboard.press("Enter")
        self.page.wait_for_selector("h1:has-text('Projects')")

    def open_report(self, report_id: str) -> float:
        started = time.perf_counter()
        self.page.goto(f"{self.base}/reports/{report_id}")
        self.page.wait_for_selector(".gb-versions li")
        return time.perf_counter() - started

    def field(self, fid: str) -> Any:
        return self.page.locator(f'[data-field="{fid}"]')

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"dashboard_{name}.png"), full_page=name.endswith("full"))

    def check_clean(self, expected: tuple[str, ...] = ()) -> None:
        # a 409 answers a save that met a newer version: the optimistic protocol, handled by the page;
        # ``expected`` names other refusals a test provoked on purpose (e.g. "422")
        allowed = ("status of 409 (Conflict)", *(f"status of {status}" for status in expected))
        errors = [e for e in self.errors if not any(a in e for a in allowed)]
        assert errors == [], errors
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"


def test_an_officer_reviews_edits_resolves_a_conflict_and_approves(chromium: Any, served: Any) -> None:
    server, tokens, _project, report_id = served
    reset_artifacts("dashboard")
    ofelia, otto = Browser(chromium, server), Browser(chromium, server)
    try:
        ofelia.sign_in(tokens["ofelia"])
        ofelia.shot("projects")
        ofelia.page.click("text=loans")
        ofelia.page.wait_for_selector("h2:has-text('Annex IV reports')")
        assert ofelia.page.title() == "loans · GlassBox"
        row = ofelia.page.locator("tr", has_text="Loan approval: Annex IV")
        assert row.locator(".gb-missing").inner_text() == "2" and "in review" in row.inner_text()
        assert "ana" in row.inner_text()  # last saved by
        ofelia.shot("project")
        ofelia.page.click("text=Loan approval: Annex IV")
        ofelia.page.wait_for_selector(".gb-versions li")
        assert ofelia.page.title() == "Loan approval: Annex IV · GlassBox"
        sections = ofelia.page.locator("section.gb-section > h2").all_inner_texts()
        assert sections[0] == "Findings filed as evidence"
        assert [s.split(".")[0] for s in sections[1:10]] == [str(i) for i in range(1, 10)], sections
        approve = ofelia.page.locator("button:has-text('Approve this version')")
        assert approve.is_disabled()
        assert "2 fields missing: 2(e).oversight, 9.post_market" in ofelia.page.inner_text("#gb-approve-why")
        evidence = ofelia.page.locator(".gb-evidence summary", has_text="Decision logic of loan_approval as rules")
        assert evidence.count() >= 1
        # the filed finding's live RulesView, mounted without a kernel: a click selects a rule
        rules = ofelia.page.locator(".gb-findings .gb-rules-view")
        rules.wait_for()
        assert "debt_ratio" in rules.inner_text()
        ofelia.shot("report_findings")
        ofelia.shot("report")

        # ofelia fills one missing field; the autosave stores it as a new version
        oversight = ofelia.field("2(e).oversight").locator("textarea")
        oversight.fill("A loan officer reviews **every** denial within two days.")
        ofelia.field("2(e).oversight").locator(".gb-save-state").get_by_text("Saved in version 3").wait_for()
        assert "<strong>every</strong>" in ofelia.field("2(e).oversight").locator(".gb-markdown").inner_html()

        # otto opens the same report and saves the other missing field first
        otto.sign_in(tokens["otto"])
        otto.open_report(report_id)
        otto.field("9.post_market").locator("textarea").fill("Monthly drift checks (otto).")
        otto.field("9.post_market").locator("textarea").blur()
        otto.field("9.post_market").locator(".gb-save-state").get_by_text("Saved in version 4").wait_for()

        # ofelia, still on version 3, writes the same field: a conflict, both texts shown, hers kept
        post = ofelia.field("9.post_market")
        post.locator("textarea").fill("Quarterly reviews of approvals by group (ofelia).")
        post.locator(".gb-conflict").wait_for(state="visible")
        conflict = post.locator(".gb-conflict").inner_text()
        assert "otto saved this field first (version 4)" in conflict and "Monthly drift checks" in conflict
        assert post.locator("textarea").input_value() == "Quarterly reviews of approvals by group (ofelia)."
        assert approve.is_disabled()  # nothing is missing on the server, but her text is not saved
        assert ofelia.page.inner_text("#gb-approve-why") == "save or resolve your changes first"
        ofelia.shot("conflict")
        post.locator("button:has-text('Save mine over theirs')").click()
        post.locator(".gb-save-state").get_by_text("Saved in version 5").wait_for()
        assert post.locator(".gb-conflict").is_hidden()

        # nothing is missing: she approves, then downloads the PDF of that version
        approve.wait_for(state="visible")
        ofelia.page.wait_for_function("() => !document.querySelector('.gb-toolbar .gb-button').disabled")
        approve.click()
        ofelia.page.get_by_text("Version 5 approved by you").wait_for()
        assert "approved by ofelia" in ofelia.page.inner_text(".gb-summary")
        with ofelia.page.expect_download() as download:
            ofelia.page.click(".gb-export:has-text('PDF')")
        pdf = Path(download.value.path())
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        words = " ".join(text.split())
        assert "Quarterly reviews of approvals by group (ofelia)." in words and "ANNEX IV" in words, words[:3000]
        assert "Every field is filled." in words

        # the version history shows what changed between two versions
        ofelia.page.select_option("select[name=a]", "3")
        ofelia.page.select_option("select[name=b]", "5")
        ofelia.page.click("button:has-text('Show changes')")
        ofelia.page.wait_for_selector(".gb-diff-item")
        diff = ofelia.page.inner_text(".gb-diff")
        assert "9.post_market" in diff and "2(e).oversight" not in diff
        assert ofelia.page.locator(".gb-diff ins", has_text="Quarterly").count() == 1
        ofelia.shot("approved_full")

        # what the API keeps agrees with what the page said
        kept = server.call("GET", f"/reports/{report_id}", tokens["ofelia"]).json()
        assert kept["approved_version"] == 5 and kept["missing"] == []
        load = ofelia.open_report(report_id)
        (ARTIFACTS / "dashboard_timing.json").write_text(json.dumps({"report_page_load_s": round(load, 3)}))
        ofelia.check_clean()
        otto.check_clean()
    finally:
        ofelia.context.close()
        otto.context.close()


def test_a_viewer_reads_only_and_another_project_sees_nothing(chromium: Any, served: Any) -> None:
    server, tokens, _project, report_id = served
    vic, bob = Browser(chromium, server), Browser(chromium, server, width=390, height=844)
    try:
        vic.sign_in(tokens["vic"])
        vic.open_report(report_id)
        box = vic.field("1.purpose").locator("textarea")
        assert box.get_attribute("readonly") is not None
        assert vic.page.locator("button:has-text('Approve this version')").is_disabled()
        assert vic.page.inner_text("#gb-approve-why") == "only an officer signs a report off"
        kept = server.call("GET", f"/reports/{report_id}", tokens["vic"]).json()["version"]
        box.press("End")
        box.type(" more", delay=5)
        time.sleep(1.5)
        assert server.call("GET", f"/reports/{report_id}", tokens["vic"]).json()["version"] == kept

        bob.sign_in(tokens["bob"])
        bob.page.goto(f"{bob.base}/reports/{report_id}")
        bob.page.wait_for_selector("h1:has-text('Not found')")
        assert "no such page in your projects" in bob.page.inner_text("main")
        assert "Loan approval" not in bob.page.content()
        # a 390 px wide phone: nothing wider than the screen
        ana = Browser(chromium, server, width=390, height=844)
        try:
            ana.sign_in(tokens["ana"])
            ana.open_report(report_id)
            assert ana.page.evaluate("document.documentElement.scrollWidth") <= 390
            ana.shot("report_phone")
            # the analysis pages fit the phone too, and the keyboard alone reaches each form's start button
            for page, start in (("distill", "Start"), ("transformer", "Start"), ("endpoint", "Start the audit")):
                ana.page.goto(f"{ana.base}/projects/{_project}/{page}")
                ana.page.wait_for_selector("form.gb-form button[type=submit]")
                assert ana.page.evaluate("document.documentElement.scrollWidth") <= 390, page
                ana.shot(f"{page}_phone")
                reached = []
                for _ in range(40):
                    ana.page.keyboard.press("Tab")
                    reached.append(ana.page.evaluate("document.activeElement.textContent.trim()"))
                    if reached[-1] == start:
                        break
                assert reached[-1] == start, (page, reached)
            ana.check_clean()
        finally:
            ana.context.close()
        vic.check_clean()
    finally:
        vic.context.close()
        bob.context.close()


def test_jobs_show_progress_and_errors_and_can_be_cancelled_and_the_audit_log_reads(
    chromium: Any, served: Any, tmp_path: Path
) -> None:
    import io

    import torch

    server, tokens, project, _report_id = served
    net = tmp_path / "net.torchscript"
    torch.jit.save(torch.jit.script(torch.nn.Sequential(torch.nn.Linear(2, 1))), str(net))
    files = {"file": ("net.torchscript", io.BytesIO(net.read_bytes()), "application/octet-stream")}
    bare = server.call("POST", f"/projects/{project}/models", tokens["ana"], files=files).json()["id"]
    server.call("POST", f"/projects/{project}/analyses", tokens["ana"], json={"kind": "logic", "model_id": bare})
    # (first: with one job worker, it fails at once; the long one then runs until cancelled)
    long_job = server.call(
        "POST",
        f"/projects/{project}/analyses",
        tokens["ana"],
        json={
            "kind": "math",
            "model_id": server.call(
                "POST", f"/projects/{project}/models/demo", tokens["ana"], json={"demo": "friedman_mlp"}
            ).json()["id"],
            "params": {"generations": 5000, "n": 3000},
        },
    ).json()
    ana, ofelia = Browser(chromium, server), Browser(chromium, server)
    try:
        ana.sign_in(tokens["ana"])
        ana.page.click("header a:has-text('Jobs')")  # the jobs of every project of the user
        ana.page.wait_for_selector("h1:has-text('Jobs')")
        assert ana.page.title() == "Jobs · GlassBox"
        ana.page.locator("tr", has_text="logic").locator(".gb-state-failed").wait_for(timeout=120_000)
        assert "params.spec" in ana.page.locator("tr", has_text="logic").inner_text()  # the reason, as the job says
        assert ana.page.locator("tr", has_text="logic").locator("a:has-text('loans')").count() == 1
        running = ana.page.locator("tr", has_text="math")
        running.locator(".gb-state-running").wait_for(timeout=120_000)
        ana.shot("jobs")
        running.locator("button:has-text('Cancel')").click()
        running.locator(".gb-state-cancelled").wait_for(timeout=60_000)
        assert server.call("GET", f"/analyses/{long_job['id']}", tokens["ana"]).json()["state"] == "cancelled"
        assert ana.page.locator("a:has-text('Audit log')").count() == 0  # analysts do not read the log
        ana.page.click("tr:has-text('logic') a:has-text('loans')")  # the project page lists the same jobs
        ana.page.locator("section:has(h2:has-text('Jobs')) tr", has_text="cancelled").wait_for()
        bob = Browser(chromium, server)
        try:  # another project's member sees none of them
            bob.sign_in(tokens["bob"])
            bob.page.goto(f"{bob.base}/jobs")
            bob.page.get_by_text("No job has run in your projects.").wait_for()
            bob.check_clean()
        finally:
            bob.context.close()

        ofelia.sign_in(tokens["ofelia"])
        ofelia.page.click("a:has-text('Audit log')")
        ofelia.page.wait_for_selector("table.gb-audit")
        assert ofelia.page.title() == "Audit log · GlassBox"
        log = ofelia.page.inner_text("table.gb-audit")
        assert "cancel\tanalysis" in log and "create\tmodel" in log and "sign_in" not in log  # sign-ins: admins only
        ofelia.shot("audit")
        ana.check_clean()
        ofelia.check_clean()
    finally:
        ana.context.close()
        ofelia.context.close()


def test_an_analyst_distills_a_model_watches_the_front_grow_and_files_it(chromium: Any, served: Any) -> None:
    server, tokens, project, report_id = served
    ana = Browser(chromium, server)
    try:
        ana.sign_in(tokens["ana"])
        ana.page.goto(f"{ana.base}/projects/{project}")
        ana.page.click("text=Distill a model")
        ana.page.wait_for_selector("#gb-model")
        assert ana.page.title() == "Distill a model · loans · GlassBox"
        ana.page.select_option("select[aria-label='Demo model to add']", "ideal_gas")
        ana.page.click("button:has-text('Add demo model')")
        ana.page.wait_for_function("() => document.querySelectorAll('.gb-inputs tbody tr').length === 3")
        names = ana.page.eval_on_selector_all(".gb-inputs input[name=name]", "els => els.map(e => e.value)")
        units = ana.page.eval_on_selector_all(".gb-inputs input[name=unit]", "els => els.map(e => e.value)")
        assert names == ["n", "T", "V"] and units == ["mol", "K", "m^3"]  # from the model's card

        ana.page.fill(".gb-inputs tr:nth-child(2) input[name=low]", "400")  # T: low above high
        ana.page.click("button:has-text('Start')")
        assert "input T: low (400) must be below high (350)" in ana.page.inner_text(".gb-form > .gb-status")
        ana.page.fill(".gb-inputs tr:nth-child(2) input[name=low]", "250")
        ana.page.fill("#gb-budget", "40")
        ana.page.click("button:has-text('Start')")

        # the front arrives over server-sent events and is drawn by the same ParetoPicker as in JupyterLab
        ana.page.wait_for_selector(".gb-pareto-picker .gb-pareto-table tbody tr, .gb-pareto-picker table tbody tr")
        ana.page.get_by_text("File the finding").wait_for(timeout=300_000)
        assert ana.page.inner_text(".gb-job-state").startswith("done")
        rows = ana.page.locator(".gb-pareto-picker table tbody tr")
        assert rows.count() >= 2, rows.count()
        # pick another equation than the default: that one is filed (with its own fidelity)
        other = ana.page.locator(".gb-pareto-picker table tbody tr[aria-selected=false]").first
        other.click()
        other.wait_for(state="attached")
        ana.page.wait_for_selector(".gb-pareto-picker table tbody tr.gb-selected")
        picked_text = ana.page.inner_text(".gb-pareto-picker table tbody tr.gb-selected")
        ana.shot("distill_full")
        ana.page.select_option("select[aria-label='Report to file the finding in']", label="Loan approval: Annex IV")
        ana.page.click("button:has-text('File the finding')")
        ana.page.get_by_text("Filed in version 3").wait_for()
        ana.page.click(".gb-after a:has-text('Loan approval: Annex IV')")
        ana.page.wait_for_selector(".gb-versions li")
        kept = server.call("GET", f"/reports/{report_id}", tokens["ana"]).json()
        assert kept["version"] == 3 and len(kept["finding_ids"]) == 2
        filed = server.call("GET", f"/findings/{kept['finding_ids'][1]}", tokens["ana"]).json()
        artifact = filed["finding"]["artifact"]
        assert filed["source"] == "job pick" and artifact["selected"] != artifact["best"]
        assert picked_text.split()[0] == str(artifact["pareto_front"][artifact["selected"]]["complexity"])
        assert ana.page.locator(".gb-evidence summary", has_text="Closed-form description of P").count() == 1
        assert ana.page.locator(".gb-findings details").count() == 2  # the rules and the job's equations
        ana.page.locator(".gb-findings summary", has_text="(symbolic)").click()
        ana.page.locator(".gb-findings .gb-pareto-picker").wait_for()
        ana.check_clean()
    finally:
        ana.context.close()


def test_an_analyst_uploads_a_model_distills_it_and_the_project_lists_it(
    chromium: Any, served: Any, tmp_path: Path
) -> None:
    import torch

    server, tokens, project, _report_id = served
    net = torch.nn.Linear(2, 1)
    with torch.no_grad():
        net.weight.copy_(torch.tensor([[2.0, -1.0]]))
        net.bias.zero_()
    scripted = tmp_path / "linear_net.torchscript"
    torch.jit.save(torch.jit.script(net), str(scripted))
    weights = tmp_path / "weights.safetensors"
    weights.write_bytes(b"not really weights")
    ana = Browser(chromium, server)
    try:
        ana.sign_in(tokens["ana"])
        ana.page.goto(f"{ana.base}/projects/{project}/distill")
        ana.page.wait_for_selector("#gb-model")
        ana.page.click("summary:has-text('Upload a model file')")
        # refused in the page: a safetensors file without its architecture card
        ana.page.set_input_files("#gb-upload-file", str(weights))
        ana.page.click("button:has-text('Upload')")
        assert "give its architecture card" in ana.page.inner_text(".gb-upload .gb-status")
        # refused by the server, its reason shown: an architecture from a module the server does not allow
        ana.page.fill("#gb-upload-card", '{"architecture": "os:system"}')
        ana.page.click("button:has-text('Upload')")
        ana.page.wait_for_selector(".gb-upload .gb-error:has-text('not from a module this server allows')")
        assert server.call("GET", f"/projects/{project}/models", tokens["ana"]).json() == []

        ana.page.fill("#gb-upload-card", "")
        ana.page.set_input_files("#gb-upload-file", str(scripted))
        ana.page.fill("#gb-upload-name", "linear net")
        ana.page.press("#gb-upload-name", "Enter")  # uploads; does not start a job
        ana.page.get_by_text("Stored linear net (torch)").wait_for()
        assert ana.page.eval_on_selector("#gb-model", "s => s.selectedOptions[0].textContent") == "linear net (torch)"
        assert server.call("GET", f"/projects/{project}/analyses", tokens["ana"]).json() == []
        ana.shot("distill_upload")

        ana.page.fill(".gb-inputs tr:nth-child(1) input[name=name]", "a")
        ana.page.fill(".gb-inputs tr:nth-child(1) input[name=low]", "-1")
        ana.page.fill(".gb-inputs tr:nth-child(1) input[name=high]", "1")
        ana.page.click("button:has-text('Add input')")
        for column, value in (("name", "b"), ("low", "-1"), ("high", "1")):
            ana.page.fill(f".gb-inputs tr:nth-child(2) input[name={column}]", value)
        ana.page.select_option("select[aria-label='Budget in']", "time_limit")  # seconds instead of generations
        ana.page.fill("#gb-budget", "3")
        ana.page.click("button:has-text('Start')")
        ana.page.get_by_text("File the finding").wait_for(timeout=300_000)
        assert ana.page.inner_text(".gb-job-state").startswith("done")
        job = server.call("GET", f"/projects/{project}/analyses", tokens["ana"]).json()[0]
        assert job["params"]["time_limit"] == 3 and job["params"]["generations"] is None
        finding = server.call("GET", f"/findings/{job['finding_id']}", tokens["ana"]).json()
        assert finding["finding"]["fidelity"]["value"] > 0.999, finding["finding"]["fidelity"]  # y = 2a - b

        ana.page.goto(f"{ana.base}/projects/{project}")
        models = ana.page.locator("section:has(h2:has-text('Models')) tbody tr")
        models.first.wait_for()
        assert models.count() == 1
        cells = models.first.locator("td").all_inner_texts()
        assert cells[:2] == ["linear net", "torch"] and cells[3] == "3", cells  # 2 weights and a bias
        ana.shot("project_full")
        ana.check_clean(expected=("422",))
    finally:
        ana.context.close()


def test_an_analyst_finds_a_circuit_in_the_demo_transformer_from_the_page(chromium: Any, served: Any) -> None:
    import glassbox

    server, tokens, project, _report_id = served
    prompts = glassbox.demos.ioi_prompts(8, seed=0)
    lines = "\n".join(
        f"{p.prompt} | {p.correct.strip()} | {p.incorrect.strip()} | {p.corrupted_prompt}" for p in prompts
    )
    ana = Browser(chromium, server)
    try:
        ana.sign_in(tokens["ana"])
        ana.page.goto(f"{ana.base}/projects/{project}")
        ana.page.click("text=Transformer circuits")
        ana.page.wait_for_selector("#gb-prompts")
        assert ana.page.title() == "Transformer circuits · loans · GlassBox"
        ana.page.click("button:has-text('Add the demo IOI transformer')")
        ana.page.wait_for_function("() => document.querySelector('#gb-model').options.length === 1")
        ana.page.fill("#gb-prompts", lines + "\nWhen Mary and John went out, John gave it to | Mary Ann | John")
        ana.page.click("button:has-text('Start')")  # a two-token answer: the server names the prompt
        ana.page.get_by_text("prompts.8").wait_for()
        ana.page.fill("#gb-prompts", lines)
        ana.page.select_option("#gb-method", "taylor")
        ana.page.click("button:has-text('Start')")
        ana.page.locator(".gb-job .gb-circuit-heatmap").wait_for(timeout=300_000)
        assert ana.page.inner_text(".gb-job-state").startswith("done")
        heatmap = ana.page.inner_text(".gb-job .gb-circuit-heatmap")
        # the faithfulness measured by the job for its circuit (stored with the view), exact
        assert "sufficiency" in heatmap and "not computed yet" not in heatmap and "exact" in heatmap, heatmap
        # the logit lens of the same prompts: one read-out per layer, the last one the model's own logit diff
        lens = ana.page.locator(".gb-job .gb-lens-row .gb-lens-label").all_inner_texts()
        assert lens == ["embed", "after L0", "after L1"], lens
        ana.page.locator(".gb-job .gb-head-cell").first.hover()
        assert "direct effect" in ana.page.inner_text(".gb-job .gb-head-info")
        ana.shot("transformer_full")
        ana.page.click("button:has-text('File the finding')")  # into a new report
        ana.page.get_by_text("Filed in version 1").wait_for()
        ana.check_clean(expected=("422",))  # the two-token answer, refused on purpose
    finally:
        ana.context.close()


def test_an_analyst_audits_an_endpoint_with_a_key_entered_once(chromium: Any, served: Any) -> None:
    from tests.server.test_audit_jobs import Endpoint

    server, tokens, project, _report_id = served
    endpoint, secret = Endpoint(), "sk-e2e-0123456789abcdef"
    ana = Browser(chromium, server)
    try:
        ana.sign_in(tokens["ana"])
        ana.page.goto(f"{ana.base}/projects/{project}")
        ana.page.click("text=Audit an endpoint")
        ana.page.wait_for_selector("#gb-url")
        assert ana.page.title() == "Audit an endpoint · loans · GlassBox"
        ana.page.fill("#gb-key-name", "loan-bot staging")
        ana.page.fill("#gb-key-value", secret)
        ana.page.click("button:has-text('Store the key')")
        ana.page.get_by_text('Stored "loan-bot staging"').wait_for()
        assert ana.page.input_value("#gb-key-value") == ""  # the page keeps no copy
        assert ana.page.eval_on_selector("#gb-key", "s => s.selectedOptions[0].text") == "loan-bot staging"
        ana.page.fill("#gb-url", endpoint.url)
        ana.page.fill("#gb-endpoint-model", "loan-bot")
        ana.page.fill("#gb-decision", "Applicant {name}, income {income}. Approve or deny?")
        ana.page.fill("#gb-variables", "name: Ana, Bo\nincome: low")
        ana.page.click("button:has-text('Start the audit')")
        assert "line 2: income needs at least two values" in ana.page.inner_text(".gb-form > .gb-status")
        ana.page.fill("#gb-variables", "name: Ana, Bo\nincome: low, high")
        ana.page.fill("#gb-protected", "name")
        ana.page.fill("#gb-contexts", "4")
        ana.page.click("button:has-text('Start the audit')")
        ana.page.locator(".gb-job .gb-audit-view").wait_for(timeout=300_000)
        assert ana.page.inner_text(".gb-job-state").startswith("done")
        shown = ana.page.inner_text(".gb-job .gb-audit-view")
        assert "name" in shown and "income" in shown, shown
        assert endpoint.keys == {f"Bearer {secret}"}  # the stored key reached the endpoint
        # a click on a variable lists its flipped decisions from the choices stored with the view (no Python)
        ana.page.locator(".gb-job .gb-var-row[data-name='income']").focus()
        ana.page.keyboard.press("Enter")  # keyboard works as a click does
        flips = ana.page.locator(".gb-job .gb-flips-body")
        flips.get_by_text("high").first.wait_for()
        assert "low" in flips.inner_text(), flips.inner_text()
        ana.shot("endpoint_full")
        assert secret not in ana.page.content()
        ana.page.reload()  # the key is listed by name, never shown
        # the stored keys are listed once the page has fetched them (asynchronously after load)
        ana.page.locator("#gb-key option", has_text="loan-bot staging").wait_for(state="attached")
        assert "loan-bot staging" in ana.page.inner_text("#gb-key") and secret not in ana.page.content()
        ana.check_clean()
    finally:
        ana.context.close()
        endpoint.close()


def test_serve_demo_prints_a_link_that_opens_the_demo_report_ready_for_review(chromium: Any, tmp_path: Path) -> None:
    import re

    server = Server(tmp_path / "data", f"sqlite:///{tmp_path / 'glassbox.db'}", ("--demo",))
    started = time.monotonic()
    server.start(timeout=480)
    filled_s = time.monotonic() - started
    try:
        printed = (tmp_path / "server.log").read_text()
        link = re.search(r"Review the demo report in the browser: (http://\S+/#token=(gbx_\S+))", printed)
        assert link is not None, printed[-2000:]
        officer = Browser(chromium, server)
        try:
            officer.page.goto(link.group(1))
            officer.page.wait_for_selector("h1:has-text('Projects')")
            assert "#token" not in officer.page.url  # the page dropped the token from the address bar
            assert "demo-officer · officer" in officer.page.inner_text(".gb-top")
            reports = officer.page.inner_text(".gb-report-list")
            assert "Annex IV: demo walkthrough" in reports and "in review" in reports and "missing" in reports
            officer.shot("demo_projects")
            report_id = officer.page.get_attribute(".gb-report-list a", "href").rsplit("/", 1)[-1]
            load_s = officer.open_report(report_id)  # the report page with the demo data, timed from navigation
            widgets = (".gb-pareto-picker", ".gb-rules-view", ".gb-circuit-heatmap", ".gb-audit-view")
            officer.page.eval_on_selector_all(".gb-findings details", "ds => ds.forEach(d => { d.open = true; })")
            for widget in widgets:  # each demo finding as the live widget the notebook shows
                officer.page.locator(f".gb-findings {widget}").wait_for()
            assert officer.page.locator("button:has-text('Approve this version')").is_disabled()
            officer.shot("demo_report")
            officer.check_clean()
        finally:
            officer.context.close()
        timing = ARTIFACTS / "dashboard_timing.json"
        kept = json.loads(timing.read_text()) if timing.exists() else {}
        kept.update({"demo_report_page_load_s": round(load_s, 3), "serve_demo_fill_s": round(filled_s, 1)})
        timing.write_text(json.dumps(kept, indent=2))
    finally:
        server.stop()
