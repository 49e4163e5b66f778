"""Jupyter server for the end-to-end tests (started by playwright.config.ts, one per project).

Galata's own test set-up (no token, the galata helper extension, app exposed to the page), on 127.0.0.1 and
the port playwright.config.ts chose, in the folder it named (CYTHON_PIN_E2E_DIR): the server root, the
kernels' cython_pin cache, and the Jupyter/IPython config, data and runtime folders, so nothing comes from the
user's own set-up. The server removes that folder when it stops. With CYTHON_PIN_E2E_TEAM=1 the kernels also
see a read-write `file://` team store with a signing key made by `python -m cython_pin keygen` and trusted.

Never use this configuration outside tests: it turns off the server's security.
"""

import atexit
import os
import shutil
import subprocess
import sys

from jupyterlab.galata import configure_jupyter_server

base = os.environ["CYTHON_PIN_E2E_DIR"]
# Kernels inherit the server's environment: the cache, the temp folder (galata's own mkdtemp() calls
# below included) and the Jupyter/IPython folders all live under `base`.
dirs = {
    name: os.path.join(base, name)
    for name in ("root", "cache", "tmp", "workspaces", "config", "data", "runtime", "ipython")
}
for path in dirs.values():
    os.makedirs(path, exist_ok=True)
atexit.register(shutil.rmtree, base, ignore_errors=True)
os.environ.update(
    TMPDIR=dirs["tmp"],
    CYTHON_PIN_CACHE_DIR=dirs["cache"],
    JUPYTER_CONFIG_DIR=dirs["config"],
    JUPYTER_DATA_DIR=dirs["data"],
    JUPYTER_RUNTIME_DIR=dirs["runtime"],
    IPYTHONDIR=dirs["ipython"],
    # The kernels' build server then keeps its socket in <cache>/.server, and exits when this run's folder
    # is removed (not after its idle time).
    XDG_RUNTIME_DIR="",
)

if os.environ.get("CYTHON_PIN_E2E_TEAM") == "1":
    store, keys = os.path.join(base, "store"), os.path.join(base, "keys")
    os.makedirs(store)
    public_line = subprocess.run(
        [sys.executable, "-m", "cython_pin", "keygen", keys], check=True, capture_output=True, text=True
    ).stdout.strip()
    trusted = os.path.join(base, "trusted_keys")
    with open(trusted, "w", encoding="utf-8") as f:
        f.write(public_line + "\n")
    os.environ.update(
        CYTHON_PIN_REMOTE=f"file://{store}",
        CYTHON_PIN_REMOTE_MODE="read-write",
        CYTHON_PIN_TRUSTED_KEYS=trusted,
        CYTHON_PIN_SIGNING_KEY=os.path.join(keys, "cython-pin-signing.pem"),
    )

c = get_config()  # type: ignore[name-defined]  # noqa: F821
configure_jupyter_server(c)
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(os.environ["CYTHON_PIN_E2E_PORT"])
c.ServerApp.root_dir = dirs["root"]
c.LabApp.workspaces_dir = dirs["workspaces"]
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
if os.getuid() == 0:
    c.ServerApp.allow_root = True
