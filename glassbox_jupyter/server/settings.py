"""What ``glassbox serve`` was started with.

Example:
    >>> settings = ServerSettings(data_dir="/tmp/gb-example")
    >>> settings.database_url.endswith("glassbox.db")
    True
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from glassbox_jupyter.server.db import default_url

API = "/api/v1"  # the prefix of every route of this API version


class ServerSettings(BaseModel):
    data_dir: Path = Field(default=Path("glassbox-data"), description="database (SQLite) and stored files")
    database: str | None = Field(default=None, description="database URL; default: SQLite in data_dir")
    workers: int = Field(default=1, ge=1, le=64, description="job worker processes")
    dask: str | None = Field(default=None, description="address of an existing Dask scheduler for jobs")
    max_upload_mb: float = Field(default=200.0, gt=0)
    allow_pickle: bool = Field(default=False, description="accept pickle model files (runs their code)")
    endpoint_hosts: tuple[str, ...] = Field(default=(), description="hosts whose endpoints audit jobs may call")

    @model_validator(mode="after")
    def _absolute(self) -> ServerSettings:
        self.data_dir = self.data_dir.expanduser().resolve()
        return self

    @property
    def database_url(self) -> str:
        return self.database or default_url(self.data_dir)

    @property
    def artifacts_dir(self) -> Path:
        return self.data_dir / "artifacts"

    @property
    def secret_file(self) -> Path:
        """The server's key that encrypts stored endpoint keys (unless ``$GLASSBOX_SECRET_KEY`` is set)."""
        return self.data_dir / "secret.key"
