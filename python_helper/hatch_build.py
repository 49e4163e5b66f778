"""Build hook of the `cython-pin` distribution (not shipped): the wheel gets a ``cython_pin/_version.py`` with
the version written in (from package.json, through hatch-nodejs-version), in place of the source one that
reads package.json, so the installed package knows its version without reading files or metadata."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class CustomBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._tmp = ""
        if self.target_name != "wheel" or version != "standard":  # an editable install runs the source one
            return
        self._tmp = tempfile.mkdtemp()
        generated = Path(self._tmp) / "_version.py"
        generated.write_text(
            f'"""Written by the build from package.json."""\n\n__version__ = "{self.metadata.version}"\n',
            encoding="utf-8",
        )
        build_data["force_include"][str(generated)] = "cython_pin/_version.py"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
