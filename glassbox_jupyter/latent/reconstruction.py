"""reconstruction_law: train an autoencoder per latent size and fit a law error(k) to the held-out errors.

For each latent size k an autoencoder is trained on the standardised training rows of ``X`` and its
reconstruction MSE is measured on held-out rows (in units of each feature's variance, so 1.0 is
"no better than the mean"). The trainings are independent tasks fanned out with
:func:`glassbox_jupyter.parallel.run_tasks` (serial, ``n_jobs`` processes or a Dask ``client``); each
is seeded from ``(seed, k)`` and runs on one thread, so every mode gives identical errors. A law
error(k) is then chosen among classical forms by leave-one-out over the sizes
(:mod:`glassbox_jupyter.latent.error_law`).

Builder contract: ``builder(n_features, latent_size)`` returns either a ``torch.nn.Module`` with
``encode(x) -> (n, k)`` and ``decode(z) -> (n, n_features)`` methods, or a tuple ``(encoder, decoder)``
of modules with those shapes. It must build its layers from torch's global RNG (as ``nn.Linear``
does), which GlassBox seeds before each call. The default builder is :func:`mlp_autoencoder`.

Example:
    >>> import glassbox, numpy as np  # doctest: +SKIP
    >>> X = np.random.default_rng(0).normal(size=(500, 8))  # doctest: +SKIP
    >>> law = glassbox.reconstruction_law(X, latent_sizes=[1, 2, 3, 4, 6], epochs=100)  # doctest: +SKIP
    >>> law.errors; law.equation  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from glassbox_jupyter.errors import LatentInputError
from glassbox_jupyter.latent.encoding import as_data, split_rows
from glassbox_jupyter.latent.reconstruction_finding import ReconstructionLawFinding
from glassbox_jupyter.parallel import run_tasks

if TYPE_CHECKING:
    from glassbox_jupyter.latent.autoencoder import MLPAutoencoder

MIN_SIZES = 3

__all__ = ["ReconstructionLawFinding", "mlp_autoencoder", "reconstruction_law"]


def mlp_autoencoder(
    n_features: int, latent_size: int, hidden: Sequence[int] = (32,), activation: str = "tanh"
) -> MLPAutoencoder:
    """The default builder: an MLP autoencoder ``n_features → hidden → latent_size → hidden → n_features``.

    Example:
        >>> model = mlp_autoencoder(6, 2)
        >>> type(model).__name__, callable(model.encode), callable(model.decode)
        ('MLPAutoencoder', True, True)
    """
    from glassbox_jupyter.latent.autoencoder import MLPAutoencoder

    return MLPAutoencoder(n_features, latent_size, hidden=hidden, activation=activation)


@dataclass
class TrainingTask:
    """One autoencoder to train (everything a worker needs)."""

    latent_size: int
    builder: Callable[[int, int], Any]
    X_train: np.ndarray
    X_test: np.ndarray
    epochs: int
    batch_size: int
    lr: float
    seed: int


@dataclass
class TrainingResult:
    """Errors of one trained autoencoder and its weights (numpy state dicts, rebuilt with the builder)."""

    latent_size: int
    train_mse: float
    held_out_mse: float
    state: list[dict[str, np.ndarray]]


def train_autoencoder(task: TrainingTask) -> TrainingResult:
    """Train one autoencoder (module-level, so it runs in worker processes); seeded and repeatable."""
    import torch

    from glassbox_jupyter.latent.autoencoder import autoencoder_parts

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(task.seed)
        n_features = task.X_train.shape[1]
        encode, decode, modules = autoencoder_parts(
            task.builder(n_features, task.latent_size), n_features, task.latent_size
        )
        params = [p for m in modules for p in m.parameters()]
        X = torch.tensor(task.X_train, dtype=torch.float32)
        X_test = torch.tensor(task.X_test, dtype=torch.float32)
        with torch.no_grad():
            z = encode(X[:2])
            out = decode(z)
        if tuple(z.shape) != (2, task.latent_size) or tuple(out.shape) != (2, n_features):
            raise LatentInputError(
                f"for latent_size={task.latent_size} the builder's encode gave shape {tuple(z.shape)} and decode "
                f"{tuple(out.shape)}; expected (n, {task.latent_size}) and (n, {n_features})"
            )
        optimiser = torch.optim.Adam(params, lr=task.lr)
        steps_per_epoch = -(-len(X) // task.batch_size)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=task.epochs * steps_per_epoch)
        rng = np.random.default_rng(task.seed)
        for module in modules:
            module.train()
        for _ in range(task.epochs):
            order = torch.as_tensor(rng.permutation(len(X)))
            for start in range(0, len(X), task.batch_size):
                batch = X[order[start : start + task.batch_size]]
                optimiser.zero_grad()
                loss = torch.nn.functional.mse_loss(decode(encode(batch)), batch)
                loss.backward()
                optimiser.step()
                schedule.step()
        for module in modules:
            module.eval()
        with torch.no_grad():
            train_mse = float(torch.nn.functional.mse_loss(decode(encode(X)), X))
            test_mse = float(torch.nn.functional.mse_loss(decode(encode(X_test)), X_test))
    state = [{k: v.detach().cpu().numpy().copy() for k, v in m.state_dict().items()} for m in modules]
    return TrainingResult(task.latent_size, train_mse, test_mse, state)


def _sizes(latent_sizes: Sequence[int] | None, n_features: int) -> list[int]:
    if latent_sizes is None:
        return list(range(1, min(n_features, 6) + 1))
    sizes = list(latent_sizes)
    if any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1 for k in sizes):
        raise LatentInputError(f"latent_sizes must be positive integers, got {sizes}")
    if len(set(sizes)) != len(sizes):
        raise LatentInputError(f"latent_sizes has repeats: {sizes}")
    return sorted(int(k) for k in sizes)


def reconstruction_law(
    X: Any,
    latent_sizes: Sequence[int] | None = None,
    *,
    builder: Callable[[int, int], Any] | None = None,
    epochs: int = 200,
    batch_size: int = 256,
    lr: float = 1e-2,
    seed: int = 0,
    test_size: float = 0.25,
    feature_names: Sequence[str] | None = None,
    client: Any = None,
    n_jobs: int | None = None,
    fallback: str | None = None,
) -> ReconstructionLawFinding:
    """Held-out reconstruction error per latent size and the law error(k); returns a ReconstructionLawFinding.

    Args:
        X: the data ``(n, d)`` (array or DataFrame); it is standardised with the training rows' mean/std.
        latent_sizes: the sizes k to train (at least 3; default ``1..min(d, 6)``).
        builder: ``builder(n_features, k)`` → a module with ``encode``/``decode``, or ``(encoder, decoder)``
            (default :func:`mlp_autoencoder`).
        epochs, batch_size, lr: Adam training (cosine learning-rate schedule) of each autoencoder.
        seed: seeds the row split, the weights and the batches.
        test_size: share of rows held out to measure reconstruction error.
        client, n_jobs, fallback: where the trainings run (see :func:`~glassbox_jupyter.parallel.run_tasks`).
    """
    data, names = as_data(X, feature_names)
    sizes = _sizes(latent_sizes, data.shape[1])
    if len(sizes) < MIN_SIZES:
        raise LatentInputError(
            f"reconstruction_law needs at least {MIN_SIZES} latent sizes to fit a law and check it by "
            f"leave-one-out, got {sizes}; pass e.g. latent_sizes=[1, 2, 3, 4]"
        )
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise LatentInputError(f"{name} must be a positive integer, got {value!r}")
    train, validation, test = split_rows(len(data), test_size, seed)
    train = np.sort(np.concatenate([train, validation]))  # no model selection here: validation rows train too
    mean, std = data[train].mean(axis=0), data[train].std(axis=0)
    std = np.where(std > 0, std, 1.0)
    standard = (data - mean) / std
    builder = builder or mlp_autoencoder
    tasks = [
        TrainingTask(
            latent_size=k,
            builder=builder,
            X_train=standard[train],
            X_test=standard[test],
            epochs=int(epochs),
            batch_size=int(batch_size),
            lr=float(lr),
            seed=int(np.random.SeedSequence([int(seed), k]).generate_state(1)[0] % 2**31),
        )
        for k in sizes
    ]
    results = run_tasks(train_autoencoder, tasks, client=client, n_jobs=n_jobs, fallback=fallback)
    settings = {
        "latent_sizes": sizes,
        "builder": getattr(builder, "__qualname__", type(builder).__name__),
        "epochs": int(epochs),
        "batch_size": int(batch_size),
        "lr": float(lr),
        "test_size": test_size,
        "train_rows": len(train),
        "held_out_rows": len(test),
        "n_jobs": n_jobs,
        "dask": client is not None,
        "seeds": {str(t.latent_size): t.seed for t in tasks},
    }
    finding = ReconstructionLawFinding(results, builder, data, names, settings, seed)
    finding.mean, finding.scale = mean, std
    return finding
