"""One "node" of the team-cache tests: a separate process with its own local cache (environment from the
test). Runs the steps given as JSON in argv[1] and prints one JSON line per step on stdout."""

from __future__ import annotations

import json
import os
import sys
import time


def _entry_sha256s(res: object) -> dict[str, str]:
    with open(os.path.join(res.build_dir, "meta.json"), encoding="utf-8") as f:  # type: ignore[attr-defined]
        meta = json.load(f)
    return {a["path"]: a["sha256"] for a in meta["artifacts"]}


def main() -> None:
    import cython_pin

    last_key = ""
    for step in json.loads(sys.argv[1]):
        op = step["op"]
        out: dict[str, object] = {"op": op}
        try:
            if op == "build":
                t0 = time.perf_counter()
                res = cython_pin.compile_and_load_result(step["source"], **step.get("opts", {}))
                out.update(
                    wall_s=time.perf_counter() - t0,
                    key=res.key,
                    origin=res.origin,
                    signer=res.signer,
                    used_cache=res.used_cache,
                    timings=res.timings,
                    diagnostics=[d.message for d in res.diagnostics],
                    sha256s=_entry_sha256s(res),
                    value=res.module.f(7),
                )
                last_key = res.key
            elif op == "flush":
                out["flushed"] = cython_pin.remote_flush(step.get("timeout", 60))
            elif op == "pin":
                out["key"] = cython_pin.pin(
                    step["key"], alias=step["alias"], overwrite=step.get("overwrite", True), team=True
                )
            elif op == "magic":
                from IPython.core.interactiveshell import InteractiveShell

                shell = InteractiveShell.instance()
                shell.run_line_magic("load_ext", "cython_pin")
                r = shell.run_cell(step["cell"])
                out["success"] = bool(r.success)
                out["value"] = shell.user_ns["f"](7) if r.success else None
            elif op == "list_team":
                out["pins"] = cython_pin.list_pins(team=True)
            elif op == "import_pinned":
                res = cython_pin.import_pinned_result(step["alias"])
                out.update(key=res.key, origin=res.origin, value=res.module.f(7))
            elif op == "wait_file":
                deadline = time.monotonic() + step.get("timeout", 60)
                while not os.path.exists(step["path"]) and time.monotonic() < deadline:
                    time.sleep(0.01)
            elif op == "touch":
                open(step["path"], "w").close()
            elif op == "sleep":
                time.sleep(step["s"])
            elif op == "queue_upload":  # what a build does after it built: queue the upload of its entry
                from cython_pin.cache.paths import get_cache_dir
                from cython_pin.cache.tiers import team_tier

                team = team_tier()
                assert team is not None
                out["diagnostics"] = [d.message for d in team.after_build(get_cache_dir(), step["key"], None)]
            elif op == "upload_held":  # an upload held after its archive, before its manifest (a writer
                # racing a gc: "ready" appears once the archive is in the store; the manifest goes up when
                # "go" appears, or never if the test kills this node)
                from cython_pin.cache.paths import get_cache_dir
                from cython_pin.remote import current_tier

                t = current_tier()
                assert t is not None
                store = t.store()
                put = store.put_create

                def held(path: str, data: bytes, put=put, step=step) -> bool:  # type: ignore[no-untyped-def]
                    if "/manifests/" in path:
                        open(step["ready"], "w").close()
                        while not os.path.exists(step["go"]):
                            time.sleep(0.01)
                    return put(path, data)

                store.put_create = held  # type: ignore[method-assign]
                out["outcome"] = t.upload(get_cache_dir(), step.get("key", last_key))
            elif op == "setenv":
                os.environ.update(step["env"])
            elif op == "pending":  # warnings left by background uploads for the next result
                from cython_pin.remote import current_tier

                t = current_tier()
                out["messages"] = [d.message for d in t.take_pending()] if t else []
            elif op == "stats":
                from cython_pin.remote import current_tier

                t = current_tier()
                out["stats"] = t.stats if t else None
                out["mode"] = t.mode if t else None
            elif op == "modules":
                out["modules"] = sorted(m for m in sys.modules if m.split(".")[0] in step["roots"])
        except Exception as e:  # reported to the test, which decides
            out["error"] = f"{type(e).__name__}: {e}"
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
