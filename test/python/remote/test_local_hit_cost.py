"""With no remote configured, a local cache hit imports nothing of the team cache."""

from __future__ import annotations

from conftest import Nodes, source


def test_local_hit_imports_no_remote_code(nodes: Nodes, tmp_path) -> None:
    env = nodes.env("unused")
    del env["CYTHON_PIN_REMOTE"]
    nodes.run(env, [{"op": "build", "source": source("cost")}])
    rows = nodes.run(
        env,
        [
            {"op": "build", "source": source("cost")},
            {"op": "modules", "roots": ["cython_pin", "obstore", "cryptography"]},
        ],
    )
    assert rows[0]["origin"] == "local"
    assert not [
        m for m in rows[1]["modules"] if m.startswith(("cython_pin.remote", "obstore", "cryptography"))
    ]
