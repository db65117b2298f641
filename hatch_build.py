"""Hatch build hook: bundle the widget JavaScript in ``js/`` into ``glassbox_jupyter/static/``.

Runs on every wheel and editable build, so ``pip install .`` always ships fresh widget code.
Set ``GLASSBOX_SKIP_JS_BUILD=1`` to reuse an existing build (e.g. when building from an sdist
that already carries ``static/``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class JavaScriptBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        root = Path(self.root)
        js_dir = root / "js"
        static = root / "glassbox_jupyter" / "static"
        built = sorted(static.glob("*.js"))
        if os.environ.get("GLASSBOX_SKIP_JS_BUILD") == "1" and built:
            return
        if not (js_dir / "package.json").exists():
            if built:  # building from an sdist that already carries the bundles
                return
            raise RuntimeError("js/package.json is missing and glassbox_jupyter/static/ is empty")
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "npm is needed to build the GlassBox widgets: install Node.js >= 20 "
                "(Debian: apt-get install nodejs npm) and run pip install again."
            )
        lock = js_dir / "package-lock.json"
        installed = js_dir / "node_modules" / ".package-lock.json"
        if not lock.exists():
            subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=js_dir, check=True)
        elif not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=js_dir, check=True)
        subprocess.run([npm, "run", "build"], cwd=js_dir, check=True)
