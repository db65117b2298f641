"""Jobs that run a model on data: readable twin, neuron graph and latent laws, on a project's
dataset or on probes drawn from the model's InputSpec; each stores a schema-valid Finding."""

from __future__ import annotations

import io
import json

import jsonschema
import numpy as np
import pytest

from glassbox_jupyter.finding.base import SCHEMA_PATH

from .conftest import Api
from .test_analyses import FINISHED, demo_model, wait_for
from .test_datasets import upload

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(params=["sqlite"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """Jobs are the same on either database (the job tests in test_analyses run on both)."""
    return f"sqlite:///{tmp_path / 'glassbox.db'}"


def run_job(api: Api, who: dict[str, str], project: str, body: dict) -> dict:
    submitted = api.call("POST", f"/projects/{project}/analyses", who, json=body)
    assert submitted.status_code == 202, submitted.text
    job = wait_for(api, who, submitted.json()["id"], FINISHED, timeout=400)
    assert job["state"] == "done", job
    finding = api.call("GET", f"/findings/{job['finding_id']}", who).json()
    jsonschema.validate(finding["finding"], json.loads(SCHEMA_PATH.read_text()))
    assert api.call("GET", finding["svg_url"].removeprefix("/api/v1"), who).text.startswith("<svg")
    return finding


def refused(api: Api, who: dict[str, str], project: str, body: dict) -> tuple[list, str]:
    answer = api.call("POST", f"/projects/{project}/analyses", who, json=body)
    assert answer.status_code == 422, answer.text
    return answer.json()["detail"][0]["loc"], answer.json()["detail"][0]["msg"]


def test_a_readable_twin_of_the_digits_cnn_on_the_demo_images(api: Api) -> None:
    who = api.user("ana", "analyst", ("digits",))
    project = api.call("GET", "/projects", who).json()[0]["id"]
    cnn = demo_model(api, who, project, "digits_cnn")
    images = api.call("POST", f"/projects/{project}/datasets/demo", who, json={"demo": "digits"}).json()["id"]
    params = {"dataset_id": images, "layers": ["conv2", "fc1"], "n_clusters": 6}
    finding = run_job(api, who, project, {"kind": "twin", "model_id": cnn, "params": params})
    body = finding["finding"]
    assert finding["kind"] == "twin" and body["fidelity"]["split"], body["fidelity"]
    assert 0.3 < body["fidelity"]["value"] <= 1.0  # agreement with the CNN on held-out images
    loc, msg = refused(api, who, project, {"kind": "twin", "model_id": cnn, "params": {**params, "layers": ["fc9"]}})
    assert loc == ["body", "params", "layers"] and "fc1" in msg
    texts = api.call("POST", f"/projects/{project}/datasets/demo", who, json={"demo": "topics"}).json()["id"]
    loc, msg = refused(api, who, project, {"kind": "twin", "model_id": cnn, "params": {**params, "dataset_id": texts}})
    assert loc == ["body", "params", "dataset_id"] and "csv or npy" in msg


def test_a_neuron_graph_of_an_mlp_on_probes_from_its_input_spec(api: Api) -> None:
    who = api.user("ana", "analyst", ("physics",))
    project = api.call("GET", "/projects", who).json()[0]["id"]
    mlp = demo_model(api, who, project, "friedman_mlp")
    params = {"layer": "net.1", "rows": 600, "neurons": 16}
    finding = run_job(api, who, project, {"kind": "neurons", "model_id": mlp, "params": params})
    assert finding["kind"] == "neuron_graph"
    loc, msg = refused(api, who, project, {"kind": "neurons", "model_id": mlp, "params": {"layer": "net.9"}})
    assert loc == ["body", "params", "layer"] and "net.1" in msg
    ioi = demo_model(api, who, project, "ioi")
    texts = api.call("POST", f"/projects/{project}/datasets/demo", who, json={"demo": "topics"}).json()["id"]
    loc, msg = refused(
        api, who, project, {"kind": "neurons", "model_id": ioi, "params": {"layer": 0, "dataset_id": texts}}
    )
    assert loc == ["body", "model_id"] and "no MLP neurons" in msg


def test_latent_laws_of_a_model_on_an_uploaded_table(api: Api) -> None:
    who = api.user("ana", "analyst", ("physics",))
    project = api.call("GET", "/projects", who).json()[0]["id"]
    model = demo_model(api, who, project, "square_law")
    x = np.linspace(-3, 3, 400)
    table = "u\n" + "".join(f"{v:.6f}\n" for v in x)
    dataset = upload(api, who, project, "u.csv", table.encode()).json()["id"]
    params = {"dataset_id": dataset, "generations": 15, "latent_names": ["y"]}
    finding = run_job(api, who, project, {"kind": "latent", "model_id": model, "params": params})
    body = finding["finding"]
    assert finding["kind"] == "latent_laws"
    assert "u" in json.dumps(body["artifact"]) and "y" in json.dumps(body["artifact"])  # the CSV's column name


def test_a_dataset_of_another_project_or_deleted_cannot_be_used(api: Api) -> None:
    import torch

    who = api.user("ana", "analyst", ("physics", "loans"))
    physics, loans = (p["id"] for p in api.call("GET", "/projects", who).json())
    mlp = demo_model(api, who, physics, "friedman_mlp")
    theirs = upload(api, who, loans, "x.csv", b"a,b,c,d,e\n" + b"0.1,0.2,0.3,0.4,0.5\n" * 60).json()["id"]
    loc, msg = refused(api, who, physics, {"kind": "latent", "model_id": mlp, "params": {"dataset_id": theirs}})
    assert loc == ["body", "params", "dataset_id"] and "no dataset" in msg
    ours = upload(api, who, physics, "x.csv", b"a,b,c,d,e\n" + b"0.1,0.2,0.3,0.4,0.5\n" * 60).json()["id"]
    api.call("DELETE", f"/datasets/{ours}", who)
    loc, msg = refused(api, who, physics, {"kind": "latent", "model_id": mlp, "params": {"dataset_id": ours}})
    assert "deleted" in msg
    net = torch.nn.Sequential(torch.nn.Linear(2, 3))  # no InputSpec: a dataset is needed
    buffer = io.BytesIO()
    torch.jit.save(torch.jit.script(net), buffer)
    files = {"file": ("net.torchscript", io.BytesIO(buffer.getvalue()), "application/octet-stream")}
    bare = api.call("POST", f"/projects/{physics}/models", who, files=files).json()["id"]
    loc, msg = refused(api, who, physics, {"kind": "latent", "model_id": bare, "params": {}})
    assert loc == ["body", "params", "dataset_id"] and "upload a dataset" in msg
    rows = np.random.default_rng(0).uniform(-1, 1, size=(300, 2))
    table = "p,q\n" + "".join(f"{a:.5f},{b:.5f}\n" for a, b in rows)
    data = upload(api, who, physics, "pq.csv", table.encode()).json()["id"]
    params = {"dataset_id": data, "generations": 10}
    finding = run_job(api, who, physics, {"kind": "latent", "model_id": bare, "params": params})
    laws = json.dumps(finding["finding"]["artifact"])
    assert all(f'"z{i}"' in laws for i in range(3)) and '"p"' in laws, laws[:500]
