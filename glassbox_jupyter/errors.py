"""Errors GlassBox raises. Each message says what went wrong and how to fix it."""

from __future__ import annotations


class GlassboxError(Exception):
    """Base class of every GlassBox error."""


class ShapeMismatchError(GlassboxError, ValueError):
    """The input spec and the teacher disagree about the input width or shape."""


class UnsafeFileError(GlassboxError, PermissionError):
    """A file would need arbitrary code execution (pickle) to load, and ``trust=True`` was not given."""


class EmptyProbeError(GlassboxError, ValueError):
    """A probe set has no usable rows."""


class ArchitectureImportError(GlassboxError, ImportError):
    """An ``architecture="package.module:Class"`` path does not resolve."""


class TeacherOutputError(GlassboxError, ValueError):
    """The teacher returned something that is not a finite numeric array."""


class NoWorkersError(GlassboxError, ValueError):
    """A Dask client was passed for fan-out, but its cluster has no workers to run the tasks."""


class EncoderOutputError(GlassboxError, ValueError):
    """An encoder given to ``latent_laws`` did not return a 2-D array of latents ``(n_samples, n_latents)``."""


class LatentInputError(GlassboxError, ValueError):
    """``latent_laws`` or ``reconstruction_law`` got data or settings it cannot use (shape, NaN, sizes)."""


class SelectionError(GlassboxError, ValueError):
    """A Finding was asked to select something it does not have (an unknown id, a head out of range, a
    path that is not a path of the graph). The message lists what can be selected."""


class SelectionIndexError(SelectionError, IndexError):
    """A selection by position that is out of range (``select(99)`` on a front of 12 equations)."""


class PublishError(GlassboxError, RuntimeError):
    """Publishing to a GlassBox server failed: no server or token given, refused, or unreachable."""
