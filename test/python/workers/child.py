"""A fresh process on a "node": unpickle argv[1] (with pickle or cloudpickle, argv[3]), evaluate argv[2] with
the result as ``obj``, print one JSON line: the value or the error, and whether Cython was imported."""

from __future__ import annotations

import json
import sys


def main() -> None:
    path, expr, loads = sys.argv[1], sys.argv[2], sys.argv[3]
    out: dict[str, object] = {}
    with open(path, "rb") as f:
        data = f.read()
    try:
        if loads == "cloudpickle":
            import cloudpickle

            obj = cloudpickle.loads(data)
        else:
            import pickle

            obj = pickle.loads(data)
        out["value"] = eval(expr, {"obj": obj})
    except Exception as e:
        out["error"] = type(e).__name__
        out["message"] = str(e)
    out["cython_imported"] = "Cython" in sys.modules
    out["modules"] = sorted(m for m in sys.modules if m.startswith(("cython_pin", "_cython_pin")))
    print(json.dumps(out, default=repr))


if __name__ == "__main__":
    main()
