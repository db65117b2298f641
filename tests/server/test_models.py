"""Model uploads: stored only once checked (name, size, format, that the weights fit the architecture)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as save_safetensors

from glassbox_jupyter.demos import MODELS

from .conftest import Api

CARD = json.loads((MODELS / "friedman_mlp.json").read_text())
ARCH = {k: CARD[k] for k in ("architecture", "architecture_kwargs")}
WEIGHTS = (MODELS / "friedman_mlp.safetensors").read_bytes()


def upload(api: Api, who: dict[str, str], project: str, name: str, data: bytes, card: dict | None = None):
    files = {"file": (name, io.BytesIO(data), "application/octet-stream")}
    form = {"card": json.dumps(card)} if card is not None else {}
    return api.call("POST", f"/projects/{project}/models", who, files=files, data=form)


@pytest.fixture()
def analyst(api: Api) -> tuple[dict[str, str], str]:
    who = api.user("ana", "analyst", ("loans",))
    return who, api.call("GET", "/projects", who).json()[0]["id"]


def test_safetensors_with_its_card_is_stored_by_content(api: Api, analyst) -> None:
    who, project = analyst
    made = upload(api, who, project, "friedman.safetensors", WEIGHTS, ARCH)
    assert made.status_code == 201, made.text
    model = made.json()
    assert model["format"] == "safetensors" and model["card"]["parameters"] > 1000
    stored = api.settings.artifacts_dir / model["artifact_sha256"][:2] / model["artifact_sha256"]
    assert stored.read_bytes() == WEIGHTS
    assert not list(api.settings.artifacts_dir.rglob(".incoming-*"))  # no half-written file left
    assert [m["id"] for m in api.call("GET", f"/projects/{project}/models", who).json()] == [model["id"]]
    assert api.call("DELETE", f"/models/{model['id']}", who).status_code == 204
    assert api.call("GET", f"/models/{model['id']}", who).status_code == 404
    assert api.call("GET", f"/projects/{project}/models", who).json() == []


def test_demo_models_by_name(api: Api, analyst) -> None:
    who, project = analyst
    made = api.call("POST", f"/projects/{project}/models/demo", who, json={"demo": "ideal_gas"})
    assert made.status_code == 201 and made.json()["format"] == "demo"
    wrong = api.call("POST", f"/projects/{project}/models/demo", who, json={"demo": "gpt5"})
    assert wrong.status_code == 422 and "friedman_mlp" in wrong.json()["detail"][0]["msg"]


def test_onnx_and_torchscript_load_without_a_card(api: Api, analyst, tmp_path: Path) -> None:
    who, project = analyst
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    scripted = tmp_path / "net.torchscript"
    torch.jit.save(torch.jit.script(net), str(scripted))
    assert upload(api, who, project, "net.torchscript", scripted.read_bytes()).status_code == 201
    onnx_path = tmp_path / "net.onnx"
    torch.onnx.export(net, (torch.zeros(1, 3),), str(onnx_path), dynamo=False)
    assert upload(api, who, project, "net.onnx", onnx_path.read_bytes()).json()["format"] == "onnx"


def test_bad_uploads_get_a_clear_error_and_store_nothing(api: Api, analyst, tmp_path: Path) -> None:
    who, project = analyst
    pickled = io.BytesIO()
    torch.save(torch.nn.Linear(2, 1), pickled)  # a whole module: pickled Python objects
    cases = {
        "pickle": (upload(api, who, project, "model.pkl", b"\x80\x04K\x01."), 415, "pickle"),
        "pickled torch module": (upload(api, who, project, "model.pt", pickled.getvalue()), 415, "allow-pickle"),
        "unknown format": (upload(api, who, project, "model.h5", b"HDF"), 415, "unknown model format"),
        "path in the name": (upload(api, who, project, "../../etc/model.onnx", b"x"), 422, "plain file name"),
        "no card": (upload(api, who, project, "w.safetensors", WEIGHTS), 422, "architecture card"),
        "not allowed architecture": (
            upload(api, who, project, "w.safetensors", WEIGHTS, {"architecture": "os:system"}),
            422,
            "not from a module this server allows",
        ),
        "weights of another network": (
            upload(api, who, project, "w.safetensors", save_safetensors({"weight": torch.zeros(2, 2)}), ARCH),
            422,
            "do not match",
        ),
        "corrupt onnx": (upload(api, who, project, "m.onnx", b"not onnx at all"), 422, "does not load"),
    }
    for what, (answer, status, words) in cases.items():
        assert answer.status_code == status, (what, answer.text)
        assert words in json.dumps(answer.json()["detail"]), (what, answer.json())
    assert api.call("GET", f"/projects/{project}/models", who).json() == []
    assert not [p for p in api.settings.artifacts_dir.rglob("*") if p.is_file()]


def test_an_upload_over_the_limit_gets_413(tmp_path: Path, database_url: str) -> None:
    from glassbox_jupyter.server.settings import ServerSettings

    api = Api(ServerSettings(data_dir=tmp_path / "d", database=database_url, max_upload_mb=0.01))
    who = api.user("ana", "analyst", ("p",))
    project = api.call("GET", "/projects", who).json()[0]["id"]
    answer = upload(api, who, project, "big.onnx", b"\0" * 20_000)
    assert answer.status_code == 413 and "0.01 MB" in answer.json()["detail"]
    api.close()


def test_viewers_may_not_upload(api: Api, analyst) -> None:
    _, project = analyst
    viewer = api.user("vic", "viewer", ("loans",))
    assert upload(api, viewer, project, "w.safetensors", WEIGHTS, ARCH).status_code == 403
