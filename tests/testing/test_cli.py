"""``python -m aioec2.testing serve``: prints its URL and keys, serves, stops cleanly."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys

import pytest

import aioec2


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_serve_prints_url_serves_and_stops(signum: signal.Signals) -> None:
    """The first line names the URL; a signed call works; the signal ends it with status 0."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aioec2.testing",
        "serve",
        "--port",
        str(port),
        "--boot-time",
        "0.01",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert f"FakeEC2 serving on http://127.0.0.1:{port}/\n" == first
        settings = {}
        for _ in range(4):
            name, _, value = (await proc.stdout.readline()).decode().strip().partition("=")
            settings[name] = value
        credentials = aioec2.Credentials(
            settings["AWS_ACCESS_KEY_ID"], settings["AWS_SECRET_ACCESS_KEY"]
        )
        async with aioec2.Session(
            region=settings["AWS_REGION"],
            endpoint_url=settings["AWS_ENDPOINT_URL_EC2"],
            credentials=credentials,
        ) as s:
            regions = await s.request("DescribeRegions")
        assert "us-east-1" in {r["regionName"] for r in regions["regionInfo"]}
        proc.send_signal(signum)
        assert 0 == await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
