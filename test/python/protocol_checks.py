"""Checks of messages against the contract, protocol/cython-pin.schema.json (jsonschema is test-only)."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from support import REPO

with open(f"{REPO}/protocol/cython-pin.schema.json", encoding="utf-8") as _f:
    SCHEMA: dict[str, Any] = json.load(_f)
DEFS: dict[str, Any] = SCHEMA["$defs"]
KIND_DEF = {"request": "Request", "reply": "Reply", "event": "Event", "build_result": "BuildResult"}


def validator(name: str) -> Draft202012Validator:
    """A validator for ``$defs[name]`` that resolves the schema's own references."""
    return Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": DEFS})


def result_def(op: str) -> str:
    """The ``$defs`` name of ``op``'s result."""
    return str(DEFS["OpResults"]["properties"][op]["$ref"].rsplit("/", 1)[-1])


def check(name: str, instance: Any) -> None:
    """Assert that ``instance`` is a valid ``$defs[name]``, naming every violation."""
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, f"not a valid {name}: " + "; ".join(
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors
    )


def validate(kind: str, msg: Any) -> None:
    """Assert that ``msg`` is a valid message of ``kind`` (request, reply, event, build_result)."""
    check(KIND_DEF[kind], msg)
