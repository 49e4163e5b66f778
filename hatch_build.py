"""Build-time code of the `jupyterlab-cython-pin` distribution (not shipped).

- ``CustomMetadataHook``: its dependencies, with ``cython-pin`` pinned to the same version (package.json's).
- ``build_labextension``: the hatch-jupyter-builder build function. Runs ``npm run build:prod`` when the built
  labextension is missing or older than any of its inputs, after ``npm ci`` when node_modules is missing.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from hatch_jupyter_builder.utils import is_stale
from hatchling.metadata.plugin.interface import MetadataHookInterface

LABEXTENSION = "python_helper/jupyterlab_cython_pin/labextension"
# Everything the labextension build reads (generate-types.mjs: protocol/, schema/ -> src/_generated).
INPUTS = [
    "src",
    "style",
    "schema",
    "protocol",
    "scripts/generate-types.mjs",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
]


class CustomMetadataHook(MetadataHookInterface):
    def update(self, metadata: dict[str, Any]) -> None:
        metadata["dependencies"] = [
            f"cython-pin[jupyter]=={metadata['version']}",
            "jupyterlab>=4.6,<5",
        ]


def build_labextension(target_name: str, version: str, **_: Any) -> None:
    root = Path.cwd()
    if not any(is_stale(root / LABEXTENSION, root / source) for source in INPUTS):
        print(f"{LABEXTENSION} is up to date: not rebuilt")
        return
    if not (root / "node_modules" / ".package-lock.json").is_file():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
    subprocess.run(["npm", "run", "build:prod"], cwd=root, check=True)
