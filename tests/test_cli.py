"""``aioec2 demo``: the tutorial and the bulk part against an embedded FakeEC2."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest

from aioec2.cli import ProgressBar, main, run_demo


class _Terminal(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_python_m_aioec2_demo_succeeds() -> None:
    """``python -m aioec2 demo --instances 20`` exits 0 and prints every step."""
    proc = subprocess.run(
        [sys.executable, "-m", "aioec2", "demo", "--instances", "20", "--boot-time", "0.05"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (0, "") == (proc.returncode, proc.stderr)
    out = proc.stdout
    for line in (
        "   image.location = ec2-public-images/fedora-core4-base.manifest.xml",
        '   await instance.wait_until("running"): running',
        '   await instance.terminate(); wait_until("terminated"): terminated',
        '   image.run(2, 2, "gsg-keypair"): 2 instances',
        "   web.rules = (IPPermissions:tcp(80-80), IPPermissions:tcp(22-22))",
        "   after revoke: web.rules = (IPPermissions:tcp(80-80),)",
        "7. bulk: launch_many of 20 instances in 2 specs",
        "   20 instances in 2 reservations, 2 RunInstances calls, 0 failures",
        "  launch      [##############################] 2/2",
        "  running     [##############################] 20/20",
        "demo finished",
    ):
        assert line in out.splitlines()
    match = re.search(r"wait_all running: 20 instances, (\d+) poller ticks, (\d+) Describe", out)
    assert match is not None
    ticks, calls = map(int, match.groups())
    assert ticks == calls  # 20 instances: one DescribeInstances per tick
    assert "\r" not in out  # not a terminal: plain lines


async def test_run_demo_in_process() -> None:
    """run_demo returns 0 and writes the bulk part's counts to the given stream."""
    out = io.StringIO()
    assert 0 == await run_demo(instances=25, boot_time=0.02, out=out)
    text = out.getvalue()
    assert "   25 instances in 3 reservations, 3 RunInstances calls, 0 failures" in text
    assert "   terminate_instances: 25 state changes in 1 TerminateInstances requests" in text


def test_progress_bar_redraws_in_place_on_a_terminal() -> None:
    """On a terminal the bar is redrawn with a carriage return and ends with a newline."""
    stream = _Terminal()
    bar = ProgressBar("launch", stream=stream, width=4)
    for done in range(3):
        bar(done, 2)
    expected = "\r  launch      [----] 0/2\r  launch      [##--] 1/2\r  launch      [####] 2/2\n"
    assert expected == stream.getvalue()


def test_progress_bar_prints_quarters_otherwise() -> None:
    """Elsewhere it prints a plain line at each quarter, not at every step."""
    stream = io.StringIO()
    bar = ProgressBar("run", stream=stream, width=4)
    for done in range(101):
        bar(done, 100)
    assert 5 == len(stream.getvalue().splitlines())


def test_bad_arguments_exit_with_usage() -> None:
    """A count below one is refused by the argument parser (exit status 2)."""
    with pytest.raises(SystemExit) as info:
        main(["demo", "--instances", "0"])
    assert 2 == info.value.code
