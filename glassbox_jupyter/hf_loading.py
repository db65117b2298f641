"""Loading local Hugging Face folders without the per-tensor progress bar transformers prints to stderr.

Example:
    >>> from glassbox_jupyter.hf_loading import quiet_loading
    >>> with quiet_loading():
    ...     pass
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Turn transformers' progress bars off for the block (restoring the user's setting after it)."""
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # transformers missing: the caller's import raises the useful error
        yield
        return
    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()
