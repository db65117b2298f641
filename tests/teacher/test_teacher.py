import numpy as np
import pytest
import torch
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeClassifier

from glassbox import InputSpec, ShapeMismatchError, Teacher, TeacherOutputError


def test_torch_module_outputs_match_a_direct_call(small_mlp, spec3):
    teacher = Teacher(small_mlp, spec3)
    X = np.random.default_rng(0).random((10, 3))
    expected = small_mlp(torch.tensor(X, dtype=torch.float32)).detach().numpy()
    np.testing.assert_allclose(teacher(X), expected, rtol=1e-6)
    assert teacher(X).dtype == np.float64 and teacher.n_outputs == 2
    assert teacher.output_names == ("y1", "y2")
    assert teacher.adapter.kind == "torch" and teacher.adapter.input_shape == (3,)


def test_batching_does_not_change_results(small_mlp, spec3):
    X = np.random.default_rng(1).random((101, 3))
    # float32 tolerance: on AVX-512 CPUs the matmul kernel (and its rounding) depends on the batch's row count
    np.testing.assert_allclose(
        Teacher(small_mlp, spec3, batch_size=7)(X), Teacher(small_mlp, spec3)(X), rtol=1e-5, atol=1e-6
    )


def test_no_gradients_are_recorded(small_mlp, spec3):
    Teacher(small_mlp, spec3)(np.zeros((4, 3)))
    assert all(p.grad is None for p in small_mlp.parameters())


def test_spec_width_mismatch_names_both_shapes(small_mlp):
    wrong = InputSpec(names=["a", "b"], low=0, high=1)
    with pytest.raises(ShapeMismatchError, match=r"\(2,\).*expects \(3,\)"):
        Teacher(small_mlp, wrong)


def test_callable_that_fails_on_the_spec_gets_a_shape_error():
    def needs_four(X):
        return X @ np.ones(4)

    with pytest.raises(ShapeMismatchError, match=r"\(2, 3\)"):
        Teacher(needs_four, InputSpec(names=["a", "b", "c"], low=0, high=1))


def test_sklearn_regressor_and_classifier():
    rng = np.random.default_rng(0)
    X = rng.random((50, 2))
    spec = InputSpec.from_data(X, names=["p", "q"])
    regressor = Teacher(LinearRegression().fit(X, X @ [2.0, -1.0]), spec)
    np.testing.assert_allclose(regressor.predict(X), X @ [2.0, -1.0], atol=1e-9)
    assert regressor.task == "regression" and regressor.adapter.kind == "sklearn"
    classifier = Teacher(DecisionTreeClassifier(random_state=0).fit(X, X[:, 0] > 0.5), spec)
    assert classifier.task == "classification" and classifier.n_outputs == 2
    np.testing.assert_allclose(classifier(X).sum(axis=1), 1.0)


def test_sklearn_width_mismatch():
    X = np.random.default_rng(0).random((20, 3))
    model = LinearRegression().fit(X, X[:, 0])
    with pytest.raises(ShapeMismatchError, match=r"expects \(3,\)"):
        Teacher(model, InputSpec(names=["a", "b"], low=0, high=1))


def test_non_numeric_output_is_a_clear_error():
    with pytest.raises(TeacherOutputError, match="not a numeric array"):
        Teacher(lambda X: ["a"] * len(X), InputSpec(names=["a"], low=0, high=1))


def test_wrong_number_of_rows_is_a_clear_error():
    with pytest.raises(TeacherOutputError, match="for 2 inputs"):
        Teacher(lambda X: np.zeros(5), InputSpec(names=["a"], low=0, high=1))


def test_paths_must_go_through_load(tmp_path):
    with pytest.raises(TypeError, match=r"Teacher.load"):
        Teacher(str(tmp_path / "model.pt"))


def test_hash_tracks_the_weights(small_mlp, spec3):
    before = Teacher(small_mlp, spec3).hash
    assert before == Teacher(small_mlp, spec3).hash and len(before) == 64
    with torch.no_grad():
        small_mlp[0].weight[0, 0] += 1.0
    assert Teacher(small_mlp, spec3).hash != before


def test_callable_hash_is_a_behaviour_fingerprint():
    spec = InputSpec(names=["a"], low=0, high=1)
    one = Teacher(lambda X: X[:, 0] * 2, spec).hash
    assert one == Teacher(lambda X: X[:, 0] * 2, spec).hash
    assert one != Teacher(lambda X: X[:, 0] * 3, spec).hash


def test_image_shaped_inputs_are_reshaped_for_the_model():
    torch.manual_seed(0)
    conv = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.Flatten(), torch.nn.Linear(2 * 2 * 2, 1))
    spec = InputSpec(names=[f"px{i}" for i in range(16)], low=0, high=1, shape=(1, 4, 4))
    teacher = Teacher(conv, spec)
    assert teacher(np.zeros((3, 16))).shape == (3, 1)
    assert teacher(np.zeros((3, 1, 4, 4))).shape == (3, 1)


def test_device_argument_is_honoured(small_mlp, spec3):
    teacher = Teacher(small_mlp, spec3, device="cpu")
    assert str(teacher.adapter.device) == "cpu"


def test_spec_dtype_is_checked_against_the_weights(small_mlp):
    names = ["a", "b", "c"]
    with pytest.warns(UserWarning, match=r"float64.*float32"):
        Teacher(small_mlp, InputSpec(names=names, low=0, high=1, dtype="float64"))
    with pytest.raises(ShapeMismatchError, match="int64"):
        Teacher(small_mlp, InputSpec(names=names, low=0, high=1, dtype="int64"))
    Teacher(small_mlp, InputSpec(names=names, low=0, high=1, dtype="float32"))  # matching: silent


def test_unknown_dtype_name():
    with pytest.raises(TypeError):
        InputSpec(names=["a"], low=0, high=1, dtype="floaty")
