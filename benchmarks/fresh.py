"""
Scenarios in a fresh interpreter per sample: cold start and the memory a parsed answer keeps.

* Cold start: the time from the first line of a new process through the imports, creating
  the session or client, one small DescribeInstances and closing, measured inside the
  process (the interpreter's own start-up, the same for every client, is reported apart).
  Every package is imported from bytecode, as pip leaves an installed one (aioec2's is
  compiled first when it is installed in editable mode).
* Memory: after a warm-up call (so that caches and the connection pool are there already),
  ``tracemalloc`` counts what one DescribeInstances of 1,000 instances allocates that is still
  alive after ``gc.collect()`` while the result is held.

Each script is a complete, standalone program: it can be copied out and run by hand.
"""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from clients import ACCESS_KEY, FORM, POOL, REGION, SECRET_KEY, Ids
from scenarios import Scenario

import aioec2

__all__ = ["FRESH_CLIENTS", "cold_start", "compile_bytecode", "memory", "script"]

FRESH_CLIENTS = ("aioec2", "aiobotocore", "boto3", "raw aiohttp", "raw + xmltodict")

_PRELUDE = """\
import time
_t0 = time.perf_counter()
"""

# Each body defines `async def once()` (or `def once()`) returning the parsed answer.
_BODIES = {
    "aioec2": """\
import asyncio
import aioec2

async def main():
    async with aioec2.Session(
        region={region!r}, endpoint_url={url!r},
        credentials=aioec2.Credentials({key!r}, {secret!r}),
        config=aioec2.Config(max_connections={pool}),
    ) as s:
        return await run(lambda: s.describe_instances({args}))
""",
    "aiobotocore": """\
import asyncio
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

async def main():
    async with get_session().create_client(
        "ec2", region_name={region!r}, endpoint_url={url!r},
        aws_access_key_id={key!r}, aws_secret_access_key={secret!r},
        config=AioConfig(max_pool_connections={pool}),
    ) as c:
        return await run(lambda: c.describe_instances({botoargs}))
""",
    "boto3": """\
import boto3
from botocore.config import Config

def main():
    c = boto3.client(
        "ec2", region_name={region!r}, endpoint_url={url!r},
        aws_access_key_id={key!r}, aws_secret_access_key={secret!r},
        config=Config(max_pool_connections={pool}),
    )
    try:
        return run_sync(lambda: c.describe_instances({botoargs}))
    finally:
        c.close()
""",
    "raw aiohttp": """\
import asyncio
import aiohttp

async def main():
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit={pool})) as h:
        async def once():
            async with h.post({url!r}, data={body!r}, headers={{"Content-Type": {form!r}}}) as r:
                return await r.read()
        return await run(once)
""",
    "raw + xmltodict": """\
import asyncio
import aiohttp
import xmltodict

async def main():
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit={pool})) as h:
        async def once():
            async with h.post({url!r}, data={body!r}, headers={{"Content-Type": {form!r}}}) as r:
                return xmltodict.parse(await r.read())
        return await run(once)
""",
}

_COLD_TAIL = """\
async def run(once):
    return await once()

def run_sync(once):
    return once()

result = main()
if hasattr(result, "__await__"):
    result = __import__("asyncio").run(result)
print(time.perf_counter() - _t0)
"""

_MEMORY_TAIL = """\
import gc
import tracemalloc

kept = []

async def run(once):
    await once()  # warm-up: connections, caches, lazily built shapes
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept.append(await once())
    for _ in range(3):
        await asyncio.sleep(0)  # let the loop drop finished callbacks (they hold futures)
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before

def run_sync(once):
    once()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept.append(once())
    gc.collect()
    return tracemalloc.get_traced_memory()[0] - before

result = main()
if hasattr(result, "__await__"):
    result = __import__("asyncio").run(result)
print(result)
"""


def script(client: str, url: str, ids: Ids, *, case: str, tail: str) -> str:
    """The standalone program for ``client`` calling ``case`` at ``url``."""
    big = case == "describe1000"
    body = _BODIES[client].format(
        region=REGION,
        url=f"{url}/{case}/",
        key=ACCESS_KEY,
        secret=SECRET_KEY,
        pool=POOL,
        form=FORM,
        body=ids.raw_bodies()[case].encode(),
        args="" if big else f"instance_ids=[{ids.instance_id!r}]",
        botoargs="" if big else f"InstanceIds=[{ids.instance_id!r}]",
    )
    return _PRELUDE + body + "\n" + tail


def _run(code: str) -> tuple[float, float]:
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    wall = time.perf_counter() - started
    return float(out.stdout.strip().splitlines()[-1]), wall


def _rounds(scenario: Scenario, rounds: int, sample: Callable[[str], float]) -> Scenario:
    clients = FRESH_CLIENTS
    for number in range(rounds):
        shift = number % len(clients)
        for client in clients[shift:] + clients[:shift]:
            scenario.add(client, sample(client))
    return scenario


def compile_bytecode() -> None:
    """Compile aioec2's modules to bytecode, as installing a wheel does."""
    # pip compiles a wheel's modules when it installs them; an editable install (and a
    # PYTHONDONTWRITEBYTECODE environment) leaves aioec2 as bare sources that every fresh
    # process would compile again. Compile them once, as an installed package would be.
    package = Path(aioec2.__file__).parent
    compileall.compile_dir(package, quiet=1)


def cold_start(url: str, ids: Ids, rounds: int) -> tuple[Scenario, Scenario]:
    """Cold start in ms (inside the process) and the whole process's wall time in ms."""
    compile_bytecode()
    inside = Scenario(
        key="cold",
        title="Cold start: import + session + first DescribeInstances + close",
        unit="ms",
        higher_is_better=False,
        note="measured inside a fresh process; interpreter start-up excluded (next table)",
    )
    whole = Scenario(
        key="cold_process",
        title="Cold start: the whole process, interpreter start-up included",
        unit="ms",
        higher_is_better=False,
    )

    def sample(client: str) -> float:
        code = script(client, url, ids, case="describe1", tail=_COLD_TAIL)
        seconds, wall = _run(code)
        whole.add(client, wall * 1000)
        return seconds * 1000

    _rounds(inside, rounds, sample)
    return inside, whole


def memory(url: str, ids: Ids, rounds: int) -> Scenario:
    """Bytes kept alive by one parsed 1,000-instance DescribeInstances, in MiB."""
    compile_bytecode()
    scenario = Scenario(
        key="memory",
        title="Memory kept by one parsed DescribeInstances of 1,000 instances",
        unit="MiB",
        higher_is_better=False,
        note="tracemalloc, after a warm-up call and gc.collect(), result held",
    )

    def sample(client: str) -> float:
        code = script(client, url, ids, case="describe1000", tail=_MEMORY_TAIL)
        kept, _wall = _run(code)
        return kept / 2**20

    return _rounds(scenario, rounds, sample)
