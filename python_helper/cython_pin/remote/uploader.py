"""Background uploads: one queue and one daemon thread per process, best effort, never in a cell's way.

Every upload is a Future, so remote_flush() and the flush at exit wait for all of them, whichever tier
(environment) queued them. The worker is a daemon thread rather than a ThreadPoolExecutor's: those are
joined at interpreter exit with no time limit, and an upload to a hung store must not hold up a kernel's
exit beyond the flush's own bound.
"""

from __future__ import annotations

import atexit
import queue
import threading
from concurrent.futures import Future, wait
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tier import Tier


class Uploader:
    """A FIFO of (tier, root, key) uploads run one at a time by a daemon thread."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Future[str], Tier, str, str]] = queue.SimpleQueue()
        self._pending: dict[Future[str], Tier] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, tier: Tier, root: str, key: str) -> Future[str]:
        """Queue the upload of ``key`` from the local cache ``root`` to ``tier``'s store; the Future's result
        is the outcome (see Tier.upload)."""
        done: Future[str] = Future()
        with self._lock:
            self._pending[done] = tier
            self._queue.put((done, tier, root, key))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="cython-pin-upload", daemon=True)
                self._thread.start()
        return done

    def _run(self) -> None:
        while True:
            done, tier, root, key = self._queue.get()
            try:
                done.set_result(tier.upload(root, key))
            except Exception as e:  # a bug here must not stop later uploads; it is counted as a failure
                tier.stats["upload_failures"] += 1
                done.set_exception(e)
            with self._lock:
                del self._pending[done]

    def pending_tiers(self) -> list[Tier]:
        """The tiers of the uploads not finished yet."""
        with self._lock:
            return list(self._pending.values())

    def flush(self, timeout_s: float | None) -> bool:
        """Wait until every upload submitted so far has finished; False if ``timeout_s`` ran out first."""
        with self._lock:
            waiting = list(self._pending)
        return not wait(waiting, timeout=timeout_s).not_done


def _flush_at_exit() -> None:
    """At exit, wait for pending uploads as long as the longest timeout of the remotes they go to."""
    tiers = UPLOADER.pending_tiers()
    if tiers:
        UPLOADER.flush(max(t.cfg.timeout_s for t in tiers))


UPLOADER = Uploader()  # the process's one uploader: every tier queues here, every flush waits here
atexit.register(_flush_at_exit)
