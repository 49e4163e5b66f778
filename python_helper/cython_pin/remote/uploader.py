"""Background uploads: one daemon thread per process, best effort, never in a cell's way."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .tier import Tier


class Uploader:
    """A FIFO of (root, key) uploads run by one daemon thread; :meth:`flush` waits for it to drain."""

    def __init__(self, tier: Tier) -> None:
        self.tier = tier
        self._cond = threading.Condition()
        self._queue: list[tuple[str, str]] = []
        self._busy = 0  # queued + running
        self._thread: threading.Thread | None = None
        self.outcomes: list[str] = []

    def submit(self, root: str, key: str) -> None:
        with self._cond:
            self._queue.append((root, key))
            self._busy += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="cython-pin-upload", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue:
                    self._thread = None
                    return
                root, key = self._queue.pop(0)
            try:
                outcome = self.tier.upload(root, key)
            except Exception as e:  # a bug here must not kill later uploads; it is counted as a failure
                outcome = f"failed: {type(e).__name__}: {e}"
                self.tier.stats["upload_failures"] += 1
            with self._cond:
                self.outcomes.append(outcome)
                self._busy -= 1
                self._cond.notify_all()

    def flush(self, timeout_s: float | None) -> bool:
        """Wait until every submitted upload has finished; False if ``timeout_s`` ran out first."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True
