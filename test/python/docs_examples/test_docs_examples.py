"""Cython's documentation examples, built by cython_pin and by plain cythonize in the same run.

Prints ``docs examples: ours A/N, cythonize B/N, only-cythonize C, only-ours D`` and writes every example's
outcome to ``test-output/docs-examples.json``. Fails when cythonize builds an example that cython_pin does
not (C > 0), or when cythonize's build of an example imports (runs its module-level code) and cython_pin's
does not.
"""

from __future__ import annotations

import json
import os
import time

import pytest
from example_pool import run_tasks
from example_set import CYTHON_VERSION, extract, find_examples

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUTPUT = os.path.join(REPO, "test-output", "docs-examples.json")
TASK_TIMEOUT_S = 300.0
# They call OpenMP's own functions: cythonize links them without -fopenmp (undefined omp_* symbols at import);
# cython_pin sees OpenMP in what Cython generated and adds the flag (issue 23).
OPENMP_EXAMPLES = (
    "tutorial/parallelization/manual_work.py",
    "tutorial/parallelization/manual_work.pyx",
    "userguide/parallelism/cimport_openmp.py",
    "userguide/parallelism/cimport_openmp.pyx",
)


def _on_crash(cache_dir: str):
    def on_crash(task: dict[str, object], events: list[dict[str, object]]) -> dict[str, object]:
        if task["side"] == "ours":
            keys = [str(e["key"]) for e in events if e.get("event") == "key"]
            built = bool(keys) and os.path.exists(os.path.join(cache_dir, keys[0], "meta.json"))
        else:
            built = any(e.get("event") == "built" for e in events)
        return {"built": built, "imported": False}

    return on_crash


def _tasks(examples, root: str, scratch: str, cache_dir: str) -> list[dict[str, object]]:
    tasks: list[dict[str, object]] = []
    for ex in examples:
        for side in ("ours", "cythonize"):
            tasks.append(
                {
                    "id": f"{side}:{ex.rel}",
                    "side": side,
                    "example": ex.to_json(),
                    "root": root,
                    "scratch": os.path.join(scratch, side, ex.rel),
                    "cache_dir": cache_dir,
                    "ours_options": {"pure_python": True} if ex.pure_python else {},
                }
            )
    return tasks


def test_docs_examples_cython_pin_builds_what_cythonize_builds(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    import cython_pin

    root = extract(str(tmp_path / "src"))
    examples = find_examples(root)
    assert len(examples) > 300, "the vendored archive lost its examples"
    cache_dir = str(tmp_path / "cache")
    env = dict(os.environ)
    helper = os.path.dirname(os.path.dirname(os.path.abspath(cython_pin.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (helper, env.get("PYTHONPATH")) if p)
    env["CFLAGS"] = "-O0"  # cythonize's build at cython_pin's default optimisation: same outcome, less time
    env["DOCS_EXAMPLES_LOG"] = str(tmp_path / "examples-output.log")
    t0 = time.perf_counter()
    results = run_tasks(
        _tasks(examples, root, str(tmp_path / "scratch"), cache_dir),
        workers=max(2, os.cpu_count() or 2),
        timeout_s=TASK_TIMEOUT_S,
        env=env,
        on_crash=_on_crash(cache_dir),
    )
    elapsed = time.perf_counter() - t0

    rows = []
    for ex in examples:
        rows.append(
            {**ex.to_json(), "ours": results[f"ours:{ex.rel}"], "cythonize": results[f"cythonize:{ex.rel}"]}
        )
    n = len(rows)
    ours = [r["rel"] for r in rows if r["ours"]["built"]]
    cy = [r["rel"] for r in rows if r["cythonize"]["built"]]
    only_cy = [r for r in rows if r["cythonize"]["built"] and not r["ours"]["built"]]
    # built and importable by cython_pin, not by cythonize (e.g. OpenMP code cythonize links without -fopenmp)
    only_ours = [
        r["rel"]
        for r in rows
        if r["ours"]["built"]
        and r["ours"]["imported"]
        and not (r["cythonize"]["built"] and r["cythonize"]["imported"])
    ]
    # an example whose cythonize build imports (runs its module-level code) must import under cython_pin too
    not_run = [r for r in rows if r["cythonize"]["imported"] and not r["ours"]["imported"]]
    line = (
        f"docs examples: ours {len(ours)}/{n}, cythonize {len(cy)}/{n}, only-cythonize {len(only_cy)}, "
        f"only-ours {len(only_ours)}"
    )
    summary = {
        "cython": CYTHON_VERSION,
        "examples": n,
        "ours_built": len(ours),
        "cythonize_built": len(cy),
        "only_cythonize": [r["rel"] for r in only_cy],
        "only_ours": only_ours,
        "ours_imported": sum(1 for r in rows if r["ours"]["imported"]),
        "cythonize_imported": sum(1 for r in rows if r["cythonize"]["imported"]),
        "cythonize_imports_ours_does_not": [r["rel"] for r in not_run],
        "seconds": round(elapsed, 1),
        "line": line,
    }
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8") as f:
        json.dump({"summary": summary, "examples": rows}, f, indent=1)
    with capsys.disabled():
        print(f"\n{line} ({elapsed:.0f} s; details in {os.path.relpath(OUTPUT, REPO)})")

    def listing(rs: list[dict[str, object]]) -> str:
        return "\n".join(f"  {r['rel']}: {r['ours']['error']}" for r in rs)  # type: ignore[index]

    assert not only_cy, f"{line}\ncythonize builds these, cython_pin does not:\n{listing(only_cy)}"
    assert not not_run, f"cythonize's build imports these, cython_pin's does not:\n{listing(not_run)}"
    missing = [rel for rel in OPENMP_EXAMPLES if rel not in only_ours]
    assert not missing, f"{line}\nOpenMP examples not built and imported by cython_pin alone: {missing}"
