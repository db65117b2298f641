"""Request and response bodies of the REST API (Pydantic), as the OpenAPI schema publishes them.

Example:
    >>> ProjectIn(name="loan model").name
    'loan model'
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    role: str


class ProjectIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)


class ProjectOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    created_at: datetime


class MemberIn(BaseModel):
    user: str = Field(min_length=1, max_length=80, description="the user's name")


# the widget bundles a dashboard can mount (static/<name>.js)
WIDGET_NAMES = (
    "audit_view",
    "circuit_heatmap",
    "flow_graph_explorer",
    "latent_usage_heatmap",
    "neuron_graph_view",
    "pareto_picker",
    "response_view",
    "rules_view",
)


class LiveView(BaseModel):
    widget: str = Field(description=f"the widget that draws it: one of {', '.join(WIDGET_NAMES)}")
    data: dict[str, Any] = Field(description="its view data (Finding.view_data())")
    selection: dict[str, Any] = Field(default_factory=dict, description="{value, details} when published")

    @field_validator("widget")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in WIDGET_NAMES:
            raise ValueError(f"unknown widget {name!r}: one of {', '.join(WIDGET_NAMES)}")
        return name


class FindingIn(BaseModel):
    finding: dict[str, Any] = Field(
        description="the Finding's JSON (finding.to_dict()), valid against finding.schema.json"
    )
    svg: str | None = Field(default=None, description="its static SVG view (finding.to_svg())")
    view: LiveView | None = Field(default=None, description="what its live widget shows (publish.live_view)")


class FindingOut(BaseModel):
    id: str
    project_id: str
    kind: str
    title: str
    source: str
    created_by: str
    created_at: datetime
    svg_url: str | None
    view_url: str | None = None
    finding: dict[str, Any]


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    user_name: str | None
    action: str
    resource: str
    resource_id: str | None
    project_id: str | None
    detail: dict[str, Any]
