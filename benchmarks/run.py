"""
Benchmarks of aioec2 side by side with aiobotocore, boto3 and a raw aiohttp floor.

    python benchmarks/run.py [--quick] [--server auto|nginx|python] [--only NAME,...]

One run: generate canned EC2 responses from FakeEC2, start the canned-response server in its
own process (pinned to one core, the clients to another), measure every scenario round by
round with the clients interleaved, and print the report (Markdown). A full run (no
``--quick``, no ``--only``) also writes it to ``benchmarks/RESULTS.md``. See README.md here.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import platform
import resource
import shlex
import shutil
import sys
import tempfile
import time
from collections import Counter
from importlib import metadata
from pathlib import Path

import budget
import clients
import fleet
import fresh
import report
import responses
import scenarios
import server
import signing

HERE = Path(__file__).resolve().parent
GROUPS = ("signing", "network", "cold", "memory", "fleet", "budget")
PACKAGES = ("aioec2", "aiohttp", "xmltodict", "attrs", "aiobotocore", "botocore", "boto3")


def _isolate_environment(home: Path) -> None:
    # Every client gets its credentials and region as arguments: no profile, file or
    # metadata service may be looked up (or slow one of them down).
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ["AWS_CONFIG_FILE"] = str(home / "config")
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "credentials")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def _cores() -> tuple[int | None, int | None]:
    """(server core, client core), or Nones when the machine cannot give two."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return available[0], available[1]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _versions() -> str:
    found = []
    for name in PACKAGES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def _header(
    args: argparse.Namespace,
    srv: server.ServerProcess,
    cores: tuple[int | None, int | None],
    others: float | None,
) -> list[str]:
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = "python benchmarks/run.py" + ("".join(f" {shlex.quote(a)}" for a in args.argv))
    server_core, client_core = cores
    priority = f", scheduling priority nice {args.nice:+d}" if args.nice else ""
    pinning = (
        f"server pinned to CPU {server_core}, clients to CPU {client_core}"
        if client_core is not None
        else "no pinning (fewer than two CPUs available)"
    )
    server_kind = "nginx" if srv.kind == "nginx" else "the minimal Python fallback server"
    lines = [
        "# Benchmark results",
        "",
        f"- Date: {when}; command: `{command}` ({'quick' if args.quick else 'full'} run)",
        f"- Machine: {_cpu_model()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; {pinning}{priority}",
        f"- Server: {server_kind}, canned responses generated from FakeEC2, loopback HTTP/1.1",
        f"- Versions: {_versions()}",
        "- Every number is from this one run. Ratios are taken round by round (clients "
        "interleaved, order rotating) and summarized as median (min-max).",
    ]
    if others is not None:
        lines.append(
            f"- Other processes used {others:.0%} of the machine's CPU time during the run "
            "(a quiet machine shows a few %; load on the server's or the clients' CPU adds "
            "latency to every call and pulls every ratio toward 1)."
        )
    return [*lines, ""]


def _busy_cpu_seconds() -> float | None:
    """CPU time every process on the machine has used (from /proc/stat), or None."""
    try:
        values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = values[3] + values[4]
    return (sum(values) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the server included)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _LoadWatch:
    """How much CPU other processes took while the benchmark ran: they skew every ratio."""

    def __init__(self) -> None:
        self._busy = _busy_cpu_seconds()
        self._own = _own_cpu_seconds()
        self._wall = time.perf_counter()

    def others_share(self) -> float | None:
        """Other processes' CPU time over the run, as a share of all CPUs' time."""
        busy = _busy_cpu_seconds()
        if busy is None or self._busy is None:
            return None
        wall = time.perf_counter() - self._wall
        others = (busy - self._busy) - (_own_cpu_seconds() - self._own)
        return max(0.0, others / (wall * (os.cpu_count() or 1)))


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (under 2 minutes)")
    parser.add_argument(
        "--server", choices=("auto", "nginx", "python"), default="auto", help="the server"
    )
    parser.add_argument(
        "--only", default="", help=f"comma-separated groups to run, of: {', '.join(GROUPS)}"
    )
    parser.add_argument("--output", type=Path, help="write the report here too")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="change the scheduling priority of the run and its server (e.g. -10, as root, "
        "so that other load on a shared machine perturbs the numbers less)",
    )
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    only = {g.strip() for g in args.only.split(",") if g.strip()} or set(GROUPS)
    unknown = only - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups: {', '.join(sorted(unknown))}")
    output = args.output
    if output is None and not args.quick and only == set(GROUPS):
        output = HERE / "RESULTS.md"
    plan = scenarios.Plan.quick() if args.quick else scenarios.Plan.full()

    started = time.perf_counter()
    watch = _LoadWatch()
    work = Path(tempfile.mkdtemp(prefix="aioec2-bench-"))
    _isolate_environment(work)
    if args.nice:
        try:
            os.nice(args.nice)  # the server and the fresh processes inherit it
        except OSError as exc:
            parser.error(f"--nice {args.nice}: {exc}")
    cores = _cores()
    if cores[1] is not None:
        os.sched_setaffinity(0, {cores[1]})
    _progress("generating the canned responses from FakeEC2")
    paths = responses.generate(work / "responses")
    ids = clients.Ids(paths)
    srv = server.start_server(work / "responses", kind=args.server, core=cores[0])
    _progress(f"serving them with {srv.kind} on {srv.url}")
    results: list[scenarios.Scenario] = []
    phases: dict[str, float] = {}
    calls: Counter[str] = Counter()
    per_call: dict[str, dict[str, float]] | None = None
    cold: dict[str, float] | None = None
    try:
        if "signing" in only:
            _progress("SigV4 signing")
            results.append(signing.signing(ids, plan.signing_rounds, plan.signing_count))
        if "network" in only:
            results += asyncio.run(scenarios.run_network_scenarios(srv, ids, plan, _progress))
        if "cold" in only:
            _progress("cold start, fresh processes")
            results += fresh.cold_start(srv.url, ids, plan.cold_rounds)
        if "memory" in only:
            _progress("memory kept, fresh processes")
            results.append(fresh.memory(srv.url, ids, plan.memory_rounds))
        if "budget" in only:
            _progress("where the time goes: per-call steps and cold-start parts")
            per_call = budget.per_call(paths, ids, plan.budget_repeat)
            cold = budget.cold_breakdown(plan.budget_repeat)
        if "fleet" in only:
            _progress("bulk on FakeEC2")
            scenario, phases, calls = fleet.fleet(plan.fleet_rounds)
            results.append(scenario)
    finally:
        srv.stop()
        shutil.rmtree(work, ignore_errors=True)
    order = {"signing": 90}  # signing last in the report: it is not a comparison of clients
    results.sort(key=lambda s: order.get(s.key, 0))
    text = report.render(
        results,
        header=_header(args, srv, cores, watch.others_share()),
        fleet_phases=phases,
        fleet_calls=calls,
        per_call=per_call,
        cold=cold,
    )
    elapsed = time.perf_counter() - started
    text += f"\nThe run took {elapsed:.0f} s.\n"
    print(text)
    if output is not None:
        output.write_text(text)
        _progress(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
