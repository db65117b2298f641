"""Data a job runs a model on: checked when uploaded, stored by content, read back by the worker.

Three formats, none of which can run code when read:

- ``.csv``: a header row of column names, then numbers (one row per input);
- ``.npy``: a numeric NumPy array, read with ``allow_pickle=False`` (rows along the first axis,
  e.g. ``(n, 1, 8, 8)`` images);
- ``.txt``: UTF-8 text, one text per line (for a language model's neuron graph).

Two shipped demo datasets go by name: ``digits`` (scikit-learn's 8×8 digit images, for the
``digits_cnn`` demo) and ``topics`` (short sentences on three topics).

Example:
    >>> info = read_dataset(b"x,y\\n1,2\\n3,4\\n", "csv")
    >>> info.facts
    {'rows': 2, 'shape': [2, 2], 'columns': ['x', 'y']}
    >>> read_dataset(b"x\\n1\\nnan\\n", "csv")
    Traceback (most recent call last):
    ...
    glassbox_jupyter.server.datasets.DatasetError: column 'x', row 2: every value must be a finite number, got 'nan'
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMATS = {".csv": "csv", ".npy": "npy", ".txt": "texts"}
DEMO_DATASETS = ("digits", "topics")
MAX_TEXT_CHARS = 20_000


class DatasetError(ValueError):
    """An upload the server will not store as a dataset; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Dataset:
    """A dataset read from its bytes: ``values`` (an array, or a list of texts) and facts about it."""

    values: Any
    facts: dict[str, Any]


def dataset_format(name: str) -> str:
    """The format an upload named ``name`` is read as: csv, npy or texts."""
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise DatasetError(
            f"{name}: unknown dataset format {suffix or '(no suffix)'}; upload .csv (a header row, then numbers), "
            ".npy (a numeric array) or .txt (one text per line)",
            status=415,
        )
    return FORMATS[suffix]


def read_dataset(data: bytes, fmt: str) -> Dataset:
    """Parse and check a dataset's bytes; DatasetError names what is wrong and where."""
    if fmt == "csv":
        return _read_csv(data)
    if fmt == "npy":
        return _read_npy(data)
    if fmt == "texts":
        return _read_texts(data)
    raise DatasetError(f"unknown dataset format {fmt!r}")


def _read_csv(data: bytes) -> Dataset:
    import pandas as pd

    if not data.strip():
        raise DatasetError("the file is empty: a CSV needs a header row of column names, then rows of numbers")
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DatasetError(f"the file does not read as CSV: {exc}") from exc
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DatasetError("the CSV needs a header row of column names and at least one row of numbers")
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns) or any(c.startswith("Unnamed:") for c in columns):
        raise DatasetError(f"every column needs a distinct name in the header row, got {columns}")
    values = np.empty(frame.shape, dtype=np.float64)
    for j, column in enumerate(columns):
        numbers = pd.to_numeric(frame[column].str.strip(), errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(numbers))
        if bad.size:
            row = int(bad[0])
            raise DatasetError(
                f"column {column!r}, row {row + 1}: every value must be a finite number, got {frame[column][row]!r}"
            )
        values[:, j] = numbers
    return Dataset(values, {"rows": int(values.shape[0]), "shape": list(values.shape), "columns": columns})


def _read_npy(data: bytes) -> Dataset:
    if not data.startswith(b"\x93NUMPY"):
        raise DatasetError("the file does not read as a .npy array (no NumPy header): save it with np.save")
    try:
        values = np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:  # an object array: reading it would unpickle
        raise DatasetError(
            "the array holds Python objects, and reading them would unpickle (run code from the file), which the "
            "server never does: save a numeric array, e.g. np.save(path, X.astype('float32'))"
        ) from exc
    except (OSError, EOFError) as exc:
        raise DatasetError(f"the file does not read as a .npy array: {exc}") from exc
    if not isinstance(values, np.ndarray) or values.dtype.kind not in "biuf":
        raise DatasetError(f"the array must hold numbers, not {getattr(values, 'dtype', type(values))}")
    if values.ndim < 2 or values.shape[0] == 0:
        raise DatasetError(f"the array needs rows along its first axis and a shape per row, got shape {values.shape}")
    if not np.isfinite(values).all():
        row = int(np.flatnonzero(~np.isfinite(values.reshape(len(values), -1)).all(axis=1))[0])
        raise DatasetError(f"row {row}: every value must be a finite number (NaN or infinity found)")
    return Dataset(values, {"rows": int(values.shape[0]), "shape": list(values.shape), "dtype": str(values.dtype)})


def _read_texts(data: bytes) -> Dataset:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"a .txt dataset must be UTF-8 text: {exc}") from exc
    texts = [line.strip() for line in text.splitlines() if line.strip()]
    if not texts:
        raise DatasetError("the file holds no text: give one text per line")
    long = next((i for i, t in enumerate(texts) if len(t) > MAX_TEXT_CHARS), None)
    if long is not None:
        raise DatasetError(f"text {long} is over {MAX_TEXT_CHARS} characters: split it over several lines")
    return Dataset(texts, {"rows": len(texts), "texts": True})


def demo_dataset(name: str) -> tuple[bytes, str]:
    """The bytes and format of a shipped demo dataset (see ``DEMO_DATASETS``)."""
    from glassbox_jupyter import demos

    if name == "digits":
        X, _ = demos.load_digits_split("all")
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(X, dtype=np.float32), allow_pickle=False)
        return buffer.getvalue(), "npy"
    if name == "topics":
        texts = [t for sentences in demos.load_topics().values() for t in sentences]
        return ("\n".join(texts) + "\n").encode("utf-8"), "texts"
    raise DatasetError(f"no demo dataset {name!r}; pick one of {', '.join(DEMO_DATASETS)}")
