"""A small pool of ``example_worker.py`` processes: a worker that dies (a crashing example) is replaced,
and a task that runs too long is killed; either way that task gets a result saying so."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "example_worker.py")


class _Worker:
    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            cwd=os.path.dirname(WORKER),
            text=True,
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def run_tasks(
    tasks: list[dict[str, object]],
    *,
    workers: int,
    timeout_s: float,
    env: dict[str, str],
    on_crash: Callable[[dict[str, object], list[dict[str, object]]], dict[str, object]],
) -> dict[str, dict[str, object]]:
    """Run every task; returns ``{task id: result}``. ``on_crash(task, events)`` makes the result of a task
    whose worker died or timed out, from the events it sent before that."""
    todo: queue.Queue[dict[str, object]] = queue.Queue()
    for t in tasks:
        todo.put(t)
    results: dict[str, dict[str, object]] = {}
    lock = threading.Lock()

    def serve() -> None:
        w = _Worker(env)
        try:
            while True:
                try:
                    task = todo.get_nowait()
                except queue.Empty:
                    return
                assert w.proc.stdin is not None and w.proc.stdout is not None
                w.proc.stdin.write(json.dumps(task) + "\n")
                w.proc.stdin.flush()
                timer = threading.Timer(timeout_s, w.proc.kill)
                timer.start()
                events: list[dict[str, object]] = []
                done = None
                for line in w.proc.stdout:
                    msg = json.loads(line)
                    if msg.get("event") == "done":
                        done = msg
                        break
                    events.append(msg)
                timer.cancel()
                if done is None:  # the worker died (or was killed by the timer): replace it
                    rc = w.proc.wait()
                    res = on_crash(task, events)
                    res["error"] = f"worker process ended (exit status {rc}) while running this example"
                    w = _Worker(env)
                else:
                    res = {k: v for k, v in done.items() if k not in ("id", "event")}
                with lock:
                    results[str(task["id"])] = res
        finally:
            w.stop()

    threads = [threading.Thread(target=serve) for _ in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results
