"""Command line: ``keygen DIR``, ``remote status``, ``remote push KEY``."""

from __future__ import annotations

import argparse
import sys


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
    return 0 if ok else 1


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
    args = p.parse_args(argv)
    if args.cmd == "keygen":
        return _keygen(args)
    if args.rcmd == "status":
        return status()
    return push(args.key, args.cache_dir)
