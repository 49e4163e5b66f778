"""The remote tier: look a key up in the store (bounded in time, verified, published into the local cache)
and upload fresh builds in the background.

Nothing here is ever loaded from the store: an entry is downloaded into local staging, every sha256 and the
manifest's signature are checked, and the existing atomic publish moves it into the local cache, from which
the engine loads it as from any local entry. A key's manifests come in generations (see manifest.py): a
lookup takes the first that verifies, an upload adds one only when none does.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from functools import partial
from typing import TYPE_CHECKING

from ..report.diagnostics import Diagnostic
from . import archive as _archive
from . import manifest as _manifest
from . import signing
from .config import RemoteConfig, from_env, snapshot
from .stores import Store, StoreError, StoreForbidden, StoreUnavailable, open_store, within

if TYPE_CHECKING:
    from typing import Any

MAX_BACKOFF_S = 3600.0
MAX_MANIFEST_BYTES = 1 << 20
LOCK_WAIT_S = 60.0  # an upload waits this long for a build of the same key to finish before giving up
_NATIVE_FLAGS = ("-march=native", "-mtune=native", "-mcpu=native")
_STANDARD_LIB_DIRS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64")


def warning(message: str) -> Diagnostic:
    """A helper warning diagnostic for a build result."""
    return Diagnostic(0, 0, "warning", message, "helper", None)


class Refused(Exception):
    """A remote entry that failed verification: a miss, with ``reason`` counted in the figures."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class Fetched:
    """A download whose manifest verified, ready to unpack: the manifest, its signer and the archive bytes."""

    def __init__(self, manifest: dict[str, Any], signer: signing.TrustedKey, data: bytes) -> None:
        self.manifest, self.signer, self.data = manifest, signer, data


def _staging_scratch(root: str, key: str) -> str:
    """A private folder under the cache's staging area to unpack into, for a check only."""
    from ..cache.entries import new_staging
    from ..cache.paths import ensure_root

    ensure_root(root)
    return new_staging(root, key)


def not_shareable(opts: Any) -> str | None:
    """Why a build with these options must not go to (or come from) the team cache, or None. The key
    records the flags but not the CPU or the libraries they name, so such a build may not run elsewhere."""
    flags = [*getattr(opts, "extra_compile_args", []), *getattr(opts, "extra_link_args", [])]
    native = [f for f in flags if f in _NATIVE_FLAGS]
    if native:
        return f"built with {native[0]} (tuned for this CPU)"
    dirs = list(getattr(opts, "library_dirs", []))
    dirs += [f[2:] for f in flags if f.startswith("-L") and len(f) > 2]
    for d in dirs:
        norm = os.path.normpath(d)
        if not any(norm == s or norm.startswith(s + "/") for s in _STANDARD_LIB_DIRS):
            return f"linked against libraries in {d} (outside the standard library locations)"
    if any("rpath" in f for f in flags):
        return "linked with an rpath (libraries outside the standard locations)"
    return None


class Tier:
    """The process's view of one configured remote (see ``cython_pin.remote.current_tier()``)."""

    def __init__(self, cfg: RemoteConfig) -> None:
        self.cfg = cfg
        self.mode = cfg.mode
        self.abi = _manifest.abi_tag()
        self.problem: str | None = None  # why the remote is not read at all
        self.trusted: list[signing.TrustedKey] = []
        if cfg.mode != "off":
            if not cfg.trusted_keys:
                self.problem = "no trusted keys: remote not read (CYTHON_PIN_TRUSTED_KEYS is not set)"
            else:
                try:
                    self.trusted = signing.load_trusted_keys(cfg.trusted_keys)
                except signing.KeyFileError as e:
                    self.problem = f"{e} Remote not read"
                else:
                    if not self.trusted:
                        self.problem = f"no trusted keys: remote not read ({cfg.trusted_keys} lists none)"
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._skip_until = 0.0
        self._backoff = cfg.backoff_s
        self._told: set[str] = set()  # one-time warnings already given
        self.pending: list[str] = []  # warnings from background uploads, for the next result
        self.stats: dict[str, Any] = {
            "lookups": 0,
            "hits": 0,
            "misses": 0,
            "refused": {},
            "unreachable": 0,
            "skipped_backoff": 0,
            "uploads_created": 0,
            "uploads_existing": 0,
            "upload_failures": 0,
            "max_lookup_s": 0.0,
        }
        self._signing_key: Any = None

    # --- plumbing ---------------------------------------------------------------------------------------
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.cfg.url, self.cfg.timeout_s)
        return self._store

    def readable(self) -> bool:
        return self.mode != "off" and self.problem is None

    def once(self, tag: str, message: str) -> list[Diagnostic]:
        """``[warning(message)]`` the first time ``tag`` is seen in this process, else []."""
        with self._lock:
            if tag in self._told:
                return []
            self._told.add(tag)
        return [warning(message)]

    def take_pending(self) -> list[Diagnostic]:
        with self._lock:
            out, self.pending = self.pending, []
        return [warning(m) for m in out]

    def backing_off(self) -> bool:
        return time.monotonic() < self._skip_until

    def _failed(self, why: str) -> Diagnostic:
        with self._lock:
            wait = self._backoff
            self._skip_until = time.monotonic() + wait
            self._backoff = min(self._backoff * 2, MAX_BACKOFF_S)
            self.stats["unreachable"] += 1
        return warning(
            f"Team cache {self.cfg.url} unreachable ({why}); built locally. The remote is skipped for "
            f"the next {wait:g} s."
        )

    def _answered(self) -> None:
        with self._lock:
            self._backoff = self.cfg.backoff_s
            self._skip_until = 0.0

    def signing_key(self) -> Any:
        """The writer's private key (KeyFileError if unset or unusable)."""
        if self._signing_key is None:
            if not self.cfg.signing_key:
                raise signing.KeyFileError("CYTHON_PIN_SIGNING_KEY is not set")
            self._signing_key = signing.load_private_key(self.cfg.signing_key)
        return self._signing_key

    def count_refusal(self, reason: str) -> None:
        with self._lock:
            self.stats["refused"][reason] = self.stats["refused"].get(reason, 0) + 1

    # --- lookup ------------------------------------------------------------------------------------------
    def _download(self, key: str, generation: int) -> Fetched | None:
        """The verified manifest of ``key``'s ``generation`` and its archive, or None when there is no such
        generation. Refused when either fails a check; StoreError when the store does not answer."""
        store = self.store()
        raw = store.get(_manifest.manifest_path(self.abi, key, generation))
        if raw is None:
            return None
        if len(raw) > MAX_MANIFEST_BYTES:
            raise Refused("shape", "the manifest is too large")
        try:
            envelope = json.loads(raw)
        except ValueError:
            raise Refused("shape", "the manifest is not JSON") from None
        try:
            m, signer = signing.verify(envelope, self.trusted)
        except signing.SignatureRefused as e:
            raise Refused(e.reason, str(e)) from None
        problem = _manifest.manifest_problem(m, key, self.abi)
        if problem:
            raise Refused(*problem)
        size = m.get("archive_size")
        if isinstance(size, int) and size > _archive.MAX_ARCHIVE_BYTES:
            raise Refused("shape", "the archive is too large")
        data = store.get(m["archive"])
        if data is None:
            raise Refused("missing-archive", "the manifest's archive is not in the store")
        return Fetched(m, signer, data)

    def fetch_into(self, root: str, key: str) -> tuple[str | None, list[Diagnostic]]:
        """Bring ``key`` from the store into the local cache ``root`` (caller holds the key lock): the first
        generation whose manifest and archive verify is published there, after at most
        CYTHON_PIN_REMOTE_TIMEOUT seconds of waiting on the store in all. Returns (the signer's label, or
        None on a miss, a refusal or an unreachable store; warnings)."""
        t0 = time.monotonic()
        if not self.readable():
            return None, (
                self.once("problem", f"Team cache {self.cfg.url}: {self.problem}.") if self.problem else []
            )
        if self.backing_off():
            self.stats["skipped_backoff"] += 1
            return None, []
        self.stats["lookups"] += 1
        try:
            signer, refusals = self._walk(root, key, t0 + self.cfg.timeout_s)
        except StoreForbidden as e:
            self._answered()
            return None, self.once("forbidden-read", f"Team cache {self.cfg.url}: not allowed to read ({e}).")
        except StoreError as e:
            return None, [self._failed(str(e))]
        except Exception as e:  # a store library's surprise is an unreachable store, never a failed build
            return None, [self._failed(f"{type(e).__name__}: {e}")]
        finally:
            self.stats["max_lookup_s"] = max(self.stats["max_lookup_s"], time.monotonic() - t0)
        self._answered()
        if signer is not None:
            self.stats["hits"] += 1
            return signer, []
        if not refusals:
            self.stats["misses"] += 1
            return None, []
        why = "; ".join(refusals)
        return None, [warning(f"Team cache entry {key[:16]}... refused: {why}. Built locally instead.")]

    def _walk(self, root: str, key: str, deadline: float) -> tuple[str | None, list[str]]:
        """The generations of ``key`` in order until one installs or one is missing: (its signer's label or
        None, why each earlier one was refused)."""
        refusals: list[str] = []
        for generation in range(_manifest.MAX_GENERATIONS):
            try:
                left = deadline - time.monotonic()
                fetched = within(partial(self._download, key, generation), left, self.cfg.timeout_s)
                if fetched is None:
                    break
                self.install(root, key, fetched)
            except Refused as e:
                self.count_refusal(e.reason)
                refusals.append(str(e))
                continue
            return fetched.signer.label(), refusals
        return None, refusals

    def _unpack_verified(self, key: str, fetched: Fetched, staging: str) -> None:
        """Check the archive against its manifest and unpack it into ``staging``; Refused on any mismatch."""
        from ..cache.entries import META
        from ..cache.hashing import sha256_file

        m = fetched.manifest
        if hashlib.sha256(fetched.data).hexdigest() != m["archive_sha256"]:
            raise Refused("archive-sha256", "the archive's sha256 does not match the signed manifest")
        try:
            names = set(_archive.unpack(fetched.data, staging))
        except _archive.ArchiveRefused as e:
            raise Refused("archive", str(e)) from None
        if META not in names:
            raise Refused("archive", "the archive has no meta.json")
        try:
            with open(os.path.join(staging, META), encoding="utf-8") as f:
                meta = json.load(f)
        except ValueError:
            raise Refused("archive", "the archive's meta.json is not JSON") from None
        if not isinstance(meta, dict) or meta.get("key") != key:
            raise Refused("other-key", "the archive holds another key's entry")
        listed = [{"path": a.get("path"), "sha256": a.get("sha256")} for a in meta.get("artifacts") or []]
        if listed != m["artifacts"] or meta.get("module_name") != m["module_name"]:
            raise Refused("archive", "the archive's meta.json does not match the signed manifest")
        for a in m["artifacts"]:
            p = os.path.join(staging, *a["path"].split("/"))
            real = os.path.realpath(p)
            if not real.startswith(os.path.realpath(staging) + os.sep) or not os.path.isfile(p):
                raise Refused("path", f"artifact {a['path']!r} is missing or escapes the entry")
            if sha256_file(p) != a["sha256"]:
                raise Refused("artifact-sha256", f"artifact {a['path']!r} does not match its sha256")

    def install(self, root: str, key: str, fetched: Fetched) -> None:
        """Check the archive against the manifest, unpack it into local staging and publish it into the local
        cache (caller holds the key lock). Refused on any mismatch; nothing is published then."""
        from ..cache.entries import publish

        staging = _staging_scratch(root, key)
        try:
            self._unpack_verified(key, fetched, staging)
            publish(root, key, staging, replace=False)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _verifies(self, root: str, key: str, fetched: Fetched) -> bool:
        """Whether a reader would install ``fetched`` (unpacked into scratch staging, then removed)."""
        staging = _staging_scratch(root, key)
        try:
            self._unpack_verified(key, fetched, staging)
        except Refused:
            return False
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return True

    # --- upload ------------------------------------------------------------------------------------------
    def upload_refusal(self, opts: Any) -> list[Diagnostic]:
        """Warnings for a build that will not be uploaded in read-write mode (empty when it will be)."""
        why = not_shareable(opts)
        if why:
            return [warning(f"Not uploaded to the team cache: {why}; the key cannot describe that.")]
        try:
            self.signing_key()
        except signing.KeyFileError as e:
            return self.once("no-signing-key", f"Team cache is read-write but nothing is uploaded: {e}.")
        return []

    def _tell(self, message: str) -> None:
        """A warning from a background upload, for the next build result."""
        with self._lock:
            self.pending.append(message)

    def upload(self, root: str, key: str) -> str:
        """Upload the local entry for ``key`` unless the store has a manifest for it that verifies: the entry
        is verified and packed under its key lock (a corrupt or half-replaced entry is never published),
        then the archive goes up (create-only, content-addressed) and last the signed manifest, as the next
        generation (create-only). Returns "created", "existing", "skipped" or "failed"."""
        from ..cache.locks import LockTimeout
        from ..errors import CacheIntegrityError

        if self.mode != "read-write" or self.backing_off():
            return "skipped"
        try:
            packed = self._pack_verified(root, key)
        except CacheIntegrityError as e:
            self.stats["upload_failures"] += 1
            self._tell(f"Not uploaded to the team cache: the local entry does not verify. {e}")
            return "failed"
        except LockTimeout as e:
            self.stats["upload_failures"] += 1
            self._tell(f"Not uploaded to the team cache: {e}")
            return "failed"
        if packed is None:
            return "skipped"
        try:
            outcome = self._publish(root, key, *packed)
        except StoreForbidden as e:
            with self._lock:
                self.mode = "read-only"
                self.stats["upload_failures"] += 1
                if "forbidden-write" not in self._told:
                    self._told.add("forbidden-write")
                    self.pending.append(
                        f"Team cache {self.cfg.url} refused a write ({e}): this process is now read-only."
                    )
            return "failed"
        except (StoreUnavailable, OSError, signing.KeyFileError) as e:
            self.stats["upload_failures"] += 1
            if isinstance(e, StoreUnavailable):
                self._tell(self._failed(str(e)).message)
            return "failed"
        if outcome == "failed":
            self.stats["upload_failures"] += 1
        else:
            self.stats[f"uploads_{outcome}"] += 1
        return outcome

    def _pack_verified(self, root: str, key: str) -> tuple[dict[str, Any], bytes] | None:
        """(meta, archive bytes) of the local entry, verified and packed under its key lock; None when there
        is no entry. CacheIntegrityError when it does not verify, LockTimeout when a build holds the lock
        too long."""
        from ..cache.entries import key_lock, read_meta, verify_entry
        from ..cache.paths import ensure_root, entry_dir

        if read_meta(root, key) is None:
            return None
        ensure_root(root)
        with key_lock(root, key, LOCK_WAIT_S):
            meta = read_meta(root, key)  # again: a force_rebuild may have replaced it meanwhile
            if meta is None:
                return None
            verify_entry(root, key, meta)
            return meta, _archive.pack(entry_dir(root, key))

    def _publish(self, root: str, key: str, meta: dict[str, Any], data: bytes) -> str:
        """Walk ``key``'s generations: "existing" at the first that verifies, else the packed entry becomes
        the first free generation ("created"; "existing" when another writer took that name first)."""
        store = self.store()
        key_ = self.signing_key()
        for generation in range(_manifest.MAX_GENERATIONS):
            try:
                there = self._download(key, generation)
            except Refused:
                continue
            if there is not None:
                if self._verifies(root, key, there):
                    return "existing"
                continue
            sha = hashlib.sha256(data).hexdigest()
            store.put_create(_manifest.archive_path(self.abi, sha), data)
            m = _manifest.make_manifest(key, self.abi, meta, sha, len(data), signing.signer_id(key_))
            body = json.dumps(signing.sign(m, key_), sort_keys=True).encode()
            created = store.put_create(_manifest.manifest_path(self.abi, key, generation), body)
            return "created" if created else "existing"
        self._tell(
            f"Not uploaded to the team cache: key {key[:16]}... already has {_manifest.MAX_GENERATIONS} "
            "manifests that this process refuses; ask the store's admin to remove them."
        )
        return "failed"


_current: dict[str, Any] = {}  # "env": the variables the "tier" was made from


def current_tier() -> Tier | None:
    """The process's tier for the current environment (rebuilt when the variables change), or None when no
    remote is configured. RemoteConfigError for an unusable setting."""
    env = snapshot()
    if _current.get("env") != env:
        cfg = from_env()
        _current["env"], _current["tier"] = env, (Tier(cfg) if cfg is not None else None)
    t: Tier | None = _current["tier"]
    return t
