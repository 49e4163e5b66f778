"""The rules every pin registry follows (personal pins in cython_pin.pins.registry, team pins in
cython_pin.remote.team_pins): valid aliases, collisions and their error texts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import AliasCollisionError, KeyCollisionError
from ..names import is_identifier, is_key

if TYPE_CHECKING:
    from typing import Any

ALIAS_MAX_LEN = 100


def all_valid(data: dict[str, str]) -> bool:
    """True if every alias passes ``alias_problem`` and every key is 64 lowercase hex."""
    return all(alias_problem(a) is None and is_key(k) for a, k in data.items())


def alias_problem(alias: Any) -> str | None:
    if not isinstance(alias, str) or not is_identifier(alias):
        return "use letters, digits and '_' and do not start with a digit (pattern ^[A-Za-z_][A-Za-z0-9_]*$)"
    if len(alias) > ALIAS_MAX_LEN:
        return f"at most {ALIAS_MAX_LEN} characters, got {len(alias)}"
    import keyword

    if keyword.iskeyword(alias):
        return "a Python keyword cannot be an alias"
    return None


def validate_alias(alias: Any) -> str:
    why = alias_problem(alias)
    if why:
        shown = repr(alias) if not isinstance(alias, str) or len(alias) <= 80 else repr(alias[:60]) + "..."
        raise ValueError(f"Invalid alias {shown}: {why}.")
    return str(alias)


def check_pin(pins: dict[str, str], key: str, alias: str, overwrite: bool) -> bool:
    """Whether pinning ``key`` as ``alias`` changes ``pins``; ValueError on a collision without
    ``overwrite`` (personal and team pins share these rules and texts)."""
    current = pins.get(alias)
    if current == key:
        return False
    if not overwrite:
        if current is not None:
            raise AliasCollisionError(
                f"Alias collision: alias '{alias}' already points to a different key "
                f"({current[:16]}...). Use overwrite=True to replace."
            )
        others = sorted(a for a, k in pins.items() if k == key)
        if others:
            raise KeyCollisionError(
                f"Key collision: key {key[:16]}... is already pinned as '{others[0]}'. "
                f"Use overwrite=True to add '{alias}' as a second alias, "
                f"or rename_pin('{others[0]}', '{alias}')."
            )
    return True


def check_rename(pins: dict[str, str], old: str, new: str, overwrite: bool, unknown: str) -> str:
    """The key of ``old`` for a rename to ``new``: KeyError(``unknown``) if ``old`` is not pinned,
    ValueError if ``new`` points elsewhere without ``overwrite``."""
    if old not in pins:
        raise KeyError(unknown)
    key = pins[old]
    if new in pins and pins[new] != key and not overwrite and old != new:
        raise AliasCollisionError(
            f"Alias collision: alias '{new}' already points to a different key ({pins[new][:16]}...). "
            "Use overwrite=True to replace."
        )
    return key


def unknown_alias_message(alias: str, where: str, pins: dict[str, str], how: str = "pin()") -> str:
    """The KeyError text for an alias missing from the pins at ``where``."""
    known = ", ".join(sorted(pins)) or "none"
    return f"Unknown alias '{alias}' in {where} (known: {known}). Pin a key first with {how}."
