"""Shared fixtures: a moto_server EC2 on a free loopback port, and environment isolation."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import attrs
import pytest

import aioec2
from aioec2.testing import FakeEC2

#: Credentials every integration test signs with; FakeEC2 checks them, moto accepts any.
CREDENTIALS = aioec2.Credentials("AKIDINTEGRATION", "integration-secret-key")

_AWS_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_EC2",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
)


@pytest.fixture(autouse=True)
def _isolated_aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's real AWS settings out of every test; IMDS is switched off."""
    for name in _AWS_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """Start moto's EC2 backend in a subprocess on a free port; yield its URL."""
    script = Path(__file__).parent / "servers" / "moto_ec2.py"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            pytest.fail(f"moto_server did not start (said {line!r}, exit {proc.poll()})")
        yield f"http://127.0.0.1:{int(line.split()[1])}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


@attrs.frozen
class Endpoint:
    """One EC2 implementation the integration suite runs against."""

    kind: str  # "moto" or "fake"
    url: str
    fake: FakeEC2 | None = None

    def session(self, **kwargs: object) -> aioec2.Session:
        """A Session against this endpoint, signed with the suite's credentials."""
        kwargs.setdefault("credentials", CREDENTIALS)
        return aioec2.Session(region="us-east-1", endpoint_url=self.url, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(params=["moto", "fake"])
async def ec2_endpoint(request: pytest.FixtureRequest) -> AsyncIterator[Endpoint]:
    """
    Each integration test runs twice: against moto_server and against FakeEC2.

    moto is an EC2 nobody here wrote; FakeEC2 is ours. Running the same test on both keeps
    the fake honest. Known moto gaps are marked with ``@pytest.mark.moto_gap(reason=...)``.
    """
    if request.param == "moto":
        yield Endpoint("moto", request.getfixturevalue("moto_url"))
        return
    async with FakeEC2(
        boot_time=0.05,
        stop_time=0.05,
        terminate_time=0.05,
        credentials=CREDENTIALS,
        allow_anonymous=True,
        seed=1,
        rsa_key_bits=1024,
    ) as fake:
        yield Endpoint("fake", fake.url, fake)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Turn ``moto_gap`` into a strict xfail of the moto run only, so a fixed gap shows up."""
    for item in items:
        marker = item.get_closest_marker("moto_gap")
        callspec = getattr(item, "callspec", None)
        if marker is None or callspec is None or callspec.params.get("ec2_endpoint") != "moto":
            continue
        reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "")
        item.add_marker(pytest.mark.xfail(strict=True, reason=f"moto gap: {reason}"))
