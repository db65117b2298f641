"""Harness for the browser end-to-end tests: a throw-away JupyterLab driven by headless Chromium.

* :func:`jupyterlab` starts JupyterLab on 127.0.0.1 with isolated config/runtime/data/settings/
  workspaces/IPython dirs and no network features, and stops it (kernels included) afterwards.
* :func:`launch_chromium` starts Debian's Chromium (no ``playwright install``) with Playwright.
* :class:`NotebookPage` wraps a Playwright page: open a notebook, run cell N and wait for it,
  read the text a cell prints, take screenshots, collect the browser console.

The pytest fixtures built on these live in ``conftest.py``. Screenshots land in
``tests/e2e/artifacts/`` (gitignored).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Text that must never show in a notebook's outputs: a chart that wants vega from a CDN, a widget
# without its model, a front-end script error.
BAD_OUTPUT_TEXT = (
    "Error loading script",
    "Error displaying widget",
    "model not found",
    "Javascript Error",
    "Loading widget...",
)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")

SERVER_START_TIMEOUT = 60.0  # s, JupyterLab on a 2-core machine
KERNEL_START_TIMEOUT = 60.0  # s, notebook open + kernel idle
CELL_TIMEOUT = 30.0  # s, a quick cell

# Marks for every e2e test module: ``pytestmark = E2E_MARKS``.
E2E_MARKS = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.skipif(sync_playwright is None, reason="the `playwright` Python package is not installed"),
]


# --------------------------------------------------------------------------- small helpers


def poll(check: Callable[[], tuple[bool, Any]], timeout: float, what: str, interval: float = 0.25) -> Any:
    """Call ``check`` until it returns (True, value); fail naming ``what`` and the last state."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        done, last = check()
        if done:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last state: {last}")
        time.sleep(interval)


def output_error(outputs: list[dict[str, Any]]) -> str | None:
    """Traceback summary of an error output among a cell's outputs (ANSI colours stripped)."""
    for out in outputs:
        if out.get("output_type") == "error":
            text = f"{out.get('ename')}: {out.get('evalue')}\n" + "\n".join(out.get("traceback", []))
            return strip_ansi(text)
    return None


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def shown_number(text: str | None, what: str = "the widget") -> float:
    """A number as a widget prints it (d3-format writes the minus sign U+2212)."""
    assert text, f"{what} shows no number"
    return float(text.replace("\u2212", "-"))


def distinct_colours(png: Path) -> tuple[int, tuple[int, int]]:
    """Number of distinct RGB colours in a PNG, and its (width, height)."""
    from PIL import Image

    with Image.open(png) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height)
        return len(colours or []), rgb.size


def write_notebook(path: Path, cells: Sequence[str]) -> None:
    """A notebook of code cells with the python3 kernel."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(path))


# --------------------------------------------------------------------------- JupyterLab server


@dataclass
class LabServer:
    base_url: str
    token: str
    root: Path
    log_path: Path
    process: subprocess.Popen = field(repr=False)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}?token={self.token}"

    def log_tail(self, lines: int = 150) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no server log: {exc})"
        return "\n".join(text.splitlines()[-lines:])

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def log_warnings(self, since: int = 0) -> list[str]:
        """Warning, error and critical lines of the server log (from byte offset ``since``)."""
        try:
            with self.log_path.open("rb") as f:
                f.seek(since)
                text = f.read().decode(errors="replace")
        except OSError as exc:
            return [f"(no server log: {exc})"]
        return [line for line in text.splitlines() if re.match(r"\[(W|E|C) ", line)]

    def api(self, path: str, method: str = "GET", timeout: float = 10) -> Any:
        req = urllib.request.Request(self.url(path), method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_sessions(self) -> None:
        """Shut down every notebook session (and its kernel), so tests do not share kernels."""
        try:
            for session in self.api("/api/sessions"):
                self.api(f"/api/sessions/{session['id']}", method="DELETE", timeout=30)
        except (urllib.error.URLError, OSError) as exc:
            print(f"(could not shut down the sessions: {exc})")

    def stop(self) -> None:
        proc = self.process
        if proc.poll() is not None:
            return
        try:  # ask politely first: shuts the kernels down too
            self.api("/api/shutdown", method="POST", timeout=5)
        except (urllib.error.URLError, OSError):
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_lab_settings(settings_dir: Path) -> None:
    """User settings: never fetch news or check for updates (no network, no toast over the page)."""
    target = settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@contextmanager
def jupyterlab(workdir: Path) -> Iterator[LabServer]:
    """Run JupyterLab with everything it writes under ``workdir``; notebooks go in ``server.root``."""
    root = workdir / "root"
    state = {name: workdir / name for name in ("config", "runtime", "data", "settings", "workspaces", "ipython")}
    for path in (root, *state.values()):
        path.mkdir(parents=True, exist_ok=True)
    write_lab_settings(state["settings"])

    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(state["config"]),
        JUPYTER_RUNTIME_DIR=str(state["runtime"]),
        JUPYTER_DATA_DIR=str(state["data"]),
        JUPYTERLAB_SETTINGS_DIR=str(state["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(state["workspaces"]),
        IPYTHONDIR=str(state["ipython"]),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    port = free_port()
    token = secrets.token_hex(24)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI containers run as root
        cmd.append("--allow-root")
    log_path = workdir / "jupyterlab.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, log_path, proc)
    try:
        wait_for_server(server)
        yield server
    finally:
        server.stop()


def wait_for_server(server: LabServer) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last = "no answer yet"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(
                f"JupyterLab exited with code {server.process.returncode} before answering "
                f"/api/status. Log:\n{server.log_tail()}"
            )
        try:
            with urllib.request.urlopen(server.url("/api/status"), timeout=5) as resp:
                if resp.status == 200:
                    return
                last = f"HTTP {resp.status}"
        except (urllib.error.URLError, OSError) as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise AssertionError(
        f"JupyterLab did not answer /api/status within {SERVER_START_TIMEOUT:.0f} s "
        f"(last: {last}). Log:\n{server.log_tail()}"
    )


def launch_chromium(pw: Any) -> Any:
    """Debian's Chromium, headless, through a started ``sync_playwright()``."""
    return pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000)


# --------------------------------------------------------------------------- the notebook page

# State of the open notebook panel: a string that is "ready" once it can run cells.
JS_NOTEBOOK_STATE = """
([path, minCells]) => {
  const app = window.jupyterapp;
  if (!app) return 'window.jupyterapp is missing (expose_app_in_browser not applied?)';
  const w = app.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext) return 'no notebook panel is the current widget';
  if (!w.context || w.context.path !== path) return 'current widget is ' + (w.context && w.context.path);
  if (!w.context.isReady) return 'notebook model not loaded';
  if (w.content.widgets.length < minCells) return 'notebook shows ' + w.content.widgets.length + ' cells';
  const session = w.sessionContext.session;
  if (!session || !session.kernel) return 'no kernel session yet';
  const k = session.kernel;
  if (k.connectionStatus !== 'connected') return 'kernel connection ' + k.connectionStatus;
  if (k.status !== 'idle') return 'kernel status ' + k.status;
  return 'ready';
}
"""

# Select cell `i` and run it (not awaited: completion is polled for).
JS_RUN_CELL = """
(i) => {
  const app = window.jupyterapp;
  const w = app.shell.currentWidget;
  app.shell.activateById(w.id);
  w.content.activeCellIndex = i;
  w.content.deselectAll();
  app.commands.execute('notebook:run-cell').catch(
    (e) => console.error('[e2e] notebook:run-cell failed: ' + e));
  return w.content.widgets[i].model.executionCount;
}
"""

# Replace the source of cell `i` (what a user typing in it does).
JS_SET_SOURCE = """
([i, source]) => {
  const w = window.jupyterapp.shell.currentWidget;
  w.content.widgets[i].model.sharedModel.setSource(source);
  return w.content.widgets[i].model.sharedModel.getSource();
}
"""

# Execution count and outputs (from the model) of cell `i`.
JS_CELL_STATE = """
(i) => {
  const w = window.jupyterapp.shell.currentWidget;
  const cell = w.content.widgets[i];
  return {
    count: cell.model.executionCount,
    kernel: w.sessionContext.session && w.sessionContext.session.kernel
      ? w.sessionContext.session.kernel.status : 'none',
    outputs: cell.model.outputs.toJSON(),
  };
}
"""


# Run every cell of the open notebook (not awaited: completion is polled for).
JS_RUN_ALL = """
() => {
  const app = window.jupyterapp;
  app.shell.activateById(app.shell.currentWidget.id);
  app.commands.execute('notebook:run-all-cells').catch(
    (e) => console.error('[e2e] notebook:run-all-cells failed: ' + e));
}
"""

# Index, execution count and outputs of every code cell of the open notebook.
JS_CODE_CELLS = """
() => {
  const w = window.jupyterapp.shell.currentWidget;
  return w.content.widgets
    .map((cell, index) => ({cell, index}))
    .filter(({cell}) => cell.model.type === 'code')
    .map(({cell, index}) => ({index, count: cell.model.executionCount, outputs: cell.model.outputs.toJSON()}));
}
"""


class NotebookPage:
    """A Playwright page showing one notebook in JupyterLab, with a step log and the console."""

    def __init__(self, page: Any, server: LabServer, name: str):
        self.page = page
        self.server = server
        self.name = name  # prefix of the screenshots
        self.console: list[str] = []
        self.started = time.monotonic()
        self.log_start = server.log_size()  # the server is shared: report only this page's warnings
        self.panel: Any = None  # locator of the notebook panel, once open
        page.set_default_timeout(30_000)
        page.on("console", lambda m: self.console.append(f"console.{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        self.foreign_requests: list[str] = []  # requests to any host but this machine (should be none)
        page.on("request", self._note_request)

    def _note_request(self, request: Any) -> None:
        from urllib.parse import urlsplit

        url = urlsplit(request.url)
        if url.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
            return
        if url.hostname is None or f"[{url.hostname}]" in LOCAL_HOSTS or url.hostname in LOCAL_HOSTS:
            return
        self.foreign_requests.append(request.url)

    def log(self, step: str) -> None:
        print(f"[e2e {self.name} {time.monotonic() - self.started:6.1f}s] {step}", flush=True)

    # ---- notebook and cells

    def open_notebook(self, path: str, cells: Sequence[str]) -> None:
        """Write ``path`` (under the server root) with ``cells``, open it, wait for an idle kernel."""
        write_notebook(self.server.root / path, cells)
        self.open_file(path, len(cells))

    def open_file(self, path: str, min_cells: int, workspace: str | None = None) -> None:
        """Open the notebook ``path`` (under the server root) and wait for an idle kernel.

        Each page name gets a workspace of its own (or ``workspace``): tabs a previous test left
        open in the shared server are not restored."""
        workspace = re.sub(r"[^A-Za-z0-9_-]", "-", workspace or f"e2e-{self.name}")
        url = self.server.url(f"/lab/workspaces/{workspace}/tree/{path}")
        self.page.goto(url, wait_until="domcontentloaded", timeout=60_000)
        poll(
            lambda: (lambda s: (s == "ready", s))(self.page.evaluate(JS_NOTEBOOK_STATE, [path, min_cells])),
            KERNEL_START_TIMEOUT,
            f"{path} to open with an idle kernel",
            interval=0.5,
        )
        panel_id = self.page.evaluate("() => window.jupyterapp.shell.currentWidget.id")
        self.panel = self.page.locator(f'[id="{panel_id}"]')
        self.log("notebook open, kernel idle")

    def start_cell(self, i: int) -> Any:
        """Start running cell ``i``; returns its execution count before the run."""
        return self.page.evaluate(JS_RUN_CELL, i)

    def cell_state(self, i: int) -> dict[str, Any]:
        """``{"count", "kernel", "outputs"}`` of cell ``i``; raises if the cell shows a traceback."""
        state = self.page.evaluate(JS_CELL_STATE, i)
        error = output_error(state["outputs"])
        if error:
            raise AssertionError(f"cell {i} raised:\n{error}")
        return state

    def wait_cell(self, i: int, count_before: Any, timeout: float = CELL_TIMEOUT) -> dict[str, Any]:
        """Wait until cell ``i`` has a new execution count and the kernel is idle again."""

        def finished() -> tuple[bool, Any]:
            state = self.cell_state(i)
            return state["count"] not in (None, count_before) and state["kernel"] == "idle", state

        return poll(finished, timeout, f"cell {i} to finish")

    def run_cell(self, i: int, timeout: float = CELL_TIMEOUT) -> dict[str, Any]:
        return self.wait_cell(i, self.start_cell(i), timeout)

    def run_all(self, timeout: float) -> list[dict[str, Any]]:
        """Run every cell (Run > Run All Cells) and wait until each code cell has run and the kernel
        is idle; returns the state of every code cell. Raises on the first cell showing a traceback."""
        self.page.evaluate(JS_RUN_ALL)

        def finished() -> tuple[bool, Any]:
            cells = self.page.evaluate(JS_CODE_CELLS)
            for cell in cells:
                error = output_error(cell["outputs"])
                if error:
                    raise AssertionError(f"cell {cell['index']} raised:\n{error}")
            pending = [c["index"] for c in cells if c["count"] is None]
            kernel = self.page.evaluate(JS_CELL_STATE, cells[0]["index"])["kernel"] if cells else "idle"
            return not pending and kernel == "idle", {"cells not run yet": pending, "kernel": kernel}

        poll(finished, timeout, "every cell to run", interval=1.0)
        return self.page.evaluate(JS_CODE_CELLS)

    def save(self) -> None:
        """Save the notebook (File > Save), as a user would before closing it."""
        self.page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        poll(
            lambda: (lambda d: (not d, {"dirty": d}))(
                self.page.evaluate("() => window.jupyterapp.shell.currentWidget.context.model.dirty")
            ),
            CELL_TIMEOUT,
            "the notebook to be saved",
        )

    def run_source(self, i: int, source: str, timeout: float = CELL_TIMEOUT) -> dict[str, Any]:
        """Write ``source`` into cell ``i`` (code that depends on what the test read) and run it."""
        written = self.page.evaluate(JS_SET_SOURCE, [i, source])
        assert written == source, f"cell {i} holds {written!r}, not {source!r}"
        self.log(f"cell {i}: {source!r}")
        return self.run_cell(i, timeout)

    def output_text(self, i: int, pattern: str) -> str:
        """The text cell ``i`` shows on the page, once its first output matches regex ``pattern``."""
        cell = self.panel.locator(".jp-Notebook .jp-Cell").nth(i)
        cell.scroll_into_view_if_needed()
        output = cell.locator(".jp-OutputArea-output")
        try:
            self.page.wait_for_function(
                "([el, pattern]) => el && new RegExp(pattern).test(el.innerText)",
                arg=[output.first.element_handle(timeout=10_000), pattern],
                timeout=10_000,
            )
        except Exception as exc:
            texts = output.all_inner_texts() if output.count() else []
            raise AssertionError(f"cell {i} shows no output matching {pattern!r} on the page: {texts}") from exc
        return output.first.inner_text()

    def run_cell_for_json(self, i: int, prefix: str) -> Any:
        """Run cell ``i`` and return the JSON it prints after ``prefix`` (read from the page)."""
        self.run_cell(i)
        text = self.output_text(i, re.escape(prefix))
        m = re.search(re.escape(prefix) + r"(.*)", text)
        assert m, f"cell {i} output {text!r} has no {prefix} line"
        return json.loads(m.group(1).strip())

    def run_cell_until(
        self, i: int, prefix: str, ok: Callable[[Any], bool], what: str, timeout: float = CELL_TIMEOUT
    ) -> Any:
        """Re-run cell ``i`` (it prints ``prefix`` + JSON) until ``ok(value)``; return that value.

        For reading the kernel's state after a click: the widget's comm message may reach the
        kernel after the page already shows the click.
        """

        def check() -> tuple[bool, Any]:
            value = self.run_cell_for_json(i, prefix)
            return bool(ok(value)), value

        return poll(check, timeout, what, interval=0.5)

    # ---- screenshots

    def screenshot(
        self, suffix: str | None = None, element: Any = None, clip: dict | None = None, keep_mouse: bool = False
    ) -> Path:
        """Screenshot of the page (or of ``element``, a locator; or of ``clip``, a page box)
        to artifacts/<name>[_<suffix>].png. The mouse is moved away first (no hover effects)
        unless ``keep_mouse`` (to capture a hover tooltip)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / (f"{self.name}_{suffix}.png" if suffix else f"{self.name}.png")
        if not keep_mouse:
            self.page.mouse.move(0, 0)
        if element is not None:
            element.screenshot(path=str(path))
        else:
            self.page.screenshot(path=str(path), clip=clip)
        return path

    def cells_box(self, first: int, last: int, pad: int = 8) -> dict[str, float]:
        """Page box around cells ``first``..``last`` of the notebook (clipped to its visible part)."""
        boxes = [self.panel.locator(".jp-Notebook .jp-Cell").nth(i).bounding_box() for i in (first, last)]
        view = self.panel.locator(".jp-Notebook").bounding_box()
        assert all(boxes) and view, f"cells {first} and {last} are not both on the page"
        x0 = max(view["x"], min(b["x"] for b in boxes) - pad)
        y0 = max(view["y"], boxes[0]["y"] - pad)
        x1 = min(view["x"] + view["width"], max(b["x"] + b["width"] for b in boxes) + pad)
        y1 = min(view["y"] + view["height"], boxes[1]["y"] + boxes[1]["height"] + pad)
        return {"x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0}

    def assert_not_blank(
        self, element: Any, suffix: str, min_size=(300, 200), min_colours: int = 50, keep_mouse: bool = False
    ) -> Path:
        """Screenshot ``element`` and check it is big enough and has more than ``min_colours`` colours."""
        png = self.screenshot(suffix, element, keep_mouse=keep_mouse)
        colours, (width, height) = distinct_colours(png)
        self.log(f"{png.name}: {width}x{height}, {colours} distinct colours")
        assert width >= min_size[0] and height >= min_size[1], f"{png.name} is only {width}x{height} px"
        assert colours > min_colours, f"{png.name} has only {colours} distinct colours: blank or broken?"
        return png

    # ---- reports

    def output_texts(self) -> list[str]:
        """The text of every output of the open notebook, as the page shows it."""
        return self.panel.locator(".jp-OutputArea-output").all_inner_texts()

    def assert_outputs_clean(self) -> None:
        """No output shows an error text of the front end (a chart loading vega from a CDN, a widget
        without its model), and the page asked no host but this machine for anything."""
        bad = [(t[:200], b) for t in self.output_texts() for b in BAD_OUTPUT_TEXT if b in t]
        assert not bad, f"outputs show front-end errors: {bad}"
        assert not self.foreign_requests, f"the page requested other hosts: {self.foreign_requests[:10]}"

    def assert_no_page_errors(self) -> None:
        """Log console noise and server warnings; fail on page errors, [glassbox] messages, error
        texts in the outputs and requests to other hosts."""
        noisy = [line for line in self.console if line.startswith(("console.error", "console.warning", "pageerror"))]
        self.log(f"{len(noisy)} browser console errors/warnings" + "".join(f"\n  {line}" for line in noisy))
        warnings = self.server.log_warnings(since=self.log_start)
        self.log(f"{len(warnings)} JupyterLab log warnings" + "".join(f"\n  {w}" for w in warnings))
        bad = [line for line in self.console if "[glassbox]" in line or "pageerror" in line]
        assert not bad, "the page logged errors:\n" + "\n".join(bad)
        if self.panel is not None:
            self.assert_outputs_clean()

    def dump_failure(self) -> None:
        """Print the console and the server log, and save a failure screenshot."""
        print("\n===== browser console =====")
        print("\n".join(self.console) or "(nothing)")
        print("\n===== JupyterLab log (tail) =====")
        print(self.server.log_tail())
        try:
            print(f"failure screenshot: {self.screenshot('failure')}")
        except Exception as exc:  # the page may be gone
            print(f"(no failure screenshot: {exc})")


def reset_artifacts(name: str) -> None:
    """Remove the screenshots a previous run left for ``name`` (a :class:`NotebookPage` name)."""
    for old in [*ARTIFACTS.glob(f"{name}.png"), *ARTIFACTS.glob(f"{name}_*.png")]:
        old.unlink()


__all__ = [
    "ARTIFACTS",
    "CELL_TIMEOUT",
    "CHROMIUM",
    "E2E_MARKS",
    "LabServer",
    "NotebookPage",
    "distinct_colours",
    "jupyterlab",
    "launch_chromium",
    "poll",
    "reset_artifacts",
    "shown_number",
]
