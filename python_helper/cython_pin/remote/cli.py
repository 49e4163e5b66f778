"""Command line: ``keygen DIR``, ``remote status``, ``remote push KEY``, ``remote gc``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .stores import StoredObject
    from .tier import Tier


def _keygen(args: argparse.Namespace) -> int:
    from .signing import keygen

    try:
        priv, pub, line = keygen(args.dir, args.name, args.comment or "")
    except FileExistsError as e:
        print(f"error: {e.filename} exists; not overwriting a key.", file=sys.stderr)
        return 1
    print(line)
    print(f"private key: {priv} (mode 0600; give it to CI as CYTHON_PIN_SIGNING_KEY)", file=sys.stderr)
    print(f"public key : {pub} (add the line above to the CYTHON_PIN_TRUSTED_KEYS file)", file=sys.stderr)
    return 0


def status() -> int:
    """Print the remote's configuration and health; 1 when it is configured but unusable."""
    from .config import RemoteConfigError
    from .status import check, status_of
    from .tier import current_tier

    try:
        t = current_tier()
    except RemoteConfigError as e:
        print(f"remote     : unusable: {e}")
        return 1
    if t is None:
        print("remote     : none (CYTHON_PIN_REMOTE is not set)")
        return 0
    print(f"remote     : {t.cfg.url}")
    print(f"mode       : {t.mode}")
    print(f"timeout    : {t.cfg.timeout_s:g} s")
    print(f"abi tag    : {t.abi}")
    if t.mode == "off":
        print("answers    : not checked (mode off)")
        return 0
    c = check(t)
    st = status_of(t, c)
    print(
        f"trusted    : {st['trusted_keys']} key(s)"
        + (f" from {t.cfg.trusted_keys}" if t.cfg.trusted_keys else "")
    )
    for k in t.trusted:
        print(f"  {k.label()}")
    if t.problem:
        print(f"problem    : {t.problem}")
    print(f"answers    : {'yes' if st['reachable'] else 'no: ' + str(c.unreachable)}")
    ok = t.problem is None and bool(st["reachable"])
    if t.mode == "read-write":
        if c.signer_id is None:
            print(f"signing key: unusable: {c.signing_error}")
            ok = False
        else:
            trusted = c.signing_problem is None
            print(
                f"signing key: {c.signer_id}"
                + ("" if trusted else " (not in the trusted keys: readers will refuse it)")
            )
    if st["reachable"] and t.problem is None:
        ok = _print_inventory(t) and ok
    return 0 if ok else 1


def _print_inventory(t: Tier) -> bool:
    """The store's entries, orphans and bytes; False when the store stopped answering."""
    from .inventory import DEFAULT_GRACE_S, format_age, format_bytes, take_inventory
    from .stores import StoreError

    try:
        inv = take_inventory(t.store())
    except StoreError as e:
        print(f"inventory  : unavailable: {e}")
        return False
    print(f"entries    : {inv.entries} (keys with a manifest; {inv.manifests} manifest(s), all ABIs)")
    print(f"archives   : {len(inv.archives)} ({format_bytes(inv.archive_bytes())})")
    old = inv.past_grace(DEFAULT_GRACE_S)
    print(
        f"orphans    : {len(inv.orphans)} ({format_bytes(sum(o.size for o in inv.orphans))}), "
        f"{len(old)} older than {format_age(DEFAULT_GRACE_S)}"
        + (" (python -m cython_pin remote gc removes those)" if old else "")
    )
    if inv.unreadable:
        print(f"unreadable : {len(inv.unreadable)} manifest(s) are not JSON, e.g. {inv.unreadable[0]}")
    print(f"bytes      : {format_bytes(inv.total_bytes)} in all ({inv.total_bytes} B)")
    return True


def gc(grace_s: float, dry_run: bool) -> int:
    """Remove (or with ``dry_run`` list) the archives no manifest refers to that are older than
    ``grace_s`` (read-write mode). 1 when the store is not configured so, or stops answering."""
    from .config import RemoteConfigError
    from .inventory import format_age, format_bytes, remove_orphans, take_inventory
    from .stores import StoreError
    from .tier import current_tier

    try:
        t = current_tier()
    except RemoteConfigError as e:
        print(f"error: team cache unusable: {e}", file=sys.stderr)
        return 1
    if t is None or t.mode != "read-write":
        print(
            "error: gc removes objects from the store: it needs CYTHON_PIN_REMOTE with "
            "CYTHON_PIN_REMOTE_MODE=read-write (and credentials that may delete).",
            file=sys.stderr,
        )
        return 1
    try:
        store = t.store()
        inv = take_inventory(store)
    except (StoreError, ValueError) as e:
        print(f"error: team cache {t.cfg.url} did not answer; nothing removed: {e}", file=sys.stderr)
        return 1
    old = inv.past_grace(grace_s)
    young = len(inv.orphans) - len(old)
    size = format_bytes(sum(o.size for o in old))
    kept = f"; {young} younger orphan(s) kept (grace period {format_age(grace_s)})"
    if dry_run:
        for o in old:
            print(f"would remove {_described(o, inv.listed_at)}")
        print(f"dry run: {len(old)} orphan archive(s) would be removed ({size}){kept}")
        return 0
    removed = 0
    try:
        for o in remove_orphans(store, inv, grace_s):
            removed += 1
            print(f"removed {_described(o, inv.listed_at)}")
    except StoreError as e:
        print(
            f"error: team cache {t.cfg.url}: removing failed after {removed} of {len(old)}: {e}",
            file=sys.stderr,
        )
        return 1
    print(f"removed {removed} orphan archive(s) ({size}){kept}")
    return 0


def _described(o: StoredObject, now: float) -> str:
    from .inventory import format_age, format_bytes

    return f"{o.path} ({format_bytes(o.size)}, {format_age(now - o.modified)} old)"


def _age_arg(text: str) -> float:
    from .inventory import parse_age

    try:
        return parse_age(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def push(key: str, cache_dir: str | None) -> int:
    """Upload one local entry now (read-write mode)."""
    from ..cache.paths import get_cache_dir
    from ..names import validate_key
    from .tier import current_tier

    validate_key(key)
    t = current_tier()
    if t is None or t.mode != "read-write":
        print("error: push needs CYTHON_PIN_REMOTE with CYTHON_PIN_REMOTE_MODE=read-write.", file=sys.stderr)
        return 1
    outcome = t.upload(get_cache_dir(cache_dir), key)
    print(outcome)
    for w in t.take_pending():
        print(w.message, file=sys.stderr)
    return 0 if outcome in ("created", "existing") else 1


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m cython_pin", description="cython_pin team-cache tools")
    sub = p.add_subparsers(dest="cmd", required=True)
    k = sub.add_parser("keygen", help="write an ed25519 signing key pair into DIR; print the public line")
    k.add_argument("dir")
    k.add_argument("--name", default="cython-pin-signing", help="file name stem (default cython-pin-signing)")
    k.add_argument("--comment", default="", help="comment on the public line (default: the name)")
    r = sub.add_parser("remote", help="the team cache")
    rsub = r.add_subparsers(dest="rcmd", required=True)
    rsub.add_parser("status", help="URL, mode, whether it answers, trusted keys; exit 1 if unusable")
    pu = rsub.add_parser("push", help="upload a local cache entry now")
    pu.add_argument("key")
    pu.add_argument("--cache-dir", default=None)
    g = rsub.add_parser(
        "gc", help="remove archives no manifest refers to (killed uploads), past a grace period"
    )
    g.add_argument(
        "--older-than",
        type=_age_arg,
        default="7d",
        metavar="AGE",
        help="grace period: only orphans older than this go (7d, 12h, 30m, seconds; default 7d)",
    )
    g.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    args = p.parse_args(argv)
    if args.cmd == "keygen":
        return _keygen(args)
    if args.rcmd == "status":
        return status()
    if args.rcmd == "gc":
        return gc(args.older_than, args.dry_run)
    return push(args.key, args.cache_dir)
