"""Run one job: load its model, run its capability, store the Finding (JSON and SVG).

``execute_job`` runs in a process of its own (or on a Dask worker) with nothing but the database
URL, the artifact folder and the job id, so it survives being moved to another machine that
shares them. It claims the job with one conditional UPDATE (queued → running), so a job never runs
twice. Progress is written as the job goes; a cancel request is honoured at the next progress
step; a failure stores its reason and keeps the progress already written.

Example:
    >>> JobCancelled("cancelled by ana").args[0]
    'cancelled by ana'
"""

from __future__ import annotations

import json
import logging
import tempfile
import traceback
from pathlib import Path
from typing import Any

from sqlalchemy import update

from glassbox_jupyter.finding.base import selection_key
from glassbox_jupyter.finding.publish import live_view
from glassbox_jupyter.server.artifacts import ArtifactStore
from glassbox_jupyter.server.db import make_engine, session_factory
from glassbox_jupyter.server.records import store_artifact, store_finding
from glassbox_jupyter.server.tables import Analysis, DatasetRecord, EndpointKey, ModelRecord, utcnow

log = logging.getLogger("glassbox.server.jobs")


class JobCancelled(Exception):
    """Raised inside a job when someone asked to cancel it."""


class JobInputError(ValueError):
    """The job cannot run on what it was given (a deleted model, a missing InputSpec...)."""


def load_model(record: ModelRecord, store: ArtifactStore, spec: Any, folder: Path, need_spec: bool = False) -> Any:
    """The model a record names: a demo by name, or the stored file read by the safe loaders.

    ``spec`` (the job's InputSpec) overrides the card's; ``need_spec`` makes a model without either
    an error that says to send one."""
    from glassbox_jupyter import demos
    from glassbox_jupyter.teacher.spec import InputSpec
    from glassbox_jupyter.teacher.teacher import Teacher

    if record.format == "demo":
        return demos.load(record.name)
    card = record.card
    if spec is None and isinstance(card.get("spec"), dict):
        spec = InputSpec.from_dict(card["spec"])
    if spec is None and need_spec:
        raise JobInputError(
            f"model {record.name!r} has no InputSpec: send params.spec (names, low, high per input) with the job"
        )
    assert record.artifact_sha256 is not None
    path = folder / card["file_name"]  # the upload's own (checked) name: its suffix picks the loader
    path.symlink_to(store.path(record.artifact_sha256))
    return Teacher.load(
        path,
        card.get("architecture"),
        spec=spec,
        architecture_kwargs=card.get("architecture_kwargs"),
        trust=record.format == "pickle",
        name=record.name,
    )


def load_dataset(record: DatasetRecord | None, project_id: str, store: ArtifactStore) -> Any:
    """The dataset a job names, read back from the store (checked again: the bytes are the upload's)."""
    from glassbox_jupyter.server.datasets import read_dataset

    if record is None or record.project_id != project_id or record.deleted_at is not None:
        raise JobInputError("its dataset was deleted before the job started")
    return read_dataset(store.path(record.artifact_sha256).read_bytes(), record.format)


def load_key(record: EndpointKey | None, project_id: str, secret_file: str | None) -> str:
    """The stored endpoint key a job names, decrypted here, in the job's own process."""
    from glassbox_jupyter.server.secrets import SecretBox

    if record is None or record.project_id != project_id or record.deleted_at is not None:
        raise JobInputError("its endpoint key was deleted before the job started")
    if secret_file is None:
        raise JobInputError("this worker was not given the server's secret file, so it cannot read stored keys")
    return SecretBox.open(Path(secret_file)).decrypt(record.ciphertext)


def execute_job(database_url: str, artifacts_root: str, job_id: str, secret_file: str | None = None) -> str:
    """Run job ``job_id`` to its end; returns its final state. ``secret_file``: the server's key
    that decrypts stored endpoint keys (``ServerSettings.secret_file``)."""
    from glassbox_jupyter.server.jobs.kinds import KINDS

    engine = make_engine(database_url)
    sessions = session_factory(engine)
    store = ArtifactStore(artifacts_root)
    try:
        with sessions() as session:
            claimed = session.execute(
                update(Analysis)
                .where(Analysis.id == job_id, Analysis.state == "queued", Analysis.cancel_requested.is_(False))
                .values(state="running", started_at=utcnow())
            )
            session.commit()
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return "skipped"
            job = session.get(Analysis, job_id)
            assert job is not None
            model_record = session.get(ModelRecord, job.model_id) if job.model_id else None
            kind, params_data, project_id = job.kind, dict(job.params), job.project_id
            dataset_id = params_data.get("dataset_id")
            dataset_record = session.get(DatasetRecord, dataset_id) if dataset_id else None
            key_id = params_data.get("key_id")
            key_record = session.get(EndpointKey, key_id) if key_id else None

        def progress(update_: dict[str, Any]) -> None:
            with sessions() as s:
                row = s.get(Analysis, job_id)
                if row is None or row.cancel_requested:
                    raise JobCancelled("cancelled on request")
                row.progress = {**row.progress, **json.loads(json.dumps(update_, default=str))}
                s.commit()

        try:
            job_kind = KINDS[kind]
            params = job_kind.params.model_validate(params_data)
            model = None
            with tempfile.TemporaryDirectory() as folder:
                if job_kind.needs_model:
                    if model_record is None or model_record.deleted_at is not None:
                        raise JobInputError("its model was deleted before the job started")
                    spec_in = getattr(params, "spec", None)
                    spec = spec_in.to_input_spec() if spec_in is not None else None
                    progress({"step": "loading the model"})
                    model = load_model(model_record, store, spec, Path(folder), job_kind.needs_spec)
                extra = {}
                if dataset_id:
                    progress({"step": "reading the dataset"})
                    extra["data"] = load_dataset(dataset_record, project_id, store)
                if key_id:
                    extra["api_key"] = load_key(key_record, project_id, secret_file)
                finding = job_kind.run(model, params, progress, **extra)
                data, svg, view = finding.to_dict(), finding.to_svg(), live_view(finding)
                picks = record_alternatives(finding)
            # a partial result (an audit whose endpoint stopped answering) is kept, and the job says why it failed
            partial = None if getattr(finding, "complete", True) else f"the result is partial: {finding.completeness()}"
        except JobCancelled:
            return _finish(sessions, job_id, "cancelled", "cancelled on request")
        except Exception as exc:  # the reason goes to the job; the server stays up
            reason = f"{type(exc).__name__}: {exc}"
            log.error("job %s failed: %s\n%s", job_id, reason, traceback.format_exc(limit=8))
            return _finish(sessions, job_id, "failed", reason)
        with sessions() as session:
            job = session.get(Analysis, job_id)
            assert job is not None
            record = store_finding(session, store, job.project_id, job.created_by, data, svg, "job", view)
            job.finding_id, job.finished_at = record.id, utcnow()
            if picks:  # what POST /analyses/{id}/pick files instead of the job's own selection
                stored = {"current": selection_key(finding.selection), "picks": picks}
                text = json.dumps(stored, ensure_ascii=False, allow_nan=False).encode("utf-8")
                job.picks_sha256 = store_artifact(session, store, text, "application/json")
            job.state, job.error = ("failed", partial) if partial else ("done", None)
            job.progress = {**job.progress, "step": "done" if not partial else "stopped"}
            session.commit()
        return "failed" if partial else "done"
    finally:
        engine.dispose()


def record_alternatives(finding: Any) -> dict[str, dict[str, Any]]:
    """The record (``finding``, ``svg``, ``view``) the Finding would have under each of its other
    record choices (``Finding.record_choices``: a front's other equations), keyed by
    ``selection_key``; the Finding's own selection is left as it was."""
    current = finding.selection
    others = [value for value in finding.record_choices() if value != current]
    picks: dict[str, dict[str, Any]] = {}
    try:
        for value in others:
            finding.select(value)
            picks[selection_key(value)] = {
                "finding": finding.to_dict(),
                "svg": finding.to_svg(),
                "view": live_view(finding),
            }
    finally:
        if others:
            finding.select(current)
    return picks


def _finish(sessions: Any, job_id: str, state: str, reason: str) -> str:
    """End the job as ``state`` with ``reason``; the progress it wrote stays (what it had found)."""
    with sessions() as session:
        job = session.get(Analysis, job_id)
        if job is not None:
            job.state, job.error, job.finished_at = state, reason, utcnow()
            session.commit()
    return state
