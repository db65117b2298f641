"""Hugging Face loading switches shared by the loaders: offline mode and quiet progress bars.

Example:
    >>> with quiet_loading():
    ...     pass
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_loading() -> Iterator[None]:
    """Turn transformers' progress bars off for the block (restoring the user's setting after it).

    Example:
        >>> with quiet_loading():
        ...     pass
    """
    try:
        from transformers.utils import logging as hf_logging
    except ImportError:  # transformers missing: the caller's import raises the useful error
        yield
        return
    enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # unannotated upstream
    try:
        yield
    finally:
        if enabled:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]  # unannotated upstream


@contextmanager
def offline() -> Iterator[None]:
    """Hugging Face offline mode for the duration of the block: the environment variables, and the
    ``huggingface_hub`` constant they were read into at import (setting the variables later alone
    would not take effect). Restores both afterwards.

    Example:
        >>> import os
        >>> with offline():
        ...     os.environ["HF_HUB_OFFLINE"]
        '1'
    """
    import huggingface_hub.constants as hub_constants

    keys = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    saved_env = {k: os.environ.get(k) for k in keys}
    saved_flag = hub_constants.HF_HUB_OFFLINE
    os.environ.update({k: "1" for k in keys})
    hub_constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        hub_constants.HF_HUB_OFFLINE = saved_flag
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
