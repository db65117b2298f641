"""Ask a provider many prompts with bounded concurrency, keeping every answer that arrived.

A failing probe is recorded (its error class and redacted message) and the run goes on; a fatal error (a
refused key, a wrong address) or ``stop_after_failures`` failures in a row stop it from sending more. Ctrl-C
stops it too: prompts not yet sent are dropped, those in flight are awaited (retry waits end at once), and
everything answered is kept.

Example:
    >>> from glassbox_jupyter.audit.providers import as_provider
    >>> run = run_queries(as_provider(lambda p: "yes"), [("first", 0)], ["Ok?"], "yes", "no", progress=False)
    >>> run.answers[("first", 0)].label, run.interrupted
    ('positive', False)
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Any

from glassbox_jupyter.audit.errors import ProviderCancelledError, ProviderResponseError
from glassbox_jupyter.teacher.blackbox import Decision, Provider

Job = tuple[str, int]


@dataclass
class RunResult:
    """What came back: answers by job, recorded errors, how many jobs were sent, and why the run stopped early."""

    answers: dict[Job, Decision] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    asked: int = 0
    interrupted: bool = False
    stopped: str | None = None


def run_queries(
    provider: Provider,
    jobs: list[Job],
    prompts: list[str],
    positive: str,
    negative: str,
    *,
    max_concurrency: int | None = None,
    stop_after_failures: int = 20,
    progress: bool = True,
) -> RunResult:
    """Ask ``prompts[i]`` for each job ``(kind, i)``, ``provider.batch_size`` prompts per call."""
    from tqdm.auto import tqdm

    workers = max(1, int(max_concurrency or provider.max_concurrency))
    size = max(1, int(provider.batch_size))
    batches = iter([jobs[i : i + size] for i in range(0, len(jobs), size)])
    result = RunResult()
    failures_in_a_row = 0
    pending: dict[Future, list[Job]] = {}
    bar = tqdm(total=len(jobs), desc="auditing", unit="prompt", disable=not progress, leave=False)

    def ask(batch: list[Job]) -> list[Decision]:
        if provider.cancelled.is_set():
            raise ProviderCancelledError("the audit stopped before this prompt was sent")
        try:
            decisions = provider.decide_batch([prompts[i] for _, i in batch], positive, negative)
        except Exception as exc:
            if getattr(exc, "fatal", False):  # stop the other workers now, not when the main thread looks
                provider.cancelled.set()
            raise
        if len(decisions) != len(batch):
            raise ProviderResponseError(f"the provider gave {len(decisions)} decisions for {len(batch)} prompts")
        return decisions

    def collect(future: Future, batch: list[Job]) -> None:
        nonlocal failures_in_a_row
        try:
            decisions = future.result()
        except ProviderCancelledError:
            return  # never sent: counts as not asked
        except Exception as exc:  # a failing probe is recorded, not raised: the others still count
            result.asked += len(batch)
            bar.update(len(batch))
            message = provider.redact(str(exc)) or type(exc).__name__
            for kind, prompt_id in batch:
                result.errors.append(
                    {"prompt_id": prompt_id, "query": kind, "error": type(exc).__name__, "message": message}
                )
            failures_in_a_row += len(batch)
            if result.stopped is None and getattr(exc, "fatal", False):
                result.stopped = f"stopped at a fatal error ({type(exc).__name__}): {message}"
            elif result.stopped is None and failures_in_a_row >= stop_after_failures:
                result.stopped = f"stopped after {failures_in_a_row} failed probes in a row; the last: {message}"
            if result.stopped is not None:
                provider.cancelled.set()
            return
        result.asked += len(batch)
        bar.update(len(batch))
        failures_in_a_row = 0
        for job, decision in zip(batch, decisions):
            if decision.answer:  # an endpoint could echo a secret back in its answer
                decision = replace(decision, answer=provider.redact(decision.answer))
            result.answers[job] = decision

    provider.cancelled.clear()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="glassbox-audit")
    try:
        while True:
            while result.stopped is None and len(pending) < 2 * workers:
                batch = next(batches, None)
                if batch is None:
                    break
                pending[pool.submit(ask, batch)] = batch
            if not pending:
                break
            done, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                collect(future, pending.pop(future))
    except KeyboardInterrupt:
        result.interrupted = True
        provider.cancelled.set()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True)
        bar.close()
    for future, batch in pending.items():  # what was in flight when the user interrupted
        if future.done() and not future.cancelled():
            collect(future, batch)
    return result
