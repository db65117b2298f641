"""End to end: the ResponseView widget in a real JupyterLab, driven by headless Chromium.

Starts JupyterLab on 127.0.0.1 (isolated config/runtime/settings/workspaces dirs, no network
features), opens a notebook that displays ``finding.widget()``, checks the heat map and the
probe points are drawn, clicks a probe point and checks the kernel's ``view.selected_input``
follows. Screenshots land in ``tests/e2e/artifacts/`` (gitignored).

Run: ``python -m pytest tests/e2e -v -s``. Needs Debian's Chromium at /usr/bin/chromium and
the ``playwright`` Python package (no ``playwright install``: the system browser is used).
"""

from __future__ import annotations

import json
import math
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
NOTEBOOK = "response_view_e2e.ipynb"
FEATURES = ["x1", "x2", "x3", "x4", "x5"]

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

SERVER_START_TIMEOUT = 60.0  # s, JupyterLab on a 2-core machine
KERNEL_START_TIMEOUT = 60.0  # s, notebook open + kernel idle
RENDER_TIMEOUT = 90.0  # s, cell 0: import torch, probe 400 points, render the widget
CELL_TIMEOUT = 30.0  # s, cell 1

SETUP_CELL = """\
%load_ext glassbox
import glassbox
teacher = glassbox.demos.load("friedman_mlp")
probes = %glassbox probe teacher --n 400 --method sobol
finding = glassbox.response(teacher, probes, features=["x1", "x2"])
view = finding.widget()
view"""

SELECTION_CELL = """\
import json
print("SELECTED=" + json.dumps(None if view.selected_input is None else dict(view.selected_input)))"""

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Chromium not found at {CHROMIUM}"),
    pytest.mark.skipif(sync_playwright is None, reason="the `playwright` Python package is not installed"),
]


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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP_CELL), nbformat.v4.new_code_cell(SELECTION_CELL)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.write(nb, str(path))


def _write_lab_settings(settings_dir: Path) -> None:
    """User settings: never fetch news or check for updates (no network, no toast over the page)."""
    target = settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


def _stop_server(server: LabServer) -> None:
    proc = server.process
    if proc.poll() is None:
        # Ask politely first: shuts the kernel down too.
        try:
            req = urllib.request.Request(
                server.url("/api/shutdown"),
                method="POST",
                headers={"Authorization": f"token {server.token}"},
            )
            urllib.request.urlopen(req, timeout=5).close()
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


@pytest.fixture()
def lab_server(tmp_path: Path) -> Iterator[LabServer]:
    root = tmp_path / "root"
    state = {name: tmp_path / name for name in ("config", "runtime", "data", "settings", "workspaces", "ipython")}
    for path in (root, *state.values()):
        path.mkdir()
    _write_notebook(root / NOTEBOOK)
    _write_lab_settings(state["settings"])

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
    port = _free_port()
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
    log_path = tmp_path / "jupyterlab.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, log_path, proc)
    try:
        _wait_for_server(server)
        yield server
    finally:
        _stop_server(server)


def _wait_for_server(server: LabServer) -> None:
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


# --------------------------------------------------------------------------- page helpers

# State of the open notebook panel: a string that is "ready" once it can run cells.
JS_NOTEBOOK_STATE = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return 'window.jupyterapp is missing (expose_app_in_browser not applied?)';
  const w = app.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext) return 'no notebook panel is the current widget';
  if (!w.context || w.context.path !== path) return 'current widget is ' + (w.context && w.context.path);
  if (!w.context.isReady) return 'notebook model not loaded';
  if (w.content.widgets.length < 2) return 'notebook shows ' + w.content.widgets.length + ' cells';
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

# What the widget shows right now.
JS_WIDGET_STATE = """
() => {
  const roots = document.querySelectorAll('.gb-response-view');
  const svg = document.querySelector('.gb-response-view svg');
  const err = document.querySelector('.gb-response-view .gb-error, .gb-response-view .gb-message');
  return {
    roots: roots.length,
    svg: !!svg,
    circles: document.querySelectorAll('.gb-response-view svg circle.gb-probe-point').length,
    cells: document.querySelectorAll('.gb-response-view svg rect.gb-response-cell').length,
    message: err ? err.textContent : null,
  };
}
"""

# A probe circle near the middle of the plot that is the topmost element at its own centre
# (so a real mouse click lands on it), as {index, x, y} in page coordinates; null if none.
JS_PICK_CIRCLE = """
() => {
  const svg = document.querySelector('.gb-response-view svg');
  const plot = svg.querySelector('g.gb-data') || svg;
  const box = plot.getBoundingClientRect();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const found = [];
  for (const c of svg.querySelectorAll('circle.gb-probe-point')) {
    const r = c.getBoundingClientRect();
    const x = r.x + r.width / 2, y = r.y + r.height / 2;
    found.push({c, x, y, d: Math.hypot(x - cx, y - cy)});
  }
  found.sort((a, b) => a.d - b.d);
  for (const f of found.slice(0, 60)) {
    if (document.elementFromPoint(f.x, f.y) === f.c) {
      return {index: Number(f.c.getAttribute('data-index')), x: f.x, y: f.y};
    }
  }
  return null;
}
"""


def _poll(check: Callable[[], tuple[bool, Any]], timeout: float, what: str, interval=0.25) -> Any:
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


def _output_error(outputs: list[dict[str, Any]]) -> str | None:
    """Traceback summary of an error output (or stderr text) among a cell's outputs."""
    for out in outputs:
        if out.get("output_type") == "error":
            return f"{out.get('ename')}: {out.get('evalue')}\n" + "\n".join(out.get("traceback", []))
    return None


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def _distinct_colours(png: Path) -> tuple[int, tuple[int, int]]:
    from PIL import Image

    with Image.open(png) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=rgb.width * rgb.height)
        return len(colours or []), rgb.size


# --------------------------------------------------------------------------- the test


@pytest.mark.timeout(300)
def test_response_view_renders_and_click_selects_input(lab_server: LabServer) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console: list[str] = []
    started = time.monotonic()

    def log(step: str) -> None:
        print(f"[e2e {time.monotonic() - started:6.1f}s] {step}", flush=True)

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(30_000)
            page.on("console", lambda m: console.append(f"console.{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            try:
                _drive(page, lab_server, log)
            except BaseException:
                print("\n===== browser console =====")
                print("\n".join(console) or "(nothing)")
                print("\n===== JupyterLab log (tail) =====")
                print(lab_server.log_tail())
                try:
                    page.screenshot(path=str(ARTIFACTS / "response_view_failure.png"))
                    print(f"failure screenshot: {ARTIFACTS / 'response_view_failure.png'}")
                except Exception as exc:  # the page may be gone
                    print(f"(no failure screenshot: {exc})")
                raise
        finally:
            browser.close()

    noisy = [line for line in console if line.startswith(("console.error", "console.warning", "pageerror"))]
    log(f"{len(noisy)} browser console errors/warnings" + "".join(f"\n  {line}" for line in noisy))
    server_warnings = [line for line in lab_server.log_tail(10_000).splitlines() if re.match(r"\[(W|E|C) ", line)]
    log(f"{len(server_warnings)} JupyterLab log warnings" + "".join(f"\n  {w}" for w in server_warnings))
    glassbox_errors = [line for line in console if "[glassbox]" in line or "pageerror" in line]
    assert not glassbox_errors, "the page logged errors:\n" + "\n".join(glassbox_errors)
    log("done")


def _drive(page: Any, server: LabServer, log: Callable[[str], None]) -> None:
    # 1. Open the notebook and wait for an idle kernel.
    page.goto(server.url(f"/lab/tree/{NOTEBOOK}"), wait_until="domcontentloaded", timeout=60_000)
    _poll(
        lambda: (lambda s: (s == "ready", s))(page.evaluate(JS_NOTEBOOK_STATE, NOTEBOOK)),
        KERNEL_START_TIMEOUT,
        f"{NOTEBOOK} to open with an idle kernel",
        interval=0.5,
    )
    log("notebook open, kernel idle")

    # 2. Run the setup cell; wait for the widget to draw the heat map and the probe points.
    page.evaluate(JS_RUN_CELL, 0)

    def rendered() -> tuple[bool, Any]:
        widget = page.evaluate(JS_WIDGET_STATE)
        cell = page.evaluate(JS_CELL_STATE, 0)
        error = _output_error(cell["outputs"])
        if error:
            raise AssertionError(f"setup cell raised:\n{_strip_ansi(error)}")
        if widget["message"] and not widget["circles"]:
            raise AssertionError(f"the widget shows a message instead of a chart: {widget['message']!r}")
        if widget["circles"] > 0:
            return True, widget
        mimes = [sorted(o.get("data", {})) for o in cell["outputs"]]
        return False, {"widget": widget, "cell 0 count": cell["count"], "output mime types": mimes}

    widget = _poll(rendered, RENDER_TIMEOUT, "circle.gb-probe-point in .gb-response-view svg")
    # Let the ResizeObserver's possible re-draw settle, then count again.
    page.wait_for_timeout(300)
    widget = page.evaluate(JS_WIDGET_STATE)
    log(f"widget rendered: {widget}")
    assert widget["roots"] == 1, f"expected one .gb-response-view, found {widget['roots']}"
    assert widget["circles"] > 100, f"only {widget['circles']} probe circles drawn (400 probes)"
    assert widget["cells"] > 100, f"only {widget['cells']} heat-map cells (rect.gb-response-cell)"

    view_root = page.locator(".gb-response-view").first
    view_root.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "response_view_before.png"))
    readout = page.locator(".gb-response-view .gb-selection")
    assert readout.count() == 1, "no .gb-selection read-out under the chart"
    assert "click a probe point" in readout.inner_text(), readout.inner_text()

    # 3. Python side before any click: nothing selected.
    before = _run_selection_cell(page, log)
    assert before is None, f"view.selected_input should be None before any click, got {before}"

    # 4. Click a probe point near the middle of the plot with the real mouse.
    view_root.scroll_into_view_if_needed()
    pick = page.evaluate(JS_PICK_CIRCLE)
    if pick is not None:
        index = pick["index"]
        page.mouse.click(pick["x"], pick["y"])
        log(f"clicked probe #{index} at ({pick['x']:.0f}, {pick['y']:.0f})")
    else:  # every candidate is covered by another point: dispatch the click instead
        circle = page.locator(".gb-response-view svg circle.gb-probe-point").nth(widget["circles"] // 2)
        index = int(circle.get_attribute("data-index"))
        circle.dispatch_event("click")
        log(f"no uncovered circle near the middle; dispatched a click on probe #{index}")
    page.mouse.move(0, 0)

    selected = page.locator(f'.gb-response-view svg circle.gb-probe-point[data-index="{index}"]')
    try:
        page.wait_for_function(
            "(i) => { const c = document.querySelector("
            '`.gb-response-view svg circle.gb-probe-point[data-index="${i}"]`);'
            " return !!c && c.classList.contains('gb-selected'); }",
            arg=index,
            timeout=10_000,
        )
    except Exception as exc:
        raise AssertionError(
            f"clicked probe #{index} did not get class gb-selected (class={selected.get_attribute('class')!r})"
        ) from exc
    n_selected = page.locator(".gb-response-view svg circle.gb-probe-point.gb-selected").count()
    assert n_selected == 1, f"{n_selected} circles have class gb-selected after one click"
    readout_text = readout.inner_text()
    assert readout_text.startswith(f"probe #{index}:"), (
        f"read-out does not show the clicked probe #{index}: {readout_text!r}"
    )
    log(f"read-out: {readout_text!r}")

    # 5. The kernel's view.selected_input follows the click.
    chosen = _run_selection_cell(page, log, want_selection=True)
    assert isinstance(chosen, dict), f"view.selected_input is not a dict after the click: {chosen!r}"
    assert sorted(chosen) == FEATURES, f"selected_input keys {sorted(chosen)} != {FEATURES}"
    for name, value in chosen.items():
        assert isinstance(value, float), f"selected_input[{name!r}] = {value!r} is not a float"
        assert 0.0 <= value <= 1.0, f"selected_input[{name!r}] = {value} is outside [0, 1]"
    for name in ("x1", "x2"):
        m = re.search(rf"\b{name} = (-?[0-9.]+(?:e[-+]?\d+)?)", readout_text)
        assert m, f"read-out {readout_text!r} does not show {name}"
        shown = float(m.group(1))
        assert math.isclose(shown, chosen[name], rel_tol=2e-3, abs_tol=1e-6), (
            f"{name}: widget read-out shows {shown}, kernel's selected_input has {chosen[name]}"
        )

    # 6. Final screenshots; the widget must not be blank.
    view_root.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / "response_view.png"))
    widget_png = ARTIFACTS / "response_view_widget.png"
    view_root.screenshot(path=str(widget_png))
    colours, (width, height) = _distinct_colours(widget_png)
    log(f"widget screenshot {width}x{height}, {colours} distinct colours")
    assert width >= 300 and height >= 200, f"widget is only {width}x{height} px"
    assert colours > 50, f"widget screenshot has only {colours} distinct colours: blank or broken?"


def _run_selection_cell(page: Any, log: Callable[[str], None], want_selection: bool = False) -> Any:
    """Run cell 1 and return the JSON after ``SELECTED=`` in its output, as read from the page.

    With ``want_selection``, a ``null`` answer is retried a few times: the browser's comm
    message with the new ``_selected_index`` may reach the kernel just after the request.
    """
    cell = page.locator(".jp-Notebook .jp-Cell").nth(1)
    value: Any = None
    for attempt in range(3 if want_selection else 1):
        count_before = page.evaluate(JS_RUN_CELL, 1)

        def finished(count_before: Any = count_before) -> tuple[bool, Any]:
            state = page.evaluate(JS_CELL_STATE, 1)
            error = _output_error(state["outputs"])
            if error:
                raise AssertionError(f"selection cell raised:\n{_strip_ansi(error)}")
            done = state["count"] not in (None, count_before) and state["kernel"] == "idle"
            return done, state

        _poll(finished, CELL_TIMEOUT, "the selection cell (cell 1) to finish")
        cell.scroll_into_view_if_needed()
        output = cell.locator(".jp-OutputArea-output")
        try:
            page.wait_for_function(
                "(el) => el && /SELECTED=/.test(el.innerText)",
                arg=output.first.element_handle(timeout=10_000),
                timeout=10_000,
            )
        except Exception as exc:
            texts = output.all_inner_texts() if output.count() else []
            raise AssertionError(f"cell 1 shows no 'SELECTED=' output on the page: {texts}") from exc
        text = output.first.inner_text()
        m = re.search(r"SELECTED=(.*)", text)
        assert m, f"cell 1 output {text!r} has no SELECTED= line"
        value = json.loads(m.group(1).strip())
        log(f"cell 1 (attempt {attempt + 1}): SELECTED={value}")
        if value is not None or not want_selection:
            return value
        page.wait_for_timeout(1000)
    return value
