"""Stores: the same small interface over an S3-compatible bucket (obstore) and a shared directory.

Every write of an entry is create-only; the team-pins document is the one object that changes, and only by
compare-and-swap. Errors come out as StoreUnavailable (network, timeout, server error) or StoreForbidden
(the credentials may not do this), never as a library's own exception types. :func:`within` bounds the
wait for any store work.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

PINS_OBJECT = "v1/team-pins.json"
PINS_DIR = "v1/team-pins"


class StoreError(Exception):
    """The store did not do what was asked."""


class StoreUnavailable(StoreError):
    """The store did not answer (refused, timed out, server error)."""


class StoreForbidden(StoreError):
    """The store answered 403: these credentials may not do this."""


class StoredObject(NamedTuple):
    """One object of a listing: its path, size in bytes and last-modified time (POSIX seconds)."""

    path: str
    size: int
    modified: float


class Store:
    """What the tier, team pins and housekeeping need from a store. Paths are relative, ``/``-separated."""

    url: str

    def get(self, path: str) -> bytes | None:
        """The object's bytes, or None if it does not exist."""
        raise NotImplementedError

    def put_create(self, path: str, data: bytes) -> bool:
        """Write ``path`` only if it does not exist; False if it already did."""
        raise NotImplementedError

    def pins_read(self) -> tuple[bytes, Any] | None:
        """The current team-pins document and a version token for :meth:`pins_write`, or None."""
        raise NotImplementedError

    def pins_write(self, data: bytes, token: Any, seq: int) -> bool:
        """Replace the team-pins document read with ``token`` by ``data`` (sequence ``seq``); False if
        another writer changed it first."""
        raise NotImplementedError

    def list_objects(self, prefix: str) -> list[StoredObject]:
        """Every object under the folder ``prefix`` (at any depth)."""
        raise NotImplementedError

    def delete(self, path: str) -> None:
        """Remove the object at ``path``; one that is already gone is no error."""
        raise NotImplementedError


class FileStore(Store):
    """``file:///shared/dir``: a directory on a shared file system. Publication writes a temp file and
    ``link()``s it into place, which fails if the name exists, also on NFS; no file locks are used."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.root = url[len("file://") :]
        if not self.root.startswith("/"):
            raise ValueError(f"{url!r}: a file store URL is file:///absolute/path")

    def _path(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    def get(self, path: str) -> bytes | None:
        try:
            with open(self._path(path), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None
        except PermissionError as e:
            raise StoreForbidden(f"{self.url}: {e}") from e
        except OSError as e:
            raise StoreUnavailable(f"{self.url}: {e}") from e

    def put_create(self, path: str, data: bytes) -> bool:
        final = self._path(path)
        tmp = f"{final}.{os.getpid()}.{os.urandom(4).hex()}.tmp"
        try:
            if not os.path.isdir(self.root):
                raise StoreUnavailable(f"{self.url}: {self.root} is not a directory (not mounted?)")
            os.makedirs(os.path.dirname(final), exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.link(tmp, final)
            except FileExistsError:
                return False
            finally:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        except PermissionError as e:
            raise StoreForbidden(f"{self.url}: {e}") from e
        except OSError as e:
            raise StoreUnavailable(f"{self.url}: {e}") from e
        return True

    def list_objects(self, prefix: str) -> list[StoredObject]:
        top = self._path(prefix)
        if not os.path.isdir(self.root):
            raise StoreUnavailable(f"{self.url}: {self.root} is not a directory (not mounted?)")
        out = []

        def fail(e: OSError) -> None:
            if not isinstance(e, FileNotFoundError):  # a folder removed meanwhile holds nothing
                raise e

        try:
            for dirpath, _dirs, names in os.walk(top, onerror=fail):
                rel_dir = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
                for n in names:
                    try:
                        st = os.stat(os.path.join(dirpath, n))
                    except FileNotFoundError:
                        continue
                    out.append(StoredObject(f"{rel_dir}/{n}", st.st_size, st.st_mtime))
        except PermissionError as e:
            raise StoreForbidden(f"{self.url}: {e}") from e
        except OSError as e:
            raise StoreUnavailable(f"{self.url}: {e}") from e
        return out

    def delete(self, path: str) -> None:
        try:
            os.unlink(self._path(path))
        except FileNotFoundError:
            pass
        except PermissionError as e:
            raise StoreForbidden(f"{self.url}: {e}") from e
        except OSError as e:
            raise StoreUnavailable(f"{self.url}: {e}") from e

    def _pins_seqs(self) -> list[int]:
        try:
            names = os.listdir(self._path(PINS_DIR))
        except FileNotFoundError:
            return []
        except OSError as e:
            raise StoreUnavailable(f"{self.url}: {e}") from e
        return sorted(
            int(n[5:-5]) for n in names if n.startswith("pins.") and n.endswith(".json") and n[5:-5].isdigit()
        )

    def pins_read(self) -> tuple[bytes, Any] | None:
        for seq in reversed(self._pins_seqs()):
            data = self.get(f"{PINS_DIR}/pins.{seq:012d}.json")
            if data is not None:
                return data, seq
        return None

    def pins_write(self, data: bytes, token: Any, seq: int) -> bool:
        # The document for ``seq`` is created once: two writers that read the same ``token`` race for the
        # same name, and link() lets exactly one of them win.
        return self.put_create(f"{PINS_DIR}/pins.{seq:012d}.json", data)


def _aws_profile_credentials() -> Any:
    """obstore's boto3 credential provider (AWS profiles, SSO, ``credential_process``, role chains from
    ``~/.aws/config`` and ``~/.aws/credentials``, ``AWS_PROFILE``) when no keys are set in the environment,
    there is a profile to read and boto3 is installed; else None, and obstore's own chain applies (keys,
    web identity, instance metadata). boto3 is imported only here: when an S3 store is first used."""
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        return None
    files = (
        os.environ.get("AWS_CONFIG_FILE") or os.path.expanduser("~/.aws/config"),
        os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or os.path.expanduser("~/.aws/credentials"),
    )
    if not os.environ.get("AWS_PROFILE") and not any(os.path.isfile(f) for f in files):
        return None
    try:
        from obstore.auth.boto3 import Boto3CredentialProvider
    except ImportError:  # boto3 is optional
        return None
    try:
        return Boto3CredentialProvider()
    except ValueError:  # the profile holds no credentials: obstore's chain may still find some
        return None
    except Exception as e:  # botocore's errors: a profile that cannot be used as written (AWS_PROFILE
        # names none, a broken config file)
        raise StoreUnavailable(f"AWS profile: {e}") from None


_CLIENT_GRACE_S = 1.0


class ObjectStore(Store):
    """``s3://bucket/prefix`` (and ``gs://``, ``az://``) through obstore: endpoint and credentials from the
    standard environment (for S3 also the user's AWS profiles, see :func:`_aws_profile_credentials`), SDK
    retries off, connect and request timeouts just beyond ``timeout_s``."""

    def __init__(self, url: str, timeout_s: float) -> None:
        from datetime import timedelta

        from obstore.store import from_url

        self.url = url
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or ""
        # The client's own timeouts end a request this process has stopped waiting for: our deadline
        # (within()) speaks first, so a hung store always reads "no answer within N s", never a racing
        # "error sending request".
        late = timeout_s + _CLIENT_GRACE_S
        client: dict[str, Any] = {
            "timeout": timedelta(seconds=late),
            "connect_timeout": timedelta(seconds=min(late, 2.0)),
        }
        if endpoint.startswith("http://"):
            client["allow_http"] = True
        extra: dict[str, Any] = {}
        provider = _aws_profile_credentials() if url.startswith("s3://") else None
        if provider is not None:
            extra["credential_provider"] = provider
        if url.startswith("s3://") and endpoint:
            extra["endpoint"] = endpoint
        if url.startswith("s3://") and not (
            os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        ):
            extra["region"] = (provider.config.get("region") if provider else None) or "us-east-1"
        make: Any = from_url  # the typed overloads want literal config keys; ours are built at run time
        self._store = make(
            url,
            client_options=client,
            retry_config={"max_retries": 0, "retry_timeout": timedelta(seconds=timeout_s)},
            **extra,
        )

    def _call(self, fn: Any, *args: Any, **kw: Any) -> Any:
        import obstore.exceptions as ex

        try:
            return fn(self._store, *args, **kw)
        except (ex.PermissionDeniedError, ex.UnauthenticatedError) as e:
            raise StoreForbidden(f"{self.url}: {_short(e)}") from None
        except (FileNotFoundError, ex.AlreadyExistsError, ex.PreconditionError):
            raise
        except Exception as e:  # obstore raises GenericError for timeouts and connection errors
            raise StoreUnavailable(f"{self.url}: {_short(e)}") from None

    def get(self, path: str) -> bytes | None:
        import obstore

        try:
            return bytes(self._call(lambda s, p: obstore.get(s, p).bytes(), path))
        except FileNotFoundError:
            return None

    def put_create(self, path: str, data: bytes) -> bool:
        import obstore
        import obstore.exceptions as ex

        try:
            self._call(obstore.put, path, data, mode="create")
        except (ex.AlreadyExistsError, ex.PreconditionError):
            return False
        return True

    def pins_read(self) -> tuple[bytes, Any] | None:
        import obstore

        def read(s: Any, p: str) -> tuple[bytes, Any]:
            r = obstore.get(s, p)
            return bytes(r.bytes()), r.meta.get("e_tag")

        try:
            out: tuple[bytes, Any] = self._call(read, PINS_OBJECT)
            return out
        except FileNotFoundError:
            return None

    def list_objects(self, prefix: str) -> list[StoredObject]:
        import obstore

        def listing(s: Any, p: str) -> list[StoredObject]:
            return [
                StoredObject(m["path"], m["size"], m["last_modified"].timestamp())
                for chunk in obstore.list(s, p)
                for m in chunk
            ]

        out: list[StoredObject] = self._call(listing, prefix)
        return out

    def delete(self, path: str) -> None:
        import obstore

        try:
            self._call(obstore.delete, path)
        except FileNotFoundError:
            pass

    def pins_write(self, data: bytes, token: Any, seq: int) -> bool:
        import obstore
        import obstore.exceptions as ex

        mode: Any = "create" if token is None else {"e_tag": token}
        try:
            self._call(obstore.put, PINS_OBJECT, data, mode=mode)
        except (ex.AlreadyExistsError, ex.PreconditionError):
            return False
        return True


def within(work: Callable[[], T], seconds: float, limit_s: float) -> T:
    """``work()``'s result (or exception) if it finishes within ``seconds``, else StoreUnavailable("no answer
    within ``limit_s`` s": the configured limit, of which ``seconds`` is what remains). The work runs in a
    daemon thread, so a store that never answers (a server that accepts and stays silent, a stuck NFS
    mount) holds up nothing, not even the interpreter's exit; a late answer is dropped."""
    import threading
    from concurrent.futures import Future, wait

    done: Future[T] = Future()

    def run() -> None:
        try:
            done.set_result(work())
        except BaseException as e:  # handed to the waiting thread
            done.set_exception(e)

    threading.Thread(target=run, name="cython-pin-remote", daemon=True).start()
    if not wait([done], timeout=max(0.0, seconds)).done:
        raise StoreUnavailable(f"no answer within {limit_s:g} s")
    return done.result()


def _short(e: BaseException) -> str:
    text = str(e).split(": <?xml", 1)[0]
    return text if len(text) < 300 else text[:300] + "..."


def open_store(url: str, timeout_s: float) -> Store:
    """The store for a ``CYTHON_PIN_REMOTE`` URL."""
    if url.startswith("file://"):
        return FileStore(url)
    return ObjectStore(url, timeout_s)
