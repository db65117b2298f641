"""Safe loading: safetensors, weights-only torch files, TorchScript, ONNX; pickles refused."""

import os
import pickle
import sys

import joblib
import numpy as np
import pytest
import torch
from safetensors.torch import save_file
from sklearn.linear_model import LinearRegression

from glassbox import ArchitectureImportError, InputSpec, Teacher, UnsafeFileError
from glassbox_jupyter.demos.architectures import MLP
from tests.teacher.onnx_models import WEIGHT, linear_onnx_bytes

ARCH = "glassbox_jupyter.demos.architectures:MLP"
KWARGS = {"n_inputs": 3, "hidden": [4], "n_outputs": 1}


class Exploit:
    """Unpickling this runs os.system: a stand-in for a malicious model file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture()
def mlp():
    torch.manual_seed(0)
    return MLP(**KWARGS)


@pytest.fixture()
def spec():
    return InputSpec(names=["a", "b", "c"], low=0, high=1)


def _same_outputs(teacher, model):
    X = np.random.default_rng(0).random((5, 3))
    expected = model(torch.tensor(X, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(teacher(X), expected, rtol=1e-6)


def test_safetensors_with_an_import_path(tmp_path, mlp, spec):
    path = tmp_path / "m.safetensors"
    save_file(mlp.state_dict(), str(path))
    teacher = Teacher.load(path, ARCH, architecture_kwargs=KWARGS, spec=spec)
    _same_outputs(teacher, mlp)
    assert teacher.source == str(path)


def test_safetensors_needs_an_architecture(tmp_path, mlp):
    path = tmp_path / "m.safetensors"
    save_file(mlp.state_dict(), str(path))
    with pytest.raises(TypeError, match="architecture="):
        Teacher.load(path)


def test_state_dict_pt_loads_weights_only(tmp_path, mlp, spec):
    path = tmp_path / "m.pt"
    torch.save({"state_dict": mlp.state_dict()}, path)
    _same_outputs(Teacher.load(path, MLP, architecture_kwargs=KWARGS, spec=spec), mlp)


def test_torchscript_loads_without_an_architecture(tmp_path, mlp, spec):
    path = tmp_path / "m.pt"
    torch.jit.script(mlp).save(str(path))
    teacher = Teacher.load(path, spec=spec)
    assert teacher.adapter.kind == "torchscript"
    _same_outputs(teacher, mlp)


def test_onnx_runs_with_onnxruntime(tmp_path, spec):
    path = tmp_path / "linear.onnx"
    path.write_bytes(linear_onnx_bytes())
    teacher = Teacher.load(path, spec=spec)
    X = np.random.default_rng(0).random((4, 3))
    np.testing.assert_allclose(teacher.predict(X), X @ WEIGHT[:, 0], rtol=1e-5)
    assert teacher.adapter.kind == "onnx" and teacher.adapter.input_shape == (3,)
    assert len(teacher.hash) == 64


def test_malicious_pickle_is_refused_and_does_not_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(Exploit(marker)))
    with pytest.raises(UnsafeFileError, match="trust=True"):
        Teacher.load(path)
    assert not marker.exists()


def test_malicious_torch_file_is_refused_and_does_not_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    torch.save(Exploit(marker), path)
    with pytest.raises(UnsafeFileError, match="trust=True"):
        Teacher.load(path, ARCH, architecture_kwargs=KWARGS)
    assert not marker.exists()


def test_trusted_pickle_loads_a_sklearn_model(tmp_path):
    X = np.random.default_rng(0).random((20, 2))
    path = tmp_path / "model.joblib"
    joblib.dump(LinearRegression().fit(X, X[:, 0]), path)
    with pytest.raises(UnsafeFileError):
        Teacher.load(path)
    teacher = Teacher.load(path, trust=True, spec=InputSpec.from_data(X))
    np.testing.assert_allclose(teacher.predict(X), X[:, 0], atol=1e-9)


def test_trusted_whole_module_file(tmp_path, mlp, spec):
    path = tmp_path / "whole.pt"
    torch.save(mlp, path)
    with pytest.raises(UnsafeFileError):
        Teacher.load(path)
    _same_outputs(Teacher.load(path, trust=True, spec=spec), mlp)


def test_missing_module_is_named(tmp_path, mlp):
    path = tmp_path / "m.safetensors"
    save_file(mlp.state_dict(), str(path))
    with pytest.raises(ArchitectureImportError, match="cannot import module 'no_such_pkg.models'"):
        Teacher.load(path, "no_such_pkg.models:Net")


def test_missing_attribute_is_named(tmp_path, mlp):
    path = tmp_path / "m.safetensors"
    save_file(mlp.state_dict(), str(path))
    with pytest.raises(ArchitectureImportError, match=r"no attribute 'Nett'.*MLP"):
        Teacher.load(path, "glassbox_jupyter.demos.architectures:Nett")


def test_not_an_import_path():
    from glassbox_jupyter.teacher.loading import resolve_import_path

    with pytest.raises(ArchitectureImportError, match="package.module:Class"):
        resolve_import_path("Net")


def test_unsupported_suffix_and_missing_file(tmp_path):
    odd = tmp_path / "model.h5"
    odd.write_bytes(b"x")
    with pytest.raises(ValueError, match="unsupported"):
        Teacher.load(odd)
    with pytest.raises(FileNotFoundError):
        Teacher.load(tmp_path / "absent.pt")


def test_architecture_code_strings_are_not_executed(tmp_path, mlp):
    path = tmp_path / "m.safetensors"
    save_file(mlp.state_dict(), str(path))
    marker = tmp_path / "ran"
    code = f"__import__('os').system('touch {marker}')"
    with pytest.raises(ArchitectureImportError):
        Teacher.load(path, code)
    assert not marker.exists()
    assert "os" in sys.modules  # (sanity: the refusal is not an import failure of os itself)
