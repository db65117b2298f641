import numpy as np
import pandas as pd
import pytest

from glassbox import InputSpec, ShapeMismatchError


def test_labels_carry_units(spec3):
    assert spec3.width == 3
    assert spec3.label(0) == "a [m]" and spec3.label(1) == "b"
    assert spec3.index("c") == 2


def test_scalar_bounds_broadcast():
    spec = InputSpec(names=["p", "q"], low=0, high=2)
    assert spec.low == (0.0, 0.0) and spec.high == (2.0, 2.0)
    assert spec.mean == (1.0, 1.0) and spec.std == (0.5, 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"names": []}, "at least one"),
        ({"names": ["a", "a"], "low": 0, "high": 1}, "unique"),
        ({"names": ["a", "b"], "low": [0, 0, 0], "high": 1}, "3 values"),
        ({"names": ["a"], "low": 1, "high": 0}, "below high"),
        ({"names": ["a"], "low": 0}, "both low and high"),
        ({"names": ["a"]}, "needs bounds"),
        ({"names": ["a"], "low": 0, "high": 1, "distribution": "cauchy"}, "distribution"),
        ({"names": ["a", "b"], "low": 0, "high": 1, "shape": (3,)}, "shape"),
        ({"names": ["a"], "low": [float("nan")], "high": 1}, "finite"),
    ],
)
def test_bad_specs_are_refused_with_a_reason(kwargs, message):
    with pytest.raises(ValueError, match=message):
        InputSpec(**kwargs)


def test_from_data_takes_names_from_a_dataframe():
    frame = pd.DataFrame({"mass": [1.0, 2.0, 3.0], "speed": [0.0, 5.0, 10.0]})
    spec = InputSpec.from_data(frame)
    assert spec.names == ("mass", "speed")
    assert spec.low == (1.0, 0.0) and spec.high == (3.0, 10.0)
    assert spec.data.shape == (3, 2)


def test_from_data_handles_constant_columns_and_nan_rows():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [np.nan, 5.0]])
    spec = InputSpec.from_data(X)
    assert spec.low[1] < 5.0 < spec.high[1]
    assert len(spec.data) == 2


def test_from_data_rejects_one_dimensional_input():
    with pytest.raises(ValueError, match="2-D"):
        InputSpec.from_data(np.arange(5.0))


def test_check_names_both_shapes(spec3):
    with pytest.raises(ShapeMismatchError, match=r"\(4, 2\).*3 features"):
        spec3.check(np.zeros((4, 2)))


def test_check_flattens_the_declared_shape():
    spec = InputSpec(names=[f"p{i}" for i in range(4)], low=0, high=1, shape=(1, 2, 2))
    assert spec.check(np.zeros((3, 1, 2, 2))).shape == (3, 4)


def test_dict_round_trip(spec3):
    assert InputSpec.from_dict(spec3.to_dict()) == spec3
