"""``glassbox serve --demo``: a fresh database gets the demo walkthrough's findings and report.

The findings are made the way notebooks/annex_iv_walkthrough.ipynb makes them (logic mode on the
loan model, math mode on the ideal-gas network, the IOI circuit, the black-box audit of the small
loan language model), filed into one Annex IV report in the project ``demo walkthrough``, owned by
a user ``glassbox-demo`` whose token is thrown away. To look at it, make yourself a member:
``glassbox users add NAME --role officer --project "demo walkthrough"``.

Example:
    >>> DEMO_PROJECT
    'demo walkthrough'
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from glassbox_jupyter.report.annex import AnnexIVReport
from glassbox_jupyter.server.artifacts import ArtifactStore
from glassbox_jupyter.server.tables import Project

DEMO_PROJECT = "demo walkthrough"
DEMO_USER = "glassbox-demo"
DEMO_OFFICER = "demo-officer"  # reviews the demo report; its token signs the browser in once
DEMO_GENERATIONS = 100


def walkthrough_report(say: Callable[[str], None] = print) -> AnnexIVReport:
    """The walkthrough's report with its four findings (about a minute on two cores)."""
    from glassbox_jupyter import demos
    from glassbox_jupyter.audit.auditor import BlackBoxAuditor
    from glassbox_jupyter.circuits.analyzer import CircuitAnalyzer
    from glassbox_jupyter.demos.loan_lm import AUDIT_VARIABLES, DECISION_PROMPT, EXPECTED, PROTECTED, load_loan_lm
    from glassbox_jupyter.distill import distill

    report = AnnexIVReport(
        model_name="GlassBox demo: loan pre-screening and physics surrogates",
        system_purpose="Demonstration system: pre-screens consumer loan applications for a human credit officer, "
        "and serves surrogate physics models. Not for use on real applicants.",
        provider_name="GlassBox demo provider (fictitious)",
        provider_address="1 Example Street, 1000 Brussels, Belgium",
        deployment_context="Internal decision support; not placed on the market.",
        version="demo-2026.11",
    )
    say("demo: rules for the loan model (logic mode)")
    report.add(distill(demos.load("loan_approval"), mode="logic", max_leaves=16, seed=0), section="2b")
    say(f"demo: equations for the ideal-gas network (math mode, {DEMO_GENERATIONS} generations)")
    report.add(distill(demos.load("ideal_gas"), generations=DEMO_GENERATIONS, seed=0, live=False), section="2b")
    say("demo: the IOI circuit of the demo transformer")
    circuit = CircuitAnalyzer(demos.load("ioi")).analyze(prompts=demos.ioi_prompts(20, seed=0))
    report.add(circuit, section="2e")
    say("demo: black-box audit of the loan language model")
    auditor = BlackBoxAuditor(load_loan_lm(), progress=False, seed=0)
    audit = auditor.audit(DECISION_PROMPT, *EXPECTED, context_variables=AUDIT_VARIABLES, protected=PROTECTED)
    report.add(audit, section="3")
    return report


def fill_demo(sessions: sessionmaker[Session], store: ArtifactStore, say: Callable[[str], None] = print) -> str | None:
    """Add the demo project, findings and report unless the database has them. Returns, when it added
    them, the API token of the demo's compliance officer (``DEMO_OFFICER``) for the caller to show
    once (``glassbox serve --demo`` prints a sign-in link); None when the demo was there already.
    ``say`` never hears a token."""
    from glassbox_jupyter.finding.publish import svg_of
    from glassbox_jupyter.server.reports import store_imported_report
    from glassbox_jupyter.server.users import add_user

    with sessions() as session:
        if session.scalar(select(Project).where(Project.name == DEMO_PROJECT)) is not None:
            say(f"demo: project {DEMO_PROJECT!r} is there already")
            return None
    report = walkthrough_report(say)
    with sessions() as session:
        owner, _token = add_user(session, DEMO_USER, "analyst", (DEMO_PROJECT,))  # the token is not kept
        _officer, officer_token = add_user(session, DEMO_OFFICER, "officer", (DEMO_PROJECT,))
        project = session.scalar(select(Project).where(Project.name == DEMO_PROJECT))
        assert project is not None
        data = report.to_dict()
        findings = [{k: v for k, v in f.items() if k != "origin"} for f in data["findings"]]
        svgs = [svg_of(stored.static_html) for stored in report.findings]
        views = [stored.view for stored in report.findings]  # the dashboard shows them as live widgets
        title = "Annex IV: demo walkthrough"
        store_imported_report(session, store, project.id, owner, title, data, findings, svgs, views)
    say(
        f"demo: project {DEMO_PROJECT!r} filled (4 findings, 1 report). To review it, open the sign-in link "
        f'below, or make your own user: glassbox users add NAME --role officer --project "{DEMO_PROJECT}"'
    )
    return officer_token
