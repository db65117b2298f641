"""Load test of ``glassbox serve`` on loopback: concurrent clients read reports and findings, edit
a report (optimistic concurrency, retried on 409) and submit small jobs, against the embedded
SQLite database and a real PostgreSQL server (a throwaway cluster started here), same workload,
same run.

Two paces per client count: "stress" (each client waits 0–50 ms between calls, so the server is
saturated) and "paced" (each waits 0–2 s, about one call a second, like a person at a dashboard
or a polling service). Client n edits report n % 10; 5 small jobs (logic mode) run during the load.
Reported per database: requests per second, p50 / p95 latency of reads and of writes, errors
(any 5xx, transport error or unexpected 4xx; a 409 on a stale edit is the protocol working and is
retried), lost writes (an edit the server acknowledged whose text is not in the version it
returned), and the small jobs' outcomes. Targets on a 2-core machine: 0 errors and 0 lost writes
at 50 clients, p95 of reads under 200 ms.

    python benchmarks/bench_server.py [--clients 50] [--seconds 20] [--think 0.025 1.0]
                                      [--databases sqlite postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.postgres import postgres_bin, postgres_server  # noqa: E402
from tests.server.test_restart import Server  # noqa: E402

FIELDS = ["2(e).oversight", "2(f).changes", "9.post_market", "1.interaction", "2(h).cybersecurity"]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Client:
    """One simulated user: mostly reads, some report edits (retried on 409), maybe one small job."""

    def __init__(
        self, n: int, http: httpx.AsyncClient, tokens: dict[str, str], ids: dict[str, Any], until: float, think: float
    ):
        self.n, self.http, self.tokens, self.ids, self.until, self.think = n, http, tokens, ids, until, think
        self.report = ids["reports"][n % len(ids["reports"])]
        self.reads: list[float] = []
        self.writes: list[float] = []
        self.errors: list[str] = []
        self.conflicts = 0
        self.gave_up = 0
        self.edits: list[tuple[str, int, str, str]] = []  # (report, version, field, text) acknowledged
        self.jobs: list[str] = []
        self.rng = random.Random(n)

    async def call(self, who: str, method: str, path: str, bucket: list[float], **kw: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            headers = {"Authorization": f"Bearer {self.tokens[who]}"}
            answer = await self.http.request(method, f"/api/v1{path}", headers=headers, **kw)
        except httpx.HTTPError as exc:
            self.errors.append(f"{method} {path}: {type(exc).__name__}")
            return None
        bucket.append(time.perf_counter() - started)
        if answer.status_code >= 500 or (answer.status_code >= 400 and answer.status_code != 409):
            self.errors.append(f"{method} {path}: {answer.status_code} {answer.text[:120]}")
        return answer

    async def run(self, submit_job: bool) -> None:
        if submit_job:
            body = {"kind": "logic", "model_id": self.ids["model"], "params": {"n": 200, "max_leaves": 4}}
            answer = await self.call(
                "analyst", "POST", f"/projects/{self.ids['project']}/analyses", self.writes, json=body
            )
            if answer is not None and answer.status_code == 202:
                self.jobs.append(answer.json()["id"])
        i = 0
        while time.monotonic() < self.until:
            i += 1
            if self.rng.random() < 0.85:
                paths = [
                    f"/reports/{self.report}",
                    f"/projects/{self.ids['project']}/findings",
                    f"/findings/{self.ids['finding']}",
                ]
                await self.call("analyst", "GET", self.rng.choice(paths), self.reads)
            else:
                await self.edit(f"client {self.n} edit {i}")
            await asyncio.sleep(self.rng.uniform(0, 2 * self.think))  # a person or a service does not call back-to-back

    async def edit(self, text: str) -> None:
        field = self.rng.choice(FIELDS)
        for _ in range(20):  # read the current version, write from it; on 409 read again
            current = await self.call("officer", "GET", f"/reports/{self.report}", self.reads)
            if current is None or current.status_code != 200:
                return
            body = {"version": current.json()["version"], "fields": {field: text}}
            answer = await self.call("officer", "PUT", f"/reports/{self.report}/fields", self.writes, json=body)
            if answer is None:
                return
            if answer.status_code == 200:
                self.edits.append((self.report, answer.json()["version"], field, text))
                return
            self.conflicts += 1
            await asyncio.sleep(self.rng.uniform(0, 0.05))
        self.gave_up += 1


async def drive(
    port: int, clients: int, jobs: int, tokens: dict[str, str], ids: dict[str, Any], seconds: float, think: float
) -> tuple[list[Client], float]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits) as http:
        until = time.monotonic() + seconds
        users = [Client(n, http, tokens, ids, until, think) for n in range(clients)]
        started = time.perf_counter()
        await asyncio.gather(*(u.run(n < jobs) for n, u in enumerate(users)))
        return users, time.perf_counter() - started


def run_one(
    database: str, url: str, clients: int, think: float, seconds: float, folder: Path, n_reports: int, n_jobs: int
) -> dict[str, Any]:
    from tests.examples import rules_example

    server = Server(folder / database, url)
    tokens = {
        "analyst": server.cli("users", "add", "ana", "--role", "analyst", "--project", "load").strip().splitlines()[-1],
        "officer": server.cli("users", "add", "ofelia", "--role", "officer", "--project", "load")
        .strip()
        .splitlines()[-1],
    }
    server.start()
    try:
        project = server.call("GET", "/projects", tokens["analyst"]).json()[0]["id"]
        finding, _ = rules_example()
        made = server.call(
            "POST",
            f"/projects/{project}/findings",
            tokens["analyst"],
            json={"finding": finding.to_dict(), "svg": finding.to_svg()},
        ).json()
        report = server.call(
            "POST",
            f"/projects/{project}/reports",
            tokens["analyst"],
            json={"title": "load", "finding_ids": [made["id"]]},
        ).json()
        model = server.call(
            "POST", f"/projects/{project}/models/demo", tokens["analyst"], json={"demo": "loan_approval"}
        ).json()
        reports = [report["id"]] + [
            server.call(
                "POST",
                f"/projects/{project}/reports",
                tokens["analyst"],
                json={"title": f"load {i}", "finding_ids": [made["id"]]},
            ).json()["id"]
            for i in range(1, n_reports)
        ]
        ids = {"project": project, "finding": made["id"], "reports": reports, "model": model["id"]}
        threads, elapsed = asyncio.run(drive(server.port, clients, n_jobs, tokens, ids, seconds, think))
        reads = [x for t in threads for x in t.reads]
        writes = [x for t in threads for x in t.writes]
        errors = [e for t in threads for e in t.errors]
        edits = [e for t in threads for e in t.edits]
        jobs = [j for t in threads for j in t.jobs]
        # lost writes: every acknowledged edit's text is in the version the server said it made
        lost = 0
        for rid, version, field, text in edits:
            body = server.call("GET", f"/reports/{rid}?version={version}", tokens["officer"]).json()
            texts = {
                f["id"]: [x["text"] for x in f["texts"]]
                for s in body["report"]["sections"]
                for p in s["parts"]
                for f in p["fields"]
            }
            lost += texts.get(field) != [text]
        versions = sum(
            server.call("GET", f"/reports/{rid}", tokens["officer"]).json()["version"] - 1 for rid in reports
        )
        deadline = time.monotonic() + 300
        states: dict[str, int] = {}
        while jobs:
            states = {}
            for j in jobs:
                state = server.call("GET", f"/analyses/{j}", tokens["analyst"]).json()["state"]
                states[state] = states.get(state, 0) + 1
            if not ({"queued", "running"} & set(states)) or time.monotonic() > deadline:
                break
            time.sleep(1)
        return {
            "database": database,
            "clients": clients,
            "pace": "stress" if think < 0.5 else "paced",
            "think_s": think,
            "seconds": round(elapsed, 1),
            "requests": len(reads) + len(writes),
            "rps": round((len(reads) + len(writes)) / elapsed, 1),
            "read_p50_ms": round(1000 * percentile(reads, 0.50), 1),
            "read_p95_ms": round(1000 * percentile(reads, 0.95), 1),
            "write_p50_ms": round(1000 * percentile(writes, 0.50), 1),
            "write_p95_ms": round(1000 * percentile(writes, 0.95), 1),
            "errors": len(errors),
            "error_examples": errors[:5],
            "edits_acknowledged": len(edits),
            "conflicts_retried": sum(t.conflicts for t in threads),
            "edits_given_up": sum(t.gave_up for t in threads),
            "versions_made": versions,
            "lost_writes": lost + abs(versions - len(edits)),
            "jobs": states,
        }
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50], help="concurrent clients (one run each)")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--reports", type=int, default=10, help="reports edited (client n edits report n %% reports)")
    parser.add_argument(
        "--think", type=float, nargs="+", default=[0.025, 1.0], help="mean seconds a client waits between calls"
    )
    parser.add_argument("--jobs", type=int, default=5, help="small jobs submitted at the start (logic mode)")
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=["sqlite", "postgresql"])
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "bench_server.json")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        pg = None
        for database in args.databases:
            if database == "postgresql":
                if postgres_bin() is None:
                    print("PostgreSQL is not installed (scripts/setup.sh installs it); skipping it")
                    continue
                pg = stack.enter_context(postgres_server())
            for think in args.think:
                for clients in args.clients:
                    print(f"running {clients} clients (think {think:g} s) for {args.seconds:g} s against {database}")
                    folder = Path(tmp) / f"{database}-{clients}-{think}"
                    folder.mkdir()
                    url = (
                        pg.create_database() if database == "postgresql" and pg else f"sqlite:///{folder / 'bench.db'}"
                    )
                    rows.append(run_one(database, url, clients, think, args.seconds, folder, args.reports, args.jobs))
    header = ["database", "pace", "clients", "rps", "read_p50_ms", "read_p95_ms", "write_p50_ms", "write_p95_ms"]
    header += ["errors"]
    header += ["edits_acknowledged", "conflicts_retried", "edits_given_up", "lost_writes", "jobs"]
    print("\n| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(row[h]) for h in header) + " |")
    by = {(r["database"], r["clients"], r["pace"]): r for r in rows}
    for database, clients, pace in by:
        if database == "sqlite" and ("postgresql", clients, pace) in by:
            a, b = by[("sqlite", clients, pace)], by[("postgresql", clients, pace)]
            print(
                f"{clients} clients ({pace}), postgresql / sqlite: requests/s {b['rps'] / a['rps']:.2f}×, "
                f"read p95 {b['read_p95_ms'] / a['read_p95_ms']:.2f}×"
            )
    for row in rows:
        ok = row["errors"] == 0 and row["lost_writes"] == 0 and row["read_p95_ms"] < 200
        verdict = "met" if ok else "NOT met"
        what = f"{row['database']}, {row['clients']} clients ({row['pace']})"
        print(f"{what}: targets (0 errors, 0 lost writes, read p95 < 200 ms) {verdict}")
        for example in row["error_examples"]:
            print(f"  error: {example}")
    args.json.write_text(json.dumps(rows, indent=2))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
