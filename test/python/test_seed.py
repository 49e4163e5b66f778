"""The executable seed spec (../shared/spec/check_seed_example.py) must print 10/10."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from support import HELPER, REPO

SEED = os.path.join(os.path.dirname(REPO), "shared", "spec", "check_seed_example.py")


@pytest.mark.skipif(not os.path.exists(SEED), reason="shared seed spec not available")
def test_seed_script_10_of_10(tmp_path):
    env = dict(os.environ, CYTHON_PIN_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=HELPER)
    p = subprocess.run(
        [sys.executable, SEED], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert "seed conformance: 10/10 checks hold" in p.stdout, p.stdout + p.stderr
    assert p.returncode == 0
