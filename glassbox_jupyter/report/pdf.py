"""Print HTML to PDF with headless Chromium (Debian's ``chromium``; nothing is downloaded).

nbconvert's ``webpdf`` looks for a Playwright-managed browser that Debian does not have; this
prints through the system binary instead, with a fresh profile and every background service off.
Set ``GLASSBOX_CHROMIUM`` to use another binary.

Example:
    >>> from glassbox_jupyter.report.pdf import find_chromium
    >>> path = find_chromium()  # e.g. "/usr/bin/chromium", or None when absent
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from glassbox_jupyter.errors import GlassboxError

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-pdf-header-footer",
)


class ChromiumNotFoundError(GlassboxError, RuntimeError):
    """No Chromium binary to print the PDF with."""


def find_chromium() -> str | None:
    """Path of the Chromium binary to use (``$GLASSBOX_CHROMIUM`` first), or None."""
    override = os.environ.get("GLASSBOX_CHROMIUM")
    if override:
        return override if Path(override).is_file() else shutil.which(override)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def html_to_pdf(html: str, path: str | Path, *, timeout: float = 120.0) -> Path:
    """Write ``html`` to ``path`` as PDF (A4, backgrounds printed, no header or footer)."""
    binary = find_chromium()
    if binary is None:
        raise ChromiumNotFoundError(
            "printing the PDF needs Chromium, which was not found on PATH. Install it "
            "(Debian/Ubuntu: `sudo apt-get install chromium`; macOS: `brew install --cask chromium`) "
            "or set GLASSBOX_CHROMIUM=/path/to/chrome. The HTML report does not need it: use --to html."
        )
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="glassbox-pdf-") as tmp:
        source = Path(tmp) / "report.html"
        source.write_text(html, encoding="utf-8")
        profile = Path(tmp) / "profile"
        command = [
            binary,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={target}",
            source.as_uri(),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise GlassboxError(f"Chromium did not finish printing within {timeout:.0f} s") from exc
    if done.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
        raise GlassboxError(
            f"Chromium ({binary}) failed to print the PDF (exit {done.returncode}): {done.stderr.strip()[-500:]}"
        )
    return Path(path)
