"""The package version, read from package.json (the one version source) in a source checkout. The wheel
ships a generated ``_version.py`` with the version written in (python_helper/hatch_build.py)."""

from __future__ import annotations


def _read_package_json() -> str:
    import json
    import os

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "package.json"), encoding="utf-8") as f:
        return str(json.load(f)["version"])


__version__ = _read_package_json()
