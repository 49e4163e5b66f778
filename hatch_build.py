"""Wheel build hook: refuse to build a wheel without the prebuilt labextension.

The labextension is built by `npm run build:prod` (TypeScript + `jupyter labextension build .`) into
python_helper/jupyterlab_cython_pin_labextension/; a wheel without it would install a kernel helper with no
UI.
"""

from __future__ import annotations

from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

LABEXT = Path("python_helper") / "jupyterlab_cython_pin_labextension"


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        if self.target_name != "wheel":
            return
        root = Path(self.root) / LABEXT
        if not (root / "package.json").is_file() or not any((root / "static").glob("remoteEntry.*.js")):
            raise RuntimeError(
                f"The prebuilt labextension is missing ({root}). Build it first: "
                "`npm ci && npm run build:prod` (or `bash scripts/build`)."
            )
