"""Datasets: CSV, NumPy and text files a project's jobs run models on; checked before they are stored."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from glassbox_jupyter.server.settings import ServerSettings

from .conftest import Api


def upload(api: Api, who: dict[str, str], project: str, name: str, data: bytes):
    files = {"file": (name, io.BytesIO(data), "application/octet-stream")}
    return api.call("POST", f"/projects/{project}/datasets", who, files=files)


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_datasets_are_checked_stored_by_content_and_listed(api: Api) -> None:
    who = api.user("ana", "analyst", ("physics", "loans"))
    physics, loans = (p["id"] for p in api.call("GET", "/projects", who).json())
    table = upload(api, who, physics, "gas.csv", b"n,T,V\n1,300,0.02\n2, 250 ,0.04\n")
    assert table.status_code == 201, table.text
    assert table.json()["facts"] == {"rows": 2, "shape": [2, 3], "columns": ["n", "T", "V"]}
    array = upload(api, who, physics, "images.npy", npy(np.zeros((5, 1, 8, 8), np.float32)))
    assert array.json()["format"] == "npy" and array.json()["facts"]["shape"] == [5, 1, 8, 8]
    texts = upload(api, who, physics, "notes.txt", b"Der Mond.\n\n  The sun is a star. \n")
    assert texts.json()["facts"] == {"rows": 2, "texts": True}
    demo = api.call("POST", f"/projects/{physics}/datasets/demo", who, json={"demo": "digits"})
    assert demo.status_code == 201 and demo.json()["facts"]["shape"] == [1797, 1, 8, 8], demo.text
    again = upload(api, who, loans, "copy.csv", b"n,T,V\n1,300,0.02\n2, 250 ,0.04\n")
    assert again.json()["artifact_sha256"] == table.json()["artifact_sha256"]  # one file per content
    stored = Path(api.settings.artifacts_dir).rglob(table.json()["artifact_sha256"])
    assert [p.read_bytes() for p in stored] == [b"n,T,V\n1,300,0.02\n2, 250 ,0.04\n"]
    listed = [d["name"] for d in api.call("GET", f"/projects/{physics}/datasets", who).json()]
    assert listed == ["gas.csv", "images.npy", "notes.txt", "digits"]
    assert api.call("DELETE", f"/datasets/{array.json()['id']}", who).status_code == 204
    assert api.call("GET", f"/datasets/{array.json()['id']}", who).status_code == 404
    assert len(api.call("GET", f"/projects/{physics}/datasets", who).json()) == 3


def test_bad_datasets_are_refused_with_the_reason(api: Api) -> None:
    who = api.user("ana", "analyst", ("physics",))
    project = api.call("GET", "/projects", who).json()[0]["id"]
    cases = [
        ("x.csv", b"x,y\n1,2\n3,oops\n", 422, "column 'y', row 2"),
        ("x.csv", b"x\n1\nnan\n", 422, "finite number"),
        ("x.csv", b"", 422, "header row"),
        ("x.npy", npy(np.array([{"a": 1}, {"b": 2}], dtype=object).reshape(2, 1)), 422, "never does"),
        ("x.npy", npy(np.array(["a", "b"]).reshape(2, 1)), 422, "must hold numbers"),
        ("x.npy", npy(np.arange(3.0)), 422, "rows along its first axis"),
        ("x.npy", b"not an array", 422, "does not read as a .npy"),
        ("x.txt", b"\xff\xfe\x00", 422, "UTF-8"),
        ("x.txt", b"\n \n", 422, "no text"),
        ("x.pkl", b"\x80\x04K\x01.", 415, "unknown dataset format"),
        ("../x.csv", b"x\n1\n", 422, "not a plain file name"),
    ]
    for name, data, status, words in cases:
        answer = upload(api, who, project, name, data)
        assert answer.status_code == status and words in answer.text, (name, answer.text)
    demo = api.call("POST", f"/projects/{project}/datasets/demo", who, json={"demo": "mnist"})
    assert demo.status_code == 422 and "digits, topics" in demo.text
    assert api.call("GET", f"/projects/{project}/datasets", who).json() == []


def test_datasets_are_private_to_their_project_and_need_the_right_role(api: Api) -> None:
    ana = api.user("ana", "analyst", ("physics",))
    bob = api.user("bob", "analyst", ("loans",))
    vic = api.user("vic", "viewer", ("physics",))
    physics = api.call("GET", "/projects", ana).json()[0]["id"]
    dataset = upload(api, ana, physics, "x.csv", b"x\n1\n").json()["id"]
    assert api.call("GET", f"/datasets/{dataset}", bob).status_code == 404
    assert api.call("DELETE", f"/datasets/{dataset}", bob).status_code == 404
    assert api.call("GET", f"/projects/{physics}/datasets", bob).status_code == 404
    assert api.call("GET", f"/datasets/{dataset}", vic).status_code == 200
    assert upload(api, vic, physics, "y.csv", b"x\n1\n").status_code == 403
    assert api.call("DELETE", f"/datasets/{dataset}", vic).status_code == 403
    assert api.call("GET", f"/datasets/{dataset}").status_code == 401


def test_a_dataset_over_the_limit_gets_413(tmp_path: Path, database_url: str) -> None:
    api = Api(ServerSettings(data_dir=tmp_path / "d", database=database_url, max_upload_mb=0.01))
    try:
        who = api.user("ana", "analyst", ("physics",))
        project = api.call("GET", "/projects", who).json()[0]["id"]
        answer = upload(api, who, project, "big.csv", b"x\n" + b"1\n" * 10_000)
        assert answer.status_code == 413 and "0.01 MB" in answer.json()["detail"]
    finally:
        api.close()
