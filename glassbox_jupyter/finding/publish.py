"""Send Findings and reports from a kernel to a GlassBox server (``glassbox serve``).

The server's address and an API token come from the arguments or from the environment
(``GLASSBOX_SERVER``, ``GLASSBOX_TOKEN``), so a notebook never has to hold the token: it is sent
in the ``Authorization`` header and appears in nothing this module returns, prints or raises.
A project is named by its name or id. What was published is what the server stores: the
Finding's JSON as ``to_dict()`` makes it, and its SVG view.

Example:
    >>> Published("finding", "0123456789abcdef", "http://127.0.0.1:8765", "loans")
    Published(finding 0123456789abcdef in project loans at http://127.0.0.1:8765/api/v1/findings/0123456789abcdef)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from glassbox_jupyter.errors import PublishError

API = "/api/v1"


@dataclass(frozen=True)
class Published:
    """Where a published Finding or report lives on the server."""

    what: str  # "finding" or "report"
    id: str
    server: str
    project: str

    @property
    def url(self) -> str:
        return f"{self.server}{API}/{self.what}s/{self.id}"

    def __repr__(self) -> str:
        return f"Published({self.what} {self.id} in project {self.project} at {self.url})"


class ServerClient:
    """An HTTP client for one server and token (from the arguments or the environment)."""

    def __init__(self, server: str | None = None, token: str | None = None, timeout: float = 60.0):
        import httpx

        url = (server or os.environ.get("GLASSBOX_SERVER") or "").rstrip("/")
        secret = token or os.environ.get("GLASSBOX_TOKEN") or ""
        if not url:
            raise PublishError("no server to publish to: pass server='http://host:8765' or set GLASSBOX_SERVER")
        if not re.match(r"^https?://", url):
            raise PublishError(f"server {url!r} is not an http(s) address such as http://127.0.0.1:8765")
        if not secret:
            raise PublishError(
                "no API token: set GLASSBOX_TOKEN in the kernel's environment (make one with "
                "`glassbox users add NAME --role analyst`); keep it out of the notebook"
            )
        self.server = url
        self._client = httpx.Client(base_url=url + API, headers={"Authorization": f"Bearer {secret}"}, timeout=timeout)

    def request(self, method: str, path: str, **kw: Any) -> Any:
        import httpx

        try:
            answer = self._client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            raise PublishError(f"cannot reach the GlassBox server at {self.server}: {type(exc).__name__}") from None
        if answer.status_code >= 400:
            try:
                detail = answer.json().get("detail")
            except ValueError:
                detail = answer.text[:300]
            raise PublishError(f"the server refused {method} {path} ({answer.status_code}): {detail}")
        return answer.json()

    def project_id(self, project: str) -> tuple[str, str]:
        """``(id, name)`` of the caller's project named ``project`` (by name or id)."""
        projects = self.request("GET", "/projects")
        for p in projects:
            if project in (p["id"], p["name"]):
                return p["id"], p["name"]
        names = ", ".join(repr(p["name"]) for p in projects) or "none"
        raise PublishError(f"no project {project!r} among yours on {self.server} (yours: {names})")

    def close(self) -> None:
        self._client.close()


def live_view(finding: Any) -> dict[str, Any] | None:
    """What the Finding's live widget shows, for hosts without a kernel (the server's dashboard, the
    exported HTML report): ``{"widget": <bundle name>, "data": <view data>, "selection": {"value",
    "details"[, "choices"]}}`` (``choices``: the details of each other selection, where the Finding
    offers them); None when the Finding has no widget.

    It is built from the Finding itself, as its widget's synced state is, without making a widget:
    in a kernel a widget made and closed at once would reach the browser half-made."""
    from glassbox_jupyter.finding.jsonable import jsonable

    name = finding_widget_name(finding)
    if name is None:
        return None
    selection = {"value": jsonable(finding.selection), "details": jsonable(finding.selection_details())}
    choices = finding.selection_choices()
    if choices:  # what a click shows without Python (see Finding.selection_choices)
        selection["choices"] = jsonable(choices)
    return {"widget": name, "data": jsonable(finding.view_data()), "selection": selection}


def finding_widget_name(finding: Any) -> str | None:
    """The bundle name of the widget ``finding.widget()`` returns, read from its return annotation
    (no widget is made); None for a Finding without its own widget.

    Example:
        >>> class Demo:
        ...     def widget(self) -> "ParetoPicker": ...
        >>> finding_widget_name(Demo())
        'pareto_picker'
    """
    import inspect

    method = getattr(type(finding), "widget", None)
    annotation = inspect.get_annotations(method).get("return") if method is not None else None
    name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", None)
    name = name.strip("'\"") if name else None  # a quoted annotation under postponed evaluation
    if not name or name in ("AnyWidget", "Any"):
        return None
    return snake_case(name.rsplit(".", 1)[-1])


def widget_name(cls: type) -> str:
    """The bundle name of a widget class (``static/<name>.js``): ``ParetoPicker`` → ``pareto_picker``.

    Example:
        >>> widget_name(type("FlowGraphExplorer", (), {}))
        'flow_graph_explorer'
    """
    return snake_case(cls.__name__)


def snake_case(name: str) -> str:
    """``FlowGraphExplorer`` → ``flow_graph_explorer``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def publish_finding(finding: Any, project: str, server: str | None = None, token: str | None = None) -> Published:
    """Publish ``finding`` (its JSON, SVG view and live view data) to ``project`` on the server."""
    client = ServerClient(server, token)
    try:
        project_id, name = client.project_id(project)
        body = {"finding": finding.to_dict(), "svg": finding.to_svg(), "view": live_view(finding)}
        made = client.request("POST", f"/projects/{project_id}/findings", json=body)
        return Published("finding", made["id"], client.server, name)
    finally:
        client.close()


def svg_of(static_html: str | None) -> str | None:
    """The SVG inside a stored static view (None when it has none)."""
    if not static_html:
        return None
    start, end = static_html.find("<svg"), static_html.rfind("</svg>")
    return static_html[start : end + len("</svg>")] if start >= 0 and end > start else None


def publish_report(
    report: Any, project: str, title: str | None = None, server: str | None = None, token: str | None = None
) -> Published:
    """Publish an ``AnnexIVReport`` (its texts and Findings, with their SVG and live views) to ``project``."""
    client = ServerClient(server, token)
    try:
        project_id, name = client.project_id(project)
        body = {
            "title": title or report.model_name or "Annex IV report",
            "report": report.to_dict(),
            "svgs": [svg_of(stored.static_html) for stored in report.findings],
            "views": [stored.view for stored in report.findings],
        }
        made = client.request("POST", f"/projects/{project_id}/reports/import", json=body)
        return Published("report", made["id"], client.server, name)
    finally:
        client.close()
