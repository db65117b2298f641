"""Jobs: a capability run on a project's model outside the request, with states, progress, cancel."""

from __future__ import annotations

import json
import time
from typing import Any

import jsonschema
import pytest

from glassbox_jupyter.finding.base import SCHEMA_PATH

from .conftest import Api

FINISHED = ("done", "failed", "cancelled")


def wait_for(
    api: Api, who: dict[str, str], job_id: str, states: tuple[str, ...], timeout: float = 180
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = api.call("GET", f"/analyses/{job_id}", who).json()
        if job["state"] in states:
            return job
        assert time.monotonic() < deadline, f"job still {job['state']} after {timeout} s: {job}"
        time.sleep(0.3)


@pytest.fixture()
def analyst(api: Api) -> tuple[dict[str, str], str]:
    who = api.user("ana", "analyst", ("physics",))
    return who, api.call("GET", "/projects", who).json()[0]["id"]


def demo_model(api: Api, who: dict[str, str], project: str, name: str) -> str:
    return api.call("POST", f"/projects/{project}/models/demo", who, json={"demo": name}).json()["id"]


def test_a_math_job_stores_its_finding(api: Api, analyst) -> None:
    who, project = analyst
    model = demo_model(api, who, project, "quadratic_cosine")
    submitted = api.call(
        "POST",
        f"/projects/{project}/analyses",
        who,
        json={"kind": "math", "model_id": model, "params": {"generations": 20, "n": 500}},
    )
    assert submitted.status_code == 202 and submitted.json()["state"] == "queued", submitted.text
    job = wait_for(api, who, submitted.json()["id"], FINISHED)
    assert job["state"] == "done", job
    finding = api.call("GET", f"/findings/{job['finding_id']}", who).json()
    assert finding["source"] == "job" and finding["kind"] == "symbolic"
    jsonschema.validate(finding["finding"], json.loads(SCHEMA_PATH.read_text()))
    assert api.call("GET", finding["svg_url"].removeprefix("/api/v1"), who).text.startswith("<svg")
    assert job["progress"]["step"] == "done" and job["started_at"] and job["finished_at"]
    check_picks(api, who, job, finding["finding"])


def check_picks(api: Api, who: dict[str, str], job: dict[str, Any], finding: dict[str, Any]) -> None:
    """Another equation of the front is filed as a finding of its own, with that equation's fidelity."""
    front, best = finding["artifact"]["pareto_front"], finding["artifact"]["selected"]
    assert len(front) >= 2, front
    other = next(i for i in range(len(front)) if i != best)
    path = f"/analyses/{job['id']}/pick"
    same = api.call("POST", path, who, json={"selection": best})
    assert same.status_code == 200 and same.json()["id"] == job["finding_id"]
    picked = api.call("POST", path, who, json={"selection": other})
    assert picked.status_code == 201, picked.text
    record = picked.json()
    assert record["source"] == "job pick" and record["finding"]["artifact"]["selected"] == other
    assert record["finding"]["fidelity"] == front[other]["fidelity"] != finding["fidelity"]
    assert f"= {front[other]['text']} — selected of " in record["title"]
    view = api.call("GET", record["view_url"].removeprefix("/api/v1"), who).json()
    assert view["widget"] == "pareto_picker" and view["selection"]["value"] == other
    again = api.call("POST", path, who, json={"selection": other})
    assert again.status_code == 200 and again.json()["id"] == record["id"]  # the same record, not a copy
    wrong = api.call("POST", path, who, json={"selection": len(front) + 5})
    assert wrong.status_code == 422 and "pick one of 0, 1" in wrong.json()["detail"][0]["msg"]
    viewer = api.user("vic", "viewer", ("physics",))
    assert api.call("POST", path, viewer, json={"selection": other}).status_code == 403


def test_a_math_job_streams_its_growing_front_as_server_sent_events(api: Api, analyst) -> None:
    who, project = analyst
    model = demo_model(api, who, project, "square_law")
    body = {"kind": "math", "model_id": model, "params": {"generations": 30, "n": 500}}
    job = api.call("POST", f"/projects/{project}/analyses", who, json=body).json()
    events = []
    with api.client.stream("GET", f"/api/v1/analyses/{job['id']}/events", headers=who) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line.removeprefix("data: ")))
    assert events[-1]["state"] == "done" and events[-1]["finding_id"]  # the stream ends with the job
    stored = api.call("GET", f"/findings/{events[-1]['finding_id']}/view", who).json()
    assert stored["widget"] == "pareto_picker" and stored["data"]["equations"]  # the job's finding, live
    fronts = [e["progress"]["front_view"] for e in events if "front_view" in e["progress"]]
    assert fronts and any(eq["text"] == "x**2/2" for eq in fronts[-1]["equations"])  # y = 0.5 x²
    assert len({e["progress"].get("round") for e in events}) >= 2  # progress arrived while it ran
    other = api.user("bob", "analyst", ("other",))
    assert api.call("GET", f"/analyses/{job['id']}/events", other).status_code == 404


def test_bad_jobs_are_refused_when_submitted(api: Api, analyst) -> None:
    who, project = analyst
    model = demo_model(api, who, project, "quadratic_cosine")
    path = f"/projects/{project}/analyses"
    spec = {"names": ["x"], "low": [1.0], "high": [1.0]}
    cases = [
        ({"kind": "poetry", "model_id": model}, ["body", "kind"]),
        ({"kind": "math", "model_id": "0" * 16}, ["body", "model_id"]),
        ({"kind": "math", "model_id": model, "params": {"spec": spec}}, ["body", "params", "spec"]),
        ({"kind": "math", "model_id": model, "params": {"generations": 0}}, ["body", "params", "generations"]),
        ({"kind": "math", "model_id": model, "params": {"time_limit": -1}}, ["body", "params", "time_limit"]),
        ({"kind": "math", "model_id": model, "params": {"generations": 9, "time_limit": 5}}, ["body", "params"]),
    ]
    for body, loc in cases:
        answer = api.call("POST", path, who, json=body)
        assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == loc, (body, answer.text)
    assert "below high" in api.call("POST", path, who, json=cases[2][0]).json()["detail"][0]["msg"]
    assert "not both" in api.call("POST", path, who, json=cases[5][0]).json()["detail"][0]["msg"]
    nan = (
        b'{"kind": "math", "model_id": "%s", "params": {"spec": {"names": ["x"], "low": [NaN], "high": [1]}}}'
        % model.encode()
    )
    answer = api.call("POST", path, who, content=nan, headers={"content-type": "application/json"})
    assert answer.status_code == 422 and "finite" in json.dumps(answer.json()), answer.text
    api.call("DELETE", f"/models/{model}", who)
    gone = api.call("POST", path, who, json={"kind": "math", "model_id": model})
    assert gone.status_code == 422 and "deleted" in gone.json()["detail"][0]["msg"]
    assert api.call("GET", path, who).json() == []
    viewer = api.user("vic", "viewer", ("physics",))
    assert api.call("POST", path, viewer, json={"kind": "math", "model_id": model}).status_code == 403


def test_a_running_job_can_be_cancelled(api: Api, analyst) -> None:
    who, project = analyst
    model = demo_model(api, who, project, "friedman_mlp")
    body = {"kind": "math", "model_id": model, "params": {"generations": 5000, "n": 3000}}
    job = api.call("POST", f"/projects/{project}/analyses", who, json=body).json()
    wait_for(api, who, job["id"], ("running", *FINISHED))
    cancelled = api.call("POST", f"/analyses/{job['id']}/cancel", who)
    assert cancelled.status_code == 200
    final = wait_for(api, who, job["id"], FINISHED, timeout=30)
    assert final["state"] == "cancelled" and final["finding_id"] is None
    assert api.call("POST", f"/analyses/{job['id']}/cancel", who).status_code == 409


def test_a_job_whose_model_has_no_inputs_fails_with_the_reason(api: Api, analyst, tmp_path) -> None:
    import io

    import torch

    who, project = analyst
    net = torch.nn.Sequential(torch.nn.Linear(2, 1))
    path = tmp_path / "net.torchscript"
    torch.jit.save(torch.jit.script(net), str(path))
    files = {"file": ("net.torchscript", io.BytesIO(path.read_bytes()), "application/octet-stream")}
    model = api.call("POST", f"/projects/{project}/models", who, files=files).json()["id"]
    job = api.call("POST", f"/projects/{project}/analyses", who, json={"kind": "logic", "model_id": model}).json()
    final = wait_for(api, who, job["id"], FINISHED)
    assert final["state"] == "failed" and "params.spec" in final["error"], final


def test_a_circuit_job_on_the_demo_transformer(api: Api, analyst) -> None:
    import glassbox

    who, project = analyst
    model = demo_model(api, who, project, "ioi")
    prompts = [list(p) for p in glassbox.demos.ioi_prompts(6, seed=0)]
    path = f"/projects/{project}/analyses"
    two_tokens = [prompts[0][0], " Mary Ann", prompts[0][2]]
    bad = api.call(
        "POST", path, who, json={"kind": "circuit", "model_id": model, "params": {"prompts": [prompts[1], two_tokens]}}
    )
    assert bad.status_code == 422, bad.text
    assert bad.json()["detail"][0]["loc"] == ["body", "params", "prompts", 1]
    assert "single-token" in bad.json()["detail"][0]["msg"]
    not_a_transformer = demo_model(api, who, project, "quadratic_cosine")
    wrong = api.call(
        "POST", path, who, json={"kind": "circuit", "model_id": not_a_transformer, "params": {"prompts": prompts}}
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["body", "model_id"]
    job = api.call(
        "POST", path, who, json={"kind": "circuit", "model_id": model, "params": {"prompts": prompts, "n_boot": 100}}
    ).json()
    done = wait_for(api, who, job["id"], FINISHED)
    assert done["state"] == "done", done
    finding = api.call("GET", f"/findings/{done['finding_id']}", who).json()
    assert finding["kind"] == "circuit" and finding["finding"]["artifact"]
    # a circuit's selection only highlights heads: there is no other record to file
    other = api.call("POST", f"/analyses/{job['id']}/pick", who, json={"selection": [[0, 1]]})
    assert other.status_code == 422 and "no other selection" in other.json()["detail"][0]["msg"]


@pytest.mark.timeout(300)
def test_jobs_run_on_a_dask_cluster(tmp_path) -> None:
    from dask.distributed import LocalCluster

    from glassbox_jupyter.server.settings import ServerSettings

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        api = Api(ServerSettings(data_dir=tmp_path / "d", dask=cluster.scheduler_address))
        try:
            who = api.user("ana", "analyst", ("loans",))
            project = api.call("GET", "/projects", who).json()[0]["id"]
            model = demo_model(api, who, project, "loan_approval")
            body = {"kind": "logic", "model_id": model, "params": {"n": 300, "max_leaves": 4}}
            job = api.call("POST", f"/projects/{project}/analyses", who, json=body).json()
            done = wait_for(api, who, job["id"], FINISHED)
            assert done["state"] == "done", done
            assert api.call("GET", f"/findings/{done['finding_id']}", who).json()["kind"] == "rules"
        finally:
            api.close()
