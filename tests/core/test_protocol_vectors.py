"""
botocore's EC2 protocol test suites, run against our serializer and parsers.

The suites live in ../shared/vectors/botocore-protocols-ec2 (never copied here). Every case
runs; exactly the cases botocore's own runner skips, per the suites' ignore list, are marked
as skipped. Without the vectors folder the parametrization yields a single skipped test.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from aioec2._core.query import serialize_operation
from aioec2._core.service_model import operation_from_botocore
from aioec2._core.shapes import Shape, resolve
from aioec2._core.xml import parse_error, parse_shaped
from tests.vectors import VECTORS_DIR

if TYPE_CHECKING:
    from collections.abc import Iterator

SUITES = VECTORS_DIR / "botocore-protocols-ec2"
INPUT_FILES = ("input/ec2.json", "legacy/input/ec2.json")
OUTPUT_FILES = ("output/ec2.json", "legacy/output/ec2.json")
#: What botocore's runner patches uuid4 to return; the token cases expect it.
TOKEN = "00000000-0000-4000-8000-000000000000"
MAX_BYTES = 1 << 20


def _ignored(test_type: str, suite: str, case_id: str | None) -> str | None:
    """Return why botocore skips this case (its ``_should_ignore_test`` rules), or None."""
    ignore = json.loads((SUITES / "protocol-tests-ignore-list.json").read_text())
    general = ignore.get("general", {}).get(test_type, {})
    ec2 = ignore.get("protocols", {}).get("ec2", {}).get(test_type, {})
    if suite in general.get("suites", []) or suite in ec2.get("suites", []):
        return f"botocore skips the suite {suite!r} (protocol-tests-ignore-list.json)"
    if case_id in general.get("cases", []) or case_id in ec2.get("cases", []):
        return f"botocore skips the case {case_id!r} (protocol-tests-ignore-list.json)"
    return None


def _cases(test_type: str, files: tuple[str, ...]) -> Iterator[Any]:
    """Yield one pytest.param per case of ``files``, or one skip when the vectors are absent."""
    paths = [SUITES / name for name in files]
    if not all(path.exists() for path in paths):
        yield pytest.param(
            None,
            None,
            marks=pytest.mark.skip(reason=f"test vectors not found at {SUITES}"),
            id="vectors-missing",
        )
        return
    for path in paths:
        for suite in json.loads(Path(path).read_text(encoding="utf-8")):
            for index, case in enumerate(suite["cases"]):
                case_id = case.get("id")
                reason = _ignored(test_type, suite["description"], case_id)
                marks = [pytest.mark.skip(reason=reason)] if reason else []
                yield pytest.param(
                    suite, case, marks=marks, id=case_id or f"{suite['description']} {index}"
                )


def _python_value(value: Any, shape: Shape) -> Any:
    """Turn a JSON test value into the Python value our API takes or returns for ``shape``."""
    kind = shape.kind
    if value is None:
        return None
    if kind == "structure":
        by_name = shape.by_name
        return {k: _python_value(v, by_name[k].shape) for k, v in value.items()}
    if kind == "list":
        item = resolve(shape.item)  # type: ignore[arg-type]
        return [_python_value(v, item) for v in value]
    if kind == "map":
        item = resolve(shape.value)  # type: ignore[arg-type]
        return {k: _python_value(v, item) for k, v in value.items()}
    if kind == "timestamp":
        # The suites give timestamps as epoch seconds.
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if kind in ("float", "double") and isinstance(value, str):
        return float(value)  # "NaN", "Infinity", "-Infinity" stand for the floats
    return value


def _comparable(value: Any) -> Any:
    """Spell NaN and the infinities as the suites do, so that equal results compare equal."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def _blobs_as_bytes(value: Any, shape: Shape) -> Any:
    """Encode the suites' blob strings as the bytes our parser returns."""
    if value is None:
        return None
    if shape.kind == "blob":
        return value.encode()
    if shape.kind == "structure":
        return {k: _blobs_as_bytes(v, shape.by_name[k].shape) for k, v in value.items()}
    if shape.kind == "list":
        item = resolve(shape.item)  # type: ignore[arg-type]
        return [_blobs_as_bytes(v, item) for v in value]
    return value


@pytest.mark.parametrize(("suite", "case"), list(_cases("input", INPUT_FILES)))
def test_input_case(suite: dict[str, Any], case: dict[str, Any]) -> None:
    """serialize_operation produces exactly the body botocore's suite expects."""
    op = operation_from_botocore(suite["shapes"], case["given"])
    params = _python_value(case["params"], op.input)
    body = serialize_operation(
        op, params, version=suite["metadata"]["apiVersion"], token=lambda: TOKEN
    )
    assert case["serialized"]["body"].encode() == body


@pytest.mark.parametrize(("suite", "case"), list(_cases("output", OUTPUT_FILES)))
def test_output_case(suite: dict[str, Any], case: dict[str, Any]) -> None:
    """parse_shaped (or parse_error, for error cases) gives botocore's expected result."""
    response = case["response"]
    body = response["body"].encode()
    if "error" in case:
        error = parse_error(body, status=response["status_code"], max_bytes=MAX_BYTES)
        expected = (case["errorCode"], case.get("errorMessage", ""))
        assert expected == (error.code, error.message)
        return
    op = operation_from_botocore(suite["shapes"], case["given"])
    expected = _blobs_as_bytes(_python_value(case["result"], op.output), op.output)
    actual = parse_shaped(body, op.output, max_bytes=MAX_BYTES)
    assert _comparable(expected) == _comparable(actual)
