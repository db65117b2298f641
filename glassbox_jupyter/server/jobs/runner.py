"""Start queued jobs, cancel them, and clean up after a crash.

Each job runs in a process of its own (spawned: a fresh interpreter, so a job cannot corrupt the
server and a cancel can stop it at once), at most ``workers`` at a time; with ``--dask`` jobs go
to the Dask cluster instead and a cancel stops them at their next progress step. The runner keeps
no state the database does not have: on start (``recover``) a job a killed server left
``running`` is marked failed with that reason, and queued jobs simply start.

Example:
    >>> RESTART_REASON.startswith("the server stopped")
    True
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from glassbox_jupyter.server.jobs.worker import execute_job
from glassbox_jupyter.server.settings import ServerSettings
from glassbox_jupyter.server.tables import Analysis, utcnow

log = logging.getLogger("glassbox.server.jobs")

RESTART_REASON = "the server stopped while this job was running (killed or restarted); submit it again"
POLL_SECONDS = 0.5


def recover(sessions: sessionmaker[Session]) -> int:
    """Mark jobs left ``running`` by a stopped server as failed; returns how many."""
    with sessions() as session:
        result = session.execute(
            update(Analysis)
            .where(Analysis.state == "running")
            .values(state="failed", error=RESTART_REASON, finished_at=utcnow())
        )
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


class JobRunner:
    """Runs the queued jobs of one server (a background thread)."""

    def __init__(self, settings: ServerSettings, sessions: sessionmaker[Session]):
        self.settings = settings
        self.sessions = sessions
        self.running: dict[str, Any] = {}  # job id -> process or Dask future
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._context = multiprocessing.get_context("spawn")
        self._dask: Any = None

    def start(self) -> None:
        recovered = recover(self.sessions)
        if recovered:
            log.warning("marked %d job(s) failed: %s", recovered, RESTART_REASON)
        if self.settings.dask:
            from dask.distributed import Client

            self._dask = Client(self.settings.dask)
        self._thread = threading.Thread(target=self._loop, name="glassbox-jobs", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for work now (a job was submitted or cancelled)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        for job_id, handle in list(self.running.items()):
            self._kill(handle)
            self._finish_if_running(
                job_id, "failed", "the server shut down while this job was running; submit it again"
            )
        if self._dask is not None:
            self._dask.close()

    # ------------------------------------------------------------------ the loop
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._reap()
                self._cancel_requested()
                self._start_queued()
            except Exception:  # keep the loop alive; the next round retries
                log.exception("job runner round failed")
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def _reap(self) -> None:
        for job_id, handle in list(self.running.items()):
            if self._dask is not None:
                if not handle.done():
                    continue
                error = handle.exception() if handle.status == "error" else None
                reason = f"the Dask worker failed: {error}" if error else "the job ended without a result"
            else:
                if handle.is_alive():
                    continue
                handle.join()
                reason = f"the job's process stopped (exit code {handle.exitcode}) before it finished"
            del self.running[job_id]
            self._finish_if_running(job_id, "failed", reason)

    def _cancel_requested(self) -> None:
        with self.sessions() as session:
            ids = set(
                session.scalars(
                    select(Analysis.id).where(Analysis.cancel_requested.is_(True), Analysis.state == "running")
                )
            )
        for job_id in ids & set(self.running):
            if self._dask is None:  # a local process stops now; a Dask task at its next progress step
                self._kill(self.running.pop(job_id))
                self._finish_if_running(job_id, "cancelled", "cancelled on request")

    def _start_queued(self) -> None:
        free = self.settings.workers - len(self.running)
        if free <= 0:
            return
        with self.sessions() as session:
            waiting = select(Analysis.id).where(Analysis.state == "queued", Analysis.id.not_in(list(self.running)))
            queued = list(session.scalars(waiting.order_by(Analysis.created_at).limit(free)))
        url, root = self.settings.database_url, str(self.settings.artifacts_dir)
        secret = str(self.settings.secret_file)
        for job_id in queued:
            if self._dask is not None:
                self.running[job_id] = self._dask.submit(execute_job, url, root, job_id, secret, pure=False)
            else:
                process = self._context.Process(
                    target=execute_job, args=(url, root, job_id, secret), name=f"glassbox-job-{job_id}"
                )
                process.start()
                self.running[job_id] = process

    # ------------------------------------------------------------------ helpers
    def _kill(self, handle: Any) -> None:
        if self._dask is not None:
            handle.cancel()
            return
        handle.terminate()
        handle.join(timeout=5)
        if handle.is_alive():
            handle.kill()
            handle.join(timeout=5)

    def _finish_if_running(self, job_id: str, state: str, reason: str) -> None:
        with self.sessions() as session:
            session.execute(
                update(Analysis)
                .where(Analysis.id == job_id, Analysis.state.in_(("queued", "running")))
                .values(state=state, error=reason, finished_at=utcnow())
            )
            session.commit()
