"""
Where aioec2's time goes: the evidence behind the targets that are not met.

* Per call, without the network: every step of a typed DescribeInstances, timed alone
  (best of several repeats), next to ``xmltodict.parse`` with its defaults, the parse the
  raw + xmltodict floor pays. The whole call is timed on a Session whose transport answers
  from memory (a subclass overriding ``_transmit``), so "glue" is what the steps leave over:
  retry bookkeeping, credentials, pagination, the async layers.
* Cold start, in a fresh process: ``import asyncio``, ``import aiohttp``, ``import aioec2``
  (and how much of that is attrs generating the classes' methods) and the first call's
  one-time work (loading the shipped EC2 model, building shapes).
"""

from __future__ import annotations

import asyncio
import gc
import inspect
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xmltodict
from clients import ACCESS_KEY, FORM, REGION, SECRET_KEY, Ids
from fresh import compile_bytecode

import aioec2
from aioec2._core.query import serialize_operation
from aioec2._core.request import HttpRequest
from aioec2._core.xml import _FEED_BYTES, _collector_paused, _tree, parse_shaped
from aioec2._operations import operation
from aioec2.models.instance import Reservation
from aioec2.signers import SigV4Signer

__all__ = ["cold_breakdown", "cold_table", "per_call", "per_call_table"]

_LIMIT = 64 * 2**20


def _best(func: Callable[[], object], number: int, repeat: int) -> float:
    """Seconds per call: the best of ``repeat`` runs of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - started) / number)
    return best


# _transmit is private and its answer may grow (status, body, Date header, ...): read how many
# values this version returns from its annotation, and answer with that many.
_ARITY = str(inspect.signature(aioec2.Session._transmit).return_annotation).count(",") + 1


class _Canned(aioec2.Session):
    """A Session whose transport answers from memory: the SDK's own CPU time, no network."""

    body = b""

    async def _transmit(self, client: Any, request: Any, action: str) -> Any:
        return (200, self.body, None)[:_ARITY]


async def _whole_call(body: bytes, instance_ids: list[str], number: int, repeat: int) -> float:
    _Canned.body = body
    async with _Canned(
        region=REGION,
        endpoint_url="https://ec2.us-east-1.amazonaws.com/",
        credentials=aioec2.Credentials(ACCESS_KEY, SECRET_KEY),
    ) as s:
        best = float("inf")
        for _ in range(repeat):
            await s.describe_instances(instance_ids=instance_ids)
            gc.collect()
            started = time.perf_counter()
            for _ in range(number):
                await s.describe_instances(instance_ids=instance_ids)
            best = min(best, (time.perf_counter() - started) / number)
        return best


#: Step names, in the order the table lists them.
FLOOR_PARSE = "xmltodict.parse, defaults (the floor's parse)"
TREE = "aioec2's element tree (body checks + ElementTree's C parser)"
PARSE_SHAPED = "aioec2 parse_shaped (the tree + the shaped readers)"
MODELS = "models (Reservation.from_parsed)"
SIGNING = "SigV4 signing"
SERIALIZE = "serialization (serialize_operation)"
GLUE = "glue: retry state, credentials, pagination, async layers"
WHOLE = "aioec2 describe_instances, whole call without network"


def _tree_as_parsed(body: bytes) -> object:
    # parse_shaped builds a large answer's tree with the garbage collector held off: so here.
    if len(body) <= _FEED_BYTES:
        return _tree(body, _LIMIT)
    with _collector_paused():
        return _tree(body, _LIMIT)


def _steps(body: bytes, instance_ids: list[str], number: int, repeat: int) -> dict[str, float]:
    op = operation("DescribeInstances")
    signer = SigV4Signer()
    creds = aioec2.Credentials(ACCESS_KEY, SECRET_KEY)
    url = "https://ec2.us-east-1.amazonaws.com/"
    headers = (("Content-Type", FORM), ("User-Agent", "aioec2"))
    params: dict[str, Any] = {"InstanceIds": instance_ids} if instance_ids else {}
    request_body = serialize_operation(op, params, version="2016-11-15", token=str)
    reservations = parse_shaped(body, op.output, max_bytes=_LIMIT)["Reservations"]

    def sign() -> object:
        request = HttpRequest(method="POST", url=url, headers=headers, body=request_body)
        return signer.sign(request, credentials=creds, region=REGION, now=datetime.now(UTC))

    steps = {
        FLOOR_PARSE: _best(lambda: xmltodict.parse(body), number, repeat),
        TREE: _best(lambda: _tree_as_parsed(body), number, repeat),
        PARSE_SHAPED: _best(
            lambda: parse_shaped(body, op.output, max_bytes=_LIMIT), number, repeat
        ),
        MODELS: _best(lambda: [Reservation.from_parsed(x) for x in reservations], number, repeat),
        SIGNING: _best(sign, number, repeat),
        SERIALIZE: _best(
            lambda: serialize_operation(op, params, version="2016-11-15", token=str),
            number,
            repeat,
        ),
    }
    whole = asyncio.run(_whole_call(body, instance_ids, number, repeat))
    steps[GLUE] = whole - sum(steps[k] for k in (PARSE_SHAPED, MODELS, SIGNING, SERIALIZE))
    steps[WHOLE] = whole
    return steps


def per_call(responses: dict[str, Path], ids: Ids, repeat: int = 7) -> dict[str, dict[str, float]]:
    """Seconds per step, best of ``repeat``: ``{"describe1": {step: s}, "describe1000": ...}``."""
    small = responses["describe1"].read_bytes()
    big = responses["describe1000"].read_bytes()
    return {
        "describe1": _steps(small, [ids.instance_id], 2000, repeat),
        "describe1000": _steps(big, [], 3, repeat),
    }


def per_call_table(columns: dict[str, dict[str, float]]) -> list[str]:
    """The per-step table, Markdown."""
    lines = [
        "| step, best of several runs (no network) | 1 instance, us | 1,000 instances, ms |",
        "|---|---:|---:|",
    ]
    small, big = columns["describe1"], columns["describe1000"]
    for name in small:
        label = f"**{name}**" if name == WHOLE else name
        lines.append(f"| {label} | {small[name] * 1e6:.1f} | {big[name] * 1e3:.1f} |")
    return [*lines, ""]


_COLD_SCRIPT = """\
import time
t0 = time.perf_counter()
import asyncio
t1 = time.perf_counter()
import aiohttp
t2 = time.perf_counter()
import attr._next_gen as _next_gen
building = [0.0, 0]
_attrs = _next_gen.attrs
def _timed(*args, **kwargs):
    started = time.perf_counter()
    try:
        return _attrs(*args, **kwargs)
    finally:
        building[0] += time.perf_counter() - started
        building[1] += 1
_next_gen.attrs = _timed
t3 = time.perf_counter()
import aioec2
t4 = time.perf_counter()
_next_gen.attrs = _attrs
from aioec2._operations import operation
operation("DescribeInstances")
t5 = time.perf_counter()
print(t1 - t0, t2 - t1, t4 - t3, building[0], t5 - t4, building[1])
"""

COLD_PARTS = ("asyncio", "aiohttp", "aioec2", "attrs", "first", "classes")


def cold_breakdown(rounds: int = 5) -> dict[str, float]:
    """The cold start's parts, medians over fresh processes: ms, and the class count."""
    compile_bytecode()
    samples: list[list[float]] = []
    for _ in range(rounds):
        out = subprocess.run(
            [sys.executable, "-c", _COLD_SCRIPT], check=True, capture_output=True, text=True
        )
        samples.append([float(x) for x in out.stdout.split()])
    medians = [sorted(column)[len(column) // 2] for column in zip(*samples, strict=True)]
    parts = {name: value * 1000 for name, value in zip(COLD_PARTS, medians, strict=True)}
    parts["classes"] = medians[-1]
    return parts


def cold_table(parts: dict[str, float]) -> list[str]:
    """The cold-start table, Markdown."""
    return [
        "| part of a cold start (fresh process, bytecode compiled) | ms, median |",
        "|---|---:|",
        f"| `import asyncio` (every asyncio client pays it) | {parts['asyncio']:.1f} |",
        f"| `import aiohttp` (aiobotocore and the raw floor pay it too) | {parts['aiohttp']:.1f} |",
        f"| `import aioec2` | {parts['aioec2']:.1f} |",
        f"| ... of which attrs generating the methods of {parts['classes']:.0f} classes "
        f"| {parts['attrs']:.1f} |",
        f"| first call's one-time work: load the EC2 model, build shapes | {parts['first']:.1f} |",
        "",
    ]
