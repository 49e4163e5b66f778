"""Credentials from the user's AWS profile (``~/.aws/credentials``, ``AWS_PROFILE``) through obstore's boto3
credential provider, with no AWS key variables set, against the real SeaweedFS server; and a local hit
imports no boto3."""

from __future__ import annotations

import os

import pytest
from conftest import READER, WRITER, Nodes, Weed, expected, source
from cython_pin.remote import manifest as M
from test_cli import cli

pytest.importorskip("boto3", reason="boto3 is optional (pip install boto3): profiles need it")


def profile_env(
    nodes: Nodes, weed: Weed, url: str, home: str, profile: str | None, **kw: object
) -> dict[str, str]:
    """A node's environment with HOME at ``home``, only the endpoint and region of the AWS variables, and
    ``AWS_PROFILE`` when given."""
    extra = {"HOME": home, "AWS_ENDPOINT_URL_S3": weed.endpoint, "AWS_REGION": "us-east-1"}
    if profile:
        extra["AWS_PROFILE"] = profile
    env = nodes.env(url, extra=extra, **kw)  # type: ignore[arg-type]
    assert not [k for k in env if k.startswith("AWS_") and k not in extra]
    return env


def write_credentials(home: str, profiles: dict[str, tuple[str, str]]) -> None:
    os.makedirs(os.path.join(home, ".aws"), exist_ok=True)
    with open(os.path.join(home, ".aws", "credentials"), "w", encoding="utf-8") as f:
        for name, (key, secret) in profiles.items():
            f.write(f"[{name}]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n")


def test_a_profile_reaches_the_store(nodes: Nodes, weed: Weed, s3url: str, keys, tmp_path) -> None:
    home = str(tmp_path / "home")
    # The default profile's keys are wrong: only AWS_PROFILE=team reaches the store.
    write_credentials(home, {"default": ("nobody", "wrong-secret"), "team": WRITER, "reader": READER})
    writer = profile_env(nodes, weed, s3url, home, "team", mode="read-write", sign=keys.priv)
    rows = nodes.run(writer, [{"op": "build", "source": source("profile")}, {"op": "flush"}])
    assert rows[1]["flushed"] is True
    assert weed.admin(s3url).get(M.manifest_path(M.abi_tag(), rows[0]["key"])) is not None

    reader = profile_env(nodes, weed, s3url, home, "reader", refuse_cc=True)
    row = nodes.run(reader, [{"op": "build", "source": source("profile")}])[0]
    assert (row.get("error"), row["origin"], row["value"]) == (None, "remote", expected("profile"))

    r = cli(profile_env(nodes, weed, s3url, home, "reader"), "remote", "status")
    assert r.returncode == 0 and "answers    : yes" in r.stdout, r.stdout
    r = cli(profile_env(nodes, weed, s3url, home, None, timeout=2), "remote", "status")
    assert r.returncode == 1 and "answers    : no" in r.stdout  # the default profile's keys are refused
    r = cli(profile_env(nodes, weed, s3url, home, "nosuch", timeout=2), "remote", "status")
    assert r.returncode == 1 and "AWS profile" in r.stdout and "nosuch" in r.stdout


def test_a_local_hit_imports_no_boto3(nodes: Nodes, weed: Weed, s3url: str, tmp_path) -> None:
    home = str(tmp_path / "home")
    write_credentials(home, {"reader": READER})
    env = profile_env(nodes, weed, s3url, home, "reader")
    steps = [{"op": "build", "source": source("no-boto")}, {"op": "modules", "roots": ["boto3", "botocore"]}]
    first = nodes.run(env, steps)
    assert first[0]["origin"] == "built" and first[1]["modules"]  # the miss asked the store through boto3
    rows = nodes.run(env, steps)
    assert rows[0]["origin"] == "local" and rows[1]["modules"] == []
