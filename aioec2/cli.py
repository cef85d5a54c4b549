"""
The ``aioec2`` command line.

``aioec2 demo`` (or ``python -m aioec2 demo``) runs the tutorial of the API documentation
against an embedded :class:`~aioec2.testing.FakeEC2`, step by step, then a bulk part: many
instances launched with ``launch_many``, awaited with ``wait_all`` on the shared poller, and
terminated in chunks, with progress bars and the number of DescribeInstances calls it took.
Nothing leaves the machine: the fake listens on 127.0.0.1 and checks every signature.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import TextIO

from aioec2.config import Config
from aioec2.errors import AioEC2Error
from aioec2.session import Session
from aioec2.testing import FakeEC2

__all__ = ["ProgressBar", "main", "run_demo"]

_SPEC_SIZE = 10  # instances per launch spec in the bulk part
_TYPES = ("t3.micro", "t3.small", "m5.large")


class ProgressBar:
    """
    A ``progress(done, total)`` callable that draws a text bar.

    On a terminal the bar is redrawn in place (``\\r``); otherwise it prints a plain line at
    0, 25, 50, 75 and 100 percent, so logs stay short.

    Args:
        label: printed before the bar.
        stream: where to draw; ``sys.stdout`` by default.
        width: the bar's width in characters.

    .. versionadded:: 0.1
    """

    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stdout
        self.width = width
        self._tty = self.stream.isatty()
        self._printed_step = -1

    def __call__(self, done: int, total: int) -> None:
        """Show ``done`` of ``total``."""
        filled = self.width * done // total if total else self.width
        line = f"  {self.label:<11} [{'#' * filled}{'-' * (self.width - filled)}] {done}/{total}"
        if self._tty:
            end = "\n" if done >= total else ""
            self.stream.write(f"\r{line}{end}")
            self.stream.flush()
            return
        step = 4 * done // total if total else 4
        if step > self._printed_step:
            self._printed_step = step
            self.stream.write(f"{line}\n")


class _Out:
    """Numbered steps and indented details."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.number = 0

    def step(self, text: str) -> None:
        self.number += 1
        self.stream.write(f"{self.number}. {text}\n")
        self.stream.flush()

    def detail(self, text: str) -> None:
        self.stream.write(f"   {text}\n")
        self.stream.flush()


async def run_demo(
    *, instances: int = 200, boot_time: float = 0.2, out: TextIO | None = None
) -> int:
    """
    Run the tutorial, then the bulk part, against an embedded FakeEC2.

    Args:
        instances: how many instances the bulk part launches.
        boot_time: the fake's seconds from pending to running (and for the other transitions).
        out: where to print; ``sys.stdout`` by default.

    Returns:
        0 on success.

    .. versionadded:: 0.1
    """
    stream = out or sys.stdout
    say = _Out(stream)
    # Poll fast enough for the fake's short transitions: a tenth of a boot, at most a boot.
    poll_min = max(0.01, boot_time / 10)
    config = Config(poll_min_interval=poll_min, poll_max_interval=max(poll_min, boot_time))
    async with FakeEC2(
        boot_time=boot_time,
        stop_time=boot_time,
        terminate_time=boot_time,
        credentials=True,
        rsa_key_bits=1024,
        seed=0,
    ) as fake:
        stream.write(f"aioec2 demo: an embedded FakeEC2 serves {fake.url} (signatures checked)\n")
        async with Session(
            region=fake.region, endpoint_url=fake.url, credentials=fake.credentials, config=config
        ) as s:
            await _tutorial(s, say)
            await _bulk(s, fake, say, instances, stream)
    stream.write("demo finished\n")
    stream.flush()
    return 0


async def _tutorial(s: Session, say: _Out) -> None:
    images = await s.describe_images(owners=["amazon"])
    image = images[0]
    say.step(f'images = await s.describe_images(owners=["amazon"]): {len(images)} images')
    say.detail(f"image.location = {image.location}")

    reservation = await image.run()
    instance = reservation.instances[0]
    say.step(f"reservation = await image.run(): {reservation!r}, {instance!r} is {instance.state}")
    instance = await instance.wait_until("running")
    say.detail(f'await instance.wait_until("running"): {instance.state}')
    await instance.terminate()
    instance = await instance.wait_until("terminated")
    say.detail(f'await instance.terminate(); wait_until("terminated"): {instance.state}')

    key_pair = await s.create_key_pair("gsg-keypair")
    say.step(f"key pair {key_pair.name}, fingerprint {key_pair.fingerprint}")
    reservation = await image.run(2, 2, "gsg-keypair")
    say.detail(f'image.run(2, 2, "gsg-keypair"): {len(reservation.instances)} instances')
    await reservation.wait_until("running")
    say.detail('await reservation.wait_until("running"): both running, one poll stream')
    changes = await reservation.terminate_all()
    say.detail(f"await reservation.terminate_all(): {len(changes)} instances shutting down")

    say.step("for r in await s.describe_instances(): for i in r.instances: print(i.id, i.state)")
    for r in await s.describe_instances():
        for i in r.instances:
            say.detail(f"{i.id} {i.state}")

    say.step("launch permissions")
    say.detail(f"get_launch_permissions(): {await image.get_launch_permissions()!r}")
    await image.set_launch_permissions(user_ids=["123456789012"])
    say.detail(f"after set(user_ids=...): {await image.get_launch_permissions()!r}")
    await image.remove_launch_permissions(user_ids=["123456789012"])
    await image.set_launch_permissions(groups=["all"])
    say.detail(f"after remove + set(groups=['all']): {await image.get_launch_permissions()!r}")
    await image.reset_launch_permissions()
    say.detail(f"after reset: {await image.get_launch_permissions()!r}")

    say.step("security groups: the three-tier example")
    web = await s.create_security_group("apache", "Our Apache Group")
    web = await web.authorize("tcp", 80, 80, "0.0.0.0/0")
    app = await s.create_security_group("appserver", "The application tier")
    app = await app.authorize(src_group=web)
    web = await web.authorize(
        ip_protocol="tcp", from_port=22, to_port=22, cidr_ip="192.168.1.130/32"
    )
    say.detail(f"web.rules = {web.rules!r}")
    web = await web.revoke("tcp", 22, 22, cidr_ip="192.168.1.130/32")
    say.detail(f"after revoke: web.rules = {web.rules!r}")
    say.detail(f"app.rules = {app.rules!r}")


async def _bulk(s: Session, fake: FakeEC2, say: _Out, count: int, stream: TextIO) -> None:
    image_id = (await s.describe_images(owners=["amazon"]))[0].id
    specs: list[dict[str, object]] = []
    for start in range(0, count, _SPEC_SIZE):
        size = min(_SPEC_SIZE, count - start)
        specs.append(
            {
                "image_id": image_id,
                "min_count": size,
                "max_count": size,
                "key_name": "gsg-keypair",
                "instance_type": _TYPES[len(specs) % len(_TYPES)],
                "tags": {"Name": f"demo-{len(specs)}"},
            }
        )
    say.step(f"bulk: launch_many of {count} instances in {len(specs)} specs")
    runs = fake.calls["RunInstances"]
    result = await s.launch_many(specs, progress=ProgressBar("launch", stream=stream))
    result.raise_for_failures()
    ids = [i.id for i in result.instances]
    say.detail(
        f"{len(ids)} instances in {len(result.reservations)} reservations, "
        f"{fake.calls['RunInstances'] - runs} RunInstances calls, {len(result.failures)} failures"
    )

    describes, ticks = fake.calls["DescribeInstances"], s.poller.ticks
    running = await s.wait_all(ids, "running", progress=ProgressBar("running", stream=stream))
    say.detail(
        f"wait_all running: {len(running)} instances, {s.poller.ticks - ticks} poller ticks, "
        f"{fake.calls['DescribeInstances'] - describes} DescribeInstances calls"
    )

    terminations = fake.calls["TerminateInstances"]
    changes = await s.terminate_instances(ids)
    say.detail(
        f"terminate_instances: {len(changes)} state changes in "
        f"{fake.calls['TerminateInstances'] - terminations} TerminateInstances requests "
        "(at most 1000 ids each)"
    )
    describes, ticks = fake.calls["DescribeInstances"], s.poller.ticks
    done = await s.wait_all(ids, "terminated", progress=ProgressBar("terminated", stream=stream))
    say.detail(
        f"wait_all terminated: {len(done)} instances, {s.poller.ticks - ticks} poller ticks, "
        f"{fake.calls['DescribeInstances'] - describes} DescribeInstances calls"
    )


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 0, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aioec2", description="aioec2 command line")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="run the tutorial and a bulk launch against an embedded FakeEC2"
    )
    demo.add_argument(
        "--instances", type=_positive_int, default=200, help="instances in the bulk part"
    )
    demo.add_argument(
        "--boot-time", type=_seconds, default=0.2, help="the fake's pending -> running, s"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the command line; return the exit status.

    .. versionadded:: 0.1
    """
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(run_demo(instances=args.instances, boot_time=args.boot_time))
    except AioEC2Error as exc:
        sys.stderr.write(f"aioec2 demo failed: {type(exc).__name__}: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130
